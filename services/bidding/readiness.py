"""Whether the next market day's bid plan is ready and submitted, read at each scrape."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import redis

from bidding.intervals import MARKET_TZ
from parkvpp.v1 import bidding_pb2 as pb
from services.runtime.errors import NotFound
from services.runtime.metrics import BID_PLAN_NEXT_DAY_READY, BID_PLAN_NEXT_DAY_SUBMITTED

log = logging.getLogger(__name__)


def next_market_day(now: datetime | None = None) -> str:
    """Tomorrow in Asia/Shanghai: the day D-1 bids are for."""
    local = (now or datetime.now(MARKET_TZ)).astimezone(MARKET_TZ)
    return (local.date() + timedelta(days=1)).isoformat()


def next_day_plan_stage(servicer) -> float:
    """0 no plan for the next market day, 1 prepared, 2 submitted; NaN if Redis is down.

    `servicer` is the BiddingServicer; its GetBidPlan answers with the day's latest plan.
    """
    try:
        plan = servicer.GetBidPlan(pb.GetBidPlanRequest(market_day=next_market_day()), None)
    except NotFound:
        return 0.0
    except redis.RedisError as exc:
        log.warning("bid plan readiness unknown: %s", exc)
        return float("nan")
    return 2.0 if plan.status == pb.BID_PLAN_STATUS_SUBMITTED else 1.0


def watch_next_day_plan(servicer) -> None:
    """Export parkvpp_bid_plan_next_day_ready/_submitted, computed when scraped."""
    BID_PLAN_NEXT_DAY_READY.set_function(lambda: min(1.0, next_day_plan_stage(servicer)))
    BID_PLAN_NEXT_DAY_SUBMITTED.set_function(lambda: float(next_day_plan_stage(servicer) >= 2))
