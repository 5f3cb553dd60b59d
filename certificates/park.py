"""Zero-carbon park indicators: carbon per unit of energy use and the clean-energy share.

Thresholds come from the 2025 Notice on national zero-carbon parks (发改环资〔2025〕910号)
AS REPORTED BY SECONDARY SOURCES (we did not read the notice's annex itself): carbon
emissions per unit of energy consumption ≤ 0.20 tCO2/tce for parks using 200,000 to
1,000,000 tce a year and ≤ 0.30 tCO2/tce above that; clean-energy share ≥ 90 %. They are
configuration (ZeroCarbonThresholds), to be checked against the notice before relying on them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from certificates.exceptions import InvalidInput
from certificates.factors import (
    ELECTRICITY_KGCE_PER_KWH,
    FUELS,
    GRID_FACTOR_KG_PER_KWH,
    ElectricityConversion,
    Fuel,
    check_factor,
)


@dataclass(frozen=True)
class ZeroCarbonThresholds:
    """Pass marks by annual energy use. ASSUMPTION: the notice (per our sources) names no
    intensity limit below 200,000 tce/year; we apply the stricter 0.20 there."""

    band_low_tce: float = 200_000
    band_high_tce: float = 1_000_000
    max_t_co2_per_tce_below_band: float = 0.20
    max_t_co2_per_tce_in_band: float = 0.20
    max_t_co2_per_tce_above_band: float = 0.30
    min_clean_energy_share: float = 0.90


@dataclass(frozen=True)
class ZeroCarbonConfig:
    """Thresholds, the electricity-to-tce method, fuel coefficients, and which fuels count
    as clean energy. ASSUMPTION: by default no fuel is clean, only green electricity; Chinese
    statistics often count natural gas as clean energy, add "gas_m3" to follow them."""

    thresholds: ZeroCarbonThresholds = field(default_factory=ZeroCarbonThresholds)
    electricity_conversion: ElectricityConversion = ElectricityConversion.EQUIVALENT_VALUE
    fuels: Mapping[str, Fuel] = field(default_factory=lambda: dict(FUELS))
    clean_fuels: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Indicator:
    """One indicator against its threshold. gap is how far the value lies on the wrong side
    of the threshold (value − max, or min − value): > 0 fails, ≤ 0 passes and −gap is the
    headroom. basis says which threshold applied and why."""

    name: str
    value: float
    threshold: float
    passed: bool
    gap: float
    basis: str


@dataclass(frozen=True)
class ZeroCarbonIndicators:
    """The park's energy use and emissions over the period, and its two indicators."""

    total_energy_tce: float
    electricity_tce: float
    fuel_tce: float
    clean_energy_tce: float
    emissions_t_co2: float
    electricity_conversion: ElectricityConversion
    carbon_intensity: Indicator
    clean_energy_share: Indicator
    annual_energy_tce: float = 0.0

    @property
    def emissions_g_co2(self) -> int:
        """emissions_t_co2 in integer grams (half up), for the wire; t only in reports."""
        return math.floor(self.emissions_t_co2 * 1_000_000 + 0.5)


def _upper(name: str, value: float, limit: float, basis: str) -> Indicator:
    return Indicator(name, value, limit, value <= limit, value - limit, basis)


def _lower(name: str, value: float, floor: float, basis: str) -> Indicator:
    return Indicator(name, value, floor, value >= floor, floor - value, basis)


def _intensity_limit(total_tce: float, thresholds: ZeroCarbonThresholds) -> tuple[float, str]:
    if total_tce < thresholds.band_low_tce:
        limit = thresholds.max_t_co2_per_tce_below_band
        return limit, f"below {thresholds.band_low_tce:,.0f} tce/year: {limit} (assumption)"
    if total_tce <= thresholds.band_high_tce:
        band = f"{thresholds.band_low_tce:,.0f}-{thresholds.band_high_tce:,.0f}"
        return thresholds.max_t_co2_per_tce_in_band, f"{band} tce/year band"
    return thresholds.max_t_co2_per_tce_above_band, (
        f"above {thresholds.band_high_tce:,.0f} tce/year"
    )


