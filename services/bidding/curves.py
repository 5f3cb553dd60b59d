"""Offer curves into the plan and into market orders, kept within the exchange's price range."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from bidding.offers import OfferStep
from parkvpp.v1 import bidding_pb2 as pb
from parkvpp.v1 import market_pb2


def within_range(steps: Sequence[OfferStep], floor: int, cap: int) -> list[OfferStep]:
    """Blocks priced outside [floor, cap] moved to the nearest bound, equal prices merged.

    The exchange never clears outside its range, so a block above the cap would never
    trade there and one at the cap trades exactly when it would have; clipping keeps the
    price order of the blocks (ascending or descending), so a monotone curve stays so.
    """
    out: list[OfferStep] = []
    for step in steps:
        price = min(max(step.price_fen_per_mwh, floor), cap)
        if out and out[-1].price_fen_per_mwh == price:
            merged = round(out[-1].quantity_kw + step.quantity_kw, 3)
            out[-1] = OfferStep(price, merged)
        else:
            out.append(OfferStep(price, step.quantity_kw))
    return out


#: Blocks per order the exchange accepts (the reference exchange's MAX_STEPS).
MAX_STEPS = 50


def at_most(steps: Sequence[OfferStep], max_steps: int = MAX_STEPS) -> list[OfferStep]:
    """A curve of at most `max_steps` blocks: the smallest block merged into the next one.

    Blocks are in the curve's order (a sell curve ascending in price, a buy curve
    descending), so the next block's price is the more cautious one: merged quantity is
    offered only where the plan offered its last part, never sold cheaper or bought
    dearer than planned. The last block takes in the one before it.
    """
    out = list(steps)
    while len(out) > max_steps:
        k = min(range(len(out) - 1), key=lambda i: out[i].quantity_kw)
        merged = round(out[k].quantity_kw + out[k + 1].quantity_kw, 3)
        out[k : k + 2] = [OfferStep(out[k + 1].price_fen_per_mwh, merged)]
    return out


def add_curves(
    target,
    curves: Mapping[int, Sequence[OfferStep]],
    product: int,
    side: int,
    price_range: tuple[int, int],
) -> None:
    """Append one OfferCurve per interval with blocks to a repeated OfferCurve field."""
    for interval, steps in sorted(curves.items()):
        clipped = at_most(within_range(steps, *price_range))
        if not clipped:
            continue
        curve = target.add(interval=interval, product=product, side=side)
        for step in clipped:
            curve.steps.add(price_fen_per_mwh=step.price_fen_per_mwh, quantity_kw=step.quantity_kw)


def _code(curve: pb.OfferCurve) -> str:
    if curve.product == market_pb2.PRODUCT_DEMAND_RESPONSE:
        return ""  # the DR orders keep their original ids: <plan>-<interval>
    side = "sell" if curve.side == market_pb2.SIDE_SELL else "buy"
    return f"energy-{side}-"


def orders_of(plan: pb.BidPlan, participant_id: str) -> list[market_pb2.Order]:
    """One order per curve of the plan: DR offers, then storage buys and sells."""
    curves: Iterable[pb.OfferCurve] = [*plan.demand_response_offers, *plan.storage_offers]
    return [
        market_pb2.Order(
            order_id=f"{plan.plan_id}-{_code(curve)}{curve.interval:02d}",
            participant_id=participant_id,
            market_day=plan.market_day,
            interval=curve.interval,
            product=curve.product,
            side=curve.side,
            steps=curve.steps,
        )
        for curve in curves
    ]
