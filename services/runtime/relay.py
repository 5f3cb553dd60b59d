"""The outbox relay: publishes the Redis outbox to Kafka and keeps each event until it is safe.

One relay is active at a time: every service process runs one, and a Redis lease picks the
leader (a killed leader's lease lapses within `LEASE_MS` and another process takes over).
The leader reads each outbox stream oldest first, sends the entries with an idempotent
acks=all producer, and deletes an entry only after the broker acknowledged it:

* production (replicated Kafka): acknowledged by all in-sync replicas is safe, so the entry
  is deleted then;
* retain mode (`PARKVPP_OUTBOX_RETAIN`, the embedded memory-only broker): the entry moves
  to the retained log and stays there until every consumer group that reads its topic has
  applied it. When the broker starts again empty (its epoch moves, see
  `outbox.note_broker_restart`) the whole retained log is published again, and an event
  that no group applied within `PARKVPP_OUTBOX_RETRY_S` is sent again. Consumers apply an
  event id once, so the repeats change nothing.

A failed send leaves the entry where it is; the next round sends it again.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
from google.protobuf.message import DecodeError
from kafka import KafkaProducer
from kafka.errors import KafkaError
from redis.exceptions import RedisError

from services.runtime import outbox
from services.runtime.kafka_config import (
    NO_CLIENT_METRICS,
    crc32c_implementation,
    kafka_client_options,
)
from services.runtime.metrics import (
    KAFKA_PRODUCE_FAILED,
    KAFKA_PRODUCED,
    OUTBOX_OLDEST_AGE,
    OUTBOX_PENDING,
    OUTBOX_PUBLISHED,
    OUTBOX_RELAY_LEADER,
    OUTBOX_RETAINED,
)
from services.runtime.settings import Settings
from services.runtime.store import shared_key

log = logging.getLogger(__name__)

LEASE_MS = 5000
RELAY_EPOCH_KEY = shared_key(outbox.OUTBOX_TAG, "relay_epoch")
#: Entries read from one stream per round, and bytes sent per round at most.
PER_STREAM = 200
ROUND_BYTES = 8 * 1024 * 1024
#: Retained entries examined per round, and how often at most while events are published.
RETAINED_SCAN = 2000
RETAINED_EVERY_S = 0.25
#: Producer batching, also the raw limits' in loadtests/bench_ingest.py: a round's events
#: wait LINGER_MS at most, and up to BATCH_BYTES of a partition's go as one record batch.
#: kafka-python's default (16 KB) holds one telemetry event of 500 readings (~10 KB), so
#: a produce request carried one event a partition: 256 KB took a quarter of the process's
#: CPU off the 2,000-asset bench_ingest (1.37-1.58 against 1.92-2.13 s; the broker's
#: halved), though not its time, which the rollups bound.
LINGER_MS = 5
BATCH_BYTES = 256 * 1024
#: A leader's rounds start at least this far apart: under a stream of small writes (meter
#: gateways' batches of a few dozen readings, one event each) a round gathers the events of
#: this long instead of one, and each round costs Redis and broker round trips whatever it
#: carries, and so does each poll of the consumers that read what it sent. An event written
#: after a quiet spell still goes at once, and so does the round after one that took longer
#: than this or carried BULK_ROUND events or more (bulk ingest is not slowed). 50 ms rather
#: than 20: readings only at 150 streams/s, interleaved, the leader's CPU fell from 11-14 %
#: to 6 % of a core, the broker's from 4 % to 2-3 % (loadtests README, seventh session).
ROUND_GAP_S = 0.05
BULK_ROUND = 64
#: A group that has not been seen for this long is no longer waited for.
GROUP_TTL_S = 24 * 3600

_LEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
"""

#: Codecs of entries written by Lua scripts: name -> "module:function(fields)" returning
#: (topic, key, envelope bytes). Imported when first needed.
CODECS = {"certificates.ledger": "services.certificates.feed:encode"}


#: What makes an entry unusable for good (its data, not the code): it is set aside.
UNUSABLE = (ValueError, KeyError, TypeError, DecodeError, UnicodeDecodeError)


