"""Day-ahead forecasts of an asset's load or PV output from its own recent history."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from bidding.baseline import History, full_day
from bidding.exceptions import InsufficientHistory, InvalidInput
from bidding.intervals import INTERVAL_HOURS

#: MAPE leaves out intervals whose |actual| is below 1 % of the day's mean |actual| or
#: below 0.01 kW, whichever is larger: near-zero actuals make percentages explode.
#: Days a similar-day forecast averages by default.
SIMILAR_DAYS = 5
MAPE_FLOOR_FRACTION = 0.01
MAPE_FLOOR_KW = 0.01


@dataclass(frozen=True)
class ForecastResult:
    """A forecast with its provenance: which days were averaged and whether they matched type."""

    forecast_kw: np.ndarray
    days_used: tuple[date, ...]
    same_day_type: bool


def is_weekend(day: date) -> bool:
    """Saturday or Sunday (public holidays are not known here)."""
    return day.isoweekday() >= 6


def similar_day_forecast_detail(
    history: History, market_day: date, days: int = SIMILAR_DAYS
) -> ForecastResult:
    """Like `similar_day_forecast`, but also says which days were used and whether it fell back.

    Raises InvalidInput for `days` < 1 and InsufficientHistory when there is no
    complete (96 finite values) day before `market_day`.
    """
    if days < 1:
        raise InvalidInput("days", "must be >= 1")
    complete: list[tuple[date, np.ndarray]] = []
    for day in sorted((d for d in history if d < market_day), reverse=True):
        row = full_day(history[day])
        if row is not None:
            complete.append((day, row))
    if not complete:
        raise InsufficientHistory("similar_day forecast", 1, 0)
    same_type = [(d, r) for d, r in complete if is_weekend(d) == is_weekend(market_day)]
    fell_back = len(same_type) < days
    chosen = complete[:days] if fell_back else same_type[:days]
    return ForecastResult(
        forecast_kw=np.mean(np.stack([row for _, row in chosen]), axis=0),
        days_used=tuple(day for day, _ in chosen),
        same_day_type=not fell_back,
    )


def similar_day_forecast(
    history: History, market_day: date, days: int = SIMILAR_DAYS
) -> np.ndarray:
    """Forecast the 96 interval averages (kW) of `market_day` from similar past days.

    Averages the most recent `days` complete days before `market_day` of the same day
    type (weekday or weekend). When fewer than `days` such days exist it falls back to
    the most recent `days` complete days of any type (or all of them, if fewer), because
    a rough forecast beats none for a new asset. Raises InvalidInput for `days` < 1 and
    InsufficientHistory when there is no complete day before `market_day` at all.
    """
    return similar_day_forecast_detail(history, market_day, days).forecast_kw


ForecastMethod = Callable[..., ForecastResult]

FORECAST_METHODS: dict[str, ForecastMethod] = {
    "similar_day": similar_day_forecast_detail,
}


def compute_forecast(
    method: str, history: History, market_day: date, **options: int
) -> ForecastResult:
    """Run the forecast method registered under `method`, so configuration can choose it.

    Raises InvalidInput("method") for an unregistered name, else whatever the method raises.
    """
    return _registered(method)(history, market_day, **options)


def _registered(method: str) -> ForecastMethod:
    """The forecast function registered as `method`; InvalidInput("method") if none is."""
    chosen = FORECAST_METHODS.get(method)
    if chosen is None:
        known = ", ".join(sorted(FORECAST_METHODS))
        raise InvalidInput("method", f"must be one of {known}, got {method!r}")
    return chosen


@dataclass(frozen=True)
class DayAccuracy:
    """Errors of the forecast of one held-out day.

    `mape_pct` is None when no interval cleared the MAPE floor, `wape_pct` None when
    the day's actual energy is 0. `abs_error_kwh` = Σ|forecast - actual| x 0.25 h and
    `actual_kwh` = Σ|actual| x 0.25 h over all 96 intervals, so WAPE = their ratio.
    """

    market_day: date
    mape_pct: float | None
    wape_pct: float | None
    mape_intervals: int
    mape_intervals_excluded: int
    abs_error_kwh: float
    actual_kwh: float


@dataclass(frozen=True)
class ForecastAccuracy:
    """Back-test of a forecast method over held-out days (see `forecast_accuracy`).

    Overall figures pool every interval of every evaluated day: `mape_pct` is the mean
    over all intervals that cleared the floor (None when none did), `wape_pct` is total
    |error| / total |actual| (None when all actuals are 0). `days_skipped` are held-out
    days that had too little earlier history to be forecast.
    """

    method: str
    mape_pct: float | None
    wape_pct: float | None
    mape_intervals: int
    mape_intervals_excluded: int
    days: tuple[DayAccuracy, ...]
    days_skipped: tuple[date, ...]


def day_accuracy(market_day: date, forecast_kw: np.ndarray, actual_kw: np.ndarray) -> DayAccuracy:
    """MAPE and WAPE (%) of one day's forecast against its actual interval averages (kW).

    Both arrays hold the day's 96 intervals. MAPE leaves out (and counts) intervals
    whose |actual| is below max(1 % of the day's mean |actual|, 0.01 kW).
    """
    abs_error_kw = np.abs(forecast_kw - actual_kw)
    abs_actual_kw = np.abs(actual_kw)
    floor_kw = max(MAPE_FLOOR_FRACTION * float(abs_actual_kw.mean()), MAPE_FLOOR_KW)
    kept = abs_actual_kw >= floor_kw
    actual_kwh = float(abs_actual_kw.sum()) * INTERVAL_HOURS
    abs_error_kwh = float(abs_error_kw.sum()) * INTERVAL_HOURS
    mape_pct = None
    if kept.any():
        mape_pct = float(np.mean(abs_error_kw[kept] / abs_actual_kw[kept])) * 100
    return DayAccuracy(
        market_day=market_day,
        mape_pct=mape_pct,
        wape_pct=abs_error_kwh / actual_kwh * 100 if actual_kwh > 0 else None,
        mape_intervals=int(kept.sum()),
        mape_intervals_excluded=int((~kept).sum()),
        abs_error_kwh=abs_error_kwh,
        actual_kwh=actual_kwh,
    )


def _pooled(days: Sequence[DayAccuracy], method: str, skipped: Sequence[date]) -> ForecastAccuracy:
    """Overall figures from per-day rows: MAPE weighted by intervals, WAPE by energy."""
    mape_intervals = sum(d.mape_intervals for d in days)
    mape_sum = sum(d.mape_pct * d.mape_intervals for d in days if d.mape_pct is not None)
    actual_kwh = sum(d.actual_kwh for d in days)
    return ForecastAccuracy(
        method=method,
        mape_pct=mape_sum / mape_intervals if mape_intervals else None,
        wape_pct=sum(d.abs_error_kwh for d in days) / actual_kwh * 100 if actual_kwh else None,
        mape_intervals=mape_intervals,
        mape_intervals_excluded=sum(d.mape_intervals_excluded for d in days),
        days=tuple(days),
        days_skipped=tuple(skipped),
    )


def forecast_accuracy(
    history: History, holdout_days: int = 14, method: str = "similar_day", **options: int
) -> ForecastAccuracy:
    """Back-test `method` on the last `holdout_days` complete days of `history`.

    Each held-out day (in date order) is forecast by `compute_forecast(method, ...,
    **options)` from the days strictly before it only, then compared with what was
    metered (kW per interval) by MAPE and WAPE in % (see `day_accuracy`). Days the
    method cannot forecast (InsufficientHistory) are skipped and listed. Raises
    InvalidInput for `holdout_days` < 1 or an unknown `method`, and InsufficientHistory
    when no held-out day could be evaluated.
    """
    if holdout_days < 1:
        raise InvalidInput("holdout_days", "must be >= 1")
    forecast_with = _registered(method)
    complete = [
        (day, row) for day in sorted(history) if (row := full_day(history[day])) is not None
    ]
    evaluated: list[DayAccuracy] = []
    skipped: list[date] = []
    for day, actual_kw in complete[-holdout_days:]:
        before = {d: values for d, values in history.items() if d < day}
        try:
            forecast = forecast_with(before, day, **options)
        except InsufficientHistory:
            skipped.append(day)
            continue
        evaluated.append(day_accuracy(day, forecast.forecast_kw, actual_kw))
    if not evaluated:
        subject = f"{method} forecast accuracy (no held-out day could be forecast)"
        raise InsufficientHistory(subject, 1, 0)
    return _pooled(evaluated, method, skipped)
