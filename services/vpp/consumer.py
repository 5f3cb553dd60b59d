"""The dispatch consumer: VPP awards on parkvpp.clearing.v1 become per-asset setpoints."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from bidding.dispatch import disaggregate
from bidding.intervals import INTERVALS_PER_DAY, interval_start, parse_market_day
from parkvpp.v1 import events_pb2
from parkvpp.v1 import market_pb2 as mpb
from parkvpp.v1 import vpp_pb2 as pb
from services.runtime.context import Runtime
from services.runtime.events import TOPIC_CLEARING, TOPIC_DISPATCH, ConsumerSpec
from services.runtime.metrics import AWARDED_WATTS, WATTS_PER_KW
from services.runtime.rpc import to_ts
from services.vpp.dispatch_store import DispatchStore
from services.vpp.portfolio import Portfolio

log = logging.getLogger(__name__)

#: Setpoints below this are not sent (meter noise is larger).
MIN_SETPOINT_KW = 0.01


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


def dispatch_consumer(runtime: Runtime, portfolio: Portfolio, store: DispatchStore) -> ConsumerSpec:
    """A consumer spec that disaggregates each clearing once and streams the setpoints."""
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
        assets = portfolio.bid_assets(day)
        setpoints = disaggregate(awarded, assets)
        owner = {a.asset_id: a.enterprise_id for a in assets}
        issued_at = datetime.now(UTC)
        deadline = to_ts(issued_at + timedelta(seconds=settings.dispatch_ack_seconds))
        by_enterprise: dict[str, list[pb.DispatchInstruction]] = defaultdict(list)
        for asset_id, reduction_kw in sorted(setpoints.items()):
            for interval in range(INTERVALS_PER_DAY):
                kw = float(reduction_kw[interval])
                if abs(kw) < MIN_SETPOINT_KW:
                    continue
                by_enterprise[owner[asset_id]].append(
                    pb.DispatchInstruction(
                        instruction_id=f"{day.isoformat()}-{asset_id}-{interval:02d}",
                        enterprise_id=owner[asset_id],
                        asset_id=asset_id,
                        market_day=day.isoformat(),
                        interval=interval,
                        interval_start=to_ts(interval_start(day, interval)),
                        reduction_kw=round(kw, 3),
                        deadline=deadline,
                        status=pb.DISPATCH_STATUS_SENT,
                        award_id=result.clearing_id,
                    )
                )
        applied = False
        for enterprise_id, items in sorted(by_enterprise.items()):
            if store.issue(event.event_id, enterprise_id, day.isoformat(), items) >= 0:
                applied = True
                runtime.publisher.publish(
                    TOPIC_DISPATCH,
                    day.isoformat(),
                    events_pb2.DispatchIssued(market_day=day.isoformat(), instructions=items),
                    enterprise_id,
                )
        runtime.publisher.flush()
        log.info("dispatched %s", day, extra={"enterprises": len(by_enterprise)})
        return applied

    return ConsumerSpec(
        group=f"{settings.kafka_group_prefix}-vpp-dispatch",
        topics=(TOPIC_CLEARING,),
        handler=handle,
    )
