"""Customer baselines: what a site would have consumed on an event day had there been no event."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from bidding.exceptions import InsufficientHistory, InvalidInput
from bidding.intervals import INTERVALS_PER_DAY

History = Mapping[date, Sequence[float] | np.ndarray]


@dataclass(frozen=True)
class BaselineResult:
    """Per-interval baseline (average kW of each interval) and the days it was averaged over."""

    baseline_kw: np.ndarray
    days_used: tuple[date, ...]


def full_day(values: Sequence[float] | np.ndarray | None) -> np.ndarray | None:
    """The day's 96 values as floats when complete and finite, else None (day unusable)."""
    if values is None:
        return None
    try:
        row = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        return None
    if row.shape != (INTERVALS_PER_DAY,) or not np.all(np.isfinite(row)):
        return None
    return row


def similar_day_baseline(
    history: History,
    market_day: date,
    event_days: Collection[date] = (),
    days: int = 5,
    lookback_days: int = 45,
) -> BaselineResult:
    """Mean per interval of the last `days` normal working days before `market_day`.

    A day qualifies when it is Monday..Friday, within `lookback_days` before
    `market_day`, not in `event_days` (pass public holidays and other abnormal days
    there too) and has 96 finite values. Each history value is the average kW of its
    interval. Raises InvalidInput for non-positive `days`/`lookback_days` and
    InsufficientHistory when fewer than `days` days qualify.
    """
    if days < 1:
        raise InvalidInput("days", "must be >= 1")
    if lookback_days < days:
        raise InvalidInput("lookback_days", "must be >= days")
    excluded = set(event_days)
    chosen: list[tuple[date, np.ndarray]] = []
    for back in range(1, lookback_days + 1):
        day = market_day - timedelta(days=back)
        if day.isoweekday() > 5 or day in excluded:
            continue
        row = full_day(history.get(day))
        if row is None:
            continue
        chosen.append((day, row))
        if len(chosen) == days:
            break
    if len(chosen) < days:
        raise InsufficientHistory("similar_day baseline", days, len(chosen))
    baseline_kw = np.mean(np.stack([row for _, row in chosen]), axis=0)
    return BaselineResult(baseline_kw=baseline_kw, days_used=tuple(day for day, _ in chosen))


BaselineMethod = Callable[..., BaselineResult]

BASELINE_METHODS: dict[str, BaselineMethod] = {
    "similar_day": similar_day_baseline,
}


def compute_baseline(
    method: str,
    history: History,
    market_day: date,
    event_days: Collection[date] = (),
    **options: int,
) -> BaselineResult:
    """Run the baseline method registered under `method` (e.g. "similar_day").

    Lets configuration pick the method by name. Raises InvalidInput("method") for a
    name that is not registered, and whatever the method raises otherwise.
    """
    chosen = BASELINE_METHODS.get(method)
    if chosen is None:
        known = ", ".join(sorted(BASELINE_METHODS))
        raise InvalidInput("method", f"must be one of {known}, got {method!r}")
    return chosen(history, market_day, event_days, **options)
