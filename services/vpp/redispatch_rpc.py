"""VppService's re-dispatch RPCs: failure reports from enterprises, the following check."""

from __future__ import annotations

from bidding.intervals import INTERVALS_PER_DAY
from parkvpp.v1 import vpp_pb2 as pb
from services.enrollment.registry import Registry
from services.runtime.auth import current_caller, may_see
from services.runtime.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from services.runtime.rpc import market_day, require_id, require_text
from services.vpp.dispatcher import Dispatcher, Outcome, changes_kwh
from services.vpp.following import FollowingCheck
from services.vpp.instructions import from_plain
from services.vpp.plans import PlanRecord

MAX_REASON_CHARS = 200


def enterprise_caller() -> bool:
    """True when the current caller is an enterprise (not the operator or ESCO)."""
    caller = current_caller()
    return caller is not None and caller.role == "enterprise"


def shortfall_rows(record: PlanRecord) -> list[pb.IntervalShortfall]:
    """Awarded intervals the plan does not cover; none for enterprise callers (the
    portfolio's position is the operator's)."""
    return [] if enterprise_caller() else plan_shortfall_rows(record)


def plan_shortfall_rows(record: PlanRecord) -> list[pb.IntervalShortfall]:
    """Awarded intervals the plan does not cover, whoever asks."""
    plan = record.plan
    return [
        pb.IntervalShortfall(
            interval=t,
            awarded_kw=float(plan.awarded_kw[t]),
            shortfall_kw=round(float(plan.shortfall_kw[t]), 3),
        )
        for t in range(INTERVALS_PER_DAY)
        if plan.shortfall_kw[t] > 0
    ]


def redispatch_reply(record: PlanRecord, outcome: Outcome | None, note: str = "") -> pb.Redispatch:
    """The revision as the caller may see it: an enterprise only its own instructions."""
    reply = pb.Redispatch(
        market_day=record.market_day,
        revision=record.revision,
        from_interval=record.from_interval,
        failed_asset_ids=sorted(record.failed_from),
        shortfall=shortfall_rows(record),
        note=note,
    )
    for enterprise_id, plain in sorted(record.issued.items()):
        if may_see(enterprise_id) and outcome is not None:
            reply.instructions.extend(from_plain(plain))
    if outcome is not None:
        for asset_id, kwh in changes_kwh(outcome).items():
            owner = record.owners.get(asset_id, "")
            if may_see(owner):
                reply.changes.add(asset_id=asset_id, enterprise_id=owner, energy_change_kwh=kwh)
    return reply


class RedispatchRpcs:
    """Mixed into VppServicer, which provides these attributes."""

    registry: Registry
    dispatcher: Dispatcher
    following: FollowingCheck

    def ReportAssetUnavailable(self, request, context):  # noqa: N802
        request_id = require_id("request_id", request.request_id)
        asset_id = require_id("asset_id", request.asset_id)
        day = market_day("market_day", request.market_day)
        if not 0 <= request.from_interval < INTERVALS_PER_DAY:
            raise InvalidArgument("from_interval", f"must be 0..{INTERVALS_PER_DAY - 1}")
        reason = require_text("reason", request.reason, MAX_REASON_CHARS)
        asset = self.registry.get_asset(asset_id)
        if not may_see(asset.enterprise_id):
            raise NotFound(f"asset {asset_id} not found")
        current = self.dispatcher.plans.current(day.isoformat())
        if current is None or asset_id not in current.plan.setpoints_kw:
            raise FailedPrecondition(f"asset {asset_id} has no dispatch on {day} to change")
        report = {
            "key": f"{asset.enterprise_id}/{request_id}",
            "asset_id": asset_id,
            "from_interval": request.from_interval,
            "reason": reason,
        }
        outcome = self.dispatcher.redispatch(
            day, {asset_id: request.from_interval}, "reported", report
        )
        if outcome is not None:
            made = outcome.record.report
            if (made.get("asset_id"), made.get("from_interval")) != (
                asset_id,
                request.from_interval,
            ):
                raise AlreadyExists(f"request_id {request_id} was used for another report")
            return redispatch_reply(outcome.record, outcome)
        current = self.dispatcher.plans.current(day.isoformat())
        assert current is not None
        known = current.failed_from.get(asset_id)
        if known is not None and known <= request.from_interval:
            note = f"asset {asset_id} is already treated as failed from interval {known}"
            return redispatch_reply(current, None, note)
        raise FailedPrecondition(
            f"from_interval {request.from_interval} of {day} has passed: "
            "nothing left to re-dispatch"
        )

    def CheckDispatchFollowing(self, request, context):  # noqa: N802
        day = market_day("market_day", request.market_day)
        report = self.following.check(day, self.dispatcher.clock())
        reply = pb.DispatchFollowing(
            market_day=day.isoformat(),
            intervals_checked=report.intervals_checked,
            note="; ".join(report.notes),
        )
        for found in report.not_following:
            reply.not_following.add(
                asset_id=found.asset_id,
                enterprise_id=found.enterprise_id,
                intervals=list(found.intervals),
                failed_from_interval=found.failed_from,
            )
        if report.redispatch is not None:
            outcome = report.redispatch
            reply.redispatch.CopyFrom(redispatch_reply(outcome.record, outcome))
        return reply
