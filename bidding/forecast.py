"""Day-ahead forecasts of an asset's load or PV output from its own recent history."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np

from bidding.baseline import History, full_day
from bidding.exceptions import InsufficientHistory, InvalidInput


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
    history: History, market_day: date, days: int = 5
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


def similar_day_forecast(history: History, market_day: date, days: int = 5) -> np.ndarray:
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
    chosen = FORECAST_METHODS.get(method)
    if chosen is None:
        known = ", ".join(sorted(FORECAST_METHODS))
        raise InvalidInput("method", f"must be one of {known}, got {method!r}")
    return chosen(history, market_day, **options)
