"""Exact money: integer fen, exact energy values, and splits that never lose a fen."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from numbers import Real
from typing import Any

import numpy as np

from settlement.exceptions import InvalidInput

FEN_PER_CNY = 100
WH_PER_KWH = 1_000
WH_PER_MWH = 1_000_000
_FAST_WH_LIMIT = 1e9
_HALF_MARGIN = 1e-6
_INT64_SAFE = 2**62
_BUCKETS = 1024


def largest_remainder(
    total_fen: int,
    weights: Sequence[int | Fraction],
    keys: Sequence[str] | None = None,
) -> list[int]:
    """Split `total_fen` in proportion to `weights` so the parts add up to it exactly.

    Why: shares of a payment are rarely whole fen; rounding each one on its own loses
    or invents fen. How: each part starts at the floor of its exact share, then the
    fen left over go one each to the parts with the largest fractional remainders.

    Tie rule: among equal remainders the part with the larger weight is served first,
    then the one with the smaller key (or, without keys, the lower index). So the
    result depends on the inputs only, never on their order, when keys are given or
    the weights are distinct. A zero weight never receives a fen.

    A negative total is split as its absolute value and every part negated, so a
    penalty is shared exactly like a payment of the same size.

    Raises InvalidInput("total_fen") when the total is not an int, InvalidInput("weights")
    for a negative or inexact (float) weight, or all-zero / no weights with a non-zero
    total, and InvalidInput("keys") when keys do not match the weights one to one.
    """
    if isinstance(total_fen, bool) or not isinstance(total_fen, int):
        raise InvalidInput("total_fen", f"must be an integer number of fen, got {total_fen!r}")
    scaled = _integer_weights(weights)
    if keys is not None:
        if len(keys) != len(scaled):
            raise InvalidInput(
                "keys", f"need one key per weight: {len(keys)} keys, {len(scaled)} weights"
            )
        if len(set(keys)) != len(keys):
            raise InvalidInput("keys", "must be distinct")
    tiebreak = None if keys is None else (lambda members: [keys[i] for i in members])
    parts = largest_remainder_groups([total_fen], scaled, [len(scaled)], tiebreak)
    return [int(p) for p in parts.tolist()]


def largest_remainder_groups(
    totals_fen: Sequence[int] | np.ndarray,
    weights: Sequence[int] | np.ndarray,
    sizes: Sequence[int] | np.ndarray,
    tiebreak: Callable[[np.ndarray], Sequence[Any]] | None = None,
) -> np.ndarray:
    """Many largest-remainder splits at once: total g over the g-th run of `sizes` weights.

    The weights of group g are the `sizes[g]` weights after those of the groups before
    it. Each group is split exactly as `largest_remainder` describes (the same tie rule:
    larger remainder, then larger weight, then smaller `tiebreak` value, which defaults
    to the position), so the parts of every group add up to its total.

    How: floors and remainders are whole-array integer arithmetic (int64 when every
    product fits, Python ints otherwise); one sort by (group, remainder) finds the
    leftover fen's receivers, and `tiebreak(positions)` is called only for the few
    remainders tied across a group's cut. Weights must be non-negative integers.
    Returns the parts (int64, or object holding ints beyond int64). Raises
    InvalidInput("weights") when a group with a non-zero total has no positive weight.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    mags, w = _exact_arrays([abs(int(t)) for t in totals_fen], weights, sizes)
    n, groups = len(w), len(sizes)
    if int(sizes.sum()) != n:
        raise InvalidInput("sizes", f"must add up to the {n} weights, got {int(sizes.sum())}")
    gid = np.repeat(np.arange(groups), sizes)
    starts = np.cumsum(sizes) - sizes
    cum = np.concatenate((np.zeros(1, dtype=w.dtype), np.cumsum(w)))
    weight_sums = cum[starts + sizes] - cum[starts]
    empty = (weight_sums == 0) & (mags != 0)
    if empty.any():
        g = int(np.flatnonzero(empty)[0])
        raise InvalidInput(
            "weights", f"cannot split {totals_fen[g]} fen over no or all-zero weights"
        )
    denominators = np.where(weight_sums == 0, 1, weight_sums)[gid]
    shares = mags[gid] * w
    parts, remainders = shares // denominators, shares % denominators
    part_cum = np.concatenate((np.zeros(1, dtype=parts.dtype), np.cumsum(parts)))
    leftover = mags - (part_cum[starts + sizes] - part_cum[starts])
    bump = _receivers(gid, starts, leftover, remainders, w, weight_sums, tiebreak)
    parts = parts + bump
    negative = np.array([int(t) < 0 for t in totals_fen], dtype=bool)
    if negative.any():
        parts = np.where(negative[gid], -parts, parts)
    return parts