def _fuel_totals(
    fuels: Mapping[str, float], config: ZeroCarbonConfig
) -> tuple[float, float, float]:
    """(fuel tce, clean fuel tce, fuel tCO2); raises InvalidInput on unknown or bad fuels."""
    fuel_tce = clean_tce = t_co2 = 0.0
    for name, amount in fuels.items():
        if name not in config.fuels:
            raise InvalidInput(f"fuels[{name}]", f"unknown fuel; known: {sorted(config.fuels)}")
        check_factor(amount, f"fuels[{name}]")
        fuel = config.fuels[name]
        tce = amount * fuel.tce_per_unit
        fuel_tce += tce
        if name in config.clean_fuels:
            clean_tce += tce
        t_co2 += tce * fuel.t_co2_per_tce
    return fuel_tce, clean_tce, t_co2


def park_zero_carbon_indicators(
    electricity_kwh: float,
    fuels: Mapping[str, float],
    *,
    green_electricity_kwh: float = 0.0,
    certificate_kwh: float = 0.0,
    process_emissions_t_co2: float = 0.0,
    grid_factor_kg_per_kwh: float = GRID_FACTOR_KG_PER_KWH,
    period_days: int = 365,
    config: ZeroCarbonConfig | None = None,
) -> ZeroCarbonIndicators:
    """The park's carbon intensity (tCO2/tce) and clean-energy share, with pass/fail and gaps.

    Energy use = electricity_kwh converted by the configured method (default: equivalent
    value, 0.1229 kgce/kWh) + fuels (integer amounts in each fuel's unit, kg or m3) × their
    tce coefficients. Emissions (location-based) = fuels' CO2 + grid electricity
    (electricity − green_electricity_kwh, the physical on-site renewables) × grid factor +
    process emissions; certificates (`certificate_kwh`: retired certificates and green-power
    trades) never lower them. Clean energy = min(electricity, green electricity +
    certificates) in tce + fuels listed in config.clean_fuels. The intensity limit's band
    is chosen on the annualised energy use, total × 365 / period_days.
    Raises InvalidInput on negative or non-finite inputs, an unknown fuel, green
    electricity above electricity, period_days < 1, or a park that used no energy at all.
    """
    config = config or ZeroCarbonConfig()
    check_factor(electricity_kwh, "electricity_kwh")
    check_factor(green_electricity_kwh, "green_electricity_kwh")
    check_factor(certificate_kwh, "certificate_kwh")
    if isinstance(period_days, bool) or not isinstance(period_days, int) or period_days < 1:
        raise InvalidInput("period_days", f"must be an integer >= 1, got {period_days!r}")
    check_factor(process_emissions_t_co2, "process_emissions_t_co2")
    check_factor(grid_factor_kg_per_kwh, "grid_factor_kg_per_kwh")
    if green_electricity_kwh > electricity_kwh:
        raise InvalidInput("green_electricity_kwh", "must not exceed electricity_kwh")
    fuel_tce, clean_fuel_tce, fuel_t_co2 = _fuel_totals(fuels, config)
    tce_per_kwh = ELECTRICITY_KGCE_PER_KWH[config.electricity_conversion] / 1000
    electricity_tce = electricity_kwh * tce_per_kwh
    total_tce = electricity_tce + fuel_tce
    if total_tce <= 0:
        raise InvalidInput("electricity_kwh", "the park used no energy; indicators undefined")
    grid_t_co2 = (electricity_kwh - green_electricity_kwh) * grid_factor_kg_per_kwh / 1000
    emissions_t_co2 = fuel_t_co2 + grid_t_co2 + process_emissions_t_co2
    clean_kwh = min(electricity_kwh, green_electricity_kwh + certificate_kwh)
    clean_tce = clean_kwh * tce_per_kwh + clean_fuel_tce
    annual_tce = total_tce * 365 / period_days
    limit, band = _intensity_limit(annual_tce, config.thresholds)
    basis = f"{band}; annualised use {annual_tce:,.0f} tce/year; location-based emissions"
    floor = config.thresholds.min_clean_energy_share
    return ZeroCarbonIndicators(
        total_energy_tce=total_tce,
        electricity_tce=electricity_tce,
        fuel_tce=fuel_tce,
        clean_energy_tce=clean_tce,
        emissions_t_co2=emissions_t_co2,
        electricity_conversion=config.electricity_conversion,
        annual_energy_tce=annual_tce,
        carbon_intensity=_upper(
            "carbon_intensity_t_co2_per_tce", emissions_t_co2 / total_tce, limit, basis
        ),
        clean_energy_share=_lower(
            "clean_energy_share",
            clean_tce / total_tce,
            floor,
            f"at least {floor:.0%} of energy use",
        ),
    )
