"""Carbon attribution: Scope 2 footprints, matched shares, product splits (+ park re-exports)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from certificates.claims import attribute, hourly_matchable
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
from certificates.lots import Lot, LotStatus, aware, check_energy, whole_hour
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
    "grams",
    "park_indicators",
    "park_zero_carbon_indicators",
    "product_footprint",
]
DEFAULT_RESIDUAL_SOURCE = (
    "MEE 2022 national average excluding market-traded non-fossil electricity "
    "(proxy for a residual mix)"
)
CALLER_RESIDUAL_SOURCE = "supplied by the caller"


def half_up(grams_exact: Fraction) -> int:
    """A non-negative exact amount of grams rounded half up to the gram."""
    return (2 * grams_exact.numerator + grams_exact.denominator) // (2 * grams_exact.denominator)


def grams(energy_wh: int, rate: Fraction) -> int:
    """`energy_wh` × `rate` (g/Wh, i.e. kg/kWh) rounded half up to the gram, exactly."""
    numerator, denominator = rate.numerator, rate.denominator
    return (2 * energy_wh * numerator + denominator) // (2 * denominator)


def exact_factor(value: float, field: str) -> Fraction:
    """A factor as the exact decimal it was written as (0.6096 -> 6096/10000); raises
    InvalidInput naming `field` when it is not a finite number >= 0."""
    check_factor(value, field)
    return Fraction(value) if isinstance(value, int) else Fraction(repr(float(value)))


@dataclass(frozen=True)
class Footprint:
    """Scope 2 emissions of one enterprise over a period, in integer grams CO2e.

    Every figure is a sum over the period's hours (see carbon_footprint), so footprints
    of any partition of a year add up exactly to the year's. retired_certificate_wh is
    the part of the retirements attributed to the period's hours, claimed_certificate_wh
    the part of it that met consumption in the same hour, hourly_matched_wh what
    certificates matched in their own production hour.
    """

    consumption_wh: int
    retired_certificate_wh: int
    location_based_g_co2e: int
    market_based_g_co2e: int
    hourly_market_based_g_co2e: int
    claimed_certificate_wh: int
    hourly_matched_wh: int
    residual_factor_source: str = ""

    @property
    def location_based_kg_co2e(self) -> float:
        return self.location_based_g_co2e / 1000

    @property
    def market_based_kg_co2e(self) -> float:
        return self.market_based_g_co2e / 1000

    @property
    def hourly_market_based_kg_co2e(self) -> float:
        return self.hourly_market_based_g_co2e / 1000

    @property
    def hourly_matched_cfe_share(self) -> float:
        """hourly_matched_wh / consumption_wh, 0 when nothing was consumed."""
        return self.hourly_matched_wh / self.consumption_wh if self.consumption_wh else 0.0

    @property
    def annual_matched_share(self) -> float:
        """claimed_certificate_wh / consumption_wh, 0 when nothing was consumed."""
        return self.claimed_certificate_wh / self.consumption_wh if self.consumption_wh else 0.0


@dataclass(frozen=True)
class ParkIndicators:
    """Park-wide green-power and emission indicators over a period (grams CO2e)."""

    consumption_wh: int
    onsite_renewable_generation_wh: int
    certificates_issued_wh: int
    certificates_retired_wh: int
    green_power_share: float
    location_based_g_co2e: int
    market_based_g_co2e: int

    @property
    def location_based_kg_co2e(self) -> float:
        return self.location_based_g_co2e / 1000

    @property
    def market_based_kg_co2e(self) -> float:
        return self.market_based_g_co2e / 1000


def _hourly_consumption(consumption_wh_by_hour: Mapping[datetime, int]) -> dict[datetime, int]:
    consumption: dict[datetime, int] = defaultdict(int)
    for hour_start, energy_wh in consumption_wh_by_hour.items():
        hour = whole_hour(hour_start, "consumption_wh_by_hour")
        consumption[hour] += check_energy(energy_wh, f"consumption_wh_by_hour[{hour}]")
    return consumption


def _hour_g(
    consumption_wh: int,
    certificates: Mapping[str, int],
    certificate_rates: Mapping[str, Fraction],
    residual: Fraction,
) -> tuple[int, int]:
    """(grams, claimed Wh) of one hour: the claimed Wh, min(consumption, certificates),
    at the certificates' own factors (pro rata by technology) + the rest × residual."""
    if not consumption_wh:
        return 0, 0
    total_wh = sum(certificates.values())
    claimed_wh = min(consumption_wh, total_wh)
    # Only technologies with a non-zero factor are in certificate_rates (pv, wind: none).
    weighted = sum(
        wh * rate for tech, wh in certificates.items() if (rate := certificate_rates.get(tech))
    )
    if not claimed_wh or not weighted:
        return grams(consumption_wh - claimed_wh, residual), claimed_wh
    emitted = (consumption_wh - claimed_wh) * residual + claimed_wh * Fraction(weighted) / total_wh
    return half_up(emitted), claimed_wh


def _report_hours(
    period: tuple[datetime, datetime] | None, *hour_sets: Iterable[datetime]
) -> list[datetime]:
    """The hours with any consumption or certificates that start in `period` (all of them
    without one): the only hours whose figures are not all zero. Each hour belongs to the
    period its start lies in, so every partition counts every hour once."""
    hours = sorted(set().union(*hour_sets))
    if period is None:
        return hours
    start, end = (aware(moment, "period") for moment in period)
    if end < start:
        raise InvalidInput("period", "must end after it starts")
    return [hour for hour in hours if start <= hour < end]