def _receivers(
    gid: np.ndarray,
    starts: np.ndarray,
    leftover: np.ndarray,
    remainders: np.ndarray,
    w: np.ndarray,
    weight_sums: np.ndarray,
    tiebreak: Callable[[np.ndarray], Sequence[Any]] | None,
) -> np.ndarray:
    """True for the weights that get one leftover fen: the first `leftover[g]` of group g
    ordered by remainder (descending), then weight (descending), then tiebreak.

    How: remainders are first put in buckets of remainder / weight sum (a float, but
    monotone in the exact remainder), so whole buckets above a group's cut are in and
    below it out; only the bucket holding the cut is sorted exactly (`_sorted_receivers`).
    """
    n, groups = len(w), len(starts)
    bump = np.zeros(n, dtype=bool)
    if n == 0 or not (leftover > 0).any():
        return bump
    buckets = min(_BUCKETS, n // groups)
    if remainders.dtype == object or buckets < 2:
        return _sorted_receivers(gid, leftover, remainders, w, weight_sums, tiebreak)
    share = remainders.astype(np.float64) / np.where(weight_sums == 0, 1, weight_sums)[gid]
    down = buckets - 1 - np.minimum((share * buckets).astype(np.int64), buckets - 1)
    counts = np.bincount(gid * buckets + down, minlength=groups * buckets)
    at_or_above = counts.reshape(groups, buckets).cumsum(axis=1)
    cut = (at_or_above < leftover[:, None]).sum(axis=1)  # each group's cut bucket
    above = np.where(cut > 0, at_or_above[np.arange(groups), np.maximum(cut - 1, 0)], 0)
    bump[down < cut[gid]] = True
    open_groups = leftover > above
    inside = np.flatnonzero((down == cut[gid]) & open_groups[gid])
    if len(inside):

        def positions_tiebreak(members: np.ndarray) -> Sequence[Any]:
            return tiebreak(inside[members]) if tiebreak is not None else inside[members].tolist()

        chosen = _sorted_receivers(
            gid[inside],
            leftover - above,
            remainders[inside],
            w[inside],
            weight_sums,
            positions_tiebreak,
        )
        bump[inside[chosen]] = True
    return bump


def _sorted_receivers(
    gid: np.ndarray,
    leftover: np.ndarray,
    remainders: np.ndarray,
    w: np.ndarray,
    weight_sums: np.ndarray,
    tiebreak: Callable[[np.ndarray], Sequence[Any]] | None,
) -> np.ndarray:
    """`_receivers` by one sort of all weights by (group, remainder descending).

    `gid` must be non-decreasing (groups contiguous); `leftover` is per group.
    """
    n = len(w)
    bump = np.zeros(n, dtype=bool)
    sizes = np.bincount(gid, minlength=len(leftover)) if n else np.zeros(len(leftover), int)
    starts = np.cumsum(sizes) - sizes
    leftover = np.minimum(leftover, sizes)
    # One key orders by group, then remainder descending: remainder < weight sum <= span.
    span = int(weight_sums.max())
    groups = gid.astype(object) if remainders.dtype == object else gid
    key = groups * span + (span - 1 - remainders)
    order = np.argsort(key)
    sorted_key = key[order]
    cut = starts + leftover  # sorted position of each group's first non-receiver
    bump[order[np.arange(n) < cut[gid[order]]]] = True
    # Remainders tied across a cut: order that block by weight, then by tiebreak.
    inside = (leftover > 0) & (cut < starts + sizes)
    for g in np.flatnonzero(inside):
        last, first_out = int(cut[g]) - 1, int(cut[g])
        if sorted_key[last] != sorted_key[first_out]:
            continue
        lo = int(np.searchsorted(sorted_key, sorted_key[last], side="left"))
        hi = int(np.searchsorted(sorted_key, sorted_key[last], side="right"))
        members = order[lo:hi]
        ties = list(tiebreak(members)) if tiebreak is not None else members.tolist()
        ranked = sorted(range(len(members)), key=lambda j: (-w[members[j]], ties[j]))
        bump[members] = False
        bump[members[ranked[: first_out - lo]]] = True
    return bump


def _exact_arrays(
    magnitudes: list[int], weights: Sequence[int] | np.ndarray, sizes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Magnitudes and weights as int64 when every product and sum fits, else as Python ints."""
    w = np.asarray(weights)
    if w.dtype != object and len(w) and not np.issubdtype(w.dtype, np.integer):
        raise InvalidInput("weights", f"must be integers, got {w.dtype}")
    if w.dtype == object:
        top_w = max((int(x) for x in w.tolist()), default=0)
    else:
        top_w = int(w.max()) if len(w) else 0
    top_mag, groups = max(magnitudes, default=0), max(len(sizes), 1)
    # Bounds of the weight sums and sort keys, the shares, and the sum of all parts.
    bounds = (top_w * max(len(w), 1) * groups, top_mag * top_w, top_mag * groups)
    if max(bounds) < _INT64_SAFE:
        return np.array(magnitudes, dtype=np.int64), w.astype(np.int64)
    big = np.empty(len(w), dtype=object)
    big[:] = [int(x) for x in w.tolist()]
    mags = np.empty(len(magnitudes), dtype=object)
    mags[:] = magnitudes
    return mags, big


def _integer_weights(weights: Sequence[int | Fraction]) -> list[int]:
    """The weights as integers in the same proportions (Fractions over their common
    denominator); raises InvalidInput("weights") for a non-exact or negative weight."""
    denominator = 1
    for weight in weights:
        if isinstance(weight, bool) or not isinstance(weight, int | Fraction):
            raise InvalidInput("weights", f"must be int or Fraction (exact), got {weight!r}")
        if weight < 0:
            raise InvalidInput("weights", f"must not be negative, got {weight}")
        if isinstance(weight, Fraction):
            denominator = math.lcm(denominator, weight.denominator)
    if denominator == 1:
        return [int(w) for w in weights]
    return [int(w * denominator) for w in weights]


def energy_value_fen(price_fen_per_mwh: int, energy_wh: int | Fraction) -> Fraction:
    """Exact value in fen of `energy_wh` at `price_fen_per_mwh`: price × Wh / 1_000_000.

    Why exact: interval values are summed before one final rounding, so none may be
    rounded on its own. Raises InvalidInput when the price is not an int or the energy
    is not an int or Fraction.
    """
    if isinstance(price_fen_per_mwh, bool) or not isinstance(price_fen_per_mwh, int):
        raise InvalidInput("price_fen_per_mwh", f"must be an integer, got {price_fen_per_mwh!r}")
    if isinstance(energy_wh, bool) or not isinstance(energy_wh, int | Fraction):
        raise InvalidInput("energy_wh", f"must be int or Fraction, got {energy_wh!r}")
    return Fraction(price_fen_per_mwh) * energy_wh / WH_PER_MWH


def round_fen(value: Fraction) -> int:
    """Round an exact amount to whole fen, half away from zero (ROUND_HALF_UP).

    Why this rule: it is what a person checking a statement by hand does, and it
    treats payments and penalties symmetrically (-2.5 fen becomes -3, 2.5 becomes 3).
    Banker's rounding (half to even) is deliberately not used. Raises InvalidInput
    when `value` is not exact (a float).
    """
    if isinstance(value, bool) or not isinstance(value, int | Fraction):
        raise InvalidInput("value", f"must be int or Fraction, got {value!r}")
    magnitude = math.floor(abs(value) + Fraction(1, 2))
    return -magnitude if value < 0 else magnitude


def kwh_to_wh(kwh: float) -> int:
    """Whole Wh nearest to `kwh`, halves rounded away from zero.

    The float is read as its shortest decimal form (what `repr` prints, what a person
    sees), so 0.0005 kWh becomes 1 Wh rather than falling to binary noise. Energy is
    exact from here on. Raises InvalidInput for NaN, infinities and non-numbers.
    """
    if isinstance(kwh, bool) or not isinstance(kwh, Real):
        raise InvalidInput("kwh", f"must be a number, got {kwh!r}")
    if not math.isfinite(kwh):
        raise InvalidInput("kwh", f"must be finite, got {kwh!r}")
    wh = Decimal(repr(float(kwh))) * WH_PER_KWH
    return int(wh.to_integral_value(rounding=ROUND_HALF_UP))


def kwh_to_wh_array(kwh: np.ndarray) -> np.ndarray:
    """`kwh_to_wh` of every element, as int64 Wh.

    Fast path, same result: below 1e9 Wh the float product is within 3e-7 Wh of the
    decimal one, so unless it lies within 1e-6 of a half the two round alike; the few
    other elements go through `kwh_to_wh` itself. Raises InvalidInput("kwh") for a
    non-finite element or one beyond int64 Wh.
    """
    kwh = np.asarray(kwh, dtype=np.float64)
    finite = np.isfinite(kwh)
    if not finite.all():
        bad = float(kwh[np.flatnonzero(~finite)[0]])
        raise InvalidInput("kwh", f"must be finite, got {bad!r}")
    magnitude = np.abs(kwh) * WH_PER_KWH
    whole = np.floor(magnitude)
    fraction = magnitude - whole
    fast = (magnitude < _FAST_WH_LIMIT) & (np.abs(fraction - 0.5) > _HALF_MARGIN)
    wh = (np.where(fast, whole, 0.0) + (fast & (fraction > 0.5))).astype(np.int64)
    wh = np.where(kwh < 0, -wh, wh)
    for i in np.flatnonzero(~fast).tolist():
        exact = kwh_to_wh(float(kwh[i]))
        if abs(exact) >= _INT64_SAFE:
            raise InvalidInput("kwh", f"must be below {_INT64_SAFE // WH_PER_KWH} kWh, got {exact}")
        wh[i] = exact
    return wh
