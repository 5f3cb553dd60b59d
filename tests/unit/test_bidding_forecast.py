"""Similar-day forecast (same day type first, any complete day as a fallback) and its back-test."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from bidding.exceptions import InsufficientHistory, InvalidInput
from bidding.forecast import (
    compute_forecast,
    forecast_accuracy,
    similar_day_forecast,
    similar_day_forecast_detail,
)

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


def _week(*kw_by_day: np.ndarray | None) -> dict[date, np.ndarray]:
    """Mon 7, Tue 8, ... July 2025 drawing the given profiles (None: day not metered)."""
    first = date(2025, 7, 7)
    return {first + timedelta(days=n): kw for n, kw in enumerate(kw_by_day) if kw is not None}


def _halves(first_kw: float, second_kw: float) -> np.ndarray:
    return np.where(np.arange(96) < 48, first_kw, second_kw)


def test_constant_error_gives_equal_mape_and_wape() -> None:
    # Wed 9 is forecast from Mon 7 and Tue 8 (100 kW): |100 - 110| / 110 = 9.0909 %.
    accuracy = forecast_accuracy(_week(_flat(100), _flat(100), _flat(110)), holdout_days=1)
    assert [row.market_day for row in accuracy.days] == [date(2025, 7, 9)]
    assert accuracy.wape_pct == pytest.approx(10 / 110 * 100)
    assert accuracy.mape_pct == pytest.approx(10 / 110 * 100)
    assert (accuracy.mape_intervals, accuracy.mape_intervals_excluded) == (96, 0)
    assert accuracy.days[0].abs_error_kwh == pytest.approx(10 * 24)  # 10 kW all day
    assert accuracy.days[0].actual_kwh == pytest.approx(110 * 24)
    assert accuracy.days_skipped == ()


def test_mape_weighs_intervals_wape_weighs_energy() -> None:
    # Forecast 100 kW; actual 50 kW then 150 kW: every interval is 50 kW off.
    accuracy = forecast_accuracy(_week(_flat(100), _flat(100), _halves(50, 150)), holdout_days=1)
    assert accuracy.mape_pct == pytest.approx((50 / 50 + 50 / 150) / 2 * 100)  # 66.67 %
    assert accuracy.wape_pct == pytest.approx(96 * 50 / (48 * 50 + 48 * 150) * 100)  # 50 %


def test_near_zero_actuals_are_left_out_of_mape_and_counted() -> None:
    # Actual 0 kW then 200 kW (day mean 100, floor 1 kW): the 48 zero intervals are left out.
    accuracy = forecast_accuracy(_week(_flat(100), _flat(100), _halves(0, 200)), holdout_days=1)
    assert (accuracy.mape_intervals, accuracy.mape_intervals_excluded) == (48, 48)
    assert accuracy.mape_pct == pytest.approx(100 / 200 * 100)  # 50 %
    assert accuracy.wape_pct == pytest.approx(96 * 100 / (48 * 200) * 100)  # 100 %


def test_all_zero_day_has_no_mape_and_no_wape() -> None:
    accuracy = forecast_accuracy(_week(_flat(0), _flat(0)), holdout_days=1)
    assert (accuracy.mape_pct, accuracy.wape_pct) == (None, None)
    assert accuracy.mape_intervals_excluded == 96


def test_rolls_over_held_out_days_and_skips_those_without_earlier_history() -> None:
    # Mon 7: 100, Tue 8: 110, Wed 9: 88 kW, Thu 10 incomplete (so not held out).
    history = _week(_flat(100), _flat(110), _flat(88), np.full(90, 1.0))
    accuracy = forecast_accuracy(history, holdout_days=3, days=1)
    assert accuracy.days_skipped == (date(2025, 7, 7),)  # nothing before Monday
    # Tue 8 from Mon 7: 10 / 110 = 9.09 %; Wed 9 from Tue 8 only: 22 / 88 = 25 %.
    assert [row.market_day for row in accuracy.days] == [date(2025, 7, 8), date(2025, 7, 9)]
    assert accuracy.days[0].mape_pct == pytest.approx(10 / 110 * 100)
    assert accuracy.days[1].wape_pct == pytest.approx(25.0)
    assert accuracy.wape_pct == pytest.approx((10 + 22) / (110 + 88) * 100)  # 16.16 %
    assert accuracy.mape_pct == pytest.approx((10 / 110 + 22 / 88) / 2 * 100)  # 17.05 %
    assert accuracy.mape_intervals == 192


def test_accuracy_errors() -> None:
    with pytest.raises(InvalidInput) as caught:
        forecast_accuracy(_week(_flat(100), _flat(100)), holdout_days=0)
    assert caught.value.field == "holdout_days"
    with pytest.raises(InvalidInput) as caught:
        forecast_accuracy(_week(_flat(100), _flat(100)), method="neural")
    assert caught.value.field == "method"
    with pytest.raises(InsufficientHistory) as caught_history:
        forecast_accuracy(_week(_flat(100), None, np.full(96, np.nan)))  # one complete day
    assert "forecast accuracy" in str(caught_history.value)
