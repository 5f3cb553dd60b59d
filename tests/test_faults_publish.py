"""A crash between a Redis write and its event cannot lose the event: they are one step.

The market stores a clearing result and its MarketCleared event in one Lua step (the
outbox); the relay publishes the event later. Here the process "dies" right after the
reply: its relay is stopped before it published anything. A new process on the same Redis
(another stack) publishes the event, and the day's awards reach the topic exactly under
the clearing's event id. Before the outbox, the market published after storing, and a
crash in between lost the event (PARKVPP_FAULTS_SEED=10 met it once).
"""

from __future__ import annotations

import random
import time
from datetime import date, timedelta

import pytest

from parkvpp.v1 import events_pb2
from parkvpp.v1 import market_pb2 as mpb
from services.runtime import outbox
from services.runtime.events import TOPIC_CLEARING
from services.runtime.local_stack import LocalStack
from tests.kafka_helpers import read_events

pytestmark = pytest.mark.timeout(180)


def cleared_events(bootstrap: str, topic: str, market_day: str, wait_s: float) -> list[str]:
    """Event ids of MarketCleared events for `market_day` on the clearing topic."""
    found = read_events(
        bootstrap,
        topic,
        events_pb2.MarketCleared,
        lambda cleared: cleared.result.market_day == market_day,
        wait_s,
    )
    return [event.event_id for event, _ in found]


def orders(day: str) -> list[mpb.Order]:
    return [
        mpb.Order(
            order_id=f"o-{side}",
            participant_id=f"p-{side}",
            market_day=day,
            interval=40,
            product=mpb.PRODUCT_DEMAND_RESPONSE,
            side=side,
            steps=[mpb.PriceStep(price_fen_per_mwh=500_000, quantity_kw=100.0)],
        )
        for side in (mpb.SIDE_SELL, mpb.SIDE_BUY)
    ]


def test_a_clearing_acknowledged_by_a_process_that_died_is_published_by_the_next(
    redis_url, kafka_bootstrap
):
    prefix = f"outbox-crash-{random.randrange(10**9)}."
    first = LocalStack(redis_url, kafka_bootstrap, db=14, topic_prefix=prefix).start()
    day = (date(2040, 1, 1) + timedelta(days=random.randrange(20_000))).isoformat()
    clients = first.clients()
    try:
        first.app.relay.stop()  # the process dies before its relay publishes anything
        clients.market.SubmitOrders(
            mpb.SubmitOrdersRequest(batch_id="b-1", market_day=day, orders=orders(day)),
            timeout=30,
        )
        result = clients.market.ClearMarket(mpb.ClearMarketRequest(market_day=day), timeout=30)
        assert result.awards
        stream = outbox.stream_key("market")
        assert first.redis.xlen(stream) == 1, "the event waits in the market's outbox"
        topic = first.topic(TOPIC_CLEARING)
        assert cleared_events(kafka_bootstrap, topic, day, wait_s=2.0) == []
    finally:
        clients.close()
        first.stop()
    # The next process (same Redis database, no flush) publishes what the first one left.
    second = LocalStack(redis_url, kafka_bootstrap, db=14, topic_prefix=prefix)
    second.start(flush=False)
    try:
        published = cleared_events(kafka_bootstrap, topic, day, wait_s=30.0)
        assert published == [f"cleared-{result.clearing_id}"]
        deadline = time.monotonic() + 30
        while second.redis.xlen(stream) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert second.redis.xlen(stream) == 0, "published events leave the outbox"
    finally:
        second.stop()