@dataclass(frozen=True)
class Entry:
    """One outbox entry as read: where it is stored and what to send."""

    stream: str
    entry_id: str
    topic: str
    key: str
    event_id: str
    data: bytes


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _codec(name: str) -> Callable[[dict[bytes, bytes]], tuple[str, str, bytes]]:
    module, _, function = CODECS[name].partition(":")
    return getattr(importlib.import_module(module), function)  # type: ignore[no-any-return]


def decode_entry(stream: str, entry_id: bytes | str, fields: dict[bytes, bytes]) -> Entry:
    """An Entry from a stream entry's fields (envelope or codec form); ValueError if neither."""
    event_id = _text(fields.get(b"i", b""))
    if b"e" in fields:
        topic, key = _text(fields[b"t"]), _text(fields[b"k"])
        return Entry(stream, _text(entry_id), topic, key, event_id, fields[b"e"])
    if b"c" in fields:
        topic, key, data = _codec(_text(fields[b"c"]))(fields)
        return Entry(stream, _text(entry_id), topic, key, event_id, data)
    raise ValueError(f"outbox entry {_text(entry_id)} of {stream} has neither e nor c")


def group_topics(client: redis.Redis) -> dict[str, set[str]]:
    """Topic -> the consumer groups that read it and were seen within GROUP_TTL_S."""
    now = time.time()
    by_topic: dict[str, set[str]] = {}
    for group, raw in client.hgetall(outbox.GROUPS_KEY).items():
        info = json.loads(raw)
        if now - float(info.get("seen", 0)) > GROUP_TTL_S:
            continue
        for topic in info.get("topics", []):
            by_topic.setdefault(topic, set()).add(_text(group))
    return by_topic


class RoundPacer:
    """Starts rounds at least `gap_s` apart: `start_round` waits (with `wait`, which
    returns True when told to stop) for what is left of the gap since the last round
    started, unless the last round was `bulk`; it returns False when told to stop instead."""

    def __init__(
        self, gap_s: float, clock: Callable[[], float], wait: Callable[[float], bool]
    ) -> None:
        self._gap_s = gap_s
        self._clock = clock
        self._wait = wait
        self._started: float | None = None

    def start_round(self, bulk: bool = False) -> bool:
        if self._started is not None and not bulk:
            left_s = self._started + self._gap_s - self._clock()
            if left_s > 0 and self._wait(left_s):
                return False
        self._started = self._clock()
        return True


