"""SettlementService request handling: settle a day once, correct it, statements, day reports.

Settled is final. RunSettlement computes a day from the dispatch at its current plan
revision, seals the dispatch there (services/vpp/plans.py: from then on no re-dispatch
commits) and issues version 1; a re-dispatch landing first makes it compute again. Once
issued, RunSettlement returns the latest version whatever changed. Only the ESCO corrects
(CorrectSettlement): a new version from the current inputs, the dispatch as sealed.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from fractions import Fraction

import grpc
import pandas as pd

from parkvpp.v1 import events_pb2, market_pb2, market_pb2_grpc, settlement_pb2_grpc
from parkvpp.v1 import settlement_pb2 as pb
from services.enrollment.registry import Registry
from services.runtime.context import Runtime
from services.runtime.errors import FailedPrecondition, InvalidArgument
from services.runtime.events import TOPIC_SETTLEMENT
from services.runtime.metrics import record_settlement
from services.runtime.outbox import OutboxEvent
from services.runtime.rpc import market_day, now_ts, require_id, require_text
from services.settlement.corrections import MAX_REASON_CHARS, as_correction
from services.settlement.day_report import DayReports
from services.settlement.inputs import energy_awards, gather, storage_shares
from services.settlement.runs import RunStore
from services.telemetry.rollups import Rollups
from services.vpp.dispatch_store import DispatchStore
from services.vpp.dispatcher import Dispatcher
from services.vpp.plans import PlanRecord, PlanStore
from services.vpp.portfolio import Portfolio
from services.vpp.servicer import baseline_method
from settlement.energy_market import (
    SELL,
    EnergyAward,
    EnergySettlement,
    StorageShare,
    energy_input_digest,
    settle_energy_awards,
)
from settlement.exceptions import InvalidInput as SettlementInvalidInput
from settlement.money import WH_PER_KWH
from settlement.program import DEFAULT_PROGRAM
from settlement.rules import DaySettlement, input_digest, settle_day
from settlement.statement import statement_frame

#: Attempts at sealing a day whose dispatch keeps changing while it is settled.
SEAL_ATTEMPTS = 5


def _run_message(day: DaySettlement, energy: EnergySettlement, digest: str) -> pb.SettlementRun:
    energy_fen = energy.by_enterprise()
    run = pb.SettlementRun(
        market_day=day.market_day.isoformat(),
        gross_payment_fen=day.gross_payment_fen,
        capacity_payment_fen=day.capacity_payment_fen,
        energy_market_fen=energy.amount_fen,
        penalty_fen=day.penalty_fen,
        operator_fee_fen=day.operator_fee_fen,
        enterprise_pool_fen=day.enterprise_pool_fen,
        awarded_kwh=day.awarded_wh / WH_PER_KWH,
        delivered_kwh=day.delivered_wh / WH_PER_KWH,
        input_digest=digest,
        created_at=now_ts(),
    )
    for result in day.enterprises:
        run.enterprises.add(
            enterprise_id=result.enterprise_id,
            delivered_kwh=result.delivered_wh / WH_PER_KWH,
            amount_fen=result.amount_fen,
            includes_estimated=result.includes_estimated,
            energy_market_fen=energy_fen.pop(result.enterprise_id, 0),
        )
    for enterprise_id, amount_fen in energy_fen.items():  # battery owners without DR lines
        run.enterprises.add(enterprise_id=enterprise_id, energy_market_fen=amount_fen)
    return run


def _statement(day: DaySettlement, energy: EnergySettlement, enterprise_id: str) -> pb.Statement:
    """The enterprise's DR lines (summing to amount_fen) and ENERGY lines (to energy_market_fen)."""
    statement = pb.Statement(enterprise_id=enterprise_id, market_day=day.market_day.isoformat())
    if any(r.enterprise_id == enterprise_id for r in day.enterprises):
        _add_dr_lines(statement, day, enterprise_id)
    for line in energy.of_enterprise(enterprise_id):
        statement.energy_lines.add(
            asset_id=line.asset_id,
            award_id=line.award_id,
            interval=line.interval,
            side=market_pb2.SIDE_SELL if line.side == SELL else market_pb2.SIDE_BUY,
            awarded_kw=line.awarded_kw,
            energy_kwh=line.energy_wh / WH_PER_KWH,
            price_fen_per_mwh=line.price_fen_per_mwh,
            amount_fen=line.amount_fen,
        )
        statement.energy_market_fen += line.amount_fen
    statement.total_fen = statement.amount_fen + statement.energy_market_fen
    return statement


