"""Customer baselines: what a site would have consumed on an event day had there been no event.

Three methods share one day-selection rule (`eligible_days`) and differ in how many days
they take and how they combine them:

- `similar_day`: mean of the last 5 working days.
- `ten_in_ten_adjusted` (CAISO style): mean of the last 10 working days (4 weekend days
  for a weekend market day), scaled by a same-day load point adjustment capped at ±20 %.
- `high_4_of_5` (PJM CBL style): of the last 5 working days, the mean of the 4 with the
  highest load over the event intervals (high 2 of the last 3 same weekdays on weekends).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from bidding.exceptions import InsufficientHistory, InvalidInput
from bidding.intervals import INTERVALS_PER_DAY, check_interval, minutes_to_intervals

History = Mapping[date, Sequence[float] | np.ndarray]

WORKING_DAYS = frozenset({1, 2, 3, 4, 5})  # ISO weekdays Monday..Friday
WEEKEND_DAYS = frozenset({6, 7})
LOOKBACK_DAYS = 45
#: CAISO load point adjustment: 3 hours of same-day load, ending 1 hour before the event.
ADJUSTMENT_WINDOW_INTERVALS = minutes_to_intervals(3 * 60)
ADJUSTMENT_GAP_INTERVALS = minutes_to_intervals(60)
ADJUSTMENT_CAP = 0.2


@dataclass(frozen=True)
class BaselineResult:
    """Per-interval baseline (average kW of each interval) and how it was built.

    `days_used` are exactly the days averaged, most recent first; `days_considered` the
    candidates they were chosen from (differs from `days_used` only for high_4_of_5).
    `adjustment` is the factor the averaged days were multiplied by, `adjusted` whether
    a same-day adjustment was computed, and `note` says why not (or how it was capped).
    """

    baseline_kw: np.ndarray
    days_used: tuple[date, ...]
    method: str = "similar_day"
    days_considered: tuple[date, ...] = ()
    adjustment: float = 1.0
    adjusted: bool = False
    note: str = ""


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


def eligible_days(
    history: History,
    market_day: date,
    event_days: Collection[date],
    count: int,
    lookback_days: int,
    weekdays: Collection[int],
    subject: str,
) -> list[tuple[date, np.ndarray]]:
    """The `count` most recent eligible days before `market_day`, most recent first.

    A day is eligible when its ISO weekday is in `weekdays`, it lies within
    `lookback_days` before `market_day`, it is not in `event_days` and it has 96 finite
    values. Raises InvalidInput("days") for `count` < 1, InvalidInput("lookback_days")
    when it is below `count`, and InsufficientHistory(subject, count, found) when fewer
    than `count` days are eligible.
    """
    if count < 1:
        raise InvalidInput("days", "must be >= 1")
    if lookback_days < count:
        raise InvalidInput("lookback_days", f"must be >= {count}")
    excluded = set(event_days)
    chosen: list[tuple[date, np.ndarray]] = []
    for back in range(1, lookback_days + 1):
        day = market_day - timedelta(days=back)
        if day.isoweekday() not in weekdays or day in excluded:
            continue
        row = full_day(history.get(day))
        if row is not None:
            chosen.append((day, row))
            if len(chosen) == count:
                return chosen
    raise InsufficientHistory(subject, count, len(chosen))


def _mean_kw(chosen: Sequence[tuple[date, np.ndarray]]) -> np.ndarray:
    return np.mean(np.stack([row for _, row in chosen]), axis=0)


def _dates(chosen: Sequence[tuple[date, np.ndarray]]) -> tuple[date, ...]:
    return tuple(day for day, _ in chosen)


def similar_day_baseline(
    history: History,
    market_day: date,
    event_days: Collection[date] = (),
    days: int = 5,
    lookback_days: int = LOOKBACK_DAYS,
) -> BaselineResult:
    """Mean per interval of the last `days` normal working days before `market_day`.

    A day qualifies when it is Monday..Friday, within `lookback_days` before
    `market_day`, not in `event_days` (pass public holidays and other abnormal days
    there too) and has 96 finite values. Each history value is the average kW of its
    interval. Raises InvalidInput for non-positive `days`/`lookback_days` and
    InsufficientHistory when fewer than `days` days qualify.
    """
    subject = "similar_day baseline"
    chosen = eligible_days(
        history, market_day, event_days, days, lookback_days, WORKING_DAYS, subject
    )
    return BaselineResult(_mean_kw(chosen), _dates(chosen), days_considered=_dates(chosen))


def _interval_index(value: object, field: str) -> int:
    """`value` as an interval index 0..95; raises InvalidInput naming `field` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InvalidInput(field, f"must be an interval index 0..95, got {value!r}")
    return check_interval(int(value), field)


