"""Market-day interval arithmetic: the one place that knows a day has 96 intervals of 15 min.

Market days are local dates in Asia/Shanghai (UTC+8, no daylight saving), interval
0 starts at 00:00 local time. Timestamps handed in and out are timezone-aware UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bidding.exceptions import InvalidInput

MARKET_TZ = ZoneInfo("Asia/Shanghai")
INTERVAL_MINUTES = 15
INTERVALS_PER_DAY = 24 * 60 // INTERVAL_MINUTES
INTERVAL_HOURS = INTERVAL_MINUTES / 60
INTERVAL = timedelta(minutes=INTERVAL_MINUTES)


def parse_market_day(text: str, field: str = "market_day") -> date:
    """Parse YYYY-MM-DD; raises InvalidInput naming `field` when it is not a date."""
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(field, f"must be a date YYYY-MM-DD, got {text!r}") from exc


def check_interval(interval: int, field: str = "interval") -> int:
    """Return `interval` when it is 0..95; raises InvalidInput naming `field` otherwise."""
    if not 0 <= interval < INTERVALS_PER_DAY:
        raise InvalidInput(field, f"must be 0..{INTERVALS_PER_DAY - 1}, got {interval}")
    return interval


def interval_start(market_day: date, interval: int) -> datetime:
    """UTC start of `interval` on `market_day`."""
    check_interval(interval)
    local = datetime(market_day.year, market_day.month, market_day.day, tzinfo=MARKET_TZ)
    return (local + interval * INTERVAL).astimezone(UTC)


def interval_end(market_day: date, interval: int) -> datetime:
    """UTC end (exclusive) of `interval` on `market_day`."""
    return interval_start(market_day, interval) + INTERVAL


def locate(moment: datetime) -> tuple[date, int]:
    """The market day and interval that contain `moment` (an aware datetime).

    Raises InvalidInput when `moment` is naive.
    """
    if moment.tzinfo is None:
        raise InvalidInput("timestamp", "must carry a time zone")
    local = moment.astimezone(MARKET_TZ)
    minutes = local.hour * 60 + local.minute
    return local.date(), minutes // INTERVAL_MINUTES


def locate_period_end(moment: datetime) -> tuple[date, int]:
    """The interval a metering period *ending* at `moment` belongs to.

    A reading stamped 00:15 local covers 00:00-00:15, interval 0 of that day; one
    stamped exactly at midnight belongs to the last interval of the previous day.
    """
    return locate(moment - timedelta(microseconds=1))


def minutes_to_intervals(minutes: int) -> int:
    """Whole intervals needed to cover `minutes` (rounded up)."""
    return -(-minutes // INTERVAL_MINUTES)


def day_intervals(market_day: date) -> list[datetime]:
    """UTC starts of all intervals of `market_day`."""
    return [interval_start(market_day, i) for i in range(INTERVALS_PER_DAY)]


def days_between(first: date, last: date) -> list[date]:
    """Market days from `first` to `last`, inclusive; empty when last < first."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def hour_of_interval(interval: int) -> int:
    """Local hour 0..23 containing `interval`."""
    return check_interval(interval) * INTERVAL_MINUTES // 60


def days_before(day: date, count: int) -> list[date]:
    """The `count` days before `day`, oldest first (the day itself not included)."""
    return [day - timedelta(days=n) for n in range(count, 0, -1)]