def _add_dr_lines(statement: pb.Statement, day: DaySettlement, enterprise_id: str) -> None:
    frame = statement_frame(day, enterprise_id)
    result = day.enterprise(enterprise_id)
    statement.delivered_kwh = result.delivered_wh / WH_PER_KWH
    statement.amount_fen = result.amount_fen
    statement.includes_estimated = result.includes_estimated
    for line in frame.itertuples(index=False):
        price = line.clearing_price_fen_per_mwh
        statement.lines.add(
            asset_id=line.asset_id,
            interval=int(line.interval),
            baseline_kw=float(line.baseline_kw),
            metered_kw=float(line.metered_kw),
            instructed_kw=float(line.instructed_kw),
            delivered_kwh=float(line.delivered_kwh),
            clearing_price_fen_per_mwh=0 if pd.isna(price) else int(price),
            estimated=bool(line.estimated),
            amount_fen=int(line.amount_fen),
        )


class SettlementServicer(settlement_pb2_grpc.SettlementServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.registry = Registry(runtime.redis)
        self.portfolio = Portfolio(runtime.redis, self.registry, Rollups(runtime.redis))
        self.dispatch = DispatchStore(runtime.redis, runtime.outbox)
        self.runs = RunStore(runtime.redis, runtime.outbox)
        self.dispatcher = Dispatcher(runtime, self.portfolio, self.dispatch)
        self.plans: PlanStore = self.dispatcher.plans
        fee = Fraction(runtime.settings.operator_fee_share_percent, 100)
        self.program = dataclasses.replace(
            DEFAULT_PROGRAM,
            operator_fee_share=fee,
            baseline_method=runtime.settings.baseline_method,
            capacity_price_fen_per_kw=Fraction(runtime.settings.capacity_price_fen_per_kw),
        )
        self.reports = DayReports(runtime, self.runs, self.portfolio, self.program, self._clearing)

    def _clearing(self, day: str) -> market_pb2.ClearingResult:
        market = market_pb2_grpc.MarketServiceStub(self.runtime.channel("market"))
        request = market_pb2.GetClearingResultRequest(
            market_day=day, product=market_pb2.PRODUCT_DEMAND_RESPONSE
        )
        return market.GetClearingResult(request, timeout=30)

    def _energy_clearing(self, day: str) -> market_pb2.ClearingResult | None:
        """The day's ENERGY clearing, None when the day was not cleared for ENERGY."""
        market = market_pb2_grpc.MarketServiceStub(self.runtime.channel("market"))
        request = market_pb2.GetClearingResultRequest(
            market_day=day, product=market_pb2.PRODUCT_ENERGY
        )
        try:
            return market.GetClearingResult(request, timeout=30)
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise

    def _energy_inputs(self, day: date) -> tuple[list[EnergyAward], list[StorageShare]]:
        """The VPP's ENERGY awards of `day` and the batteries they are attributed to."""
        settings = self.runtime.settings
        awards = energy_awards(self._energy_clearing(day.isoformat()), settings.vpp_participant_id)
        if not awards:
            return [], []
        return awards, storage_shares(day, self.portfolio, settings.storage_energy_share)

    def _method(self, value: int, field: str) -> str:
        return baseline_method(value, field) if value else self.program.baseline_method

    def _compute(
        self, day: date, method: str, record: PlanRecord | None
    ) -> tuple[pb.SettlementRun, list[pb.Statement]]:
        """The run and statements of `day` from the current inputs and the dispatch at
        `record`'s revision; reads only. Raises FailedPrecondition when nothing was
        dispatched (`record` None) or an input is unusable, NOT_FOUND (the market's)
        when the day was not cleared."""
        program = dataclasses.replace(self.program, baseline_method=method)
        result = self._clearing(day.isoformat())
        if record is None:
            raise FailedPrecondition(f"nothing was dispatched on {day}; nothing to settle")
        inputs = gather(
            day,
            result,
            self.runtime.settings.vpp_participant_id,
            self.registry,
            self.portfolio,
            record.in_force,
            method,
        )
        if not inputs.rows:
            raise FailedPrecondition(f"nothing was dispatched on {day}; nothing to settle")
        awards, batteries = self._energy_inputs(day)
        digest = energy_input_digest(
            input_digest(day, inputs.rows, inputs.awards, program), awards, batteries
        )
        settled = settle_day(day, inputs.rows, inputs.awards, program)
        try:
            energy = settle_energy_awards(awards, batteries)
        except SettlementInvalidInput as exc:
            raise FailedPrecondition(f"ENERGY awards of {day}: {exc}") from exc
        run = _run_message(settled, energy, digest)
        run.dispatch_revision = record.revision
        return run, [_statement(settled, energy, e.enterprise_id) for e in run.enterprises]

    def _sealed(self, key: str) -> PlanRecord | None:
        """The plan revision a settled day's dispatch is fixed at (None: the day has no
        plan); a day settled before seals existed is sealed at its current revision now."""
        for _ in range(SEAL_ATTEMPTS):
            sealed = self.plans.settled(key)
            if sealed is not None:
                return self.plans.get(key, sealed[0])
            current = self.plans.current(key)
            if current is None:
                return None
            if self.plans.seal(key, current.revision) == current.revision:
                return current
        raise FailedPrecondition(f"the dispatch of {key} kept changing; try again")

    def _issue(self, run, statements, after_version: int) -> tuple[pb.SettlementRun, bool]:
        """Append the version with its SettlementCompleted event in one transaction."""

        def completed(stored: pb.SettlementRun) -> OutboxEvent:
            return OutboxEvent.of(
                TOPIC_SETTLEMENT,
                stored.market_day,
                events_pb2.SettlementCompleted(run=stored),
                event_id=f"settlement-{stored.run_id}",
            )

        stored, created = self.runs.append(run, statements, completed, after_version)
        self.plans.record_settled_version(stored.market_day, stored.version)
        if created:
            self.runtime.events_written()
            if stored.version == 1:
                record_settlement(stored)
        return stored, created

    def RunSettlement(self, request, context):  # noqa: N802
        day = market_day("market_day", request.market_day)
        method = self._method(request.baseline_method, "baseline_method")
        key = day.isoformat()
        issued = self.runs.latest(key)
        if issued is not None:
            if self._sealed(key) is not None:
                self.plans.record_settled_version(key, issued.version)
            return issued
        for _ in range(SEAL_ATTEMPTS):
            sealed = self.plans.settled(key)
            record = self.plans.get(key, sealed[0]) if sealed else self.plans.current(key)
            run, statements = self._compute(day, method, record)
            assert record is not None
            # The instructions settled on are the ones the enterprises were sent.
            self.dispatcher.ensure_issued(record)
            if self.plans.seal(key, record.revision) == record.revision:
                return self._issue(run, statements, after_version=0)[0]
        raise FailedPrecondition(f"the dispatch of {day} kept changing; settle it again")

    def CorrectSettlement(self, request, context):  # noqa: N802
        day = market_day("market_day", request.market_day)
        reason = require_text("reason", request.reason, MAX_REASON_CHARS)
        method = self._method(request.baseline_method, "baseline_method")
        key = day.isoformat()
        previous = self.runs.latest(key)
        if previous is None:
            raise FailedPrecondition(f"{day} is not settled: RunSettlement settles it first")
        record = self._sealed(key)
        if record is None:
            raise FailedPrecondition(f"nothing was dispatched on {day}; nothing to correct")
        run, statements = self._compute(day, method, record)
        if run.input_digest == previous.input_digest:
            if previous.corrects_version and previous.correction_reason == reason:
                return previous  # this correction, asked again
            raise FailedPrecondition(
                f"the inputs of {day} are unchanged since version {previous.version}: "
                "nothing to correct"
            )
        statements = as_correction(run, statements, previous, reason)
        stored, created = self._issue(run, statements, after_version=previous.version)
        if not created and (stored.input_digest, stored.correction_reason) != (
            run.input_digest,
            reason,
        ):
            raise FailedPrecondition(
                f"version {stored.version} of {day} was issued meanwhile; correct that one"
            )
        return stored

    def GetStatement(self, request, context):  # noqa: N802
        enterprise_id = require_id("enterprise_id", request.enterprise_id)
        day = market_day("market_day", request.market_day)
        if request.version < 0:
            raise InvalidArgument("version", "must be >= 0")
        return self.runs.statement(day.isoformat(), enterprise_id, request.version)

    def GetDayReport(self, request, context):  # noqa: N802
        day = market_day("market_day", request.market_day)
        if request.product not in (
            market_pb2.PRODUCT_UNSPECIFIED,
            market_pb2.PRODUCT_DEMAND_RESPONSE,
        ):
            raise InvalidArgument(
                "product",
                "only DEMAND_RESPONSE is reported (ENERGY awards are settled as cleared: "
                "the statements' energy_lines)",
            )
        return self.reports.build(day)
