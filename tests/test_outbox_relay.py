"""The outbox relay against the real Valkey and broker: lease, retain until applied, refeed.

Each test drives relays round by round (`run_once`) instead of their threads, so what a
round did is visible before the next one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from kafka import KafkaConsumer

from parkvpp.v1 import events_pb2
from services.runtime import outbox
from services.runtime import relay as relay_module
from services.runtime.events import TOPIC_CLEARING, DoneMarks, ensure_topics
from services.runtime.outbox import Outbox, OutboxEvent
from services.runtime.relay import OutboxRelay
from services.runtime.settings import load_settings
from services.runtime.store import shared_key

pytestmark = pytest.mark.timeout(120)
DB = 13


@pytest.fixture()
def setup(redis_url, kafka_bootstrap):
    prefix = f"relay-{uuid.uuid4().hex[:8]}."
    url = redis_url.rsplit("/", 1)[0] + f"/{DB}"
    settings = load_settings(
        {
            "REDIS_URL": url,
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "PARKVPP_KAFKA_TOPIC_PREFIX": prefix,
            "PARKVPP_OUTBOX_RETAIN": "1",
            "PARKVPP_OUTBOX_RETRY_S": "1",
        }
    )
    ensure_topics(kafka_bootstrap, 1, topic_prefix=prefix)
    client = redis.Redis.from_url(url)
    client.flushdb()
    relays: list[OutboxRelay] = []

    def relay() -> OutboxRelay:
        made = OutboxRelay(client, settings)
        relays.append(made)
        return made

    yield settings, client, relay
    for made in relays:
        made.stop()
    client.close()


def copies_on_topic(settings, event_id: str, at_least: int, wait_s: float = 20.0) -> int:
    """How many records of `event_id` the clearing topic holds (reads until `at_least`)."""
    reader = KafkaConsumer(
        settings.kafka_topic_prefix + TOPIC_CLEARING,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
    )
    seen = 0
    try:
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline and seen < at_least:
            for records in reader.poll(timeout_ms=200).values():
                for record in records:
                    if events_pb2.EventEnvelope.FromString(record.value).event_id == event_id:
                        seen += 1
    finally:
        reader.close()
    return seen


def cleared(event_id: str) -> OutboxEvent:
    return OutboxEvent.of(TOPIC_CLEARING, "2040-01-01", events_pb2.MarketCleared(), "", event_id)


def test_one_relay_leads_and_another_takes_over_when_it_stops(setup):
    _, client, relay = setup
    first, second = relay(), relay()
    first.run_once()
    assert client.get(outbox.LEASE_KEY) is not None
    assert not second.run_once() and not second._leader
    first.stop()
    Outbox(client).append("market", [cleared("after-handover")])
    assert second.run_once(), "the second relay leads and publishes once the first is gone"
    assert client.xlen(outbox.stream_key("market")) == 0


def test_an_event_stays_retained_until_every_reading_group_applied_it(setup):
    settings, client, relay = setup
    marks = DoneMarks(client, outbox.GROUPS_KEY, outbox.done_key)
    marks.register("dispatch", [TOPIC_CLEARING])
    marks.register("audit", [TOPIC_CLEARING])
    Outbox(client).append("market", [cleared("evt-1")])
    leader = relay()
    leader.run_once()
    assert client.xlen(outbox.stream_key("market")) == 0, "published events leave the outbox"
    assert client.xlen(outbox.RETAINED_KEY) == 1
    assert copies_on_topic(settings, "evt-1", 1) == 1
    marks.mark("dispatch", ["evt-1"])
    leader.run_once()
    assert client.xlen(outbox.RETAINED_KEY) == 1, "the audit group has not applied it yet"
    [(_, fields)] = client.xrange(outbox.RETAINED_KEY)
    assert b"e" not in fields, "the log's entries are small: the envelope is kept beside them"
    assert client.hexists(outbox.RETAINED_DATA_KEY, "evt-1")
    marks.mark("audit", ["evt-1"])
    leader.run_once()
    assert client.xlen(outbox.RETAINED_KEY) == 0
    assert client.hlen(outbox.RETAINED_DATA_KEY) == 0, "the envelope goes with its entry"
    assert client.zcard(outbox.done_key("dispatch")) == 0, "done marks go with the event"


def test_entries_an_earlier_version_retained_whole_are_sent_again(setup):
    """A retained log written before envelopes were kept beside it: its entries hold their
    envelope themselves, and a restarted broker still gets them."""
    settings, client, relay = setup
    DoneMarks(client, outbox.GROUPS_KEY, outbox.done_key).register("dispatch", [TOPIC_CLEARING])
    event = cleared("evt-old")
    sent_ms = int(time.time() * 1000)
    fields = {"t": event.topic, "k": event.key, "i": event.event_id, "e": event.data, "s": sent_ms}
    client.xadd(outbox.RETAINED_KEY, fields)
    outbox.note_broker_restart(client)
    relay().run_once()
    assert copies_on_topic(settings, "evt-old", 1) == 1


def test_an_entry_whose_envelope_went_with_a_twin_is_dropped_not_sent(setup):
    """One event kept twice (a relay died after keeping it, before deleting it from the
    outbox): once every group applied it, the first entry takes the envelope with it, and
    the twin, overdue, is deleted rather than sent without data."""
    settings, client, relay = setup
    DoneMarks(client, outbox.GROUPS_KEY, outbox.done_key).register("dispatch", [TOPIC_CLEARING])
    event = cleared("evt-twin")
    client.xadd(
        outbox.RETAINED_KEY, {"t": event.topic, "k": event.key, "i": event.event_id, "s": 0}
    )
    relay().run_once()
    assert client.xlen(outbox.RETAINED_KEY) == 0
    assert copies_on_topic(settings, "evt-twin", 1, wait_s=2.0) == 0


def test_a_restarted_broker_gets_every_retained_event_again(setup):
    settings, client, relay = setup
    DoneMarks(client, outbox.GROUPS_KEY, outbox.done_key).register("dispatch", [TOPIC_CLEARING])
    outbox.note_broker_restart(client)
    Outbox(client).append("market", [cleared("evt-refeed")])
    leader = relay()
    leader.run_once()
    assert copies_on_topic(settings, "evt-refeed", 1) == 1
    outbox.note_broker_restart(client)  # as the supervisor does after an empty broker starts
    leader.run_once()
    assert copies_on_topic(settings, "evt-refeed", 2) == 2
    leader.run_once()
    assert copies_on_topic(settings, "evt-refeed", 3, wait_s=2.0) == 2, "refed once per epoch"


def test_an_event_no_group_applied_in_time_is_sent_again(setup):
    settings, client, relay = setup
    DoneMarks(client, outbox.GROUPS_KEY, outbox.done_key).register("dispatch", [TOPIC_CLEARING])
    Outbox(client).append("market", [cleared("evt-late")])
    leader = relay()
    leader.run_once()
    time.sleep(1.2)  # PARKVPP_OUTBOX_RETRY_S is 1 here: the event is now overdue
    leader.run_once()
    assert copies_on_topic(settings, "evt-late", 2) == 2
    assert client.xlen(outbox.RETAINED_KEY) == 1, "still kept: nobody applied it"


def test_without_retain_an_acknowledged_event_is_deleted(setup, redis_url, kafka_bootstrap):
    settings, client, _ = setup
    plain = settings.with_overrides(outbox_retain=False)
    Outbox(client).append("market", [cleared("evt-plain")])
    leader = OutboxRelay(client, plain)
    try:
        leader.run_once()
        assert client.xlen(outbox.stream_key("market")) == 0
        assert client.xlen(outbox.RETAINED_KEY) == 0
        assert copies_on_topic(settings, "evt-plain", 1) == 1
    finally:
        leader.stop()


#: Run in a child process: kafka-python leaves the socket of a connection refused while
#: the broker is down unclosed, which this suite's warning filter would turn into an error.
RESTART_SCRIPT = """
import sys, time
import redis
from kafka.errors import KafkaError
from services.runtime import outbox
from services.runtime.embedded import EmbeddedBroker
from services.runtime.events import ensure_topics
from services.runtime.outbox import Outbox
from services.runtime import relay as relay_module
from services.runtime.relay import OutboxRelay
from services.runtime.settings import load_settings
from services.runtime.store import shared_key
from tests.test_outbox_relay import cleared

