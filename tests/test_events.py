"""Kafka plumbing on the real broker: envelopes, consumer groups, retries, poison events."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import redis.exceptions

from parkvpp.v1 import events_pb2
from services.runtime import events
from services.runtime.events import ConsumerSpec, EventConsumer, ensure_topics
from tests.kafka_helpers import RawProducer as EventPublisher


def wait_until(check, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


@pytest.fixture()
def topic(kafka_bootstrap) -> str:
    name = f"parkvpp.test-{uuid.uuid4().hex[:8]}.v1"
    ensure_topics(kafka_bootstrap, 1, [name])
    return name


def consume(kafka_bootstrap, topic, handler, batch_handler=None) -> EventConsumer:
    spec = ConsumerSpec(
        group=f"g-{uuid.uuid4().hex[:8]}",
        topics=(topic,),
        handler=handler,
        batch_handler=batch_handler,
    )
    consumer = EventConsumer(spec, kafka_bootstrap, rebalance_timeout_ms=3000)
    consumer.start()
    return consumer


def test_a_transient_failure_is_retried_and_a_poison_event_skipped(kafka_bootstrap, topic):
    seen: list[str] = []
    failures = {"left": 2}
    lock = threading.Lock()

    def handler(event: events_pb2.EventEnvelope) -> bool:
        with lock:
            if event.event_id == "poison":
                raise ValueError("cannot apply")
            if event.event_id == "flaky" and failures["left"]:
                failures["left"] -= 1
                raise redis.exceptions.ConnectionError("redis is restarting")
            seen.append(event.event_id)
        return True

    publisher = EventPublisher(kafka_bootstrap)
    for event_id in ("first", "poison", "flaky", "last"):
        publisher.publish(topic, "k", events_pb2.MarketCleared(), event_id=event_id)
    publisher.flush()
    consumer = consume(kafka_bootstrap, topic, handler)
    try:
        wait_until(lambda: "last" in seen)
        assert seen == ["first", "flaky", "last"]
        assert failures["left"] == 0
    finally:
        consumer.stop()
        publisher.close()


def test_a_batch_with_a_poison_event_is_handled_one_by_one(kafka_bootstrap, topic):
    applied: dict[str, int] = {}
    batches: list[int] = []
    lock = threading.Lock()

    def handler(event: events_pb2.EventEnvelope) -> bool:
        with lock:
            if event.event_id == "poison":
                raise ValueError("cannot apply")
            if event.event_id in applied:
                return False  # idempotent, as every real handler is
            applied[event.event_id] = len(applied)
            return True

    def batch_handler(events: list[events_pb2.EventEnvelope]) -> list[bool]:
        batches.append(len(events))
        return [handler(e) for e in events]

    publisher = EventPublisher(kafka_bootstrap)
    for event_id in ("a", "b", "poison", "c"):
        publisher.publish(topic, "k", events_pb2.MarketCleared(), event_id=event_id)
    publisher.publish(topic, "k", events_pb2.MarketCleared(), event_id="a")  # redelivery
    publisher.flush()
    consumer = consume(kafka_bootstrap, topic, handler, batch_handler)
    try:
        wait_until(lambda: "c" in applied)
        assert batches and max(batches) > 1, "events were not handed over as a batch"
        assert list(applied) == ["a", "b", "c"]
    finally:
        consumer.stop()
        publisher.close()


@pytest.mark.parametrize("commit_every_s", [events.COMMIT_EVERY_S, 3600.0])
def test_a_restarted_group_member_resumes_after_what_the_last_one_handled(
    kafka_bootstrap, topic, monkeypatch, commit_every_s
):
    """Commits are paced (COMMIT_EVERY_S; an hour: none before the stop): a member that
    stops commits what it handled, so its successor starts after it."""
    monkeypatch.setattr(events, "COMMIT_EVERY_S", commit_every_s)
    seen: list[str] = []
    publisher = EventPublisher(kafka_bootstrap)
    spec = ConsumerSpec(
        group=f"g-{uuid.uuid4().hex[:8]}",
        topics=(topic,),
        handler=lambda e: seen.append(e.event_id) or True,
    )
    first = EventConsumer(spec, kafka_bootstrap, rebalance_timeout_ms=3000)
    first.start()
    for event_id in ("one", "two"):
        publisher.publish(topic, "k", events_pb2.MarketCleared(), event_id=event_id)
        publisher.flush()
        wait_until(lambda event_id=event_id: event_id in seen)
    first.stop()
    publisher.publish(topic, "k", events_pb2.MarketCleared(), event_id="three")
    publisher.flush()
    second = EventConsumer(spec, kafka_bootstrap, rebalance_timeout_ms=3000)
    second.start()
    try:
        wait_until(lambda: "three" in seen)
        assert seen == ["one", "two", "three"], "a handled event was delivered again"
    finally:
        second.stop()
        publisher.close()


def test_the_envelope_names_its_payload_and_keeps_the_enterprise(kafka_bootstrap, topic):
    got: list[events_pb2.EventEnvelope] = []
    publisher = EventPublisher(kafka_bootstrap)
    message = events_pb2.ReadingsAccepted(asset_id="a-1")
    event_id = publisher.publish(topic, "a-1", message, enterprise_id="ent-9")
    publisher.flush()
    consumer = consume(kafka_bootstrap, topic, lambda e: got.append(e) or True)
    try:
        wait_until(lambda: got)
        envelope = got[0]
        assert envelope.event_id == event_id
        assert envelope.type == "parkvpp.v1.ReadingsAccepted"
        assert envelope.enterprise_id == "ent-9"
        unpacked = events_pb2.ReadingsAccepted()
        assert envelope.payload.Unpack(unpacked) and unpacked.asset_id == "a-1"
        assert envelope.occurred_at.seconds > 0
    finally:
        consumer.stop()
        publisher.close()
