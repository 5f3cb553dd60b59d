"""Conversions between certificate-ledger lots and their proto messages."""

from __future__ import annotations

from certificates.lots import Lot, LotStatus, MonthlyGec
from certificates.trades import GreenTrade
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


def trade_message(trade: GreenTrade, bought: Lot | None, remainder: Lot | None = None):
    """The GreenTrade reply; `bought` is the buyer's lot as it is now (None if unknown)."""
    message = pb.GreenTrade(
        trade_id=trade.trade_id,
        request_id=trade.request_id,
        seller_enterprise_id=trade.seller_enterprise_id,
        buyer_enterprise_id=trade.buyer_enterprise_id,
        source_lot_id=trade.source_lot_id,
        energy_wh=trade.energy_wh,
        price_fen_per_mwh=trade.agreed_price_fen_per_mwh or 0,
        amount_fen=trade.amount_fen,
        settled_at=to_ts(trade.at),
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
