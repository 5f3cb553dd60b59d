"""GetDayReport: a settled day's plan, market, dispatch and settlement joined per interval.

Sources: the day's latest bid plan (offers and what the plan expected), the grid's DR
invitations (MarketService.ListDrEvents: what it called and its price cap), the DR
clearing (the VPP's awards), and the issued settlement version (its statements hold the
dispatch at the settled revision, baselines, meter data and delivery; its totals the
money). The joining and the reasons are settlement.day_report's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date

import grpc

from bidding.exceptions import InsufficientHistory
from parkvpp.v1 import bidding_pb2, market_pb2, market_pb2_grpc
from parkvpp.v1 import settlement_pb2 as pb
from services.bidding.plan_store import latest_plan
from services.runtime.context import Runtime
from services.runtime.errors import FailedPrecondition
from services.settlement.inputs import interval_awards
from services.settlement.runs import RunStore
from services.vpp.consumer import vpp_awards_kw
from services.vpp.portfolio import Portfolio
from settlement.day_report import DayReport, IntervalFigures, report_day
from settlement.exceptions import SettlementError
from settlement.performance import MeteredInterval
from settlement.program import ProgramRules
from settlement.settled_intervals import IssuedTotals, settled_intervals

#: The reference baseline delivery is compared with besides the settlement's own: the
#: day's load before the event (10-in-10 with same-day adjustment).
REFERENCE_BASELINE = "ten_in_ten_adjusted"


def plan_figures(plan: bidding_pb2.BidPlan | None) -> dict[int, dict]:
    """Per interval of the plan: offered kW, lowest offer price, expected kW and fen.

    Offered kW come from the plan's interval plans, else from its DR curves (then the
    expectation is unknown and left 0).
    """
    out: dict[int, dict] = defaultdict(dict)
    if plan is None:
        return out
    for curve in plan.demand_response_offers:
        blocks = [s for s in curve.steps if s.quantity_kw > 0]
        if blocks:
            out[curve.interval]["offered_kw"] = sum(s.quantity_kw for s in blocks)
            out[curve.interval]["lowest_offer_fen_per_mwh"] = min(
                s.price_fen_per_mwh for s in blocks
            )
    for row in plan.interval_plans:
        figures = out[row.interval]
        figures["offered_kw"] = row.offered_kw
        figures["expected_kw"] = row.expected_kw
        figures["expected_revenue_fen"] = row.expected_revenue_fen
        if row.event_id:
            figures["event_id"] = row.event_id
    return out


def event_figures(events: Iterable[market_pb2.DrEvent]) -> dict[int, dict]:
    """Per interval the grid's call: kW asked for, price cap and event id (windows of one
    day's events do not overlap; where they would, the later listed wins)."""
    out: dict[int, dict] = {}
    for event in events:
        for interval in range(event.start_interval, event.end_interval):
            out[interval] = {
                "called_kw": event.requested_kw,
                "price_cap_fen_per_mwh": event.price_cap_fen_per_mwh,
                "event_id": event.event_id,
            }
    return out


def statement_rows(statements: Iterable[pb.Statement]) -> list[MeteredInterval]:
    """The settled rows (asset x interval) of a version's statements."""
    return [
        MeteredInterval(
            enterprise_id=s.enterprise_id,
            asset_id=line.asset_id,
            interval=line.interval,
            baseline_kw=line.baseline_kw,
            metered_kw=line.metered_kw,
            instructed_kw=line.instructed_kw,
            estimated=line.estimated,
        )
        for s in statements
        for line in s.lines
    ]


def _message(report: DayReport, plan_id: str, run: pb.SettlementRun) -> pb.DayReport:
    out = pb.DayReport(
        market_day=report.market_day.isoformat(),
        product=market_pb2.PRODUCT_DEMAND_RESPONSE,
        plan_id=plan_id,
        run_id=run.run_id,
        settlement_version=run.version,
        offered_kwh=report.energy_kwh["offered"],
        expected_kwh=report.energy_kwh["expected"],
        expected_revenue_fen=report.expected_revenue_fen,
        cleared_kwh=report.energy_kwh["cleared"],
        cleared_value_fen=report.cleared_value_fen,
        dispatched_kwh=report.energy_kwh["dispatched"],
        delivered_kwh=report.energy_kwh["delivered"],
        paid_fen=report.paid_fen,
        not_offered_fen=report.not_offered_fen,
        not_called_fen=report.not_called_fen,
        price_above_cap_fen=report.price_above_cap_fen,
        market_quantity_fen=report.market_quantity_fen,
        market_price_fen=report.market_price_fen,
        plan_expected_revenue_fen=report.plan_expected_revenue_fen or 0,
        delivery_difference_fen=report.delivery_difference_fen,
        summary=report.summary,
    )
    for row in report.rows:
        f = row.figures
        out.intervals.add(
            interval=f.interval,
            time_label=row.time_label,
            offered_kw=f.offered_kw,
            lowest_offer_fen_per_mwh=f.lowest_offer_fen_per_mwh or 0,
            expected_kw=f.expected_kw,
            expected_revenue_fen=f.expected_revenue_fen,
            called_kw=f.called_kw,
            price_cap_fen_per_mwh=f.price_cap_fen_per_mwh or 0,
            event_id=f.event_id,
            cleared_kw=f.cleared_kw,
            clearing_price_fen_per_mwh=f.clearing_price_fen_per_mwh,
            cleared_value_fen=f.cleared_value_fen,
            dispatched_kw=f.dispatched_kw,
            baseline_kw=f.baseline_kw,
            metered_kw=f.metered_kw,
            delivered_kw=f.delivered_kw,
            reference_delivered_kw=(
                f.delivered_kw if f.reference_delivered_kw is None else f.reference_delivered_kw
            ),
            paid_fen=f.paid_fen,
            reasons=[
                pb.IntervalReason(
                    reason=pb.DifferenceReason.Value(f"DIFFERENCE_REASON_{r.reason.value}"),
                    detail=r.detail,
                )
                for r in row.reasons
            ],
        )
    return out


