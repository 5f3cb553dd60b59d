"""CertificateService.GetGreenTarget: a market day's green target (from the day's latest bid
plan) against the trades settled, the certificates claimed and what the park issued."""

from __future__ import annotations

from datetime import date, datetime

from certificates.green_target import Outcome, PlannedTarget, TargetReason, target_status
from parkvpp.v1 import bidding_pb2 as bpb
from parkvpp.v1 import certificates_pb2 as pb
from services.bidding.plan_store import latest_plan
from services.certificates.metering import day_bounds
from services.runtime.errors import NotFound
from services.runtime.rpc import market_day, require_id

WH_PER_KWH = 1000
_FROM_PLAN = {
    bpb.GREEN_SHORTFALL_REASON_SUPPLY: TargetReason.SUPPLY,
    bpb.GREEN_SHORTFALL_REASON_PRICE_ABOVE_LIMIT: TargetReason.PRICE_ABOVE_LIMIT,
}
_TO_WIRE = {
    TargetReason.NONE: bpb.GREEN_SHORTFALL_REASON_UNSPECIFIED,
    TargetReason.SUPPLY: bpb.GREEN_SHORTFALL_REASON_SUPPLY,
    TargetReason.PRICE_ABOVE_LIMIT: bpb.GREEN_SHORTFALL_REASON_PRICE_ABOVE_LIMIT,
    TargetReason.NO_OFFER: bpb.GREEN_SHORTFALL_REASON_NO_OFFER,
    TargetReason.NOT_BOUGHT: bpb.GREEN_SHORTFALL_REASON_NOT_BOUGHT,
    TargetReason.NOT_RETIRED: bpb.GREEN_SHORTFALL_REASON_NOT_RETIRED,
    TargetReason.CONSUMPTION_ABOVE_FORECAST: bpb.GREEN_SHORTFALL_REASON_CONSUMPTION_ABOVE_FORECAST,
}


def _planned(result: bpb.GreenPowerResult) -> PlannedTarget:
    share = result.target_share or (
        result.target_kwh / result.consumption_kwh if result.consumption_kwh else 0.0
    )
    purchase_wh = result.bundled_wh + result.certificate_wh
    return PlannedTarget(
        share=share,
        hourly_matched=result.hourly_matched,
        planned_wh=round(result.onsite_pv_used_kwh * WH_PER_KWH) + purchase_wh,
        planned_purchase_wh=purchase_wh,
        forecast_consumption_wh=round(result.consumption_kwh * WH_PER_KWH),
        target_kwh=result.target_kwh,
        shortfall_kwh=result.shortfall_kwh,
        shortfall_reason=_FROM_PLAN.get(result.shortfall_reason, TargetReason.NONE),
        shortfall_detail=result.shortfall_detail,
    )


class GreenTargetRpcs:
    """Mixed into CertificateServicer, which supplies runtime, registry, ledger and
    enterprise_footprint."""

    def _trades_of_period(self, buyer: str, start: datetime, end: datetime) -> tuple[int, bool]:
        """(Wh bought in settled trades, whether any trade was proposed) for lots produced
        in [start, end), with `buyer` as the buyer."""
        ledger = self.ledger  # type: ignore[attr-defined]
        trades, token = [], ""
        while True:
            page, token = ledger.list_trades(buyer, 1000, token)
            trades.extend(t for t in page if t.buyer_enterprise_id == buyer)
            if not token:
                break
        lots = ledger.get_lots(sorted({t.source_lot_id for t in trades}))
        in_period = [
            t
            for t in trades
            if t.source_lot_id in lots
            and start <= lots[t.source_lot_id].production_hour_start < end
        ]
        bought = sum(t.energy_wh for t in in_period if t.lot_id)
        return bought, bool(in_period)

    def _plan_result(self, enterprise_id: str, day: date) -> tuple[str, bpb.GreenPowerResult]:
        plan = latest_plan(self.runtime.redis, day.isoformat())  # type: ignore[attr-defined]
        for result in plan.green_power_results if plan else ():
            if result.enterprise_id == enterprise_id and (result.target_share or result.target_kwh):
                return plan.plan_id, result
        raise NotFound(f"no bid plan for {day} sets a green target for {enterprise_id}")

    def GetGreenTarget(self, request, context):  # noqa: N802
        enterprise_id = require_id("enterprise_id", request.enterprise_id)
        day = market_day("market_day", request.market_day)
        self.registry.get_enterprise(enterprise_id)  # type: ignore[attr-defined]
        plan_id, result = self._plan_result(enterprise_id, day)
        planned = _planned(result)
        footprint = self.enterprise_footprint(enterprise_id, [day])  # type: ignore[attr-defined]
        start, end = day_bounds(day, day)
        bought, offered = self._trades_of_period(enterprise_id, start, end)
        claimed = (
            footprint.hourly_matched_wh
            if planned.hourly_matched
            else footprint.claimed_certificate_wh
        )
        outcome = Outcome(
            consumption_wh=footprint.consumption_wh,
            bought_wh=bought,
            claimed_wh=claimed,
            park_issued_wh=self.ledger.issued_between(start, end),  # type: ignore[attr-defined]
            offered=offered,
        )
        status = target_status(planned, outcome)
        return pb.GreenTargetStatus(
            enterprise_id=enterprise_id,
            market_day=day.isoformat(),
            plan_id=plan_id,
            target_share=planned.share,
            hourly_matched=planned.hourly_matched,
            consumption_wh=outcome.consumption_wh,
            target_wh=status.target_wh,
            planned_wh=planned.planned_wh,
            planned_purchase_wh=planned.planned_purchase_wh,
            forecast_consumption_wh=planned.forecast_consumption_wh,
            bought_wh=bought,
            claimed_wh=claimed,
            park_issued_wh=outcome.park_issued_wh,
            achieved_share=status.achieved_share,
            met=status.met,
            shortfall_wh=status.shortfall_wh,
            shortfall_points=status.shortfall_points,
            reason=_TO_WIRE[status.reason],
            reason_detail=status.reason_detail,
        )