class OutboxRelay:
    """The relay thread of one process; `start()`, `stop()`, `wake()` after a write."""

    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self._redis = client
        self._settings = settings
        self._owner = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._lease = client.register_script(_LEASE)
        self._producer: KafkaProducer | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-relay", daemon=True)
        self._leader = False
        self._renewed_at = 0.0
        self._retried: dict[str, float] = {}
        self._next_stats = 0.0
        self._next_prune = 0.0
        self._retained_at = 0.0
        self._scanned = False

    def start(self) -> None:
        if crc32c_implementation() != "c":
            log.warning(
                "kafka-python computes CRC-32C in pure Python (the crc32c package is not "
                "importable): publishing and consuming events will be several times slower"
            )
        self._thread.start()

    def wake(self) -> None:
        """Look at the outbox now instead of at the next poll."""
        self._wake.set()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Finish the round in hand, give up the lease, close the producer."""
        self._stop.set()
        self._wake.set()
        if self._thread.ident is not None:
            self._thread.join(timeout_s)
        try:
            if self._leader and self._redis.get(outbox.LEASE_KEY) == self._owner.encode():
                self._redis.delete(outbox.LEASE_KEY)
        except RedisError:
            pass
        if self._producer is not None:
            self._producer.close(timeout=5)
            self._producer = None
        OUTBOX_RELAY_LEADER.set(0)

    # -- the loop -----------------------------------------------------------------------

    def _run(self) -> None:
        delay_s = 0.5
        pace = RoundPacer(ROUND_GAP_S, time.monotonic, self._stop.wait)
        busy = 0
        while not self._stop.is_set():
            if not pace.start_round(bulk=busy >= BULK_ROUND):
                break
            busy = 0  # a failed round published nothing to hurry after
            try:
                busy = self.run_once()
                delay_s = 0.5
            except (RedisError, KafkaError) as exc:
                log.warning("outbox relay: %s; retrying in %.1fs", exc, delay_s)
                self._stop.wait(delay_s)
                delay_s = min(delay_s * 2, 10.0)
                continue
            except Exception:  # noqa: BLE001 - a bug is logged; the relay keeps going
                log.exception("outbox relay round failed")
                self._stop.wait(1.0)
                continue
            if not busy and self._leader:
                self._wake.wait(self._settings.outbox_poll_s)
                self._wake.clear()
            elif not busy:  # wakes are for the leader; a follower asks for the lease each second
                self._stop.wait(1.0)

    def run_once(self) -> int:
        """One round when this process leads: publish, then keep retained events safe.

        Returns how many events it published (the caller loops again when any).
        """
        if not self._hold_lease():
            return 0
        sent = 0
        if self._settings.outbox_retain:  # what a lost broker held goes before what is new
            sent += self._refeed_if_restarted()
        drained = self._drain()
        sent += drained
        now = time.monotonic()
        if self._settings.outbox_retain and (
            not drained or now - self._retained_at >= RETAINED_EVERY_S
        ):
            self._retained_at = now
            sent += self._keep_retained()
        self._stats()
        return sent

    def _hold_lease(self) -> bool:
        """Take or renew the lease; a leader renews a third of LEASE_MS after the last time,
        so an idle relay writes to Redis only every ~1.7 s."""
        now = time.monotonic()
        if self._leader and now - self._renewed_at < LEASE_MS / 3000:
            return True
        leader = bool(self._lease(keys=[outbox.LEASE_KEY], args=[self._owner, LEASE_MS]))
        self._renewed_at = now
        if leader and not self._leader:
            log.info("outbox relay leader", extra={"owner": self._owner})
            self._scanned = False
        if not leader and self._leader:
            log.info("outbox relay lease lost", extra={"owner": self._owner})
            self._retried.clear()
            for gauge in (OUTBOX_PENDING, OUTBOX_OLDEST_AGE, OUTBOX_RETAINED):
                gauge.set(0)
        self._leader = leader
        OUTBOX_RELAY_LEADER.set(1 if leader else 0)
        return leader

    # -- publishing ---------------------------------------------------------------------

    def _streams(self) -> list[str]:
        """Every outbox stream; on taking over also those a flushed directory lost."""
        if not self._scanned:
            found = [
                _text(k) for k in self._redis.scan_iter(match="parkvpp:*:outbox", _type="STREAM")
            ]
            if found:
                self._redis.sadd(outbox.STREAMS_KEY, *found)
            self._scanned = True
        return sorted(_text(s) for s in self._redis.smembers(outbox.STREAMS_KEY))

    def _read(self) -> list[Entry]:
        streams = self._streams()
        pipe = self._redis.pipeline(transaction=False)
        for stream in streams:
            pipe.xrange(stream, "-", "+", count=PER_STREAM)
        entries: list[Entry] = []
        size = 0
        for stream, rows in zip(streams, pipe.execute(), strict=True):
            for entry_id, fields in rows:
                try:
                    entry = decode_entry(stream, entry_id, fields)
                except UNUSABLE as exc:  # a malformed entry must not block the rest
                    # Only the entry's own data: a codec that cannot be imported (a broken
                    # deployment) fails the round instead, and its entries wait.
                    log.error(
                        "outbox entry %s of %s unusable (%r): set aside", entry_id, stream, exc
                    )
                    self._set_aside(stream, entry_id, fields)
                    continue
                entries.append(entry)
                size += len(entry.data)
                if size >= ROUND_BYTES:
                    return entries
        return entries

    def _set_aside(self, stream: str, entry_id: Any, fields: dict[bytes, bytes]) -> None:
        self._redis.xadd(shared_key(outbox.OUTBOX_TAG, "unusable"), fields)  # type: ignore[arg-type]
        self._redis.xdel(stream, entry_id)

    def _send(self, entries: list[Entry], reason: str) -> list[Entry]:
        """Send entries and wait for the broker; returns those it acknowledged.

        After any failure the producer is replaced: an idempotent producer can be left in a
        fatal state for good (a restarted empty broker answers its InitProducerId epoch bump
        with UnknownError, and kafka-python then aborts every later batch), so the next
        round starts over with a new producer id. Raises KafkaError when sending itself fails.
        """
        producer = self._producer_now()
        prefix = self._settings.kafka_topic_prefix
        try:
            futures = [
                (e, producer.send(prefix + e.topic, key=e.key.encode(), value=e.data))
                for e in entries
            ]
            producer.flush(timeout=self._settings.kafka_publish_timeout_s)
        except KafkaError:
            self._drop_producer()
            raise
        done = []
        for entry, future in futures:
            if future.succeeded():
                done.append(entry)
                KAFKA_PRODUCED.labels(entry.topic).inc()
            else:
                KAFKA_PRODUCE_FAILED.labels(entry.topic).inc()
        OUTBOX_PUBLISHED.labels(reason).inc(len(done))
        if len(done) < len(entries):
            self._drop_producer()
        return done

    def _drop_producer(self) -> None:
        """Close the producer (waiting 1 s at most); what it did not deliver stays in the outbox."""
        if self._producer is not None:
            self._producer.close(timeout=1)
            self._producer = None

    def _drain(self) -> int:
        entries = self._read()
        if not entries:
            return 0
        done = self._send(entries, "first")
        if not done:
            return 0
        now_ms = int(time.time() * 1000)
        pipe = self._redis.pipeline(transaction=False)
        if self._settings.outbox_retain:
            # The envelope first, then its entry, then the outbox's is deleted: a relay that
            # dies in between leaves the outbox entry, which is sent and kept again.
            pipe.hset(outbox.RETAINED_DATA_KEY, mapping={e.event_id: e.data for e in done})
            for e in done:
                pipe.xadd(
                    outbox.RETAINED_KEY, {"t": e.topic, "k": e.key, "i": e.event_id, "s": now_ms}
                )
        by_stream: dict[str, list[str]] = {}
        for e in done:
            by_stream.setdefault(e.stream, []).append(e.entry_id)
        for stream, entry_ids in by_stream.items():
            pipe.xdel(stream, *entry_ids)
        pipe.execute()
        return len(done)

    def _producer_now(self) -> KafkaProducer:
        if self._producer is None:
            s = self._settings
            self._producer = KafkaProducer(
                bootstrap_servers=s.kafka_bootstrap_servers,
                acks="all",
                # Retried sends carry producer sequence numbers, so a retry never writes twice.
                enable_idempotence=True,
                linger_ms=LINGER_MS,
                batch_size=BATCH_BYTES,
                max_block_ms=int(s.kafka_publish_timeout_s * 1000),
                max_request_size=4 * 1024 * 1024,
                client_id="parkvpp-relay",
                **NO_CLIENT_METRICS,
                **kafka_client_options(s),  # type: ignore[arg-type]
            )
        return self._producer

    # -- retain mode --------------------------------------------------------------------

    def _keep_retained(self) -> int:
        """Drop what every group applied; send again what none applied in time."""
        sent = 0
        rows = self._redis.xrange(outbox.RETAINED_KEY, "-", "+", count=RETAINED_SCAN)
        if not rows:
            return sent
        readers = group_topics(self._redis)
        done_keys = {g: outbox.done_key(g) for groups in readers.values() for g in groups}
        # One ZMSCORE a group for all the entries it reads, not a ZSCORE an entry and group.
        checks: list[tuple[Any, dict[bytes, bytes], list[str]]] = []
        asked: dict[str, list[bytes]] = {}
        for entry_id, fields in rows:
            groups = sorted(readers.get(_text(fields[b"t"]), ()))
            checks.append((entry_id, fields, groups))
            for group in groups:
                asked.setdefault(group, []).append(fields[b"i"])
        pipe = self._redis.pipeline(transaction=False)
        for group, event_ids in asked.items():
            pipe.zmscore(done_keys[group], event_ids)
        scores = {group: iter(got) for group, got in zip(asked, pipe.execute(), strict=True)}
        now = time.time()
        safe: list[tuple[Any, bytes, list[str]]] = []
        late: list[tuple[Any, dict[bytes, bytes]]] = []
        for entry_id, fields, groups in checks:
            applied = [next(scores[group]) is not None for group in groups]
            event_id = _text(fields[b"i"])
            if all(applied):
                safe.append((entry_id, fields[b"i"], groups))
                self._retried.pop(event_id, None)
                continue
            last = max(int(fields[b"s"]) / 1000, self._retried.get(event_id, 0.0))
            if now - last > self._settings.outbox_retry_s:
                late.append((entry_id, fields))
        if safe:
            marks: dict[str, list[bytes]] = {}
            for _, event_id, groups in safe:
                for group in groups:
                    marks.setdefault(group, []).append(event_id)
            pipe = self._redis.pipeline(transaction=False)
            pipe.xdel(outbox.RETAINED_KEY, *(entry_id for entry_id, _, _ in safe))
            pipe.hdel(outbox.RETAINED_DATA_KEY, *(event_id for _, event_id, _ in safe))
            for group, event_ids in marks.items():
                pipe.zrem(done_keys[group], *event_ids)
            pipe.execute()
        if late:
            again = self._send(self._retained_entries(late), "retry")
            for entry in again:
                self._retried[entry.event_id] = now
            if again:
                log.warning("outbox relay sent %d events again: not applied in time", len(again))
        return sent

    def _retained_entries(self, rows: list[tuple[Any, dict[bytes, bytes]]]) -> list[Entry]:
        """The retained log's entries with their envelopes (one HMGET for those kept beside
        the log; earlier versions kept them in the entry). An entry whose envelope is gone
        is deleted instead: the envelope goes when an entry of that event was applied by
        every group, and one event can have two entries when a relay died between keeping
        an event and deleting it from the outbox."""
        missing = [fields[b"i"] for _, fields in rows if b"e" not in fields]
        found: dict[bytes, bytes | None] = {}
        if missing:
            got = self._redis.hmget(outbox.RETAINED_DATA_KEY, missing)
            found = dict(zip(missing, got, strict=True))
        entries, gone = [], []
        for entry_id, fields in rows:
            data = fields.get(b"e", found.get(fields[b"i"]))
            if data is None:
                gone.append(entry_id)
                continue
            entries.append(decode_entry(outbox.RETAINED_KEY, entry_id, {**fields, b"e": data}))
        if gone:
            self._redis.xdel(outbox.RETAINED_KEY, *gone)
        return entries

    def _refeed_if_restarted(self) -> int:
        """Publish the whole retained log again when the broker epoch moved; returns count."""
        epoch, fed = self._redis.mget(outbox.BROKER_EPOCH_KEY, RELAY_EPOCH_KEY)
        if epoch is None or epoch == fed:
            return 0
        sent, start = 0, "-"
        while True:
            rows = self._redis.xrange(outbox.RETAINED_KEY, start, "+", count=500)
            if not rows:
                break
            entries = self._retained_entries(rows)
            done = self._send(entries, "refeed")
            if len(done) < len(entries):
                raise KafkaError(f"refeed: broker acknowledged {len(done)} of {len(entries)}")
            sent += len(done)
            start = "(" + _text(rows[-1][0])
        self._redis.set(RELAY_EPOCH_KEY, epoch)
        log.warning("broker epoch %s: published %d retained events again", _text(epoch), sent)
        return sent

    def _stats(self) -> None:
        now = time.time()
        if now < self._next_stats:
            return
        self._next_stats = now + 1.0
        streams = self._streams()
        pipe = self._redis.pipeline(transaction=False)
        for stream in streams:
            pipe.xlen(stream)
            pipe.xrange(stream, "-", "+", count=1)
        pipe.xlen(outbox.RETAINED_KEY)
        replies = pipe.execute()
        pending = sum(int(n) for n in replies[0:-1:2])
        heads = [rows[0][0] for rows in replies[1:-1:2] if rows]
        oldest_ms = min((int(_text(h).split("-")[0]) for h in heads), default=None)
        OUTBOX_PENDING.set(pending)
        OUTBOX_OLDEST_AGE.set(0 if oldest_ms is None else max(0.0, now - oldest_ms / 1000))
        OUTBOX_RETAINED.set(int(replies[-1]))
        if now >= self._next_prune:  # now and then: forget done marks nobody will ask about
            self._next_prune = now + 300
            for group in self._redis.hkeys(outbox.GROUPS_KEY):
                key = outbox.done_key(_text(group))
                self._redis.zremrangebyscore(key, "-inf", now - GROUP_TTL_S)
