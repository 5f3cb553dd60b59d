"""What a retired certificate may claim: its consumption period, and the hours it covers.

The rule (checked by `check_consumption_period` before a retirement is written):

1. A retirement's consumption period lies within one calendar year, China local time
   (Asia/Shanghai): the reporting year of the claim.
2. That year is the certificates' vintage year (the local year of their production
   hour), and the period does not start before the first instant of their local
   production month.

Why, with the sources:
- China's GEC is issued for a natural month's renewable generation and "valid for 2
  years counted from the natural month of production (inclusive)"; a GEC declared as
  green-power consumption is then cancelled (NEA, 可再生能源绿色电力证书核发和交易规则,
  国能发新能规〔2024〕67号, September 2024, implementing NDRC/MoF/NEA 发改能源〔2023〕1044号,
  the 2023 notice on full coverage of green certificates, which makes the GEC the sole
  proof of renewable-electricity consumption). So a GEC's production period is its
  month: consumption before that month cannot be covered by it (the finding: a certificate
  produced on 2026-12-04 offset consumption on 2026-11-10).
- GHG Protocol Scope 2 Guidance (WRI/WBCSD, 2015), Table 7.1, Scope 2 Quality Criterion
  4: certificates should "be issued and redeemed as close as possible to the period of
  energy consumption to which the instrument is applied". We read it, as common practice
  does, as: the vintage falls in the reporting year of the consumption. This is
  stricter than the GEC's two-year validity, which only bounds when a GEC can be used;
  a 2026 GEC may still be retired in 2027, but for 2026 consumption.

Attribution (`attribute`): a retirement's Wh are spread over the hours of its period in
proportion to the beneficiary's metered consumption in each hour, by the largest
remainder method, so every retired Wh lands in exactly one hour. A footprint of any
period then counts only its own hours' share, and footprints over any partition of a
year add up exactly to the year's. With no metered consumption in the period, the Wh
are spread evenly over its hours (they claim nothing there, but are still accounted for).
The attribution follows the meter data known when it is computed.

Lots retired before this rule (or written around the service) are read with their
period clipped to what the rule allows (`claim_window`), so they never claim outside it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from bidding.intervals import MARKET_TZ
from certificates.exceptions import InvalidInput
from certificates.lots import Lot, aware
from settlement.money import largest_remainder

HOUR = timedelta(hours=1)
#: Consumption periods are accepted in these local years (the market days' range).
FIRST_YEAR, LAST_YEAR = 2000, 2099


def _local_midnight(year: int, month: int = 1) -> datetime:
    """UTC instant of local midnight on the first day of `month` of `year`."""
    return datetime(year, month, 1, tzinfo=MARKET_TZ).astimezone(UTC)


def production_month_start(production_hour_start: datetime) -> datetime:
    """UTC instant at which the local production month of a certificate begins."""
    local = aware(production_hour_start, "production_hour_start").astimezone(MARKET_TZ)
    return _local_midnight(local.year, local.month)


def vintage_year_end(production_hour_start: datetime) -> datetime:
    """UTC instant at which the local year after the certificate's production begins."""
    local = aware(production_hour_start, "production_hour_start").astimezone(MARKET_TZ)
    return _local_midnight(local.year + 1)