def carbon_footprint(
    enterprise_id: str,
    consumption_wh_by_hour: Mapping[datetime, int],
    retired_lots: Sequence[Lot],
    grid_factor_kg_per_kwh: float = GRID_FACTOR_KG_PER_KWH,
    residual_factor_kg_per_kwh: float = RESIDUAL_FACTOR_KG_PER_KWH,
    *,
    period: tuple[datetime, datetime] | None = None,
    grid_area: str | None = None,
    residual_factor_source: str | None = None,
    certificate_factors_kg_per_kwh: Mapping[str, float] = CERTIFICATE_FACTORS_KG_PER_KWH,
) -> Footprint:
    """Location-based, market-based (annual and hourly, GHG Protocol Scope 2) and matched
    green-power shares over the hours starting in `period` (UTC [start, end); None:
    every hour with consumption or certificates).

    Each retired lot is attributed to the hours of its consumption period in proportion
    to `consumption_wh_by_hour` (claims.attribute), so the consumption must cover the
    lots' whole periods, not only `period`. Per hour h, with consumption c_h:
    location-based = c_h × grid factor; market-based = the claimed Wh min(c_h,
    attributed_h) at the certificates' own factors (0 for pv and wind; pro rata when
    technologies differ) + (c_h − claimed) × residual factor, so a surplus in one hour
    never covers another and never makes it negative; hourly market-based the same with
    the certificates produced in hour h itself (and, with `grid_area`, in that area) in
    place of the attributed ones (claims.hourly_matchable). Each hour's grams are
    rounded half up once, from the factors as the exact decimals they were written as;
    the period sums the hours. `residual_factor_source` is reported as given; by default
    it names the built-in factor when that one is used and says "supplied by the caller"
    otherwise. Raises InvalidInput on non-hour keys, negative consumption, negative or
    non-finite factors, a technology without factor, a naive or reversed period, or a
    lot not retired for `enterprise_id`.
    """
    grid = exact_factor(grid_factor_kg_per_kwh, "grid_factor_kg_per_kwh")
    residual = exact_factor(residual_factor_kg_per_kwh, "residual_factor_kg_per_kwh")
    consumption = _hourly_consumption(consumption_wh_by_hour)
    rates: dict[str, Fraction] = {}
    for lot in retired_lots:
        if lot.status is not LotStatus.RETIRED or lot.beneficiary_enterprise_id != enterprise_id:
            rule = f"lot {lot.lot_id} is not retired for enterprise {enterprise_id}"
            raise InvalidInput("retired_lots", rule)
        tech = str(lot.technology)
        if tech not in certificate_factors_kg_per_kwh:
            raise InvalidInput("certificate_factors_kg_per_kwh", f"no factor for {tech}")
        field = f"certificate_factors_kg_per_kwh[{tech}]"
        if rate := exact_factor(certificate_factors_kg_per_kwh[tech], field):
            rates[tech] = rate
    attributed = attribute(retired_lots, consumption)
    matchable = hourly_matchable(retired_lots, grid_area)
    totals: defaultdict[str, int] = defaultdict(int)
    for hour in _report_hours(period, consumption, attributed, matchable):
        used_wh = consumption.get(hour, 0)
        certificates = attributed.get(hour, {})
        market_g, claimed_wh = _hour_g(used_wh, certificates, rates, residual)
        hourly_g, matched_wh = _hour_g(used_wh, matchable.get(hour, {}), rates, residual)
        totals["consumption"] += used_wh
        totals["retired"] += sum(certificates.values())
        totals["location"] += grams(used_wh, grid)
        totals["market"] += market_g
        totals["hourly_market"] += hourly_g
        totals["claimed"] += claimed_wh
        totals["matched"] += matched_wh
    if residual_factor_source is None:
        default = residual_factor_kg_per_kwh == RESIDUAL_FACTOR_KG_PER_KWH
        residual_factor_source = DEFAULT_RESIDUAL_SOURCE if default else CALLER_RESIDUAL_SOURCE
    return Footprint(
        consumption_wh=totals["consumption"],
        retired_certificate_wh=totals["retired"],
        location_based_g_co2e=totals["location"],
        market_based_g_co2e=totals["market"],
        hourly_market_based_g_co2e=totals["hourly_market"],
        claimed_certificate_wh=totals["claimed"],
        hourly_matched_wh=totals["matched"],
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
    max(0, grid supply − retired certificates) × residual factor, each rounded half up to
    the gram once. `retired_wh` should be the certificates attributed to the period
    (claims.attribute), not whole retirements. Raises InvalidInput on negative energy or
    factors.
    """
    for field, value in (
        ("consumption_wh", consumption_wh),
        ("onsite_generation_wh", onsite_generation_wh),
        ("issued_wh", issued_wh),
        ("retired_wh", retired_wh),
    ):
        check_energy(value, field)
    grid = exact_factor(grid_factor_kg_per_kwh, "grid_factor_kg_per_kwh")
    residual = exact_factor(residual_factor_kg_per_kwh, "residual_factor_kg_per_kwh")
    grid_supply_wh = max(0, consumption_wh - onsite_generation_wh)
    green_wh = onsite_generation_wh + retired_wh
    return ParkIndicators(
        consumption_wh=consumption_wh,
        onsite_renewable_generation_wh=onsite_generation_wh,
        certificates_issued_wh=issued_wh,
        certificates_retired_wh=retired_wh,
        green_power_share=min(1.0, green_wh / consumption_wh) if consumption_wh else 0.0,
        location_based_g_co2e=grams(grid_supply_wh, grid),
        market_based_g_co2e=grams(max(0, grid_supply_wh - retired_wh), residual),
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
