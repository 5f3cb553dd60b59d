"""Baselines on hand-built histories: similar day (July 2025), 10-in-10 and high 4 of 5 (August)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from bidding.baseline import (
    BaselineResult,
    compute_baseline,
    high_4_of_5_baseline,
    similar_day_baseline,
    ten_in_ten_adjusted_baseline,
)
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
    assert (result.method, result.adjusted, result.adjustment) == ("similar_day", False, 1.0)
    assert result.days_considered == result.days_used


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


# August 2025: Fri 1, weekdays 4-8, 11-15, 18-22; market day Wednesday 20 August.
AUG_MARKET_DAY = date(2025, 8, 20)
AUG_SATURDAY = date(2025, 8, 23)
AUG_EVENT_DAY = date(2025, 8, 13)
AUG_INCOMPLETE_DAY = date(2025, 8, 12)
AFTERNOON = np.arange(96) >= 64  # 16:00-24:00


def _aug(d: int) -> date:
    return date(2025, 8, d)


def _shape_kw(morning_kw: float, afternoon_kw: float) -> np.ndarray:
    return np.where(AFTERNOON, afternoon_kw, morning_kw)


def _caiso_history() -> dict[date, np.ndarray]:
    """1..22 Aug: weekdays 100 kW to 16:00 then 300 kW; Fri 15 doubled (200/600 kW).

    The event day Wed 13 draws 10x, Tue 12 misses an interval, and a weekend day of
    the month draws its day number in kW (Sat 2 -> 2 kW ... Sun 17 -> 17 kW).
    """
    history: dict[date, np.ndarray] = {}
    for d in range(1, 23):
        day = _aug(d)
        scale = {15: 2.0, 13: 10.0}.get(d, 1.0)
        history[day] = (
            np.full(96, float(d)) if day.isoweekday() > 5 else _shape_kw(100, 300) * scale
        )
    history[AUG_INCOMPLETE_DAY] = np.full(95, 100.0)
    return history


def _ten_in_ten(**options: object) -> BaselineResult:
    return ten_in_ten_adjusted_baseline(
        _caiso_history(), AUG_MARKET_DAY, {AUG_EVENT_DAY}, **options
    )


def _same_day(window_kw: float, start: int = 40, end: int = 52) -> np.ndarray:
    """The market day metered up to the event: NaN except `window_kw` in [start, end)."""
    metered = np.full(96, np.nan)
    metered[start:end] = window_kw
    return metered


def test_ten_in_ten_uses_ten_recent_working_days_skipping_event_weekend_incomplete() -> None:
    result = _ten_in_ten()
    # Back from Tue 19: 19, 18, (17, 16 weekend), 15, 14, (13 event, 12 incomplete),
    # 11, (10, 9 weekend), 8, 7, 6, 5, 4 -> ten days; Fri 1 would be the eleventh.
    assert result.days_used == tuple(_aug(d) for d in (19, 18, 15, 14, 11, 8, 7, 6, 5, 4))
    # Nine days at 100/300 kW and Fri 15 at 200/600 kW: morning 1100/10, afternoon 3300/10.
    np.testing.assert_allclose(result.baseline_kw, _shape_kw(110, 330))
    assert (result.method, result.adjusted, result.adjustment) == (
        "ten_in_ten_adjusted",
        False,
        1.0,
    )
    assert "no event start" in result.note


def test_ten_in_ten_adjusts_the_whole_day_by_the_window_ratio() -> None:
    # Event at 14:00 (interval 56): window = intervals 40..51 (10:00-13:00), baseline 110 kW
    # there, metered 121 kW -> factor 1.1, applied multiplicatively: 121 / 363 kW.
    result = _ten_in_ten(event_start_interval=56, same_day_kw=_same_day(121.0))
    assert result.adjusted
    assert result.adjustment == pytest.approx(1.1)
    np.testing.assert_allclose(result.baseline_kw, _shape_kw(121, 363))


def test_ten_in_ten_adjustment_is_capped_at_plus_and_minus_twenty_percent() -> None:
    high = _ten_in_ten(event_start_interval=56, same_day_kw=_same_day(165.0))  # ratio 1.5
    assert high.adjustment == pytest.approx(1.2)
    np.testing.assert_allclose(high.baseline_kw, _shape_kw(132, 396))
    assert "capped" in high.note
    low = _ten_in_ten(event_start_interval=56, same_day_kw=_same_day(55.0))  # ratio 0.5
    assert low.adjustment == pytest.approx(0.8)
    np.testing.assert_allclose(low.baseline_kw, _shape_kw(88, 264))


def test_window_ending_at_interval_twelve_is_the_earliest_allowed() -> None:
    # Event at 04:00 (interval 16): window = intervals 0..11, fully inside the day.
    result = _ten_in_ten(event_start_interval=16, same_day_kw=_same_day(99.0, 0, 12))
    assert result.adjustment == pytest.approx(0.9)
    np.testing.assert_allclose(result.baseline_kw, _shape_kw(99, 297))


@pytest.mark.parametrize(
    ("start", "same_day_kw", "reason"),
    [
        (15, _same_day(121.0, 0, 12), "before 00:00"),  # window would be -1..10
        (56, None, "no same-day metering"),
        (56, np.where(np.arange(96) == 45, np.nan, _same_day(121.0)), "incomplete"),
    ],
)
def test_ten_in_ten_stays_unadjusted_when_the_window_is_unusable(
    start: int, same_day_kw: np.ndarray | None, reason: str
) -> None:
    result = _ten_in_ten(event_start_interval=start, same_day_kw=same_day_kw)
    assert (result.adjusted, result.adjustment) == (False, 1.0)
    assert reason in result.note
    np.testing.assert_allclose(result.baseline_kw, _shape_kw(110, 330))


def test_ten_in_ten_stays_unadjusted_when_the_baseline_window_is_zero() -> None:
    # A site that is off until 16:00: nothing to scale the 10:00-13:00 window against.
    history = {day: _shape_kw(0, 300) for day in _caiso_history() if day.isoweekday() <= 5}
    result = ten_in_ten_adjusted_baseline(
        history,
        AUG_MARKET_DAY,
        {AUG_EVENT_DAY},
        event_start_interval=56,
        same_day_kw=_same_day(50.0),
    )
    assert (result.adjusted, result.adjustment) == (False, 1.0)
    assert "baseline mean" in result.note
    np.testing.assert_allclose(result.baseline_kw, _shape_kw(0, 300))


def test_ten_in_ten_on_a_weekend_uses_four_recent_weekend_days() -> None:
    result = ten_in_ten_adjusted_baseline(_caiso_history(), AUG_SATURDAY)
    assert result.days_used == (_aug(17), _aug(16), _aug(10), _aug(9))
    np.testing.assert_allclose(result.baseline_kw, np.full(96, (17 + 16 + 10 + 9) / 4))


def test_ten_in_ten_with_too_few_days_names_method_and_counts() -> None:
    history = {day: kw for day, kw in _caiso_history().items() if day >= _aug(11)}
    with pytest.raises(InsufficientHistory) as caught:
        ten_in_ten_adjusted_baseline(history, AUG_MARKET_DAY, {AUG_EVENT_DAY})
    # Eligible: 19, 18, 15, 14, 11 (12 incomplete, 13 event).
    assert (caught.value.needed, caught.value.found) == (10, 5)
    assert "ten_in_ten_adjusted" in str(caught.value)


def _pjm_history(levels_kw: dict[int, float | np.ndarray]) -> dict[date, np.ndarray]:
    """Working days of August at the given kW; the event day 13 at 5000 kW, Fri 8 at 1000 kW."""
    history = {_aug(13): np.full(96, 5000.0), _aug(8): np.full(96, 1000.0)}
    history.update(
        {_aug(d): np.broadcast_to(kw, (96,)).astype(float) for d, kw in levels_kw.items()}
    )
    return history


def test_high_4_of_5_drops_the_lowest_of_five_recent_working_days() -> None:
    history = _pjm_history({19: 100, 18: 80, 15: 120, 14: 60, 11: 90})
    result = high_4_of_5_baseline(history, AUG_MARKET_DAY, {AUG_EVENT_DAY})
    assert result.days_considered == tuple(_aug(d) for d in (19, 18, 15, 14, 11))
    assert result.days_used == tuple(_aug(d) for d in (19, 18, 15, 11))  # 14 (60 kW) dropped
    np.testing.assert_allclose(result.baseline_kw, np.full(96, (100 + 80 + 120 + 90) / 4))
    assert (result.method, result.adjusted) == ("high_4_of_5", False)


def test_event_intervals_decide_which_day_is_dropped() -> None:
    # Thu 14 is low in the morning (40 kW) but high from 16:00 (150 kW).
    history = _pjm_history({19: 100, 18: 80, 15: 120, 14: _shape_kw(40, 150), 11: 90})
    # Whole day: Thu 14 averages (64 x 40 + 32 x 150) / 96 = 76.7 kW, the lowest.
    whole_day = high_4_of_5_baseline(history, AUG_MARKET_DAY, {AUG_EVENT_DAY})
    assert _aug(14) not in whole_day.days_used
    # Event 16:00-24:00: Thu 14 averages 150 kW, so Mon 18 (80 kW) is dropped instead.
    evening = high_4_of_5_baseline(
        history, AUG_MARKET_DAY, {AUG_EVENT_DAY}, event_intervals=range(64, 96)
    )
    assert evening.days_used == tuple(_aug(d) for d in (19, 15, 14, 11))
    # Morning (100 + 120 + 40 + 90) / 4 = 87.5 kW, evening (100 + 120 + 150 + 90) / 4 = 115.
    np.testing.assert_allclose(evening.baseline_kw, _shape_kw(87.5, 115))


def test_high_4_of_5_tie_keeps_the_more_recent_day() -> None:
    history = _pjm_history({19: 100, 18: 80, 15: 100, 14: 80, 11: 100})
    result = high_4_of_5_baseline(history, AUG_MARKET_DAY, {AUG_EVENT_DAY})
    assert result.days_used == tuple(_aug(d) for d in (19, 18, 15, 11))  # Thu 14 dropped
    np.testing.assert_allclose(result.baseline_kw, np.full(96, 95.0))


def test_high_4_of_5_on_saturday_is_high_2_of_3_saturdays() -> None:
    history = {_aug(16): np.full(96, 50.0), _aug(9): np.full(96, 70.0), _aug(2): np.full(96, 60.0)}
    history[_aug(17)] = np.full(96, 999.0)  # a Sunday: not a Saturday, never used
    result = high_4_of_5_baseline(history, AUG_SATURDAY)
    assert result.days_considered == (_aug(16), _aug(9), _aug(2))
    assert result.days_used == (_aug(9), _aug(2))
    np.testing.assert_allclose(result.baseline_kw, np.full(96, 65.0))


def test_high_4_of_5_with_too_few_days_names_method_and_counts() -> None:
    history = _pjm_history({19: 100, 18: 80, 15: 120})  # plus Fri 8: four eligible
    with pytest.raises(InsufficientHistory) as caught:
        high_4_of_5_baseline(history, AUG_MARKET_DAY, {AUG_EVENT_DAY})
    assert (caught.value.needed, caught.value.found) == (5, 4)
    assert "high_4_of_5" in str(caught.value)


@pytest.mark.parametrize(
    ("method", "options", "field"),
    [
        ("ten_in_ten_adjusted", {"event_start_interval": 96}, "event_start_interval"),
        ("ten_in_ten_adjusted", {"event_start_interval": -1}, "event_start_interval"),
        ("ten_in_ten_adjusted", {"event_start_interval": 40.0}, "event_start_interval"),
        ("ten_in_ten_adjusted", {"same_day_kw": np.zeros(95)}, "same_day_kw"),
        ("high_4_of_5", {"event_intervals": []}, "event_intervals"),
        ("high_4_of_5", {"event_intervals": [10, 96]}, "event_intervals"),
        ("high_4_of_5", {"lookback_days": 4}, "lookback_days"),
    ],
)
def test_bad_options_name_the_field(method: str, options: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        compute_baseline(method, _caiso_history(), AUG_MARKET_DAY, {AUG_EVENT_DAY}, **options)
    assert caught.value.field == field


def test_compute_baseline_dispatches_every_registered_name() -> None:
    history = _caiso_history()
    caiso = compute_baseline(
        "ten_in_ten_adjusted",
        history,
        AUG_MARKET_DAY,
        {AUG_EVENT_DAY},
        event_start_interval=56,
        same_day_kw=_same_day(121.0),
    )
    assert (caiso.method, caiso.baseline_kw[0]) == ("ten_in_ten_adjusted", pytest.approx(121.0))
    pjm = compute_baseline("high_4_of_5", history, AUG_MARKET_DAY, {AUG_EVENT_DAY})
    # Candidates 19, 18, 15 (doubled), 14, 11: ties at 100/300 kW keep the recent 19, 18, 14.
    assert pjm.days_used == tuple(_aug(d) for d in (19, 18, 15, 14))
    assert pjm.baseline_kw[0] == pytest.approx((100 * 3 + 200) / 4)
    similar = compute_baseline("similar_day", history, AUG_MARKET_DAY, {AUG_EVENT_DAY})
    assert (similar.method, similar.baseline_kw[0]) == ("similar_day", pytest.approx(120.0))
