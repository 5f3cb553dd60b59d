"""Decoding packed rollup days: all whole, some short or missing, one at a time."""

from __future__ import annotations

import struct

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from bidding.intervals import INTERVALS_PER_DAY
from services.telemetry.rollups import _decode, day_matrix


def _packed(filled: int, seed: int) -> bytes:
    """A day as the rollup step stores it, written up to interval `filled` - 1: 96 sums,
    then 96 counts, cut after the last written count when the day is not whole."""
    rng = np.random.default_rng(seed)
    counts = [int(c) if i < filled else 0 for i, c in enumerate(rng.integers(0, 4, 96))]
    sums = [float(rng.normal(300.0, 80.0)) * c for c in counts]
    whole = struct.pack("<96d96i", *sums, *counts)
    return whole if filled == INTERVALS_PER_DAY else whole[: 768 + 4 * filled]


def _plain(packed: bytes | None) -> tuple[list[float], list[int]]:
    """The day read field by field: average kW (NaN where no reading) and counts."""
    whole = (packed or b"").ljust(1152, b"\0")
    sums, counts = struct.unpack("<96d", whole[:768]), struct.unpack("<96i", whole[768:])
    return [s / c if c else float("nan") for s, c in zip(sums, counts, strict=True)], list(counts)


DAY = st.one_of(
    st.none(),
    st.builds(_packed, st.integers(1, INTERVALS_PER_DAY), st.integers(0, 2**16)),
    st.builds(_packed, st.just(INTERVALS_PER_DAY), st.integers(0, 2**16)),
)


@given(days=st.lists(DAY, max_size=8))
def test_each_row_is_the_day_read_field_by_field(days):
    kw, counts = day_matrix(days)
    assert kw.shape == counts.shape == (len(days), INTERVALS_PER_DAY)
    for n, packed in enumerate(days):
        want_kw, want_counts = _plain(packed)
        np.testing.assert_array_equal(kw[n], want_kw)
        assert counts[n].tolist() == want_counts
        one_kw, one_counts = _decode(packed)
        np.testing.assert_array_equal(one_kw, want_kw)
        assert one_counts.tolist() == want_counts
    counts[:] = 0  # callers may write into the counts
