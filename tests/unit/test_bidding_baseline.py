"""Similar-day baseline on a hand-built July 2025 history (market day Wednesday 16 July)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from bidding.baseline import compute_baseline, similar_day_baseline
from bidding.exceptions import InsufficientHistory, InvalidInput

MARKET_DAY = date(2025, 7, 16)  # a Wednesday
EVENT_DAY = date(2025, 7, 10)  # Thursday with a DR event: its load is not normal
INTERVAL_OFFSET = np.arange(96, dtype=float)


def _day_kw(day: date) -> np.ndarray:
    """Working days draw 10 kW x day-of-month + interval index; weekends and events differ."""
    if day.isoweekday() > 5:
        return np.full(96, 1000.0)
    if day == EVENT_DAY:
        return np.full(96, 5000.0)
    return day.day * 10 + INTERVAL_OFFSET


def _history(first: int = 1, last: int = 15) -> dict[date, np.ndarray]:
    return {date(2025, 7, d): _day_kw(date(2025, 7, d)) for d in range(first, last + 1)}


def test_averages_previous_five_working_days_skipping_weekend_and_event() -> None:
    result = similar_day_baseline(_history(), MARKET_DAY, event_days={EVENT_DAY})
    # Tue 15, Mon 14, (Sun 13, Sat 12 skipped), Fri 11, (Thu 10 event), Wed 9, Tue 8.
    assert result.days_used == tuple(date(2025, 7, d) for d in (15, 14, 11, 9, 8))
    expected_kw = (150 + 140 + 110 + 90 + 80) / 5 + INTERVAL_OFFSET  # 114 kW + interval index
    np.testing.assert_allclose(result.baseline_kw, expected_kw)
    assert result.baseline_kw[0] == pytest.approx(114.0)
    assert result.baseline_kw[95] == pytest.approx(209.0)


def test_without_event_days_the_event_day_pollutes_the_baseline() -> None:
    result = similar_day_baseline(_history(), MARKET_DAY)
    assert date(2025, 7, 10) in result.days_used
    # Tue 15, Mon 14, Fri 11, Thu 10 (5000 kW flat), Wed 9.
    assert result.baseline_kw[0] == pytest.approx((150 + 140 + 110 + 5000 + 90) / 5)


def test_incomplete_days_are_skipped() -> None:
    history = _history()
    history[date(2025, 7, 15)] = np.concatenate([np.full(95, 150.0), [np.nan]])
    history[date(2025, 7, 14)] = np.full(95, 140.0)  # one interval missing
    result = similar_day_baseline(history, MARKET_DAY, event_days=[EVENT_DAY])
    assert result.days_used == tuple(date(2025, 7, d) for d in (11, 9, 8, 7, 4))
    assert result.baseline_kw[0] == pytest.approx((110 + 90 + 80 + 70 + 40) / 5)


def test_market_day_itself_and_later_days_are_never_used() -> None:
    history = _history(1, 20)
    history[MARKET_DAY] = np.full(96, 99_999.0)
    result = similar_day_baseline(history, MARKET_DAY, event_days={EVENT_DAY})
    assert max(result.days_used) < MARKET_DAY
    assert result.baseline_kw.max() < 1000


def test_too_few_days_raises_insufficient_history() -> None:
    history = _history(10, 15)  # working days 10 (event), 11, 14, 15
    with pytest.raises(InsufficientHistory) as caught:
        similar_day_baseline(history, MARKET_DAY, event_days={EVENT_DAY})
    assert (caught.value.needed, caught.value.found) == (5, 3)


def test_lookback_limits_how_far_back_days_count() -> None:
    # Within 7 days back (9..15) the working non-event days are 9, 11, 14, 15.
    with pytest.raises(InsufficientHistory) as caught:
        similar_day_baseline(_history(), MARKET_DAY, event_days={EVENT_DAY}, lookback_days=7)
    assert caught.value.found == 4
    result = similar_day_baseline(
        _history(), MARKET_DAY, event_days={EVENT_DAY}, days=4, lookback_days=7
    )
    assert result.baseline_kw[0] == pytest.approx((150 + 140 + 110 + 90) / 4)


def test_registry_runs_method_by_name_and_rejects_unknown() -> None:
    by_name = compute_baseline("similar_day", _history(), MARKET_DAY, [EVENT_DAY], days=3)
    assert by_name.baseline_kw[0] == pytest.approx((150 + 140 + 110) / 3)
    with pytest.raises(InvalidInput) as caught:
        compute_baseline("weather_adjusted", _history(), MARKET_DAY)
    assert caught.value.field == "method"


def test_bad_parameters_are_rejected() -> None:
    with pytest.raises(InvalidInput):
        similar_day_baseline(_history(), MARKET_DAY, days=0)
    with pytest.raises(InvalidInput):
        similar_day_baseline(_history(), MARKET_DAY, days=10, lookback_days=5)