url, folder = sys.argv[1:]
broker = EmbeddedBroker(folder)
broker.start()
client = redis.Redis.from_url(url)
settings = load_settings(
    {"REDIS_URL": url, "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
     "PARKVPP_KAFKA_PUBLISH_TIMEOUT_S": "5"}
)
relay = OutboxRelay(client, settings)
market = outbox.stream_key("market")
ensure_topics(broker.bootstrap_servers, 1)
Outbox(client).append("market", [cleared("evt-before")])
relay.run_once()
print("before", client.xlen(market))
broker.restart()  # same port, nothing kept
ensure_topics(broker.bootstrap_servers, 1)
Outbox(client).append("market", [cleared("evt-after")])
deadline = time.monotonic() + 60
while client.xlen(market) and time.monotonic() < deadline:
    try:
        relay.run_once()
    except KafkaError:
        time.sleep(0.5)
print("after", client.xlen(market))
relay.stop()
broker.stop()
"""


def test_the_relay_publishes_again_after_its_broker_restarted_empty(tmp_path, redis_url):
    """An idempotent producer that published to a broker which then restarted empty is left
    in a fatal state by kafka-python (the new broker answers its epoch bump with
    UnknownError); the relay replaces it instead of failing every round from then on."""
    url = redis_url.rsplit("/", 1)[0] + f"/{DB}"
    redis.Redis.from_url(url).flushdb()
    root = Path(__file__).resolve().parents[1]
    child = subprocess.run(
        [sys.executable, "-c", RESTART_SCRIPT, url, str(tmp_path / "broker")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=root,
        env={**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{root / 'protos'}"},
    )
    assert child.returncode == 0, child.stderr[-3000:]
    lines = child.stdout.split()
    assert lines == ["before", "0", "after", "0"], (
        f"the relay never published to the restarted broker: {child.stdout}"
    )


def test_an_entry_with_bad_data_is_set_aside_and_the_rest_published(setup):
    settings, client, relay = setup
    stream = Outbox(client).register("market")
    client.xadd(stream, {"c": "certificates.ledger", "o": "teleport", "i": "bad", "d": "[]"})
    Outbox(client).append("market", [cleared("evt-good")])
    leader = relay()
    leader.run_once()
    assert client.xlen(stream) == 0
    assert client.xlen(shared_key(outbox.OUTBOX_TAG, "unusable")) == 1
    assert copies_on_topic(settings, "evt-good", 1) == 1


def test_an_entry_whose_codec_cannot_load_waits_instead_of_being_set_aside(setup, monkeypatch):
    _, client, relay = setup
    stream = Outbox(client).register("market")
    client.xadd(stream, {"c": "certificates.ledger", "o": "issue", "i": "x", "d": "[]"})
    monkeypatch.setitem(relay_module.CODECS, "certificates.ledger", "services.nowhere:encode")
    leader = relay()
    with pytest.raises(ImportError):
        leader.run_once()
    assert client.xlen(stream) == 1, "kept for a deployment whose codec loads"
    assert client.xlen(shared_key(outbox.OUTBOX_TAG, "unusable")) == 0
