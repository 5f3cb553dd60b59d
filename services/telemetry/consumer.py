"""The rollup consumer: parkvpp.telemetry.v1 events into 15-minute rollups, exactly once."""

from __future__ import annotations

from parkvpp.v1 import events_pb2
from services.runtime.events import TOPIC_TELEMETRY, ConsumerSpec
from services.runtime.settings import Settings
from services.telemetry.rollups import RollupReading, Rollups
from services.telemetry.servicer import reading_location


def rollup_consumer(settings: Settings, rollups: Rollups) -> ConsumerSpec:
    """A consumer spec whose handler applies each ReadingsAccepted event once."""

    def handle(event: events_pb2.EventEnvelope) -> bool:
        message = events_pb2.ReadingsAccepted()
        if not event.payload.Unpack(message):
            return False
        readings = []
        for reading in message.readings:
            day, interval, epoch_s = reading_location(reading)
            readings.append(RollupReading(day, interval, epoch_s, reading.power_kw))  # type: ignore[arg-type]
        return rollups.apply(event.event_id, event.enterprise_id, message.asset_id, readings) >= 0

    return ConsumerSpec(
        group=f"{settings.kafka_group_prefix}-telemetry-rollup",
        topics=(TOPIC_TELEMETRY,),
        handler=handle,
    )
