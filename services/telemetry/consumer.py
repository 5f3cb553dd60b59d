"""The rollup consumer: parkvpp.telemetry.v1 events into 15-minute rollups, exactly once."""

from __future__ import annotations

from parkvpp.v1 import events_pb2
from services.runtime.events import TOPIC_TELEMETRY, ConsumerSpec
from services.runtime.settings import Settings
from services.telemetry.rollups import RegisterReading, Rollups, power_reading


def rollup_consumer(settings: Settings, rollups: Rollups) -> ConsumerSpec:
    """A consumer spec whose handler applies each ReadingsAccepted event once."""

    def handle(event: events_pb2.EventEnvelope) -> bool:
        message = events_pb2.ReadingsAccepted()
        if not event.payload.Unpack(message):
            return False
        powers, registers = [], []
        for reading in message.readings:
            epoch_s = reading.timestamp.seconds
            if reading.WhichOneof("value") == "energy_register_kwh":
                registers.append(RegisterReading(epoch_s, reading.energy_register_kwh))
            else:
                powers.append(power_reading(epoch_s, reading.power_kw))
        applied = rollups.apply(
            event.event_id,
            event.enterprise_id,
            message.asset_id,
            powers,
            registers,
            message.bidirectional,
        )
        return applied >= 0

    return ConsumerSpec(
        group=f"{settings.kafka_group_prefix}-telemetry-rollup",
        topics=(TOPIC_TELEMETRY,),
        handler=handle,
    )