def _metered_day(same_day_kw: Sequence[float] | np.ndarray | None) -> np.ndarray | None:
    """The market day's own metering as 96 floats (NaN = not measured yet), or None."""
    if same_day_kw is None:
        return None
    try:
        row = np.asarray(same_day_kw, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("same_day_kw", "must be 96 numbers (NaN where unknown)") from exc
    if row.shape != (INTERVALS_PER_DAY,):
        raise InvalidInput("same_day_kw", f"must hold 96 values, got shape {row.shape}")
    return row


def load_point_factor(
    baseline_kw: np.ndarray, event_start_interval: int | None, same_day_kw: np.ndarray | None
) -> tuple[float | None, str]:
    """CAISO same-day factor for `baseline_kw` and a note; None when it cannot be computed.

    The window is the 3 hours ending 1 hour before the event: intervals
    [start - 16, start - 4). Factor = mean metered kW / mean baseline kW over the window,
    capped to [0.8, 1.2]. None (unadjusted) without an event start or metering, when the
    window would begin before 00:00, when a window interval is not measured (non-finite)
    or when the baseline's window mean is not positive.
    """
    if event_start_interval is None:
        return None, "unadjusted: no event start given"
    if same_day_kw is None:
        return None, "unadjusted: no same-day metering given"
    end = event_start_interval - ADJUSTMENT_GAP_INTERVALS
    first = end - ADJUSTMENT_WINDOW_INTERVALS
    if first < 0:
        return None, f"unadjusted: window would start at interval {first}, before 00:00"
    span = f"intervals {first}..{end - 1}"
    if not np.all(np.isfinite(same_day_kw[first:end])):
        return None, f"unadjusted: same-day metering incomplete in {span}"
    baseline_mean_kw = float(np.mean(baseline_kw[first:end]))
    if baseline_mean_kw <= 0:
        return None, f"unadjusted: baseline mean is {baseline_mean_kw} kW in {span}"
    ratio = float(np.mean(same_day_kw[first:end])) / baseline_mean_kw
    factor = min(max(ratio, 1 - ADJUSTMENT_CAP), 1 + ADJUSTMENT_CAP)
    capped = f", capped to {factor:g}" if factor != ratio else ""
    return factor, f"adjusted over {span}: ratio {ratio:.4f}{capped}"


def ten_in_ten_adjusted_baseline(
    history: History,
    market_day: date,
    event_days: Collection[date] = (),
    event_start_interval: int | None = None,
    same_day_kw: Sequence[float] | np.ndarray | None = None,
    lookback_days: int = LOOKBACK_DAYS,
) -> BaselineResult:
    """CAISO-style 10-in-10 baseline (kW per interval) with a load point adjustment.

    Weekday market day: mean of the 10 most recent eligible Monday..Friday days;
    weekend market day: of the 4 most recent eligible Saturday/Sunday days (CAISO 4-in-4).
    Eligibility as in `eligible_days`, within `lookback_days` (45). Public holidays are
    not recognised here: leave them out through `event_days`. The mean is multiplied by
    `load_point_factor` from `event_start_interval` (0..95) and `same_day_kw` (the market
    day's metering, 96 values, NaN where unknown); the note says why it stayed
    unadjusted. Raises InvalidInput naming a bad option and InsufficientHistory (naming
    the method and day counts) when too few days are eligible.
    """
    metered_kw = _metered_day(same_day_kw)
    if event_start_interval is not None:
        _interval_index(event_start_interval, "event_start_interval")
    weekend = market_day.isoweekday() in WEEKEND_DAYS
    count, weekdays, kind = (
        (4, WEEKEND_DAYS, "weekend") if weekend else (10, WORKING_DAYS, "working")
    )
    subject = f"ten_in_ten_adjusted baseline ({kind} days within {lookback_days} days)"
    chosen = eligible_days(history, market_day, event_days, count, lookback_days, weekdays, subject)
    unadjusted_kw = _mean_kw(chosen)
    factor, note = load_point_factor(unadjusted_kw, event_start_interval, metered_kw)
    return BaselineResult(
        baseline_kw=unadjusted_kw * (1.0 if factor is None else factor),
        days_used=_dates(chosen),
        method="ten_in_ten_adjusted",
        days_considered=_dates(chosen),
        adjustment=1.0 if factor is None else factor,
        adjusted=factor is not None,
        note=note,
    )


def _event_interval_indices(event_intervals: Sequence[int] | None) -> np.ndarray:
    """Sorted unique interval indices of the event; the whole day when None."""
    if event_intervals is None:
        return np.arange(INTERVALS_PER_DAY)
    if len(event_intervals) == 0:
        raise InvalidInput("event_intervals", "must name at least one interval")
    return np.unique([_interval_index(i, "event_intervals") for i in event_intervals])


def high_4_of_5_baseline(
    history: History,
    market_day: date,
    event_days: Collection[date] = (),
    event_intervals: Sequence[int] | None = None,
    lookback_days: int = LOOKBACK_DAYS,
) -> BaselineResult:
    """PJM-style "high 4 of 5" customer baseline (kW per interval), unadjusted.

    Weekday market day: the 5 most recent eligible Monday..Friday days are the
    candidates; the 4 with the highest mean kW over `event_intervals` (default: the
    whole day; duplicates count once) are averaged per interval. Saturday or Sunday:
    high 2 of the 3 most recent eligible days of that same weekday (PJM's weekend rule).
    Equal means are ranked by date, the more recent day first. Eligibility as in
    `eligible_days`, within `lookback_days` (45). PJM's symmetric additive adjustment is
    not applied. Raises InvalidInput("event_intervals") for an empty list or an index
    outside 0..95 and InsufficientHistory (naming the method and counts) when too few
    candidates are eligible.
    """
    intervals = _event_interval_indices(event_intervals)
    weekday = market_day.isoweekday()
    if weekday in WORKING_DAYS:
        count, keep, weekdays, kind = 5, 4, WORKING_DAYS, "working days"
    else:
        count, keep, weekdays = 3, 2, frozenset({weekday})
        kind = "Saturdays" if weekday == 6 else "Sundays"
    subject = f"high_4_of_5 baseline ({kind} within {lookback_days} days)"
    candidates = eligible_days(
        history, market_day, event_days, count, lookback_days, weekdays, subject
    )
    ranked = sorted(candidates, key=lambda c: (float(np.mean(c[1][intervals])), c[0]))
    highest = {day for day, _ in ranked[-keep:]}
    chosen = [(day, row) for day, row in candidates if day in highest]
    return BaselineResult(
        baseline_kw=_mean_kw(chosen),
        days_used=_dates(chosen),
        method="high_4_of_5",
        days_considered=_dates(candidates),
        note="unadjusted: PJM's symmetric additive adjustment is not applied",
    )


BaselineMethod = Callable[..., BaselineResult]

BASELINE_METHODS: dict[str, BaselineMethod] = {
    "similar_day": similar_day_baseline,
    "ten_in_ten_adjusted": ten_in_ten_adjusted_baseline,
    "high_4_of_5": high_4_of_5_baseline,
}


def compute_baseline(
    method: str,
    history: History,
    market_day: date,
    event_days: Collection[date] = (),
    **options: object,
) -> BaselineResult:
    """Run the baseline method registered under `method` (see BASELINE_METHODS).

    Lets configuration pick the method by name; `options` are that method's keyword
    arguments. Raises InvalidInput("method") for a name that is not registered, and
    whatever the method raises otherwise.
    """
    chosen = BASELINE_METHODS.get(method)
    if chosen is None:
        known = ", ".join(sorted(BASELINE_METHODS))
        raise InvalidInput("method", f"must be one of {known}, got {method!r}")
    return chosen(history, market_day, event_days, **options)
