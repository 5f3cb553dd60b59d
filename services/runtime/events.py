"""Kafka topics, the EventEnvelope, dead letters and idempotent group consumers.

Services do not produce events themselves: they write them to the Redis outbox
(services/runtime/outbox.py) and the relay (services/runtime/relay.py) publishes them.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from google.protobuf import any_pb2, timestamp_pb2
from google.protobuf.message import DecodeError, Message
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError
from kafka.structs import OffsetAndMetadata
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from parkvpp.v1 import events_pb2
from services.runtime.kafka_config import NO_CLIENT_METRICS
from services.runtime.metrics import (
    KAFKA_CONSUMED,
    KAFKA_LAG,
    KAFKA_PRODUCED,
)

log = logging.getLogger(__name__)

TOPIC_ENROLLMENT = "parkvpp.enrollment.v1"
TOPIC_TELEMETRY = "parkvpp.telemetry.v1"
TOPIC_BIDS = "parkvpp.bids.v1"
TOPIC_CLEARING = "parkvpp.clearing.v1"
#: Demand-response invitations announced at the reference exchange (DrEventAnnounced).
TOPIC_DR_EVENTS = "parkvpp.dr-events.v1"
TOPIC_DISPATCH = "parkvpp.dispatch.v1"
TOPIC_SETTLEMENT = "parkvpp.settlement.v1"
TOPIC_CERTIFICATES = "parkvpp.certificates.v1"
TOPICS = (
    TOPIC_ENROLLMENT,
    TOPIC_TELEMETRY,
    TOPIC_BIDS,
    TOPIC_DR_EVENTS,
    TOPIC_CLEARING,
    TOPIC_DISPATCH,
    TOPIC_SETTLEMENT,
    TOPIC_CERTIFICATES,
)
#: Poison events: the original bytes, with the reason and origin in the record headers.
TOPIC_DEADLETTER = "parkvpp.deadletter.v1"
#: Every topic ParkVPP creates: the event topics and the dead-letter topic.
ALL_TOPICS = (*TOPICS, TOPIC_DEADLETTER)


def ensure_topics(
    bootstrap_servers: str,
    partitions: int,
    topics: Iterable[str] = ALL_TOPICS,
    replication: int = 1,
    topic_prefix: str = "",
    client_options: Mapping[str, Any] | None = None,
) -> None:
    """Create the topics that do not exist yet (idempotent; safe from several processes).

    Existing topics are left as they are, so topics made by an operator (e.g. Strimzi
    KafkaTopic resources with replication 3) keep their settings. `topic_prefix`
    (PARKVPP_KAFKA_TOPIC_PREFIX) goes before every name, as it does for publishers and
    consumers.
    """
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap_servers, client_id="parkvpp-admin", **(client_options or {})
    )
    try:
        existing = set(admin.list_topics())
        missing = [topic_prefix + t for t in topics if topic_prefix + t not in existing]
        if missing:
            try:
                admin.create_topics([NewTopic(t, partitions, replication) for t in missing])
            except TopicAlreadyExistsError:
                pass
    finally:
        admin.close()


def new_event_id() -> str:
    """A fresh, globally unique event id."""
    return str(uuid.uuid4())


def envelope(message: Message, enterprise_id: str = "", event_id: str = "") -> bytes:
    """Serialise `message` in an EventEnvelope with a fresh (or given) event id."""
    env = events_pb2.EventEnvelope(
        event_id=event_id or new_event_id(),
        type=message.DESCRIPTOR.full_name,
        enterprise_id=enterprise_id,
    )
    now = timestamp_pb2.Timestamp()
    now.GetCurrentTime()
    env.occurred_at.CopyFrom(now)
    payload = any_pb2.Any()
    payload.Pack(message)
    env.payload.CopyFrom(payload)
    return env.SerializeToString()


class DeadLetters:
    """Sends poison events to TOPIC_DEADLETTER and waits until the broker has them.

    The record keeps the original key and bytes; headers say why (`parkvpp-reason`:
    `undecodable` or `handler_failed`, `parkvpp-error`) and where it came from
    (`parkvpp-topic`, `-partition`, `-offset`, `-group`, and `-event-id` when decodable).
    `send` raises KafkaError when the broker does not acknowledge in time; the consumer
    then retries instead of committing past the event.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        group: str,
        timeout_s: float = 30.0,
        topic_prefix: str = "",
        client_options: Mapping[str, Any] | None = None,
    ) -> None:
        self._bootstrap = bootstrap_servers
        self._options = dict(client_options or {})
        self._topic = topic_prefix + TOPIC_DEADLETTER
        self._group = group
        self._timeout_s = timeout_s
        self._producer: KafkaProducer | None = None

    def send(self, record: Any, reason: str, error: str, event_id: str = "") -> None:
        if self._producer is None:  # made on first use: most consumers never need one
            self._producer = KafkaProducer(
                bootstrap_servers=self._bootstrap,
                acks="all",
                enable_idempotence=True,
                max_block_ms=int(self._timeout_s * 1000),
                client_id=f"{self._group}-deadletter",
                **NO_CLIENT_METRICS,
                **self._options,
            )
        headers = [
            ("parkvpp-reason", reason),
            ("parkvpp-error", error[:1000]),
            ("parkvpp-topic", record.topic),
            ("parkvpp-partition", str(record.partition)),
            ("parkvpp-offset", str(record.offset)),
            ("parkvpp-group", self._group),
            ("parkvpp-event-id", event_id),
        ]
        try:
            sent = self._producer.send(
                self._topic,
                key=record.key,
                value=record.value,
                headers=[(name, value.encode()) for name, value in headers],
            )
            sent.get(timeout=self._timeout_s)
        except KafkaError:
            # The idempotent producer may be fatal for good (a restarted empty broker answers
            # its epoch bump with UnknownError): the retry starts with a new one.
            self._producer.close(timeout=1)
            self._producer = None
            raise
        KAFKA_PRODUCED.labels(TOPIC_DEADLETTER).inc()
        log.error(
            "event %s of %s[%s]@%s dead-lettered: %s",
            event_id or "?",
            record.topic,
            record.partition,
            record.offset,
            reason,
        )

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=10)


