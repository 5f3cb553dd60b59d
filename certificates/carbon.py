"""Carbon attribution: Scope 2 footprints, matched shares, product splits (+ park re-exports)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from certificates.exceptions import InvalidInput
from certificates.factors import (
    CERTIFICATE_FACTORS_KG_PER_KWH,
    EXCLUDING_MARKET_NONFOSSIL_KG_PER_KWH,
    GRID_FACTOR_KG_PER_KWH,
    GRID_FACTORS_KG_PER_KWH,
    RESIDUAL_FACTOR_KG_PER_KWH,
    check_factor,
    factor_for,
)
from certificates.lots import Lot, LotStatus, check_energy, whole_hour
from certificates.park import (
    ZeroCarbonConfig,
    ZeroCarbonIndicators,
    ZeroCarbonThresholds,
    park_zero_carbon_indicators,
)
from settlement.money import largest_remainder

__all__ = [
    "EXCLUDING_MARKET_NONFOSSIL_KG_PER_KWH",
    "GRID_FACTORS_KG_PER_KWH",
    "GRID_FACTOR_KG_PER_KWH",
    "RESIDUAL_FACTOR_KG_PER_KWH",
    "Footprint",
    "ParkIndicators",
    "ZeroCarbonConfig",
    "ZeroCarbonIndicators",
    "ZeroCarbonThresholds",
    "carbon_footprint",
    "factor_for",
    "park_indicators",
    "park_zero_carbon_indicators",
    "product_footprint",
]
DEFAULT_RESIDUAL_SOURCE = (
    "MEE 2022 national average excluding market-traded non-fossil electricity "
    "(proxy for a residual mix)"
)
CALLER_RESIDUAL_SOURCE = "supplied by the caller"


@dataclass(frozen=True)
class Footprint:
    """Scope 2 emissions of one enterprise over a period.

    hourly_matched_cfe_share counts certificates only in their production hour (and grid
    area when one was given); annual_matched_share = min(1, retired / consumption).
    """

    consumption_wh: int
    retired_certificate_wh: int
    location_based_kg_co2e: float
    market_based_kg_co2e: float
    hourly_matched_cfe_share: float
    annual_matched_share: float = 0.0
    hourly_matched_wh: int = 0
    residual_factor_source: str = ""


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


def _hourly_consumption(consumption_wh_by_hour: Mapping[datetime, int]) -> dict[datetime, int]:
    consumption: dict[datetime, int] = defaultdict(int)
    for hour_start, energy_wh in consumption_wh_by_hour.items():
        hour = whole_hour(hour_start, "consumption_wh_by_hour")
        consumption[hour] += check_energy(energy_wh, f"consumption_wh_by_hour[{hour}]")
    return consumption


def _certificate_kg_co2e(
    lots: Sequence[Lot], claimed_wh: int, factors: Mapping[str, float]
) -> float:
    """Emissions of the claimed certificate Wh, pro rata over the lots' own factors."""
    total_wh = sum(lot.energy_wh for lot in lots)
    if not total_wh or not claimed_wh:
        return 0.0
    for lot in lots:
        if lot.technology not in factors:
            raise InvalidInput("certificate_factors_kg_per_kwh", f"no factor for {lot.technology}")
        check_factor(factors[lot.technology], f"certificate_factors_kg_per_kwh[{lot.technology}]")
    weighted = sum(lot.energy_wh * factors[lot.technology] for lot in lots)
    return weighted / total_wh * claimed_wh / 1000


