"""Uniform-price clearing of one interval of the reference exchange (pure rules).

Price rule: traded volume is maximised; among prices that reach the maximum, the
lowest is the clearing price. It is therefore the price of the marginal (most
expensive accepted) sell block, and every accepted block is paid or pays that price.
Tie rule: blocks at the clearing price share what is left at the margin pro rata to
their quantity; blocks strictly inside the price are accepted whole. Buy blocks are
accepted from the highest price down with the same pro-rata rule at the margin.
No crossing (no sell price at or below a buy price) clears nothing at price 0.
Prices may be negative (a seller pays to produce, e.g. must-run solar at midday); the
rules are the same on the whole integer line. An exchange's floor and cap, when given,
bound every block's price, so the clearing price lies within them too.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from bidding.exceptions import InvalidInput

#: Quantities below this (kW) are treated as zero, so float dust never makes an award.
EPSILON_KW = 1e-9


@dataclass(frozen=True)
class Block:
    """One block of an order: up to quantity_kw at price_fen_per_mwh."""

    order_id: str
    price_fen_per_mwh: int
    quantity_kw: float


@dataclass(frozen=True)
class IntervalResult:
    clearing_price_fen_per_mwh: int
    cleared_kw: float
    #: Accepted kW per order id, sell and buy side.
    sold_kw: dict[str, float]
    bought_kw: dict[str, float]


def _check(blocks: Sequence[Block], side: str, floor: int | None, cap: int | None) -> None:
    for n, block in enumerate(blocks):
        if not math.isfinite(block.quantity_kw) or block.quantity_kw < 0:
            raise InvalidInput(f"{side}[{n}].quantity_kw", "must be finite and >= 0")
        price = block.price_fen_per_mwh
        if isinstance(price, bool) or not isinstance(price, int):
            raise InvalidInput(f"{side}[{n}].price_fen_per_mwh", "must be a whole number")
        if (floor is not None and price < floor) or (cap is not None and price > cap):
            raise InvalidInput(
                f"{side}[{n}].price_fen_per_mwh", f"must be within [{floor}, {cap}] fen/MWh"
            )


def _supply(sells: Sequence[Block], price: int) -> float:
    return sum(b.quantity_kw for b in sells if b.price_fen_per_mwh <= price)


def _demand(buys: Sequence[Block], price: int) -> float:
    return sum(b.quantity_kw for b in buys if b.price_fen_per_mwh >= price)


def _accept(blocks: Sequence[Block], inside: list[Block], margin: list[Block], volume: float):
    accepted: dict[str, float] = defaultdict(float)
    whole = sum(b.quantity_kw for b in inside)
    for block in inside:
        accepted[block.order_id] += block.quantity_kw
    at_margin = sum(b.quantity_kw for b in margin)
    rest = max(0.0, volume - whole)
    if at_margin > EPSILON_KW and rest > EPSILON_KW:
        share = min(1.0, rest / at_margin)
        for block in margin:
            accepted[block.order_id] += block.quantity_kw * share
    return {k: v for k, v in accepted.items() if v > EPSILON_KW}


def clear_interval(
    sells: Sequence[Block],
    buys: Sequence[Block],
    floor_fen_per_mwh: int | None = None,
    cap_fen_per_mwh: int | None = None,
) -> IntervalResult:
    """Clear one interval; see the module docstring for the price and tie rules.

    Raises InvalidInput naming the block (e.g. "buy[2].price_fen_per_mwh") when a
    quantity is negative or not finite, or a price is not a whole number or lies
    outside [floor_fen_per_mwh, cap_fen_per_mwh] (each bound optional).
    """
    _check(sells, "sell", floor_fen_per_mwh, cap_fen_per_mwh)
    _check(buys, "buy", floor_fen_per_mwh, cap_fen_per_mwh)
    prices = sorted({b.price_fen_per_mwh for b in (*sells, *buys)})
    best_volume, best_price = 0.0, None
    for price in prices:
        volume = min(_supply(sells, price), _demand(buys, price))
        if volume > best_volume + EPSILON_KW:
            best_volume, best_price = volume, price
    if best_price is None:
        return IntervalResult(0, 0.0, {}, {})
    sold = _accept(
        sells,
        [b for b in sells if b.price_fen_per_mwh < best_price],
        [b for b in sells if b.price_fen_per_mwh == best_price],
        best_volume,
    )
    ranked = sorted({b.price_fen_per_mwh for b in buys if b.price_fen_per_mwh >= best_price})
    bought: dict[str, float] = {}
    remaining = best_volume
    for price in reversed(ranked):
        level = [b for b in buys if b.price_fen_per_mwh == price]
        got = _accept(buys, [], level, remaining)
        for order_id, kw in got.items():
            bought[order_id] = bought.get(order_id, 0.0) + kw
        remaining -= sum(got.values())
        if remaining <= EPSILON_KW:
            break
    return IntervalResult(best_price, best_volume, sold, bought)
