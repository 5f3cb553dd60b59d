"""Poison events land on the dead-letter topic with reason and origin; processing goes on.

Runs its own broker, so the dead-letter topic holds only this module's records.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from bidding.intervals import interval_end
from parkvpp.v1 import enrollment_pb2 as epb
from parkvpp.v1 import events_pb2
from parkvpp.v1 import telemetry_pb2 as pb
from services.runtime.embedded import EmbeddedBroker
from services.runtime.events import (
    TOPIC_DEADLETTER,
    TOPIC_TELEMETRY,
    ConsumerSpec,
    EventConsumer,
    ensure_topics,
)
from services.runtime.local_stack import LocalStack
from services.runtime.rpc import to_ts
from tests.kafka_helpers import RawProducer as EventPublisher

pytestmark = pytest.mark.timeout(180)
#: Not an EventEnvelope: field 1 with the invalid wire type 7.
UNDECODABLE = b"\x0f\xff\xff not an envelope"


@pytest.fixture(scope="module")
def bootstrap(tmp_path_factory) -> str:
    broker = EmbeddedBroker(tmp_path_factory.mktemp("deadletter-broker"))
    broker.start()
    ensure_topics(broker.bootstrap_servers, 1)
    yield broker.bootstrap_servers
    broker.stop()


def wait_until(check, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def dead_letters(bootstrap: str, origin_topic: str, count: int, timeout_s: float = 30.0):
    """The dead-letter records that came from `origin_topic`, once there are `count`."""
    reader = KafkaConsumer(
        TOPIC_DEADLETTER,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    found = []
    try:
        deadline = time.monotonic() + timeout_s
        while len(found) < count and time.monotonic() < deadline:
            for records in reader.poll(timeout_ms=200).values():
                found += [
                    r for r in records if dict(r.headers)["parkvpp-topic"] == origin_topic.encode()
                ]
    finally:
        reader.close()
    return found


def headers(record) -> dict[str, str]:
    return {name: value.decode() for name, value in record.headers}


def test_poison_events_are_dead_lettered_with_reason_and_origin_and_the_rest_applied(bootstrap):
    topic = f"parkvpp.test-{uuid.uuid4().hex[:8]}.v1"
    ensure_topics(bootstrap, 1, [topic])
    applied: list[str] = []
    lock = threading.Lock()

    def handler(event: events_pb2.EventEnvelope) -> bool:
        with lock:
            if event.event_id == "poison":
                raise ValueError("cannot apply a negative energy")
            if event.event_id in applied:
                return False
            applied.append(event.event_id)
            return True

    publisher = EventPublisher(bootstrap)
    raw = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    publisher.publish(topic, "k", events_pb2.MarketCleared(), event_id="a")
    publisher.flush()
    raw.send(topic, key=b"k", value=UNDECODABLE).get(timeout=10)
    publisher.publish(topic, "k", events_pb2.MarketCleared(), event_id="poison")
    publisher.publish(topic, "k", events_pb2.MarketCleared(), event_id="b")
    publisher.flush()
    group = f"g-{uuid.uuid4().hex[:8]}"
    spec = ConsumerSpec(
        group, (topic,), handler, batch_handler=lambda events: [handler(e) for e in events]
    )
    consumer = EventConsumer(spec, bootstrap, rebalance_timeout_ms=3000)
    consumer.start()
    try:
        wait_until(lambda: "b" in applied)
        letters = dead_letters(bootstrap, topic, 2)
        # The group's committed offset moved past all four events.
        offsets = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
        try:
            wait_until(lambda: offsets.committed(TopicPartition(topic, 0)) == 4)
        finally:
            offsets.close()
    finally:
        consumer.stop()
        publisher.close()
        raw.close()
    assert applied == ["a", "b"]
    assert len(letters) == 2, "a poison event was dead-lettered twice"
    undecodable, poison = sorted(letters, key=lambda r: int(headers(r)["parkvpp-offset"]))
    assert undecodable.value == UNDECODABLE and undecodable.key == b"k"
    assert headers(undecodable) | {"parkvpp-error": ""} == {
        "parkvpp-reason": "undecodable",
        "parkvpp-error": "",
        "parkvpp-topic": topic,
        "parkvpp-partition": "0",
        "parkvpp-offset": "1",
        "parkvpp-group": group,
        "parkvpp-event-id": "",
    }
    assert headers(undecodable)["parkvpp-error"].startswith("DecodeError")
    assert events_pb2.EventEnvelope.FromString(poison.value).event_id == "poison"
    assert headers(poison)["parkvpp-reason"] == "handler_failed"
    assert headers(poison)["parkvpp-error"] == "ValueError: cannot apply a negative energy"
    assert headers(poison)["parkvpp-offset"] == "2"
    assert headers(poison)["parkvpp-event-id"] == "poison"


def test_the_rollup_consumer_dead_letters_poison_and_rolls_up_what_follows():
    stack = LocalStack().start()
    clients = stack.clients()
    bootstrap = stack.settings.kafka_bootstrap_servers
    publisher = EventPublisher(bootstrap)
    raw = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        clients.enrollment.RegisterEnterprise(
            epb.RegisterEnterpriseRequest(enterprise_id="ent-d", name="D", grid_area="CN-JS")
        )
        clients.enrollment.EnrollAsset(
            epb.EnrollAssetRequest(
                request_id="r-d-pv",
                enterprise_id="ent-d",
                name="PV meter",
                asset_id="d-pv",
                spec=epb.AssetSpec(
                    generator=epb.Generator(
                        capacity_kw=10.0,
                        technology=epb.GENERATOR_TECHNOLOGY_PV,
                        grid_connection_id="GC-D",
                    )
                ),
            )
        )
        # Both keyed by the meter's enterprise (the readings' partition key): they sit in
        # its partition, ahead of its readings.
        raw.send(TOPIC_TELEMETRY, key=b"ent-d", value=UNDECODABLE).get(timeout=10)
        publisher.publish(TOPIC_TELEMETRY, "ent-d", events_pb2.MarketCleared(), "ent-d", "wrong")
        publisher.flush()
        day = (datetime.now(UTC) - timedelta(days=3)).date()
        readings = [
            pb.Reading(asset_id="d-pv", timestamp=to_ts(interval_end(day, i)), power_kw=4.0)
            for i in range(40, 48)
        ]
        summary = clients.telemetry.StreamReadings(
            iter([pb.ReadingBatch(readings=readings)]), timeout=30
        )
        assert summary.accepted == len(readings)

        def rolled_up() -> int:
            profile = clients.telemetry.GetLoadProfile(
                pb.GetLoadProfileRequest(asset_id="d-pv", from_market_day=day.isoformat()),
                timeout=10,
            )
            return sum(i.reading_count for i in profile.intervals)

        wait_until(lambda: rolled_up() == len(readings))
        letters = dead_letters(bootstrap, TOPIC_TELEMETRY, 2)
    finally:
        clients.close()
        publisher.close()
        raw.close()
        stack.stop()
    reasons = {headers(r)["parkvpp-reason"]: headers(r) for r in letters}
    assert set(reasons) == {"undecodable", "handler_failed"}
    wrong = reasons["handler_failed"]
    assert wrong["parkvpp-event-id"] == "wrong"
    assert wrong["parkvpp-error"] == (
        "ValueError: event wrong is not a ReadingsAccepted or ReadingsAcceptedColumns"
    )
    assert wrong["parkvpp-group"].endswith("-telemetry-rollup")
    assert all(r.key == b"ent-d" for r in letters)


#: Run in a child process: kafka-python leaves the socket of a connection refused while
#: the broker is down unclosed, which this suite's warning filter would turn into an error.
RESTART_SCRIPT = """
import sys, time
from types import SimpleNamespace
from kafka.errors import KafkaError
from services.runtime.embedded import EmbeddedBroker
from services.runtime.events import DeadLetters, ensure_topics

