"""SettlementService request handling: settle a market day once per input, serve statements."""

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
from services.runtime.rpc import market_day, now_ts, require_id
from services.settlement.inputs import energy_awards, gather, storage_shares
from services.settlement.runs import RunStore
from services.telemetry.rollups import Rollups
from services.vpp.dispatch_store import DispatchStore
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
        fee = Fraction(runtime.settings.operator_fee_share_percent, 100)
        self.program = dataclasses.replace(
            DEFAULT_PROGRAM,
            operator_fee_share=fee,
            baseline_method=runtime.settings.baseline_method,
            capacity_price_fen_per_kw=Fraction(runtime.settings.capacity_price_fen_per_kw),
        )

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

    def RunSettlement(self, request, context):  # noqa: N802
        day = market_day("market_day", request.market_day)
        method = (
            baseline_method(request.baseline_method, "baseline_method")
            if request.baseline_method
            else self.program.baseline_method
        )
        program = dataclasses.replace(self.program, baseline_method=method)
        result = self._clearing(day.isoformat())
        inputs = gather(
            day,
            result,
            self.runtime.settings.vpp_participant_id,
            self.registry,
            self.portfolio,
            self.dispatch,
            method,
        )
        if not inputs.rows:
            raise FailedPrecondition(f"nothing was dispatched on {day}; nothing to settle")
        awards, batteries = self._energy_inputs(day)
        digest = energy_input_digest(
            input_digest(day, inputs.rows, inputs.awards, program), awards, batteries
        )
        known = self.runs.version_for(day.isoformat(), digest)
        if known is not None:
            return known
        settled = settle_day(day, inputs.rows, inputs.awards, program)
        try:
            energy = settle_energy_awards(awards, batteries)
        except SettlementInvalidInput as exc:
            raise FailedPrecondition(f"ENERGY awards of {day}: {exc}") from exc
        run = _run_message(settled, energy, digest)
        previous = self.runs.latest(day.isoformat())
        if previous is not None:
            before = {e.enterprise_id: e for e in previous.enterprises}
            for now in run.enterprises:
                old = before.get(now.enterprise_id)
                if (
                    old is None
                    or old.amount_fen != now.amount_fen
                    or old.energy_market_fen != now.energy_market_fen
                ):
                    change = run.changes_from_previous.add()
                    change.CopyFrom(now)
                    change.previous_amount_fen = old.amount_fen if old else 0
                    change.previous_energy_market_fen = old.energy_market_fen if old else 0
        statements = [_statement(settled, energy, e.enterprise_id) for e in run.enterprises]

        def completed(stored: pb.SettlementRun) -> OutboxEvent:
            return OutboxEvent.of(
                TOPIC_SETTLEMENT,
                day.isoformat(),
                events_pb2.SettlementCompleted(run=stored),
                event_id=f"settlement-{stored.run_id}",
            )

        stored, created = self.runs.append(run, statements, completed)
        if created:
            self.runtime.events_written()
            if stored.version == 1:
                record_settlement(stored)
        return stored

    def GetStatement(self, request, context):  # noqa: N802
        enterprise_id = require_id("enterprise_id", request.enterprise_id)
        day = market_day("market_day", request.market_day)
        if request.version < 0:
            raise InvalidArgument("version", "must be >= 0")
        return self.runs.statement(day.isoformat(), enterprise_id, request.version)
