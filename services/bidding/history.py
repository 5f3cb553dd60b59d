"""Past DR clearings as price scenarios: the gateway's results, less our own offers.

The reference exchange publishes each interval's aggregated sell and buy curves; the
bidder takes its own submitted offers of that day out of them (the day's latest plan,
when it was submitted) and replays the interval with everything it can offer now
(`bidding.residual.residual_day`). Results without curves (e.g. a file gateway's)
give the day's clearing prices as before.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import numpy as np
import redis

from bidding.intervals import days_before
from bidding.offers import HISTORY_LOOKBACK_DAYS
from bidding.residual import PublishedInterval, residual_day
from parkvpp.v1 import bidding_pb2 as pb
from parkvpp.v1 import market_pb2
from services.bidding.gateway import MarketGateway
from services.bidding.plan_store import latest_key, plan_key

DR = market_pb2.PRODUCT_DEMAND_RESPONSE
#: How far back the bidder looks for cleared days to build price scenarios from.
HISTORY_SEARCH_DAYS = 28


def own_dr_sells(store: redis.Redis, market_day: date) -> dict[int, dict[int, float]]:
    """interval -> {price: kW} of the DR offers we submitted for `market_day` (its latest
    plan, if that plan was submitted; nothing otherwise)."""
    plan_id = store.get(latest_key(market_day.isoformat()))
    raw = (
        store.get(plan_key(plan_id.decode() if isinstance(plan_id, bytes) else plan_id))
        if plan_id
        else None
    )
    if raw is None:
        return {}
    plan = pb.BidPlan.FromString(raw)
    if plan.status != pb.BID_PLAN_STATUS_SUBMITTED:
        return {}
    out: dict[int, dict[int, float]] = defaultdict(dict)
    for curve in plan.demand_response_offers:
        for step in curve.steps:
            levels = out[curve.interval]
            levels[step.price_fen_per_mwh] = (
                levels.get(step.price_fen_per_mwh, 0.0) + step.quantity_kw
            )
    return dict(out)


def _published(result: market_pb2.ClearingResult) -> list[PublishedInterval]:
    return [
        PublishedInterval(
            i.interval,
            i.clearing_price_fen_per_mwh,
            [(s.price_fen_per_mwh, s.quantity_kw) for s in i.sell_curve],
            [(s.price_fen_per_mwh, s.quantity_kw) for s in i.buy_curve],
        )
        for i in result.intervals
    ]


def dr_history(
    gateway: MarketGateway,
    store: redis.Redis,
    market_day: date,
    offer_kw: np.ndarray,
    floor_fen_per_mwh: int,
) -> tuple[dict[date, np.ndarray], dict[date, np.ndarray], bool]:
    """Up to HISTORY_LOOKBACK_DAYS latest cleared days before `market_day`: prices and
    clearable kW per day, and whether any day published its curves."""
    prices: dict[date, np.ndarray] = {}
    clearable: dict[date, np.ndarray] = {}
    curves = False
    for past in reversed(days_before(market_day, HISTORY_SEARCH_DAYS)):  # newest first
        result = gateway.clearing(past.isoformat(), DR)
        if result is None:
            continue
        published = _published(result)
        curves = curves or any(p.sell_curve for p in published)
        prices[past], clearable[past] = residual_day(
            published, own_dr_sells(store, past), offer_kw, floor_fen_per_mwh
        )
        if len(prices) == HISTORY_LOOKBACK_DAYS:
            break
    return prices, clearable, curves