broker = EmbeddedBroker(sys.argv[1])
broker.start()
ensure_topics(broker.bootstrap_servers, 1)
letters = DeadLetters(broker.bootstrap_servers, "restart-test", timeout_s=5)
record = SimpleNamespace(topic="t", partition=0, offset=1, key=b"k", value=b"v")
letters.send(record, "undecodable", "before")
broker.restart()  # same port, nothing kept
ensure_topics(broker.bootstrap_servers, 1)
for attempt in range(1, 11):  # as the consumer retries a KafkaError
    try:
        letters.send(record, "undecodable", "after")
        print("sent after", attempt)
        break
    except KafkaError:
        time.sleep(0.5)
letters.close()
broker.stop()
"""


def test_dead_letters_are_sent_again_after_the_broker_restarted_empty(tmp_path):
    """A dead-letter producer that sent before its broker restarted empty is left fatal by
    kafka-python; a retry gets a new producer instead of failing forever (which would hold
    the consumer on the poison event and stop its partition)."""
    root = Path(__file__).resolve().parents[1]
    child = subprocess.run(
        [sys.executable, "-c", RESTART_SCRIPT, str(tmp_path / "broker")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=root,
        env={**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{root / 'protos'}"},
    )
    assert child.returncode == 0, child.stderr[-3000:]
    assert child.stdout.startswith("sent after"), "the dead letter was never sent again"
