"""Monthly fuel use reported by enterprises: validation and the share of a month in a period."""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from certificates.exceptions import InvalidInput
from certificates.factors import FUELS, Fuel, fuel_quantity

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
#: A fuel report may be one month of at most this many units (10^12 kg = 1 Gt).
MAX_QUANTITY = 10**12
#: Months accepted, as for market days (services.runtime.rpc): date arithmetic stays safe.
FIRST_YEAR, LAST_YEAR = 2000, 2099


@dataclass(frozen=True)
class FuelUse:
    """One enterprise's use of one fuel in one local month, in the fuel's unit (kg or m3).

    revision counts the reports for (enterprise, month, fuel): 1 for the first, +1 for each
    correction, which replaces the figure; earlier revisions stay in the history."""

    enterprise_id: str
    month: str
    fuel: str
    quantity: int
    unit: str
    revision: int
    request_id: str
    reported_at: str


def parse_month(value: str, field: str = "month") -> date:
    """The first day of month "YYYY-MM"; raises InvalidInput naming `field` otherwise."""
    match = _MONTH.match(value or "")
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise InvalidInput(field, f"must be a month YYYY-MM, got {value!r}")
    if not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
        raise InvalidInput(field, f"must be in {FIRST_YEAR}..{LAST_YEAR}, got {value!r}")
    return date(int(match.group(1)), int(match.group(2)), 1)


def normalise(
    fuel: str, quantity: int, unit: str, fuels: Mapping[str, Fuel] = FUELS
) -> tuple[int, str]:
    """(quantity in the fuel's own unit, that unit); raises InvalidInput naming the field,
    also when the amount exceeds MAX_QUANTITY."""
    amount = fuel_quantity(fuels, fuel, quantity, unit)
    if amount > MAX_QUANTITY:
        raise InvalidInput("quantity", f"must be at most {MAX_QUANTITY} {fuels[fuel].unit}")
    return amount, fuels[fuel].unit


def month_share(month: str, first_day: date, last_day: date) -> Fraction:
    """The share of `month`'s days inside [first_day, last_day] (exact, 0..1)."""
    start = parse_month(month)
    days = calendar.monthrange(start.year, start.month)[1]
    end = start + timedelta(days=days - 1)
    overlap = (min(end, last_day) - max(start, first_day)).days + 1
    return Fraction(max(0, overlap), days)


def months_between(first_day: date, last_day: date) -> list[str]:
    """Every month "YYYY-MM" that has a day in [first_day, last_day]."""
    months, cursor = [], first_day.replace(day=1)
    while cursor <= last_day:
        months.append(f"{cursor.year:04d}-{cursor.month:02d}")
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    return months


def fuel_in_period(uses: Iterable[FuelUse], first_day: date, last_day: date) -> dict[str, float]:
    """Fuel amounts (fuel's unit) in the period: each month's figure pro rata by the days
    of the month inside the period (a month fully inside counts whole)."""
    totals: dict[str, Fraction] = defaultdict(Fraction)
    for use in uses:
        totals[use.fuel] += use.quantity * month_share(use.month, first_day, last_day)
    return {fuel: float(amount) for fuel, amount in totals.items() if amount}