def check_consumption_period(
    start: datetime, end: datetime, production_hour_start: datetime | None = None
) -> int:
    """The local year of a valid consumption period [start, end); with the production hour
    of the certificates also rule 2 (see the module docstring).

    Raises InvalidInput naming consumption_period_start or consumption_period_end: naive
    times, end <= start, a year outside 2000..2099, a period crossing a year boundary, a
    year other than the certificates' vintage, or a start before their production month.
    """
    aware(start, "consumption_period_start")
    aware(end, "consumption_period_end")
    if end <= start:
        raise InvalidInput("consumption_period_end", "must be after consumption_period_start")
    if not _local_midnight(FIRST_YEAR) <= start < _local_midnight(LAST_YEAR + 1):
        raise InvalidInput(
            "consumption_period_start", f"must lie in the years {FIRST_YEAR}..{LAST_YEAR}"
        )
    year = start.astimezone(MARKET_TZ).year
    if end > _local_midnight(year + 1):
        raise InvalidInput(
            "consumption_period_end",
            f"must not be after {year + 1}-01-01 00:00 China time: a consumption period "
            "lies within one calendar year",
        )
    if production_hour_start is None:
        return year
    local = aware(production_hour_start, "production_hour_start").astimezone(MARKET_TZ)
    if year != local.year:
        raise InvalidInput(
            "consumption_period_start",
            f"must lie in {local.year}, the certificates' vintage year (produced "
            f"{local:%Y-%m}): certificates claim consumption of their own year",
        )
    if start < _local_midnight(local.year, local.month):
        raise InvalidInput(
            "consumption_period_start",
            f"must not be before {local:%Y-%m}-01 00:00 China time: the certificates were "
            f"produced in {local:%Y-%m} and cannot cover earlier consumption",
        )
    return year


def claim_window(lot: Lot) -> tuple[datetime, datetime] | None:
    """The part of a retired lot's consumption period that it may claim, or None.

    Equal to the period for every retirement made under the rule; an older or stray
    period is clipped to [production month start, end of the vintage year). A lot
    without a period (not retired through the ledger) may claim that whole window.
    """
    low = production_month_start(lot.production_hour_start)
    high = vintage_year_end(lot.production_hour_start)
    start = max(lot.consumption_period_start or low, low)
    end = min(lot.consumption_period_end or high, high)
    return (start, end) if start < end else None


def window_hours(start: datetime, end: datetime) -> list[datetime]:
    """The whole UTC hours that overlap [start, end), in order."""
    first = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    count = -(-(end - first) // HOUR)
    return [first + n * HOUR for n in range(count)]


def attribute(
    lots: Iterable[Lot], consumption_wh_by_hour: Mapping[datetime, int]
) -> dict[datetime, dict[str, int]]:
    """Each hour's attributed certificate Wh, by technology, from the retired `lots`.

    Lots with the same claim window and technology are split together (largest
    remainder over the window's hours, weighted by consumption; evenly when the window
    has none), so the parts of every lot group sum exactly to its Wh. Hours are UTC
    whole hours; `consumption_wh_by_hour` must hold integer Wh per such hour (missing
    hours count as 0) — see carbon.carbon_footprint for validation.
    """
    groups: dict[tuple[datetime, datetime, str], int] = defaultdict(int)
    for lot in lots:
        window = claim_window(lot)
        if window is not None:
            groups[(*window, str(lot.technology))] += lot.energy_wh
    attributed: dict[datetime, dict[str, int]] = {}
    for (start, end, technology), energy_wh in sorted(groups.items()):
        hours = window_hours(start, end)
        weights = [consumption_wh_by_hour.get(hour, 0) for hour in hours]
        if not any(weights):
            weights = [1] * len(hours)
        for hour, part in zip(hours, largest_remainder(energy_wh, weights), strict=True):
            if part:
                by_technology = attributed.setdefault(hour, {})
                by_technology[technology] = by_technology.get(technology, 0) + part
    return attributed


def hourly_matchable(
    lots: Sequence[Lot], grid_area: str | None = None
) -> dict[datetime, dict[str, int]]:
    """Certificate Wh that can match consumption hour by hour: each lot in its production
    hour, when that hour lies in its claim window (and its grid area is `grid_area`)."""
    matchable: dict[datetime, dict[str, int]] = {}
    for lot in lots:
        window = claim_window(lot)
        hour = lot.production_hour_start
        if window is None or not (window[0] < hour + HOUR and hour < window[1]):
            continue
        if grid_area is not None and lot.grid_area != grid_area:
            continue
        by_technology = matchable.setdefault(hour, {})
        technology = str(lot.technology)
        by_technology[technology] = by_technology.get(technology, 0) + lot.energy_wh
    return matchable
