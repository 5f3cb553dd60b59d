"""Exact money: largest-remainder splits, exact energy values, rounding to the fen."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from settlement.exceptions import InvalidInput
from settlement.money import (
    energy_value_fen,
    kwh_to_wh,
    kwh_to_wh_array,
    largest_remainder,
    largest_remainder_groups,
    round_fen,
)


@pytest.mark.parametrize(
    ("total_fen", "weights", "expected"),
    [
        (100, [1, 1, 1], [34, 33, 33]),  # tie on remainder and weight: lowest index first
        (10, [3, 3, 4], [3, 3, 4]),  # exact shares, nothing left over
        (10, [1, 1, 1], [4, 3, 3]),
        (1, [1, 2], [0, 1]),  # remainders 1/3 and 2/3: the larger remainder wins
        (2, [1, 3], [0, 2]),  # remainders 1/2 and 1/2: the larger weight wins the tie
        (7, [0, 1, 0], [0, 7, 0]),  # zero weights never get a fen
        (-100, [1, 1, 1], [-34, -33, -33]),  # negative totals mirror the positive split
        (0, [0, 0], [0, 0]),
        (5, [Fraction(1, 10), Fraction(9, 10)], [0, 5]),  # 0.5 / 4.5: tie to larger weight
        (0, [], []),
    ],
)
def test_largest_remainder_hand_cases(total_fen, weights, expected):
    assert largest_remainder(total_fen, weights) == expected


def test_ties_between_equal_weights_go_to_the_smaller_key():
    assert largest_remainder(1, [1, 1], keys=["zhang", "li"]) == [0, 1]
    assert largest_remainder(2, [1, 1, 1], keys=["c", "a", "b"]) == [0, 1, 1]


@pytest.mark.parametrize(
    ("total_fen", "weights", "keys", "field"),
    [
        (10, [0, 0], None, "weights"),
        (10, [], None, "weights"),
        (10, [1, -1], None, "weights"),
        (10, [1.5, 1], None, "weights"),
        (10, [1, 1], ["a"], "keys"),
        (10, [1, 1], ["a", "a"], "keys"),
        (1.0, [1], None, "total_fen"),
    ],
)
def test_invalid_splits_name_the_field(total_fen, weights, keys, field):
    with pytest.raises(InvalidInput) as err:
        largest_remainder(total_fen, weights, keys)
    assert err.value.field == field
    assert str(err.value).startswith(f"{field}: ")


totals = st.integers(min_value=-(10**9), max_value=10**9)
weight_lists = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=12).filter(
    any
)


@given(totals, weight_lists)
def test_parts_always_sum_to_the_total(total_fen, weights):
    assert sum(largest_remainder(total_fen, weights)) == total_fen


@given(totals, weight_lists)
def test_each_part_is_within_one_fen_of_its_exact_share(total_fen, weights):
    parts = largest_remainder(total_fen, weights)
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part - Fraction(total_fen * weight, sum(weights))) < 1


@given(
    totals,
    st.lists(st.integers(min_value=1, max_value=10**6), min_size=1, max_size=10, unique=True),
    st.randoms(use_true_random=False),
)
def test_permuting_distinct_weights_permutes_the_parts(total_fen, weights, rng):
    order = list(range(len(weights)))
    rng.shuffle(order)
    parts = largest_remainder(total_fen, weights)
    shuffled = largest_remainder(total_fen, [weights[i] for i in order])
    assert shuffled == [parts[i] for i in order]


@given(totals, st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=10))
def test_with_keys_any_permutation_permutes_the_parts(total_fen, weights):
    if not any(weights):
        weights = [1, *weights]
    keys = [f"e{i:02d}" for i in range(len(weights))]
    parts = largest_remainder(total_fen, weights, keys)
    back = largest_remainder(total_fen, weights[::-1], keys[::-1])
    assert back == parts[::-1]


def test_energy_value_is_exact():
    # 1 Wh at 333 fen/MWh is 333/1_000_000 fen, not a rounded float.
    assert energy_value_fen(333, 1) == Fraction(333, 1_000_000)
    # 70 kWh at 4 CNY/kWh (400_000 fen/MWh) is 280 CNY.
    assert energy_value_fen(400_000, 70_000) == 28_000
    assert energy_value_fen(400_000, Fraction(1, 2)) == Fraction(1, 5)


@pytest.mark.parametrize(
    ("value", "fen"),
    [
        (Fraction(1, 2), 1),
        (Fraction(3, 2), 2),
        (Fraction(5, 2), 3),  # half away from zero, not to even
        (Fraction(-1, 2), -1),
        (Fraction(-5, 2), -3),
        (Fraction(49, 100), 0),
        (Fraction(-51, 100), -1),
        (Fraction(7), 7),
    ],
)
def test_round_fen_rounds_half_away_from_zero(value, fen):
    assert round_fen(value) == fen


@pytest.mark.parametrize(
    ("kwh", "wh"),
    [(12.5, 12_500), (0.0005, 1), (0.0004, 0), (-0.0005, -1), (1.0015, 1_002), (37.5, 37_500)],
)
def test_kwh_to_wh_rounds_to_the_nearest_wh(kwh, wh):
    assert kwh_to_wh(kwh) == wh


@pytest.mark.parametrize("kwh", [float("nan"), float("inf"), "1", True])
def test_kwh_to_wh_rejects_non_numbers(kwh):
    with pytest.raises(InvalidInput):
        kwh_to_wh(kwh)


def test_group_splits_are_independent_and_each_adds_up():
    # 100 over [1, 1, 1] and -7 over [1, 2] (7/3 and 14/3: the larger remainder gets the fen).
    parts = largest_remainder_groups([100, -7], [1, 1, 1, 1, 2], [3, 2])
    assert parts.tolist() == [34, 33, 33, -2, -5]


def test_group_split_asks_for_tie_keys_only_across_the_cut():
    asked = []

    def keys(positions):
        asked.append(positions.tolist())
        return [["c", "a", "b", "d"][p] for p in positions]

    # 2 fen over four equal weights: all four remainders tie; keys a and b win.
    assert largest_remainder_groups([2], [1, 1, 1, 1], [4], keys).tolist() == [0, 1, 1, 0]
    assert [sorted(a) for a in asked] == [[0, 1, 2, 3]]
    asked.clear()
    # 1 fen over [1, 2]: no tie, no keys needed.
    assert largest_remainder_groups([1], [1, 2], [2], keys).tolist() == [0, 1]
    assert asked == []


def test_splits_beyond_int64_stay_exact():
    assert largest_remainder(10**30 + 1, [2**70, 2**70]) == [5 * 10**29 + 1, 5 * 10**29]
    assert largest_remainder(-(10**20), [1, 3]) == [-(25 * 10**18), -(75 * 10**18)]


def test_a_group_with_a_total_but_no_weight_names_the_weights():
    with pytest.raises(InvalidInput) as err:
        largest_remainder_groups([0, 5], [1, 0, 0], [1, 2])
    assert err.value.field == "weights"


def test_kwh_to_wh_array_rounds_like_kwh_to_wh():
    kwh = [12.5, 0.0005, 0.0004, -0.0005, 1.0015, 37.5, -0.0, 2.5e9]
    assert kwh_to_wh_array(np.array(kwh)).tolist() == [kwh_to_wh(k) for k in kwh]
    assert kwh_to_wh_array(np.array(kwh)).tolist()[:6] == [12_500, 1, 0, -1, 1_002, 37_500]
    with pytest.raises(InvalidInput) as err:
        kwh_to_wh_array(np.array([1.0, float("nan")]))
    assert err.value.field == "kwh"


def test_a_large_group_split_by_hand():
    # 1,000 fen over 2,000 weights of 3 and 2,000 of 1 (sum 8,000): every share is below
    # one fen (0.375 and 0.125), so all 1,000 fen are leftovers. The larger remainders
    # (the weights of 3) win, and among those equal ties the lower positions.
    parts = largest_remainder_groups([1_000], [3] * 2_000 + [1] * 2_000, [4_000])
    assert parts.tolist() == [1] * 1_000 + [0] * 3_000
    # 10 fen over 4,000 equal weights: the 10 smallest keys, wherever they are.
    keys = [f"k{(i * 7919) % 4_000:04d}" for i in range(4_000)]
    parts = largest_remainder_groups([10], [1] * 4_000, [4_000], lambda p: [keys[i] for i in p])
    assert sorted(keys[i] for i in parts.nonzero()[0]) == [f"k{i:04d}" for i in range(10)]
