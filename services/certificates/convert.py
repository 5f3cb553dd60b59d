"""Conversions between certificate-ledger lots and their proto messages."""

from __future__ import annotations

from datetime import datetime

from certificates.lots import Lot, LotStatus, MonthlyGec
from certificates.mandates import Mandate, MandateScope, MandateState
from certificates.trades import GreenTrade, TradeState
from parkvpp.v1 import certificates_pb2 as pb
from services.enrollment.convert import TECHNOLOGY_ENUM
from services.runtime.errors import InvalidArgument
from services.runtime.rpc import to_ts

STATUS_ENUM = {
    LotStatus.ACTIVE: pb.LOT_STATUS_ACTIVE,
    LotStatus.RETIRED: pb.LOT_STATUS_RETIRED,
    LotStatus.EXPIRED: pb.LOT_STATUS_EXPIRED,
}


def lot_message(lot: Lot) -> pb.Lot:
    message = pb.Lot(
        lot_id=lot.lot_id,
        generator_asset_id=lot.generator_asset_id,
        technology=TECHNOLOGY_ENUM[str(lot.technology)],
        grid_area=lot.grid_area,
        production_hour_start=to_ts(lot.production_hour_start),
        energy_wh=lot.energy_wh,
        serial_start=lot.serial_start,
        serial_end=lot.serial_end,
        owner_enterprise_id=lot.owner_enterprise_id,
        status=STATUS_ENUM[lot.status],
        beneficiary_enterprise_id=lot.beneficiary_enterprise_id,
        parent_lot_id=lot.parent_lot_id,
        trade_id=lot.trade_id,
    )
    if lot.consumption_period_start is not None:
        message.consumption_period_start.CopyFrom(to_ts(lot.consumption_period_start))
    if lot.consumption_period_end is not None:
        message.consumption_period_end.CopyFrom(to_ts(lot.consumption_period_end))
    if lot.expires_at is not None:
        message.expires_at.CopyFrom(to_ts(lot.expires_at))
    return message


def status_filter(value: int) -> LotStatus | None:
    """The ledger status for a proto filter; InvalidArgument for an unknown value."""
    for status, enum in STATUS_ENUM.items():
        if enum == value:
            return status
    if value == pb.LOT_STATUS_UNSPECIFIED:
        return None
    raise InvalidArgument("status", f"unknown lot status {value}")


TRADE_STATE_ENUM = {
    TradeState.PROPOSED: pb.GREEN_TRADE_STATE_PROPOSED,
    TradeState.ACCEPTED: pb.GREEN_TRADE_STATE_ACCEPTED,
    TradeState.SETTLED: pb.GREEN_TRADE_STATE_SETTLED,
    TradeState.EXPIRED: pb.GREEN_TRADE_STATE_EXPIRED,
    TradeState.REJECTED: pb.GREEN_TRADE_STATE_REJECTED,
}
MANDATE_SCOPE_ENUM = {
    MandateScope.BUY_GREEN: pb.MANDATE_SCOPE_BUY_GREEN,
    MandateScope.RETIRE_FOR: pb.MANDATE_SCOPE_RETIRE_FOR,
}
MANDATE_STATE_ENUM = {
    MandateState.ACTIVE: pb.MANDATE_STATE_ACTIVE,
    MandateState.REVOKED: pb.MANDATE_STATE_REVOKED,
    MandateState.EXPIRED: pb.MANDATE_STATE_EXPIRED,
}


def _times(message, **moments: datetime | None) -> None:
    for name, moment in moments.items():
        if moment is not None:
            getattr(message, name).CopyFrom(to_ts(moment))


def trade_message(
    trade: GreenTrade,
    bought: Lot | None,
    remainder: Lot | None = None,
    now: datetime | None = None,
):
    """The GreenTrade reply; `bought` is the buyer's lot as it is now (None if unknown);
    the state is the one at `now` (default: as stored)."""
    state = trade.state_at(now) if now else trade.stored_state
    message = pb.GreenTrade(
        trade_id=trade.trade_id,
        request_id=trade.request_id,
        seller_enterprise_id=trade.seller_enterprise_id,
        buyer_enterprise_id=trade.buyer_enterprise_id,
        source_lot_id=trade.source_lot_id,
        energy_wh=trade.energy_wh,
        price_fen_per_mwh=trade.agreed_price_fen_per_mwh or 0,
        amount_fen=trade.amount_fen,
        state=TRADE_STATE_ENUM[state],
        accepted_by=trade.accepted_by,
        mandate_id=trade.mandate_id,
        settled_by=trade.settled_by,
        proposal_request_id=trade.proposal_request_id,
    )
    _times(
        message,
        settled_at=trade.at,
        proposed_at=trade.proposed_at,
        expires_at=trade.expires_at,
        accepted_at=trade.accepted_at,
    )
    if bought is not None:
        message.bought.CopyFrom(lot_message(bought))
    if remainder is not None:
        message.remainder.CopyFrom(lot_message(remainder))
    return message


def monthly_message(enterprise_id: str, rows: list[MonthlyGec]) -> pb.MonthlyGec:
    return pb.MonthlyGec(
        enterprise_id=enterprise_id,
        months=[
            pb.MonthlyGecRow(
                month=row.month,
                issued_wh=row.issued_wh,
                carried_in_wh=row.carried_in_wh,
                gec=row.gec,
                carried_out_wh=row.carried_out_wh,
                expired_wh=row.expired_wh,
                expires_on=row.expires_on.isoformat(),
            )
            for row in rows
        ],
        total_gec=sum(row.gec for row in rows),
        expired_wh=sum(row.expired_wh for row in rows),
    )


def mandate_message(mandate: Mandate, now: datetime | None = None) -> pb.Mandate:
    """The Mandate reply, its state as of `now` (default: as stored)."""
    state = mandate.state_at(now) if now else mandate.stored_state
    message = pb.Mandate(
        mandate_id=mandate.mandate_id,
        grantor_enterprise_id=mandate.grantor_enterprise_id,
        grantee=mandate.grantee,
        scope=MANDATE_SCOPE_ENUM[mandate.scope],
        max_price_fen_per_mwh=mandate.max_price_fen_per_mwh,
        max_energy_wh=mandate.max_energy_wh,
        used_wh=mandate.used_wh,
        counterparty_enterprise_id=mandate.counterparty_enterprise_id,
        state=MANDATE_STATE_ENUM[state],
        request_id=mandate.request_id,
    )
    _times(
        message,
        granted_at=mandate.granted_at,
        expires_at=mandate.expires_at,
        revoked_at=mandate.revoked_at,
    )
    return message