Handler = Callable[[events_pb2.EventEnvelope], bool]
BatchHandler = Callable[[list[events_pb2.EventEnvelope]], list[bool]]

#: Failures that pass: the event is retried, never skipped.
TRANSIENT_ERRORS = (RedisConnectionError, RedisTimeoutError, KafkaError)


@dataclass
class ConsumerSpec:
    """What a service consumes: topics, a group name and the event handler.

    The handler returns True when it applied the event, False for a duplicate; it must
    be idempotent (apply the effect and the "applied" record in one Redis step).
    An optional `batch_handler` takes a partition's polled events at once (e.g. one
    pipelined round trip) with the same per-event contract; should it fail on a bad
    event, the batch is handled again event by event so only the bad one is dead-lettered.
    A handler error that is not in TRANSIENT_ERRORS marks the event as poison.
    """

    group: str
    topics: tuple[str, ...]
    handler: Handler
    batch_handler: BatchHandler | None = None
    #: Most events one poll hands over: a poll's events must be handled within the
    #: group's max poll interval (PARKVPP_KAFKA_REBALANCE_TIMEOUT_MS), so handlers of
    #: large events (e.g. a batch of readings each) take fewer at a time.
    max_records: int = 500


class DoneMarks:
    """What each consumer group applied, for the outbox relay in retain mode.

    A group registers the topics it reads (and renews that while it runs); after handling
    events it records their ids with the time, before committing its offsets. The relay
    keeps a published event until every registered reader of its topic has recorded it.
    Key names are those of services/runtime/outbox.py.
    """

    HEARTBEAT_S = 60.0

    def __init__(self, client: Any, groups_key: str, done_key: Callable[[str], str]) -> None:
        self._redis = client
        self._groups_key = groups_key
        self._done_key = done_key
        self._seen = 0.0

    def register(self, group: str, topics: Iterable[str]) -> None:
        info = json.dumps({"topics": sorted(topics), "seen": time.time()})
        self._redis.hset(self._groups_key, group, info)
        self._seen = time.monotonic()

    def heartbeat(self, group: str, topics: Iterable[str]) -> None:
        if time.monotonic() - self._seen > self.HEARTBEAT_S:
            try:
                self.register(group, topics)
            except TRANSIENT_ERRORS:
                log.warning("could not renew consumer group %s in Redis", group)

    def mark(self, group: str, event_ids: Iterable[str]) -> None:
        now = time.time()
        marks = {event_id: now for event_id in event_ids if event_id}
        if marks:
            self._redis.zadd(self._done_key(group), marks)


