"""Exact money: integer fen, exact energy values, and splits that never lose a fen."""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from numbers import Real

from settlement.exceptions import InvalidInput

FEN_PER_CNY = 100
WH_PER_KWH = 1_000
WH_PER_MWH = 1_000_000
_FAST_WH_LIMIT = 1e9
_HALF_MARGIN = 1e-6


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
    weight_sum = sum(scaled)
    if weight_sum == 0:
        if total_fen == 0:
            return [0] * len(scaled)
        raise InvalidInput("weights", f"cannot split {total_fen} fen over no or all-zero weights")

    # Share i is magnitude * w_i / weight_sum: its floor and its remainder's numerator over
    # the common denominator weight_sum, all in exact integers.
    magnitude = abs(total_fen)
    parts, remainders = [], []
    for w in scaled:
        part, remainder = divmod(magnitude * w, weight_sum)
        parts.append(part)
        remainders.append(remainder)
    leftover = magnitude - sum(parts)
    tiebreak = list(keys) if keys is not None else list(range(len(scaled)))
    order = heapq.nsmallest(
        leftover, range(len(scaled)), key=lambda i: (-remainders[i], -scaled[i], tiebreak[i])
    )
    for i in order:
        parts[i] += 1
    sign = -1 if total_fen < 0 else 1
    return [sign * p for p in parts]


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
    # Fast path, same result: below 1e9 Wh the float product is within 3e-7 Wh of the
    # decimal one, so unless it lies within 1e-6 of a half the two round alike.
    magnitude = abs(float(kwh)) * WH_PER_KWH
    if magnitude < _FAST_WH_LIMIT:
        whole = math.floor(magnitude)
        fraction = magnitude - whole
        if abs(fraction - 0.5) > _HALF_MARGIN:
            wh_int = whole + (fraction > 0.5)
            return -wh_int if kwh < 0 else wh_int
    wh = Decimal(repr(float(kwh))) * WH_PER_KWH
    return int(wh.to_integral_value(rounding=ROUND_HALF_UP))
