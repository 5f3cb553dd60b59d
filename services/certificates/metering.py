"""Metered energy for certificates and carbon: hourly Wh from the 15-minute rollups."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from bidding.intervals import INTERVAL_HOURS, INTERVALS_PER_DAY, interval_start, locate
from parkvpp.v1 import enrollment_pb2 as epb
from services.telemetry.rollups import Rollups

WH_PER_KWH = 1000


def hourly_wh(
    rollups: Rollups, assets: list[epb.Asset], days: list[date], floor: bool
) -> dict[datetime, int]:
    """Measured energy per UTC hour summed over `assets`, in Wh.

    Unmeasured intervals count as nothing. With `floor` each asset-hour is rounded down
    (certificates are never issued above the meter), otherwise to the nearest Wh; hours
    whose net energy is negative (a discharging battery) count as 0.
    """
    totals: dict[datetime, float] = defaultdict(float)
    for asset in assets:
        per_day = rollups.day_kw(asset.enterprise_id, asset.asset_id, days)
        for day, (kw, _counts) in per_day.items():
            per_hour: dict[datetime, float] = defaultdict(float)
            for interval in range(INTERVALS_PER_DAY):
                if math.isnan(kw[interval]):
                    continue
                start = interval_start(day, interval)
                hour = start.replace(minute=0, second=0, microsecond=0)
                per_hour[hour] += float(kw[interval]) * INTERVAL_HOURS * WH_PER_KWH
            for hour, wh in per_hour.items():
                totals[hour] += math.floor(wh) if floor else wh
    return {hour: max(0, math.floor(wh) if floor else round(wh)) for hour, wh in totals.items()}


def local_days_of(start: datetime, end: datetime) -> list[date]:
    """Market days touched by [start, end) (UTC instants)."""
    first, _ = locate(start)
    last, _ = locate(end - timedelta(microseconds=1))
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """UTC instants of the start of `first` and the end of `last` (market days)."""
    return interval_start(first, 0), interval_start(last, 0) + timedelta(days=1)


def now_utc() -> datetime:
    return datetime.now(UTC)