class DayReports:
    """Builds GetDayReport answers from the settlement's stores and its peers."""

    def __init__(
        self,
        runtime: Runtime,
        runs: RunStore,
        portfolio: Portfolio,
        program: ProgramRules,
        clearing: Callable[[str], market_pb2.ClearingResult],
    ) -> None:
        """`clearing(day)` is the day's DR clearing result (NOT_FOUND when not cleared)."""
        self.runtime = runtime
        self.runs = runs
        self.portfolio = portfolio
        self.program = program
        self.clearing = clearing

    def _events(self, day: str) -> list[market_pb2.DrEvent]:
        """The day's DR invitations; none from a market that lists none (UNIMPLEMENTED)."""
        market = market_pb2_grpc.MarketServiceStub(self.runtime.channel("market"))
        try:
            reply = market.ListDrEvents(market_pb2.ListDrEventsRequest(market_day=day), timeout=30)
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
                return []
            raise
        return list(reply.events)

    def _reference_baselines(self, day: date, rows: list[MeteredInterval]) -> dict[str, list]:
        """The reference baseline of every instructed asset that has enough history."""
        called: dict[str, list[int]] = defaultdict(list)
        for row in rows:
            if row.instructed:
                called[row.asset_id].append(row.interval)
        out = {}
        for asset_id, intervals in sorted(called.items()):
            asset = self.portfolio.registry.find_asset(asset_id)
            if asset is None:
                continue
            try:
                baseline = self.portfolio.baseline(asset, day, REFERENCE_BASELINE, intervals)
            except InsufficientHistory:
                continue
            out[asset_id] = [float(kw) for kw in baseline.baseline_kw]
        return out

    def build(self, day: date) -> pb.DayReport:
        """The day's report from the latest issued settlement version.

        Raises FailedPrecondition when the day is not settled, when its settled figures no
        longer add up under the running program or a plan or market figure is unusable;
        NOT_FOUND (the market's) when the day was not cleared.
        """
        key = day.isoformat()
        runs = self.runs
        run = runs.latest(key)
        if run is None:
            raise FailedPrecondition(f"{key} is not settled: RunSettlement settles it first")
        statements = [runs.statement(key, e.enterprise_id, run.version) for e in run.enterprises]
        clearing = self.clearing(key)
        participant = self.runtime.settings.vpp_participant_id
        issued = IssuedTotals(run.gross_payment_fen, run.capacity_payment_fen, run.penalty_fen)
        try:
            rows = statement_rows(statements)
            settled = settled_intervals(
                day,
                rows,
                interval_awards(clearing, participant),
                self.program,
                issued,
                self._reference_baselines(day, rows),
            )
        except SettlementError as exc:
            raise FailedPrecondition(f"the settled figures of {key}: {exc}") from exc
        plan = latest_plan(self.runtime.redis, key)
        planned, called = plan_figures(plan), event_figures(self._events(key))
        awarded = vpp_awards_kw(clearing, participant)
        prices = {i.interval: i.clearing_price_fen_per_mwh for i in clearing.intervals}
        try:
            figures = [
                IntervalFigures(
                    interval=s.interval,
                    **{**called.get(s.interval, {}), **planned.get(s.interval, {})},
                    cleared_kw=awarded.get(s.interval, 0.0),
                    clearing_price_fen_per_mwh=prices.get(s.interval, 0),
                    dispatched_kw=s.dispatched_kw,
                    baseline_kw=s.baseline_kw,
                    metered_kw=s.metered_kw,
                    delivered_kw=s.delivered_kw,
                    reference_delivered_kw=s.reference_delivered_kw,
                    paid_fen=s.paid_fen,
                )
                for s in settled
            ]
            report = report_day(day, figures, plan.expected_revenue_fen if plan else None)
        except SettlementError as exc:
            raise FailedPrecondition(f"the plan and market figures of {key}: {exc}") from exc
        return _message(report, plan.plan_id if plan else "", run)
