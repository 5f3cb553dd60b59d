"""A past market day as a price scenario that counts the competition: residual demand.

An exchange that publishes its aggregated curves (every sell block summed per price, every
buy block summed per price) shows what the portfolio competed against. Replaying a past
interval with the portfolio's own orders taken out and everything it can offer added at
the exchange's floor gives:

- the price the interval would have cleared at with the portfolio in it: its own kW push
  the most expensive competing offers out, so this is at most the day's price (and
  selling less than everything can only leave it higher: the scenario is cautious);
- how much of the portfolio's kW the buyer would have taken at that price: the requested
  kW less the competing offers priced below it (pro rata at the margin, as the exchange
  splits ties).

Both follow the exchange's own rule (`bidding.clearing.clear_interval`). Intervals with
no published curve keep the day's clearing price with no limit on what clears (a
price-taking portfolio), as before the curves were published.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from bidding.clearing import Block, clear_interval
from bidding.exceptions import InvalidInput
from bidding.intervals import INTERVALS_PER_DAY

OWN = "portfolio"


@dataclass(frozen=True)
class PublishedInterval:
    """One interval of a past clearing: its price and the published aggregated curves
    ((price fen/MWh, kW) per price level; empty when the exchange published none)."""

    interval: int
    clearing_price_fen_per_mwh: int
    sell_curve: Sequence[tuple[int, float]] = ()
    buy_curve: Sequence[tuple[int, float]] = ()


def _others(
    curve: Sequence[tuple[int, float]], own: Mapping[int, float], where: str
) -> list[Block]:
    """The published curve less the portfolio's own blocks (per price level)."""
    left: dict[int, float] = {}
    for price, kw in curve:
        left[int(price)] = left.get(int(price), 0.0) + float(kw)
    for price, kw in own.items():
        if left.get(int(price), 0.0) + 1e-6 < kw:
            raise InvalidInput(where, f"own {kw:.3f} kW at {price} exceed the published curve")
        left[int(price)] = left.get(int(price), 0.0) - kw
    return [Block("other", p, kw) for p, kw in sorted(left.items()) if kw > 1e-9]


def residual_day(
    intervals: Sequence[PublishedInterval],
    own_sells: Mapping[int, Mapping[int, float]],
    offer_kw: np.ndarray,
    floor_fen_per_mwh: int,
) -> tuple[np.ndarray, np.ndarray]:
    """(price fen/MWh, clearable kW) per interval (96 each) of one past day.

    `own_sells` maps interval -> {price: kW} of the portfolio's own sell blocks that day,
    `offer_kw` (96) what the portfolio can offer now. Intervals with no clearing get
    price 0 and nothing clearable (no call, no DR price); intervals without a published
    sell or buy curve keep their clearing price with no limit (inf).
    Raises InvalidInput when an interval's own blocks exceed its published curve.
    """
    offer = np.asarray(offer_kw, dtype=float)
    if offer.shape != (INTERVALS_PER_DAY,) or np.any(~np.isfinite(offer)) or np.any(offer < 0):
        raise InvalidInput("offer_kw", f"must be {INTERVALS_PER_DAY} finite values >= 0")
    prices = np.zeros(INTERVALS_PER_DAY)
    clearable = np.zeros(INTERVALS_PER_DAY)
    for published in intervals:
        t = published.interval
        if not 0 <= t < INTERVALS_PER_DAY:
            raise InvalidInput("intervals.interval", f"{t} is not 0..{INTERVALS_PER_DAY - 1}")
        if not published.sell_curve or not published.buy_curve:
            prices[t], clearable[t] = published.clearing_price_fen_per_mwh, np.inf
            continue
        others = _others(published.sell_curve, own_sells.get(t, {}), f"own_sells[{t}]")
        buys = [Block("buyer", int(p), float(kw)) for p, kw in published.buy_curve]
        ours = [Block(OWN, floor_fen_per_mwh, float(offer[t]))] if offer[t] > 0 else []
        result = clear_interval([*others, *ours], buys)
        prices[t] = result.clearing_price_fen_per_mwh
        clearable[t] = result.sold_kw.get(OWN, 0.0)
    return prices, clearable
