"""Similar-day forecast: same day type first, any complete day as a fallback."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from bidding.exceptions import InsufficientHistory, InvalidInput
from bidding.forecast import compute_forecast, similar_day_forecast, similar_day_forecast_detail

SATURDAY = date(2025, 7, 19)
MONDAY = date(2025, 7, 21)


def _flat(kw: float) -> np.ndarray:
    return np.full(96, kw)


def _history() -> dict[date, np.ndarray]:
    """1..18 July 2025: weekdays draw day-of-month x 10 kW, weekends 100 + day-of-month kW."""
    history = {}
    for d in range(1, 19):
        day = date(2025, 7, d)
        history[day] = _flat(100.0 + d) if day.isoweekday() >= 6 else _flat(d * 10.0)
    return history


def test_weekday_forecast_uses_most_recent_weekdays() -> None:
    forecast = similar_day_forecast(_history(), MONDAY, days=3)
    assert forecast.shape == (96,)
    np.testing.assert_allclose(forecast, _flat((180 + 170 + 160) / 3))  # Fri 18, Thu 17, Wed 16


def test_weekend_forecast_uses_weekends_only() -> None:
    # Weekends before Sat 19 July: Sun 13, Sat 12, Sun 6, Sat 5.
    detail = similar_day_forecast_detail(_history(), SATURDAY, days=4)
    assert detail.same_day_type
    assert detail.days_used == tuple(date(2025, 7, d) for d in (13, 12, 6, 5))
    np.testing.assert_allclose(detail.forecast_kw, _flat((113 + 112 + 106 + 105) / 4))


def test_falls_back_to_any_recent_days_when_too_few_of_the_same_type() -> None:
    detail = similar_day_forecast_detail(_history(), SATURDAY, days=5)  # only 4 weekend days
    assert not detail.same_day_type
    assert detail.days_used == tuple(date(2025, 7, d) for d in (18, 17, 16, 15, 14))
    np.testing.assert_allclose(detail.forecast_kw, _flat(160.0))


def test_new_asset_with_two_days_still_gets_a_forecast() -> None:
    history = {MONDAY - timedelta(days=1): _flat(50.0), MONDAY - timedelta(days=2): _flat(70.0)}
    np.testing.assert_allclose(similar_day_forecast(history, MONDAY), _flat(60.0))


def test_incomplete_days_are_ignored() -> None:
    history = _history()
    history[date(2025, 7, 18)] = np.full(90, 999.0)
    history[date(2025, 7, 17)] = np.where(np.arange(96) == 5, np.inf, 999.0)
    forecast = similar_day_forecast(history, MONDAY, days=2)
    np.testing.assert_allclose(forecast, _flat((160 + 150) / 2))


def test_no_complete_day_raises_insufficient_history() -> None:
    with pytest.raises(InsufficientHistory):
        similar_day_forecast({}, MONDAY)
    with pytest.raises(InsufficientHistory):
        similar_day_forecast({MONDAY: _flat(1.0)}, MONDAY)  # the day itself is not history
    with pytest.raises(InvalidInput):
        similar_day_forecast(_history(), MONDAY, days=0)


def test_registry_by_name() -> None:
    result = compute_forecast("similar_day", _history(), MONDAY, days=1)
    np.testing.assert_allclose(result.forecast_kw, _flat(180.0))
    with pytest.raises(InvalidInput):
        compute_forecast("neural", _history(), MONDAY)
