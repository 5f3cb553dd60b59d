"""Raw Kafka for tests: feeding consumers directly (poison, redelivery), reading topics."""

from __future__ import annotations

import time
from collections.abc import Callable

from google.protobuf.message import Message
from kafka import KafkaConsumer, KafkaProducer

from parkvpp.v1 import events_pb2
from services.runtime.events import envelope, new_event_id


class RawProducer:
    """Sends envelopes straight to a topic of the real broker, as a relay or an attacker
    would; `flush()` waits until the broker acknowledged them."""

    def __init__(self, bootstrap_servers: str) -> None:
        self._producer = KafkaProducer(
            bootstrap_servers=bootstrap_servers, acks="all", enable_idempotence=True
        )

    def publish(
        self, topic: str, key: str, message: Message, enterprise_id: str = "", event_id: str = ""
    ) -> str:
        event_id = event_id or new_event_id()
        data = envelope(message, enterprise_id, event_id)
        self._producer.send(topic, key=key.encode(), value=data)
        return event_id

    def flush(self) -> None:
        self._producer.flush(timeout=30)

    def close(self) -> None:
        self._producer.close(timeout=10)


def read_events(
    bootstrap_servers: str,
    topic: str,
    kind: type[Message],
    match: Callable[[Message], bool] = lambda _m: True,
    wait_s: float = 20.0,
    linger_s: float = 0.5,
) -> list[tuple[events_pb2.EventEnvelope, Message]]:
    """(envelope, payload) of every `kind` event on `topic` that `match` accepts, from the
    start; waits up to `wait_s` for the first, then `linger_s` more for any repeat (a second
    announcement of one thing is a bug the caller can see)."""
    reader = KafkaConsumer(
        topic, bootstrap_servers=bootstrap_servers, group_id=None, auto_offset_reset="earliest"
    )
    found: list[tuple[events_pb2.EventEnvelope, Message]] = []

    def poll(timeout_ms: int) -> None:
        for records in reader.poll(timeout_ms=timeout_ms).values():
            for record in records:
                event = events_pb2.EventEnvelope.FromString(record.value)
                message = kind()
                if event.payload.Unpack(message) and match(message):
                    found.append((event, message))

    try:
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline and not found:
            poll(200)
        lingered = time.monotonic() + linger_s
        while found and time.monotonic() < lingered:
            poll(100)
    finally:
        reader.close()
    return found
