"""Gap filling: measured values stay, short gaps interpolate, long ones take the reference."""

from __future__ import annotations

import numpy as np
import pytest

from bidding.exceptions import InvalidInput
from bidding.gapfill import MAX_INTERPOLATED, Quality, fill_gaps

M, E, X = Quality.MEASURED, Quality.ESTIMATED, Quality.MISSING
NAN = float("nan")


def test_short_gap_is_interpolated_linearly_and_flagged_estimated() -> None:
    # 10 -> ? ? ? -> 50: steps of (50 - 10) / 4 = 10 per interval.
    filled = fill_gaps(np.array([10.0, NAN, NAN, NAN, 50.0]), np.ones(5, bool))
    assert filled.values.tolist() == [10.0, 20.0, 30.0, 40.0, 50.0]
    assert filled.quality.tolist() == [M, E, E, E, M]
    assert (filled.count(M), filled.count(E), filled.count(X)) == (2, 3, 0)


def test_long_gap_takes_the_reference_profile() -> None:
    gap = MAX_INTERPOLATED + 1
    measured = np.array([10.0] + [NAN] * gap + [50.0])
    reference = np.array([99.0] + [7.0] * gap + [99.0])
    filled = fill_gaps(measured, np.ones(gap + 2, bool), reference)
    assert filled.values.tolist() == [10.0] + [7.0] * gap + [50.0]
    assert filled.quality.tolist() == [M] + [E] * gap + [M]


def test_gap_without_neighbour_or_reference_stays_missing() -> None:
    filled = fill_gaps(np.array([NAN, NAN, 5.0]), np.ones(3, bool))
    assert filled.quality.tolist() == [X, X, M]
    assert np.isnan(filled.values[:2]).all()


def test_edge_gap_uses_reference_where_known_only() -> None:
    filled = fill_gaps(
        np.array([NAN, NAN, 5.0]), np.ones(3, bool), reference=np.array([3.0, NAN, 1.0])
    )
    assert filled.quality.tolist() == [E, X, M]
    assert filled.values[0] == 3.0


def test_intervals_not_yet_due_are_not_gaps() -> None:
    # Only the first gap interval is due; the rest of the day has not happened yet.
    due = np.array([True, True, False, False])
    filled = fill_gaps(np.array([8.0, NAN, NAN, NAN]), due, reference=np.full(4, 6.0))
    assert filled.quality.tolist() == [M, E, X, X]
    assert filled.values[1] == 6.0


def test_measured_values_are_never_replaced() -> None:
    measured = np.array([1.0, 2.0, 3.0])
    filled = fill_gaps(measured, np.ones(3, bool), reference=np.full(3, 100.0))
    assert filled.values.tolist() == [1.0, 2.0, 3.0]
    assert filled.quality.tolist() == [M, M, M]


def test_shape_mismatch_names_the_argument() -> None:
    with pytest.raises(InvalidInput, match="due"):
        fill_gaps(np.zeros(3), np.ones(2, bool))
    with pytest.raises(InvalidInput, match="reference"):
        fill_gaps(np.zeros(3), np.ones(3, bool), np.zeros(4))
