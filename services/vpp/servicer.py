"""VppService request handling: flexibility envelopes, baselines and the dispatch stream."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import redis

from bidding.exceptions import InsufficientHistory
from bidding.forecast import forecast_accuracy
from parkvpp.v1 import enrollment_pb2 as epb
from parkvpp.v1 import vpp_pb2 as pb
from parkvpp.v1 import vpp_pb2_grpc
from services.enrollment.registry import Registry
from services.runtime.context import Runtime
from services.runtime.errors import InvalidArgument
from services.runtime.metrics import (
    DISPATCH_OVERDUE,
    ENROLLED_FLEXIBILITY_WATTS,
    WATTS_PER_KW,
    record_dispatch_acks,
)
from services.runtime.rpc import market_day, require_id
from services.telemetry.profiles import HISTORY_DAYS
from services.telemetry.rollups import Rollups
from services.vpp.dispatch_store import DispatchStore
from services.vpp.dispatcher import Dispatcher
from services.vpp.flexibility_reply import flexibility_reply
from services.vpp.following import FollowingCheck
from services.vpp.portfolio import Portfolio
from services.vpp.redispatch_rpc import (
    RedispatchRpcs,
    enterprise_caller,
    plan_shortfall_rows,
)

BASELINE_METHODS = {
    pb.BASELINE_METHOD_UNSPECIFIED: "similar_day",
    pb.BASELINE_METHOD_SIMILAR_DAY: "similar_day",
    pb.BASELINE_METHOD_TEN_IN_TEN_ADJUSTED: "ten_in_ten_adjusted",
    pb.BASELINE_METHOD_HIGH_4_OF_5: "high_4_of_5",
}
DEFAULT_HOLDOUT_DAYS = 14
MAX_HOLDOUT_DAYS = 60
POLL_SECONDS = 0.2


def baseline_method(value: int, field: str = "method") -> str:
    """The bidding package's name of a proto baseline method.

    Raises InvalidArgument(field) for a number that is no method offered.
    """
    if value not in BASELINE_METHODS:
        raise InvalidArgument(field, f"{value} is not a baseline method offered")
    return BASELINE_METHODS[value]


def _pct(value: float | None) -> float:
    """A percentage for the wire: NaN when the figure is undefined (no qualifying interval)."""
    return float("nan") if value is None else float(value)


#: Committed revisions whose shortfall rows ListDispatch keeps (cleared when full).
SHORTFALLS_KEPT = 256


class VppServicer(RedispatchRpcs, vpp_pb2_grpc.VppServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.registry = Registry(runtime.redis)
        self.portfolio = Portfolio(runtime.redis, self.registry, Rollups(runtime.redis))
        self.dispatch = DispatchStore(runtime.redis, runtime.outbox)
        self.dispatcher = Dispatcher(runtime, self.portfolio, self.dispatch)
        self.following = FollowingCheck(runtime, self.dispatcher, self.registry)
        DISPATCH_OVERDUE.set_function(self.overdue_count)
        self._shortfalls: dict[tuple[str, int], list[pb.IntervalShortfall]] = {}

    def GetFlexibility(self, request, context):  # noqa: N802
        day = market_day("market_day", request.market_day)
        if request.enterprise_id:
            self.registry.get_enterprise(require_id("enterprise_id", request.enterprise_id))
        flex = self.portfolio.flexibility(day, request.enterprise_id)
        total = flex.aggregate()
        if not request.enterprise_id:
            ENROLLED_FLEXIBILITY_WATTS.set(float(total.up_kw.max(initial=0.0)) * WATTS_PER_KW)
        return flexibility_reply(day.isoformat(), total, flex if request.include_assets else None)

    def _subject_assets(self, request) -> list[epb.Asset]:
        """The asset, or the enterprise's active non-generator assets, a request is about."""
        subject = request.WhichOneof("subject")
        if subject == "asset_id":
            return [self.registry.get_asset(require_id("asset_id", request.asset_id))]
        if subject == "enterprise_id":
            enterprise_id = require_id("enterprise_id", request.enterprise_id)
            self.registry.get_enterprise(enterprise_id)
            return [
                a
                for a in self.registry.active_assets(enterprise_id)
                if a.kind != epb.ASSET_KIND_GENERATOR
            ]
        raise InvalidArgument("subject", "asset_id or enterprise_id is required")

    def GetBaseline(self, request, context):  # noqa: N802
        day = market_day("market_day", request.market_day)
        method = baseline_method(request.method)
        if method == "ten_in_ten_adjusted" and request.HasField("event_start_interval"):
            event_intervals = [request.event_start_interval]
        elif method == "high_4_of_5":
            event_intervals = list(request.event_intervals)
        else:
            event_intervals = []
        assets = self._subject_assets(request)
        results = [self.portfolio.baseline(a, day, method, event_intervals) for a in assets]
        total = np.sum([r.baseline_kw for r in results], axis=0) if results else np.zeros(0)
        unadjusted = sum(float(np.sum(r.baseline_kw)) / r.adjustment for r in results)
        return pb.Baseline(
            market_day=day.isoformat(),
            asset_id=request.asset_id,
            enterprise_id=assets[0].enterprise_id if assets else request.enterprise_id,
            method=request.method or pb.BASELINE_METHOD_SIMILAR_DAY,
            baseline_kw=[float(v) for v in total],
            days_used=sorted({d.isoformat() for r in results for d in r.days_used}),
            days_considered=sorted(
                {d.isoformat() for r in results for d in r.days_considered or r.days_used}
            ),
            # An enterprise's factor is its adjusted over its unadjusted baseline energy.
            adjustment=float(np.sum(total)) / unadjusted if unadjusted > 0 else 1.0,
            note="; ".join(sorted({r.note for r in results if r.note})),
        )

    def GetForecastAccuracy(self, request, context):  # noqa: N802
        day = market_day("market_day", request.market_day)
        holdout = request.holdout_days or DEFAULT_HOLDOUT_DAYS
        if not 1 <= holdout <= MAX_HOLDOUT_DAYS:
            raise InvalidArgument("holdout_days", f"must be 1..{MAX_HOLDOUT_DAYS} (0 means 14)")
        assets = self._subject_assets(request)
        histories = self.portfolio.histories(assets, day, HISTORY_DAYS + holdout)
        reply = pb.ForecastAccuracy(market_day=day.isoformat(), method="similar_day")
        error_kwh = actual_kwh = 0.0
        for asset in assets:
            row = reply.assets.add(asset_id=asset.asset_id)
            try:
                result = forecast_accuracy(histories[asset.asset_id], holdout)
            except InsufficientHistory as exc:
                row.note = str(exc)
                continue
            row.mape_pct = _pct(result.mape_pct)
            row.wape_pct = _pct(result.wape_pct)
            row.days_evaluated = len(result.days)
            row.days_skipped = len(result.days_skipped)
            if result.wape_pct is None:
                row.note = "no energy metered on the held-out days: percentages undefined"
            error_kwh += sum(d.abs_error_kwh for d in result.days)
            actual_kwh += sum(d.actual_kwh for d in result.days)
        reply.wape_pct = 100.0 * error_kwh / actual_kwh if actual_kwh > 0 else float("nan")
        return reply

    def SubscribeDispatch(self, request, context):  # noqa: N802
        enterprise_id = require_id("enterprise_id", request.enterprise_id)
        self.registry.get_enterprise(enterprise_id)
        if request.after_sequence < 0:
            raise InvalidArgument("after_sequence", "must be >= 0")
        # Each open stream holds a server thread: bounded per tenant and per server.
        with self.runtime.streams.hold("dispatch"):
            yield from self._stream_dispatch(enterprise_id, request, context)

    def _stream_dispatch(self, enterprise_id: str, request, context):
        # Resuming (after_sequence 0) starts at the acknowledgement watermark and skips what
        # was acknowledged out of order; an explicit sequence replays everything after it.
        resume = request.after_sequence == 0
        after = request.after_sequence or self.dispatch.last_acknowledged(enterprise_id)
        context.send_initial_metadata(())  # tells the subscriber the stream is live
        stopping = self.runtime.stopping
        while context.is_active() and not stopping.is_set():
            batch = self.dispatch.after(enterprise_id, after)
            for item in batch:
                after = item.sequence
                if item.status == pb.DISPATCH_STATUS_SUPERSEDED:
                    continue  # its replacement follows later in the stream
                if not (resume and item.status == pb.DISPATCH_STATUS_ACKNOWLEDGED):
                    yield item
            if not batch:
                if request.until_caught_up:
                    return
                stopping.wait(POLL_SECONDS)

    def AcknowledgeDispatch(self, request, context):  # noqa: N802
        enterprise_id = require_id("enterprise_id", request.enterprise_id)
        if not request.instruction_ids:
            raise InvalidArgument("instruction_ids", "must not be empty")
        for n, instruction in enumerate(request.instruction_ids):
            require_id(f"instruction_ids[{n}]", instruction)
        deadlines = self.dispatch.pending_deadlines(enterprise_id, request.instruction_ids)
        count, top = self.dispatch.acknowledge(enterprise_id, list(request.instruction_ids))
        record_dispatch_acks(deadlines, self.runtime.settings.dispatch_ack_seconds)
        return pb.AcknowledgeDispatchResponse(acknowledged=count, last_acknowledged_sequence=top)

    def ListDispatch(self, request, context):  # noqa: N802
        day = market_day("market_day", request.market_day).isoformat()
        if request.enterprise_id:
            enterprises = [require_id("enterprise_id", request.enterprise_id)]
        else:
            enterprises = [e.enterprise_id for e in self.registry.list_enterprises()]
        now = datetime.now(UTC)
        items = []
        for enterprise_id in enterprises:
            for item in self.dispatch.of_day(enterprise_id, day):
                late = (
                    item.status == pb.DISPATCH_STATUS_SENT
                    and item.deadline.ToDatetime(tzinfo=UTC) < now
                )
                if late or not request.only_overdue:
                    items.append(item)
        reply = pb.ListDispatchResponse(instructions=items)
        revision = self.dispatcher.plans.current_revision(day)
        if revision:
            reply.revision = revision
            if not enterprise_caller():
                reply.shortfall.extend(self._shortfall_of(day, revision))
        return reply

    def _shortfall_of(self, day: str, revision: int) -> list[pb.IntervalShortfall]:
        """The shortfall rows of a committed revision, read and parsed once per revision
        (its record is written once; a plan is a large JSON document)."""
        key = (day, revision)
        rows = self._shortfalls.get(key)
        if rows is None:
            record = self.dispatcher.plans.get(day, revision)
            rows = plan_shortfall_rows(record) if record is not None else []
            if len(self._shortfalls) >= SHORTFALLS_KEPT:
                self._shortfalls.clear()
            self._shortfalls[key] = rows
        return rows

    def overdue_count(self) -> float:
        """Unacknowledged instructions past deadline across enterprises (metrics scrape)."""
        now = datetime.now(UTC)
        try:
            return float(
                sum(
                    self.dispatch.overdue(e.enterprise_id, now)
                    for e in self.registry.list_enterprises()
                )
            )
        except redis.RedisError:
            return float("nan")
