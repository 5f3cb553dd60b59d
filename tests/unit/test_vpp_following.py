"""Not following: consecutive ended intervals delivering below a share of the instruction."""

from __future__ import annotations

import numpy as np

from services.vpp.following import first_shortfall_run

NAN = float("nan")


def _run(delivered: list[float], intervals: list[int], share=0.5, consecutive=2):
    instructed = np.full(96, 100.0)
    values = np.full(96, 100.0)
    for t, kw in zip(intervals, delivered, strict=True):
        values[t] = kw
    return first_shortfall_run(instructed, values, intervals, share, consecutive)


def test_two_consecutive_short_intervals_make_a_run():
    assert _run([100, 40, 49.9, 0], [10, 11, 12, 13]) == (3, (11, 12))


def test_exactly_the_share_is_following():
    assert _run([50, 50, 50], [10, 11, 12]) == (3, ())


def test_a_good_interval_or_a_gap_in_time_breaks_the_run():
    assert _run([10, 90, 10], [10, 11, 12]) == (3, ())
    assert _run([10, 10], [10, 12]) == (2, ())  # 10 and 12 are not consecutive


def test_an_interval_without_readings_is_not_judged_and_breaks_the_run():
    assert _run([10, NAN, 10], [10, 11, 12]) == (2, ())


def test_the_count_of_consecutive_intervals_is_configurable():
    assert _run([10, 10, 10], [20, 21, 22], consecutive=3) == (3, (20, 21, 22))
    assert _run([10], [20], consecutive=1) == (1, (20,))
