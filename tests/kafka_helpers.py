"""Raw Kafka production for tests that feed consumers directly (poison, redelivery)."""

from __future__ import annotations

from google.protobuf.message import Message
from kafka import KafkaProducer

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
