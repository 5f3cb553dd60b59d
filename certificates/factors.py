"""Emission factors and energy conversion coefficients, as configuration data with sources.

Every number here is a default that callers can replace; each says where it comes from
or that it is an assumption. Units are in the names.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from certificates.exceptions import InvalidInput
from certificates.lots import Technology

# National average grid emission factors (kgCO2/kWh = tCO2/MWh) published by the Ministry
# of Ecology and Environment (MEE) with the National Bureau of Statistics, by data year.
GRID_FACTORS_KG_PER_KWH: Mapping[int, float] = {2021: 0.5568, 2022: 0.5366, 2023: 0.5306}
# Published with them: the national average EXCLUDING market-traded non-fossil electricity
# (green-power trades). China publishes no residual-mix factor; we use this as its proxy.
EXCLUDING_MARKET_NONFOSSIL_KG_PER_KWH: Mapping[int, float] = {2022: 0.5856, 2023: 0.6096}


# Regional grid averages (kgCO2/kWh), same MEE/NBS announcements, by region and data year.
# 2023: MEE & NBS, "Announcement on the 2023 electricity CO2 emission factors", as reported
# by Guangming Daily (January 2026): North 0.6361, Northeast 0.5122, East 0.5500, Central
# 0.5271, Northwest 0.5543, South 0.4042, Southwest 0.2472. Other years: supply them.
GRID_REGIONS = (
    "national",
    "north",
    "northeast",
    "east",
    "central",
    "northwest",
    "south",
    "southwest",
)
REGIONAL_GRID_FACTORS_KG_PER_KWH: Mapping[str, Mapping[int, float]] = {
    "national": GRID_FACTORS_KG_PER_KWH,
    "north": {2023: 0.6361},
    "northeast": {2023: 0.5122},
    "east": {2023: 0.5500},
    "central": {2023: 0.5271},
    "northwest": {2023: 0.5543},
    "south": {2023: 0.4042},
    "southwest": {2023: 0.2472},
}


def grid_factor(region: str, year: int) -> float:
    """The location-based factor of a grid region ("national" or one of the seven regional
    grids; Jiangsu is "east") for a data year; raises InvalidInput naming the region or the
    year when the table has no such factor."""
    if region not in REGIONAL_GRID_FACTORS_KG_PER_KWH:
        raise InvalidInput("region", f"unknown grid region {region!r}; known: {GRID_REGIONS}")
    return factor_for(year, REGIONAL_GRID_FACTORS_KG_PER_KWH[region])


def factor_for(year: int, table: Mapping[int, float]) -> float:
    """The factor of data year `year` in `table`; raises InvalidInput naming the year when
    the table has none (no silent fallback to another year)."""
    if year not in table:
        raise InvalidInput("year", f"no factor for {year}; known years: {sorted(table)}")
    return table[year]


# Defaults: data year 2022 of the MEE national averages (announced December 2024).
GRID_FACTOR_KG_PER_KWH = factor_for(2022, GRID_FACTORS_KG_PER_KWH)
# ASSUMPTION, configurable: China publishes no residual-mix factor. As a proxy we use the
# national average *excluding market-traded non-fossil electricity* of the factor year.
RESIDUAL_FACTOR_KG_PER_KWH = factor_for(2022, EXCLUDING_MARKET_NONFOSSIL_KG_PER_KWH)

# The residual proxy is published for the nation only: MEE/NBS announcements on the 2022
# (December 2024) and 2023 electricity CO2 emission factors (the 2023 figure, 0.6096, up
# 4.1 % on 2022 as market-traded non-fossil power grows, as reported by China Electric
# Power News, January 2026). A region without its own figure uses the national one.
RESIDUAL_FACTORS_KG_PER_KWH: Mapping[str, Mapping[int, float]] = {
    "national": EXCLUDING_MARKET_NONFOSSIL_KG_PER_KWH,
}


def residual_factor(region: str, year: int) -> tuple[float, str]:
    """The market-based residual factor for a grid region and data year, and its basis.

    The region's own published figure where there is one, else the national figure (the
    basis says so). Raises InvalidInput naming the region (unknown) or the year (no
    published figure for it: no silent fallback to another year).
    """
    if region not in REGIONAL_GRID_FACTORS_KG_PER_KWH:
        raise InvalidInput("region", f"unknown grid region {region!r}; known: {GRID_REGIONS}")
    published = region if region in RESIDUAL_FACTORS_KG_PER_KWH else "national"
    value = factor_for(year, RESIDUAL_FACTORS_KG_PER_KWH[published])
    basis = (
        f"{published} average excluding market-traded non-fossil electricity, {year} "
        "(MEE/NBS; proxy for a residual mix)"
    )
    if published != region:
        basis += f"; no {region} grid figure is published"
    return value, basis


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
    """A fuel burnt in the park, reported in integer amounts of `unit` (kg or m3, so sums
    are exact): tce per unit (GB/T 2589-2020 reference coefficients, 折标准煤系数) and tCO2
    per tce. `units` maps the units a report may use to how many `unit` each holds.

    CO2 defaults: IPCC 2006 Guidelines for National Greenhouse Gas Inventories, Vol. 2
    Energy, Ch. 2 Stationary Combustion, Table 2.3 (manufacturing industries and
    construction), default CO2 emission factors in kgCO2/TJ of net calorific value, with
    100 % oxidation; converted at 29.3076 GJ/tce (the tce coefficients are NCV-based).
    Stored copy consulted: https://www.scribd.com/doc/203055353/V2-2-Ch2-Stationary-Combustion.
    ASSUMPTION: every coal report is "other bituminous coal"; replace with measured carbon
    content (or the Chinese enterprise GHG accounting guidelines' defaults) when known.
    """

    unit: str
    tce_per_unit: float
    t_co2_per_tce: float
    source: str
    units: Mapping[str, int] = field(default_factory=dict)

    @property
    def kg_co2_per_unit(self) -> float:
        return self.tce_per_unit * self.t_co2_per_tce * 1000


def _ipcc(kg_co2_per_tj: float) -> float:
    """tCO2 per tce from an IPCC default in kgCO2/TJ."""
    return kg_co2_per_tj * GJ_PER_TCE / 1_000_000


_KG = {"kg": 1, "t": 1000}
_M3 = {"m3": 1, "1000 m3": 1000, "10^4 m3": 10_000}

FUELS: Mapping[str, Fuel] = {
    # Raw coal 0.7143 kgce/kg; IPCC other bituminous coal 94,600 kgCO2/TJ.
    "coal": Fuel("kg", 0.7143e-3, _ipcc(94_600), "GB/T 2589 raw coal; IPCC 2006 T2.3", _KG),
    # Natural gas 1.2143 kgce/m3 (1.2143 tce per 10^3 m3); IPCC 56,100 kgCO2/TJ.
    "natural_gas": Fuel("m3", 1.2143e-3, _ipcc(56_100), "GB/T 2589; IPCC 2006 T2.3", _M3),
    # Fuel oil 1.4286 kgce/kg; IPCC residual fuel oil 77,400 kgCO2/TJ.
    "fuel_oil": Fuel("kg", 1.4286e-3, _ipcc(77_400), "GB/T 2589; IPCC 2006 T2.3", _KG),
    # Diesel 1.4571 kgce/kg; IPCC gas/diesel oil 74,100 kgCO2/TJ.
    "diesel": Fuel("kg", 1.4571e-3, _ipcc(74_100), "GB/T 2589; IPCC 2006 T2.3", _KG),
    # Gasoline 1.4714 kgce/kg; IPCC motor gasoline 69,300 kgCO2/TJ.
    "gasoline": Fuel("kg", 1.4714e-3, _ipcc(69_300), "GB/T 2589; IPCC 2006 T2.3", _KG),
}


def fuel_quantity(fuels: Mapping[str, Fuel], fuel: str, quantity: int, unit: str) -> int:
    """`quantity` of `unit` as an integer amount of the fuel's own unit (kg or m3).

    Raises InvalidInput naming "fuel" (unknown), "quantity" (not an int > 0) or "unit"
    (not one the fuel is reported in)."""
    if fuel not in fuels:
        raise InvalidInput("fuel", f"unknown fuel {fuel!r}; known: {sorted(fuels)}")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise InvalidInput("quantity", f"must be an integer > 0, got {quantity!r}")
    units = fuels[fuel].units or {fuels[fuel].unit: 1}
    if unit not in units:
        raise InvalidInput("unit", f"{fuel} is reported in {sorted(units)}, got {unit!r}")
    return quantity * units[unit]
