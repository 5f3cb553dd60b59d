"""Where bid plans live in Redis: one key per plan, and per market day the latest plan's id."""

from __future__ import annotations

import redis

from parkvpp.v1 import bidding_pb2 as pb
from services.runtime.store import shared_key

#: The bid plans' hash tag: plans and the bids outbox share one slot.
TAG = "bids"


def plan_key(plan_id: str) -> str:
    return shared_key(TAG, "plan", plan_id)


def latest_key(market_day: str) -> str:
    return shared_key(TAG, "latest", market_day)


def latest_plan(client: redis.Redis, market_day: str) -> pb.BidPlan | None:
    """The market day's latest plan (ISO date), or None when it has none."""
    plan_id = client.get(latest_key(market_day))
    raw = client.get(plan_key(plan_id.decode())) if plan_id is not None else None
    return pb.BidPlan.FromString(raw) if raw is not None else None