#: A consumer commits the offsets of what it handled (after recording their done marks) at
#: most this often while events flow, once this many are waiting, and when it stops. A
#: commit is a broker round trip (about 0.5 CPU-ms in this process and as much in the
#: embedded broker), and under a stream of small events nearly every poll paid one. What
#: was handled but not committed is delivered again after a crash or a rebalance, and
#: every handler applies an event id once, so it changes nothing the second time.
COMMIT_EVERY_S = 0.5
COMMIT_EVENTS = 5000
#: How long the last commit of a stopping consumer may wait for the broker.
STOP_COMMIT_MS = 2000


class EventConsumer:
    """A consumer-group member on its own thread; commits offsets after handling events
    (see COMMIT_EVERY_S).

    A poison event (undecodable, or its handler fails with a non-transient error) goes
    to the dead-letter topic before the offset moves past it, and processing continues.
    """

    def __init__(
        self,
        spec: ConsumerSpec,
        bootstrap_servers: str,
        rebalance_timeout_ms: int,
        topic_prefix: str = "",
        done_marks: DoneMarks | None = None,
        client_options: Mapping[str, Any] | None = None,
    ):
        self.spec = spec
        self._done_marks = done_marks
        self._handled: list[str] = []
        self._consumer = KafkaConsumer(
            *(topic_prefix + topic for topic in spec.topics),
            bootstrap_servers=bootstrap_servers,
            group_id=spec.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            # The rebalance timeout bounds how long a first JoinGroup waits.
            max_poll_interval_ms=rebalance_timeout_ms,
            session_timeout_ms=min(10000, rebalance_timeout_ms),
            heartbeat_interval_ms=1000,
            # Bounds memory while the broker does not answer (kafka-python 3.0.12): once a
            # heartbeat is unanswered for heartbeat_interval_ms, poll() spins with a zero
            # wait and every turn hangs a wake-up chain on the in-flight fetch until it
            # times out (default 30 s: +13 MB/s, 400 MB per pause). JoinGroup is not
            # affected: it waits max(this, rebalance timeout + 5 s).
            request_timeout_ms=5000,
            client_id=f"{spec.group}-{uuid.uuid4().hex[:6]}",
            **NO_CLIENT_METRICS,
            **(client_options or {}),
        )
        self._dead_letters = DeadLetters(
            bootstrap_servers, spec.group, topic_prefix=topic_prefix, client_options=client_options
        )
        self._stop = threading.Event()
        self._assigned = threading.Event()
        self._thread = threading.Thread(target=self._run, name=spec.group, daemon=True)

    def start(self) -> None:
        if self._done_marks is not None:
            self._done_marks.register(self.spec.group, self.spec.topics)
        self._thread.start()

    def wait_assigned(self, timeout_s: float) -> bool:
        """True once the group has given this member its partitions."""
        return self._assigned.wait(timeout_s)

    def _run(self) -> None:
        pending: dict[Any, OffsetAndMetadata] = {}  # handled, not committed yet
        flushed_at = time.monotonic()
        while not self._stop.is_set():
            try:
                batch = self._consumer.poll(timeout_ms=200, max_records=self.spec.max_records)
            except KafkaError:
                log.exception("poll failed in group %s", self.spec.group)
                self._stop.wait(1.0)
                continue
            if self._consumer.assignment():
                self._assigned.set()
            if self._done_marks is not None:
                self._done_marks.heartbeat(self.spec.group, self.spec.topics)
            for partition, records in batch.items():
                last = None
                if self.spec.batch_handler is not None and self._handle_batch(records):
                    last = records[-1].offset
                elif not self._stop.is_set():
                    for record in records:
                        if not self._handle_until_done(record):
                            break  # stopping: what was not handled is redelivered later
                        last = record.offset
                if last is not None:
                    pending[partition] = OffsetAndMetadata(last + 1, "", -1)
            now = time.monotonic()
            if pending and (
                now - flushed_at >= COMMIT_EVERY_S or len(self._handled) >= COMMIT_EVENTS
            ):
                self._flush(pending)
                pending, flushed_at = {}, now
        if pending:  # stopping: what was handled is committed, nothing more
            self._flush(pending, timeout_ms=STOP_COMMIT_MS)

    def _flush(self, offsets: dict[Any, OffsetAndMetadata], timeout_ms: int | None = None) -> None:
        """Record the handled events' done marks, then commit their offsets."""
        self._mark_done()
        self._handled.clear()
        self._commit(offsets, timeout_ms)

    def _mark_done(self) -> None:
        """Tell the outbox relay (retain mode) which events this group has applied; while
        stopping one try (the relay sends an unmarked event again, applied once)."""
        if self._done_marks is None or not self._handled:
            return
        while True:
            try:
                self._done_marks.mark(self.spec.group, self._handled)
                return
            except TRANSIENT_ERRORS:
                log.warning("could not record applied events of %s; retrying", self.spec.group)
                if self._stop.wait(1.0):
                    return

    def _handle_until_done(self, record: Any) -> bool:
        """Handle one event, retrying while Redis or Kafka is unreachable.

        Returns False only when the consumer is stopping before the event was handled,
        so its offset is not committed and the event is not lost.
        """
        delay_s = 0.5
        while True:
            try:
                self._handle(record)
                return True
            except TRANSIENT_ERRORS:
                log.warning("transient failure in group %s; retrying", self.spec.group)
                if self._stop.wait(delay_s):
                    return False
                delay_s = min(delay_s * 2, 10.0)

    def _commit(self, offsets: dict[Any, OffsetAndMetadata], timeout_ms: int | None = None) -> None:
        """Commit after handling; a failed commit (rebalance, broker away) is not fatal.

        The uncommitted events are redelivered to whoever owns the partition next, and
        every handler is idempotent, so they change nothing the second time.
        """
        try:
            self._consumer.commit(offsets, timeout_ms=timeout_ms)
            for partition in offsets:
                self._report_lag(partition)
        except KafkaError as exc:
            log.warning(
                "commit failed in group %s (%s); events will be redelivered", self.spec.group, exc
            )

    def _handle_batch(self, records: list) -> bool:
        """All of one partition's records through the batch handler, retrying transients.

        False when they must go event by event instead: an undecodable event or a handler
        bug (to dead-letter only the bad event) or stopping during a retry (then nothing
        further is handled).
        """
        group, topic = self.spec.group, records[0].topic
        try:
            events = [events_pb2.EventEnvelope.FromString(r.value) for r in records]
        except DecodeError:
            return False
        delay_s = 0.5
        while True:
            try:
                applied = self.spec.batch_handler(events)  # type: ignore[misc]
                break
            except TRANSIENT_ERRORS:
                log.warning("transient failure in group %s; retrying", group)
                if self._stop.wait(delay_s):
                    return False
                delay_s = min(delay_s * 2, 10.0)
            except Exception:  # noqa: BLE001 - retried one by one to skip only the bad event
                log.exception("batch handler failed in group %s; handling one by one", group)
                return False
        self._handled.extend(e.event_id for e in events)
        done = sum(applied)
        KAFKA_CONSUMED.labels(topic, group, "applied").inc(done)
        KAFKA_CONSUMED.labels(topic, group, "duplicate").inc(len(applied) - done)
        return True

    def _handle(self, record: Any) -> None:
        """Apply one event, or dead-letter it when it is poison.

        Raises TRANSIENT_ERRORS (from the handler, or KafkaError when the dead-letter
        topic does not acknowledge), so that the caller retries.
        """
        group, topic = self.spec.group, record.topic
        try:
            event = events_pb2.EventEnvelope.FromString(record.value)
        except DecodeError as exc:
            self._dead_letters.send(record, "undecodable", f"DecodeError: {exc}")
            KAFKA_CONSUMED.labels(topic, group, "failed").inc()
            return
        try:
            applied = self.spec.handler(event)
        except TRANSIENT_ERRORS:
            raise
        except Exception as exc:  # noqa: BLE001 - one bad event must not stop the consumer
            log.exception("handler failed for event %s on %s", event.event_id, topic)
            error = f"{type(exc).__name__}: {exc}"
            self._dead_letters.send(record, "handler_failed", error, event.event_id)
            KAFKA_CONSUMED.labels(topic, group, "failed").inc()
            self._handled.append(event.event_id)
            return
        self._handled.append(event.event_id)
        KAFKA_CONSUMED.labels(topic, group, "applied" if applied else "duplicate").inc()

    def _report_lag(self, partition: object) -> None:
        highwater = self._consumer.highwater(partition)  # type: ignore[arg-type]
        position = self._consumer.position(partition)  # type: ignore[arg-type]
        if highwater is not None and position is not None:
            KAFKA_LAG.labels(partition.topic, self.spec.group).set(  # type: ignore[attr-defined]
                max(0, highwater - position)
            )

    def stop(self, timeout_s: float = 10.0) -> None:
        """Finish the event in hand, commit what was handled, leave the group.

        The consumer's thread commits the offsets of the events it handled as it ends; no
        plain commit is made here: that would also cover fetched events never handled.
        """
        self._stop.set()
        self._thread.join(timeout_s)
        self._consumer.close(autocommit=False)
        self._dead_letters.close()
