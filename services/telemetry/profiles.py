"""Load profiles as users see them: measured rollups with gaps detected and filled as estimates.

Estimates are derived on read from the measured rollups (bidding.gapfill), never stored
over them: a late measured reading replaces its estimate the moment it is rolled up, and
every consumer (GetLoadProfile, settlement) sees the same quality flag per interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np

from bidding.exceptions import InsufficientHistory
from bidding.forecast import similar_day_forecast
from bidding.gapfill import Quality, fill_gaps
from bidding.intervals import INTERVAL, INTERVALS_PER_DAY, days_before, interval_end
from services.telemetry.rollups import Rollups

#: Days of measured history read before a range: four weeks hold the five working days a
#: similar-day forecast or baseline needs even around a week-long holiday.
HISTORY_DAYS = 28
#: An interval's readings may arrive this long after it ends before its absence is a gap.
GAP_GRACE = INTERVAL


@dataclass(frozen=True)
class DayProfile:
    """One asset-day: kW per interval (NaN where missing), Quality codes, readings counted."""

    kw: np.ndarray
    quality: np.ndarray
    counts: np.ndarray


def complete_days(
    per_day: dict[date, tuple[np.ndarray, np.ndarray]],
) -> dict[date, np.ndarray]:
    """The days of `per_day` measured in every interval: what forecasts and baselines use."""
    return {d: kw for d, (kw, counts) in per_day.items() if bool((counts > 0).all())}


def _due(days: Sequence[date], now: datetime) -> np.ndarray:
    """Per interval of `days` laid end to end: has its period ended (plus the grace)?"""
    step = INTERVAL.total_seconds()
    cutoff = (now - GAP_GRACE).timestamp()
    ends = [interval_end(d, 0).timestamp() + step * np.arange(INTERVALS_PER_DAY) for d in days]
    return np.concatenate(ends) <= cutoff


class Profiles:
    """Reads rollups and fills their gaps by the rules of bidding.gapfill."""

    def __init__(self, rollups: Rollups) -> None:
        self.rollups = rollups

    def asset_days(
        self, enterprise_id: str, asset_id: str, days: Sequence[date], now: datetime
    ) -> dict[date, DayProfile]:
        """Each of `days` (consecutive, ascending) of one asset, gap-filled as of `now`.

        History before the range is read only when a due interval is missing (the
        similar-day reference of long gaps): one round trip for a day without gaps.
        """
        read = self.rollups.day_kw(enterprise_id, asset_id, list(days))
        measured = np.concatenate([read[d][0] for d in days])
        due = _due(days, now)
        reference = np.full(measured.shape, np.nan)
        gaps = due & np.isnan(measured)
        if gaps.any():
            prior = days_before(days[0], HISTORY_DAYS)
            history = complete_days({**self.rollups.day_kw(enterprise_id, asset_id, prior), **read})
            for n, day in enumerate(days):
                part = slice(n * INTERVALS_PER_DAY, (n + 1) * INTERVALS_PER_DAY)
                if not gaps[part].any():
                    continue
                try:
                    reference[part] = similar_day_forecast(history, day)
                except InsufficientHistory:
                    continue
        filled = fill_gaps(measured, due, reference)
        out = {}
        for n, day in enumerate(days):
            part = slice(n * INTERVALS_PER_DAY, (n + 1) * INTERVALS_PER_DAY)
            out[day] = DayProfile(filled.values[part], filled.quality[part], read[day][1])
        return out


def combine(profiles: Sequence[DayProfile]) -> DayProfile:
    """Sum of several assets' day: an interval is as good as its worst asset's."""
    kw = np.sum([p.kw for p in profiles], axis=0)
    quality = np.max([p.quality for p in profiles], axis=0)
    kw = np.where(quality == Quality.MISSING, np.nan, kw)
    return DayProfile(kw, quality, np.sum([p.counts for p in profiles], axis=0))
