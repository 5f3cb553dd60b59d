"""The rollup consumer: parkvpp.telemetry.v1 events into 15-minute rollups, exactly once."""

from __future__ import annotations

from parkvpp.v1 import events_pb2
from services.runtime.events import TOPIC_TELEMETRY, ConsumerSpec
from services.runtime.settings import Settings
from services.telemetry.rollups import RegisterReading, RollupBatch, Rollups, power_reading


def rollup_batch(event: events_pb2.EventEnvelope) -> RollupBatch:
    """The rollup work of one ReadingsAccepted event; ValueError for another payload."""
    message = events_pb2.ReadingsAccepted()
    if not event.payload.Unpack(message):
        raise ValueError(f"event {event.event_id} is not a ReadingsAccepted")
    powers, registers = [], []
    for reading in message.readings:
        epoch_s = reading.timestamp.seconds
        if reading.WhichOneof("value") == "energy_register_kwh":
            registers.append(RegisterReading(epoch_s, reading.energy_register_kwh))
        else:
            powers.append(power_reading(epoch_s, reading.power_kw))
    return RollupBatch(
        event.event_id,
        event.enterprise_id,
        message.asset_id,
        powers,
        registers,
        message.bidirectional,
    )


def rollup_consumer(settings: Settings, rollups: Rollups) -> ConsumerSpec:
    """A consumer spec that applies each ReadingsAccepted event once, a poll at a time."""

    def handle(event: events_pb2.EventEnvelope) -> bool:
        return rollups.apply_many([rollup_batch(event)])[0] >= 0

    def handle_batch(events: list[events_pb2.EventEnvelope]) -> list[bool]:
        return [added >= 0 for added in rollups.apply_many([rollup_batch(e) for e in events])]

    return ConsumerSpec(
        group=f"{settings.kafka_group_prefix}-telemetry-rollup",
        topics=(TOPIC_TELEMETRY,),
        handler=handle,
        batch_handler=handle_batch,
    )
