"""The dispatch consumer: VPP awards on parkvpp.clearing.v1 become per-asset setpoints."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC

from bidding.intervals import parse_market_day
from parkvpp.v1 import events_pb2
from parkvpp.v1 import market_pb2 as mpb
from services.runtime.context import Runtime
from services.runtime.events import TOPIC_CLEARING, ConsumerSpec
from services.runtime.metrics import AWARDED_WATTS, WATTS_PER_KW
from services.vpp.dispatcher import Dispatcher

log = logging.getLogger(__name__)


def vpp_awards_kw(result: mpb.ClearingResult, participant_id: str) -> dict[int, float]:
    """The VPP's awarded demand-response kW per interval of a clearing result."""
    awarded: dict[int, float] = defaultdict(float)
    for award in result.awards:
        if (
            award.participant_id == participant_id
            and award.product == mpb.PRODUCT_DEMAND_RESPONSE
            and award.side == mpb.SIDE_SELL
        ):
            awarded[award.interval] += award.awarded_kw
    return dict(awarded)


def dispatch_consumer(runtime: Runtime, dispatcher: Dispatcher) -> ConsumerSpec:
    """A consumer spec that plans each clearing's dispatch once and streams the setpoints."""
    settings = runtime.settings

    def handle(event: events_pb2.EventEnvelope) -> bool:
        message = events_pb2.MarketCleared()
        if not event.payload.Unpack(message):
            return False
        result = message.result
        awarded = vpp_awards_kw(result, settings.vpp_participant_id)
        if not awarded:
            return False
        AWARDED_WATTS.set(max(awarded.values()) * WATTS_PER_KW)
        day = parse_market_day(result.market_day)
        cleared_at = (
            result.cleared_at.ToDatetime(tzinfo=UTC) if result.HasField("cleared_at") else None
        )
        applied = dispatcher.first(day, awarded, result.clearing_id, cleared_at)
        log.info("dispatched %s", day, extra={"applied": applied})
        return applied

    return ConsumerSpec(
        group=f"{settings.kafka_group_prefix}-vpp-dispatch",
        topics=(TOPIC_CLEARING,),
        handler=handle,
    )
