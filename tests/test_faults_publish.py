"""A crash between a Redis write and its event: what a retried call does about the event.

The market stores a clearing result and then publishes MarketCleared, which the VPP
turns into dispatch. If the process dies in between (simulated here by a publisher that
fails like a dead one, before anything leaves the process), the client's retry gets the
stored result back and nothing publishes the event again: the VPP never dispatches and
the day cannot be settled. The replay test met this once with PARKVPP_FAULTS_SEED=10
(market killed 0.01 s into the clearing step; result stored, no MarketCleared, no dispatch).
The fix: a replay publishes the stored result again under an event id fixed by the
clearing, which the VPP's consumer drops when it has seen it.
"""

from __future__ import annotations

import random
import time
from datetime import date, timedelta

import grpc
import pytest
from kafka import KafkaConsumer
from kafka.errors import KafkaTimeoutError

from parkvpp.v1 import events_pb2
from parkvpp.v1 import market_pb2 as mpb
from services.runtime.events import TOPIC_CLEARING
from services.runtime.local_stack import LocalStack

pytestmark = pytest.mark.timeout(120)


def cleared_events(bootstrap: str, market_day: str, wait_s: float) -> list[str]:
    """Event ids of MarketCleared events for `market_day` on the clearing topic."""
    reader = KafkaConsumer(
        TOPIC_CLEARING, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    found: list[str] = []
    try:
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline and not found:
            for records in reader.poll(timeout_ms=200).values():
                for record in records:
                    event = events_pb2.EventEnvelope.FromString(record.value)
                    cleared = events_pb2.MarketCleared()
                    if event.payload.Unpack(cleared) and cleared.result.market_day == market_day:
                        found.append(event.event_id)
    finally:
        reader.close()
    return found


def test_a_clearing_whose_event_was_lost_in_a_crash_is_published_by_the_retry(
    redis_url, kafka_bootstrap, monkeypatch
):
    stack = LocalStack(redis_url, kafka_bootstrap, db=14).start()
    clients = stack.clients()
    day = (date(2040, 1, 1) + timedelta(days=random.randrange(20_000))).isoformat()
    try:
        orders = [
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
        clients.market.SubmitOrders(
            mpb.SubmitOrdersRequest(batch_id="b-1", market_day=day, orders=orders), timeout=30
        )
        publisher = stack.runtime.publisher

        def dead_process(*args, **kwargs):
            raise KafkaTimeoutError("the market process died before the event left it")

        clear = mpb.ClearMarketRequest(market_day=day)
        with monkeypatch.context() as patch:
            patch.setattr(publisher, "publish", dead_process)
            with pytest.raises(grpc.RpcError) as failed:
                clients.market.ClearMarket(clear, timeout=30)
            assert failed.value.code() == grpc.StatusCode.UNAVAILABLE
        retried = clients.market.ClearMarket(clear, timeout=30)  # the client's retry
        assert retried.awards, "the retry returned the stored clearing"
        published = cleared_events(kafka_bootstrap, day, wait_s=5.0)
    finally:
        clients.close()
        stack.stop()
    assert published, "no MarketCleared for the day: the VPP will never dispatch its awards"
