"""Emission factors and energy conversion coefficients, as configuration data with sources.

Every number here is a default that callers can replace; each says where it comes from
or that it is an assumption. Units are in the names.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from certificates.exceptions import InvalidInput
from certificates.lots import Technology

# National average grid emission factors (kgCO2/kWh = tCO2/MWh) published by the Ministry
# of Ecology and Environment (MEE) with the National Bureau of Statistics, by data year.
GRID_FACTORS_KG_PER_KWH: Mapping[int, float] = {2021: 0.5568, 2022: 0.5366, 2023: 0.5306}
# Published with them: the national average EXCLUDING market-traded non-fossil electricity
# (green-power trades). China publishes no residual-mix factor; we use this as its proxy.
EXCLUDING_MARKET_NONFOSSIL_KG_PER_KWH: Mapping[int, float] = {2022: 0.5856, 2023: 0.6096}


def factor_for(year: int, table: Mapping[int, float]) -> float:
    """The factor of data year `year` in `table`; raises InvalidInput naming the year when
    the table has none (no silent fallback to another year)."""
    if year not in table:
        raise InvalidInput("year", f"no factor for {year}; known years: {sorted(table)}")
    return table[year]


# Defaults: data year 2022 of the MEE national averages (announced December 2024).
GRID_FACTOR_KG_PER_KWH = factor_for(2022, GRID_FACTORS_KG_PER_KWH)
# ASSUMPTION, configurable: China publishes no residual-mix factor. As a proxy we use the
# 2022 national average *excluding market-traded non-fossil electricity*.
RESIDUAL_FACTOR_KG_PER_KWH = factor_for(2022, EXCLUDING_MARKET_NONFOSSIL_KG_PER_KWH)

# Emission factor of the electricity behind a retired certificate, by technology. Chinese
# GECs are issued for renewable generation only; PV and wind emit nothing in operation.
CERTIFICATE_FACTORS_KG_PER_KWH: Mapping[str, float] = {Technology.PV: 0.0, Technology.WIND: 0.0}


def check_factor(value: float, field: str) -> float:
    """`value` when it is a finite number >= 0; raises InvalidInput naming `field`."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(field, f"must be a number, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise InvalidInput(field, f"must be a finite number >= 0, got {value!r}")
    return value


class ElectricityConversion(StrEnum):
    """How electricity is converted to tonnes of standard coal equivalent (tce)."""

    # 当量值: the heat content of 1 kWh, 3.6 MJ / 29.3076 MJ per kgce (GB/T 2589-2020).
    EQUIVALENT_VALUE = "equivalent_value"
    # 等价值 / coal-equivalent: the coal burnt to generate 1 kWh. ASSUMPTION: about 0.300
    # kgce/kWh, the order of the national average coal use of thermal power supply in
    # recent China Electricity Council statistics; replace with the year's published value.
    COAL_EQUIVALENT = "coal_equivalent"


ELECTRICITY_KGCE_PER_KWH: Mapping[ElectricityConversion, float] = {
    ElectricityConversion.EQUIVALENT_VALUE: 0.1229,
    ElectricityConversion.COAL_EQUIVALENT: 0.300,
}

# One tonne of standard coal equivalent holds 29.3076 GJ (GB/T 2589-2020).
GJ_PER_TCE = 29.3076


@dataclass(frozen=True)
class Fuel:
    """A fuel burnt in the park: tce per unit (GB/T 2589 reference coefficients) and tCO2
    per tce. ASSUMPTION for every CO2 figure: IPCC 2006 default CO2 emission factor in
    tCO2/TJ × 29.3076 GJ/tce, 100 % oxidation; replace with measured values when known."""

    unit: str
    tce_per_unit: float
    t_co2_per_tce: float
    source: str


FUELS: Mapping[str, Fuel] = {
    # Raw coal 0.7143 kgce/kg; CO2 as other bituminous coal, 94.6 tCO2/TJ.
    "coal_t": Fuel("t", 0.7143, 94.6 * GJ_PER_TCE / 1000, "GB/T 2589 raw coal; IPCC bituminous"),
    # Gas-field natural gas 1.2143 kgce/m3 (12.143 tce per 10^4 m3); CO2 56.1 tCO2/TJ.
    "gas_m3": Fuel("m3", 0.0012143, 56.1 * GJ_PER_TCE / 1000, "GB/T 2589 natural gas; IPCC"),
    # Crude oil 1.4286 kgce/kg; CO2 73.3 tCO2/TJ.
    "oil_t": Fuel("t", 1.4286, 73.3 * GJ_PER_TCE / 1000, "GB/T 2589 crude oil; IPCC"),
    # Diesel 1.4571 kgce/kg; CO2 74.1 tCO2/TJ.
    "diesel_t": Fuel("t", 1.4571, 74.1 * GJ_PER_TCE / 1000, "GB/T 2589 diesel; IPCC"),
    # Gasoline 1.4714 kgce/kg; CO2 69.3 tCO2/TJ.
    "gasoline_t": Fuel("t", 1.4714, 69.3 * GJ_PER_TCE / 1000, "GB/T 2589 gasoline; IPCC"),
}
