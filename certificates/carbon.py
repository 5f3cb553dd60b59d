"""Carbon attribution: location- and market-based Scope 2 emissions and green-power shares."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from certificates.exceptions import InvalidInput
from certificates.lots import Lot, LotStatus, check_energy, whole_hour

# National average grid emission factor for 2022 published by the Ministry of Ecology and
# Environment with the National Bureau of Statistics (announced December 2024): 0.5366
# tCO2/MWh, i.e. kgCO2/kWh.
GRID_FACTOR_KG_PER_KWH = 0.5366
# ASSUMPTION, configurable: China publishes no residual-mix factor. As a proxy we use the
# factor published with the one above, the 2022 national average *excluding market-traded
# non-fossil electricity* (green-power trades), 0.5856 kgCO2/kWh.
RESIDUAL_FACTOR_KG_PER_KWH = 0.5856


@dataclass(frozen=True)
class Footprint:
    """Scope 2 emissions of one enterprise over a period."""

    consumption_wh: int
    retired_certificate_wh: int
    location_based_kg_co2e: float
    market_based_kg_co2e: float
    hourly_matched_cfe_share: float


@dataclass(frozen=True)
class ParkIndicators:
    """Park-wide green-power and emission indicators over a period."""

    consumption_wh: int
    onsite_renewable_generation_wh: int
    certificates_issued_wh: int
    certificates_retired_wh: int
    green_power_share: float
    location_based_kg_co2e: float
    market_based_kg_co2e: float


def _check_factor(value: float, field: str) -> float:
    if not math.isfinite(value) or value < 0:
        raise InvalidInput(field, f"must be a finite number >= 0, got {value!r}")
    return value


def carbon_footprint(
    enterprise_id: str,
    consumption_wh_by_hour: Mapping[datetime, int],
    retired_lots: Sequence[Lot],
    grid_factor_kg_per_kwh: float = GRID_FACTOR_KG_PER_KWH,
    residual_factor_kg_per_kwh: float = RESIDUAL_FACTOR_KG_PER_KWH,
) -> Footprint:
    """Location-based, market-based (GHG Protocol Scope 2) and hourly-matched CFE figures.

    Location-based = consumption kWh × grid factor. Market-based treats the retired
    certificates as contractual instruments: max(0, consumption − certificates) kWh ×
    residual factor, so surplus certificates never make it negative. The hourly matched
    share is Σ_h min(consumption_h, certificate Wh produced in hour h) / Σ consumption
    (0 when nothing was consumed). `retired_lots` are the lots retired for this enterprise
    for the period (the caller picks them, e.g. with CertificateLedger.retired_for).
    Raises InvalidInput on non-hour keys, negative consumption, negative or non-finite
    factors, or a lot that is not retired for `enterprise_id`.
    """
    _check_factor(grid_factor_kg_per_kwh, "grid_factor_kg_per_kwh")
    _check_factor(residual_factor_kg_per_kwh, "residual_factor_kg_per_kwh")
    consumption: dict[datetime, int] = defaultdict(int)
    for hour_start, energy_wh in consumption_wh_by_hour.items():
        hour = whole_hour(hour_start, "consumption_wh_by_hour")
        consumption[hour] += check_energy(energy_wh, f"consumption_wh_by_hour[{hour}]")
    certificates: dict[datetime, int] = defaultdict(int)
    for lot in retired_lots:
        if lot.status is not LotStatus.RETIRED or lot.beneficiary_enterprise_id != enterprise_id:
            rule = f"lot {lot.lot_id} is not retired for enterprise {enterprise_id}"
            raise InvalidInput("retired_lots", rule)
        certificates[lot.production_hour_start] += lot.energy_wh
    consumption_wh = sum(consumption.values())
    certificate_wh = sum(certificates.values())
    matched_wh = sum(min(wh, certificates.get(hour, 0)) for hour, wh in consumption.items())
    return Footprint(
        consumption_wh=consumption_wh,
        retired_certificate_wh=certificate_wh,
        location_based_kg_co2e=consumption_wh / 1000 * grid_factor_kg_per_kwh,
        market_based_kg_co2e=max(0, consumption_wh - certificate_wh)
        / 1000
        * residual_factor_kg_per_kwh,
        hourly_matched_cfe_share=matched_wh / consumption_wh if consumption_wh else 0.0,
    )


def park_indicators(
    consumption_wh: int,
    onsite_generation_wh: int,
    issued_wh: int,
    retired_wh: int,
    grid_factor_kg_per_kwh: float = GRID_FACTOR_KG_PER_KWH,
    residual_factor_kg_per_kwh: float = RESIDUAL_FACTOR_KG_PER_KWH,
) -> ParkIndicators:
    """Green-power share and Scope 2 emissions of the whole park.

    green_power_share = min(1, (on-site generation + retired certificates) / consumption).
    Simplifications: `consumption_wh` is the park's total consumption including on-site
    generation it used itself, and all on-site generation is assumed consumed in the park.
    On-site generation is counted once: it lowers the grid supply and counts as green.
    Certificates issued for the park's own generators (`issued_wh`) are reported but not
    added; if they are also retired for the park, pass them outside `retired_wh` or the
    same MWh is counted twice. Location-based = grid supply × grid factor; market-based =
    max(0, grid supply − retired certificates) × residual factor. Raises InvalidInput on
    negative energy or factors.
    """
    for field, value in (
        ("consumption_wh", consumption_wh),
        ("onsite_generation_wh", onsite_generation_wh),
        ("issued_wh", issued_wh),
        ("retired_wh", retired_wh),
    ):
        check_energy(value, field)
    _check_factor(grid_factor_kg_per_kwh, "grid_factor_kg_per_kwh")
    _check_factor(residual_factor_kg_per_kwh, "residual_factor_kg_per_kwh")
    grid_supply_wh = max(0, consumption_wh - onsite_generation_wh)
    green_wh = onsite_generation_wh + retired_wh
    return ParkIndicators(
        consumption_wh=consumption_wh,
        onsite_renewable_generation_wh=onsite_generation_wh,
        certificates_issued_wh=issued_wh,
        certificates_retired_wh=retired_wh,
        green_power_share=min(1.0, green_wh / consumption_wh) if consumption_wh else 0.0,
        location_based_kg_co2e=grid_supply_wh / 1000 * grid_factor_kg_per_kwh,
        market_based_kg_co2e=max(0, grid_supply_wh - retired_wh)
        / 1000
        * residual_factor_kg_per_kwh,
    )
