"""The transactional outbox: an event is written to Redis in the same atomic step as its change.

A service never talks to Kafka on a request's path. It writes its state change and the
event about it in one Redis step (a Lua script or a MULTI/EXEC transaction); the relay
(services/runtime/relay.py) publishes the outbox to Kafka afterwards. So what a reply
acknowledges is in Redis (AOF) together with its event, and a crash of the service, the
relay or the broker loses neither.

Keys. An outbox stream lives beside the state it belongs to, under the same hash tag, so
that the change and its event share one Redis Cluster slot:

  parkvpp:{tag}:outbox              stream: unpublished events, oldest first
  parkvpp:{outbox}:streams          set: every outbox stream the relay must drain
  parkvpp:{outbox}:retained         stream: published events kept until every consumer
                                    group has applied them (retain mode, see the relay):
                                    topic, key, event id and when it was sent
  parkvpp:{outbox}:retained_data    hash: event id -> its envelope, while it is retained
  parkvpp:{outbox}:groups           hash: consumer group -> topics it reads, last seen
  parkvpp:{outbox}:done:{group}     set: event ids the group applied (retain mode)
  parkvpp:{outbox}:broker_epoch     integer: bumped whenever a memory-only broker starts

An entry holds the topic (without PARKVPP_KAFKA_TOPIC_PREFIX), the partition key, the event
id and either the serialised EventEnvelope (`e`) or, for events whose content only a Lua
script knows, a codec name and its data (`c`, `d`) that the relay turns into an envelope.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import redis
from google.protobuf.message import Message

from services.runtime.events import envelope, new_event_id
from services.runtime.store import shared_key

#: The relay's own keys share one hash tag.
OUTBOX_TAG = "outbox"
STREAMS_KEY = shared_key(OUTBOX_TAG, "streams")
RETAINED_KEY = shared_key(OUTBOX_TAG, "retained")
RETAINED_DATA_KEY = shared_key(OUTBOX_TAG, "retained_data")
GROUPS_KEY = shared_key(OUTBOX_TAG, "groups")
BROKER_EPOCH_KEY = shared_key(OUTBOX_TAG, "broker_epoch")
LEASE_KEY = shared_key(OUTBOX_TAG, "relay_lease")

#: Lua helper prepended to scripts that append events: `outbox_add(stream, fields...)`.
#: ARGV layout of one event in such scripts: topic, key, event id, envelope bytes.
OUTBOX_LUA = """
local function outbox_add(stream, topic, key, event_id, data)
  redis.call('XADD', stream, '*', 't', topic, 'k', key, 'i', event_id, 'e', data)
end
"""


def stream_key(tag: str) -> str:
    """The outbox stream of hash tag `tag` (an enterprise id, "registry", "market", ...)."""
    return shared_key(tag, "outbox")


def done_key(group: str) -> str:
    """The set of event ids consumer group `group` has applied (retain mode)."""
    return shared_key(OUTBOX_TAG, "done", group)


@dataclass(frozen=True)
class OutboxEvent:
    """One event ready for the outbox: where it goes, its key, id and envelope bytes."""

    topic: str
    key: str
    event_id: str
    data: bytes

    @classmethod
    def of(
        cls, topic: str, key: str, message: Message, enterprise_id: str = "", event_id: str = ""
    ) -> OutboxEvent:
        """Wrap `message` in an EventEnvelope (a fresh event id unless one is given)."""
        event_id = event_id or new_event_id()
        return cls(topic, key, event_id, envelope(message, enterprise_id, event_id))

    def lua_args(self) -> list[str | bytes]:
        """The four ARGV values of OUTBOX_LUA's `outbox_add` for this event."""
        return [self.topic, self.key, self.event_id, self.data]

    def fields(self) -> dict[str, str | bytes]:
        return {"t": self.topic, "k": self.key, "i": self.event_id, "e": self.data}


@dataclass(frozen=True)
class CodecEvent:
    """An event whose envelope the relay builds later with codec `codec` from `data`.

    For events whose content is decided inside a Lua script (the certificate ledger's lots):
    the script stores its own reply, and the codec (see services/runtime/codecs.py) turns it
    into the protobuf event when the relay publishes it.
    """

    topic: str
    key: str
    event_id: str
    codec: str
    data: bytes | str


class Outbox:
    """Appends events to outbox streams, alone or inside a caller's transaction.

    `register(tag)` must run before the first atomic write to a tag's stream so the relay
    finds it; it is cached per process (the relay also scans for outbox streams when it
    takes over, so a registration lost to a flushed database is found again).
    """

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client
        self._known: set[str] = set()
        self._lock = threading.Lock()

    def register(self, tag: str) -> str:
        """The stream key of `tag`, recorded in the relay's directory once per process."""
        key = stream_key(tag)
        with self._lock:
            if key in self._known:
                return key
        self._redis.sadd(STREAMS_KEY, key)
        with self._lock:
            self._known.add(key)
        return key

    def add_to(self, pipe: redis.client.Pipeline, tag: str, events: Iterable[OutboxEvent]) -> None:
        """Queue XADDs of `events` on `pipe` (a MULTI/EXEC pipeline of the same change)."""
        key = self.register(tag)
        for event in events:
            pipe.xadd(key, event.fields())  # type: ignore[arg-type]

    def append(self, tag: str, events: Sequence[OutboxEvent]) -> None:
        """Write `events` to `tag`'s outbox in one transaction (for events with no change)."""
        if not events:
            return
        pipe = self._redis.pipeline(transaction=True)
        self.add_to(pipe, tag, events)
        pipe.execute()

    def forget(self) -> None:
        """Drop the per-process registration cache (after a database flush, in tests)."""
        with self._lock:
            self._known.clear()


def note_broker_restart(client: redis.Redis) -> int:
    """Record that a memory-only broker (re)started empty; returns the new epoch.

    The relay republishes every retained event when the epoch moves, so consumers get again
    what the lost broker held and had not been applied yet. Call it after the broker listens
    and its topics exist.
    """
    return int(client.incr(BROKER_EPOCH_KEY))