def carbon_footprint(
    enterprise_id: str,
    consumption_wh_by_hour: Mapping[datetime, int],
    retired_lots: Sequence[Lot],
    grid_factor_kg_per_kwh: float = GRID_FACTOR_KG_PER_KWH,
    residual_factor_kg_per_kwh: float = RESIDUAL_FACTOR_KG_PER_KWH,
    *,
    grid_area: str | None = None,
    residual_factor_source: str | None = None,
    certificate_factors_kg_per_kwh: Mapping[str, float] = CERTIFICATE_FACTORS_KG_PER_KWH,
) -> Footprint:
    """Location-based, market-based (GHG Protocol Scope 2) and matched green-power shares.

    Location-based = consumption kWh × grid factor. Market-based = the certificate energy
    claimed, min(consumption, certificates), at the certificates' own factors (0 for pv
    and wind; pro rata when technologies differ) + the rest of the consumption, max(0,
    consumption − certificates), × residual factor: surplus certificates never make it
    negative. Hourly matched Wh = Σ_h min(consumption_h, certificate Wh produced in hour
    h), so a surplus hour never covers another; with `grid_area`, only lots from that area
    count for hourly matching (all retired lots still count for market-based and annual
    figures). Shares are 0 when nothing was consumed. `retired_lots` are the lots retired
    for this enterprise for the period (e.g. CertificateLedger.retired_for).
    `residual_factor_source` is reported as given; by default it names the built-in
    factor when that one is used and says "supplied by the caller" otherwise.
    Raises InvalidInput on non-hour keys, negative consumption, negative or non-finite
    factors, a technology without factor, or a lot not retired for `enterprise_id`.
    """
    check_factor(grid_factor_kg_per_kwh, "grid_factor_kg_per_kwh")
    check_factor(residual_factor_kg_per_kwh, "residual_factor_kg_per_kwh")
    consumption = _hourly_consumption(consumption_wh_by_hour)
    matchable: dict[datetime, int] = defaultdict(int)
    for lot in retired_lots:
        if lot.status is not LotStatus.RETIRED or lot.beneficiary_enterprise_id != enterprise_id:
            rule = f"lot {lot.lot_id} is not retired for enterprise {enterprise_id}"
            raise InvalidInput("retired_lots", rule)
        if grid_area is None or lot.grid_area == grid_area:
            matchable[lot.production_hour_start] += lot.energy_wh
    consumption_wh = sum(consumption.values())
    certificate_wh = sum(lot.energy_wh for lot in retired_lots)
    claimed_wh = min(consumption_wh, certificate_wh)
    matched_wh = sum(min(wh, matchable.get(hour, 0)) for hour, wh in consumption.items())
    if residual_factor_source is None:
        default = residual_factor_kg_per_kwh == RESIDUAL_FACTOR_KG_PER_KWH
        residual_factor_source = DEFAULT_RESIDUAL_SOURCE if default else CALLER_RESIDUAL_SOURCE
    market_kg = _certificate_kg_co2e(retired_lots, claimed_wh, certificate_factors_kg_per_kwh)
    market_kg += (consumption_wh - claimed_wh) / 1000 * residual_factor_kg_per_kwh
    return Footprint(
        consumption_wh=consumption_wh,
        retired_certificate_wh=certificate_wh,
        location_based_kg_co2e=consumption_wh / 1000 * grid_factor_kg_per_kwh,
        market_based_kg_co2e=market_kg,
        hourly_matched_cfe_share=matched_wh / consumption_wh if consumption_wh else 0.0,
        annual_matched_share=claimed_wh / consumption_wh if consumption_wh else 0.0,
        hourly_matched_wh=matched_wh,
        residual_factor_source=residual_factor_source,
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
    check_factor(grid_factor_kg_per_kwh, "grid_factor_kg_per_kwh")
    check_factor(residual_factor_kg_per_kwh, "residual_factor_kg_per_kwh")
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


def product_footprint(total_g_co2e: int, output_by_product: Mapping[str, int]) -> dict[str, int]:
    """Allocate `total_g_co2e` (integer grams CO2e) to products in proportion to their output.

    Why grams and the largest-remainder method: the product lines then add up to the
    enterprise total to the gram. Each product gets the floor of its exact share; the
    grams left over go one each to the largest fractional remainders (ties: larger output,
    then product name). Outputs are integers in one common unit (e.g. pieces or kg);
    a product with zero output gets zero. Convert kg with round(kg * 1000) first.
    Raises InvalidInput when the total is not an int >= 0, an output is not an int >= 0,
    or the total is positive while every output is zero.
    """
    if isinstance(total_g_co2e, bool) or not isinstance(total_g_co2e, int) or total_g_co2e < 0:
        raise InvalidInput("total_g_co2e", f"must be an integer >= 0, got {total_g_co2e!r}")
    for product, output in output_by_product.items():
        if isinstance(output, bool) or not isinstance(output, int) or output < 0:
            raise InvalidInput(
                f"output_by_product[{product}]", f"must be an int >= 0, got {output!r}"
            )
    if total_g_co2e and not any(output_by_product.values()):
        raise InvalidInput("output_by_product", "needs a positive output to carry the emissions")
    products = sorted(output_by_product)
    weights = [output_by_product[product] for product in products]
    parts = largest_remainder(total_g_co2e, weights, keys=products)
    return dict(zip(products, parts, strict=True))
