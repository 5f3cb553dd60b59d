"""Conversions between certificate-ledger lots and their proto messages."""

from __future__ import annotations

from certificates.lots import Lot, LotStatus
from parkvpp.v1 import certificates_pb2 as pb
from services.enrollment.convert import TECHNOLOGY_ENUM
from services.runtime.errors import InvalidArgument
from services.runtime.rpc import to_ts

STATUS_ENUM = {LotStatus.ACTIVE: pb.LOT_STATUS_ACTIVE, LotStatus.RETIRED: pb.LOT_STATUS_RETIRED}


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
    return message


def status_filter(value: int) -> LotStatus | None:
    """The ledger status for a proto filter; InvalidArgument for an unknown value."""
    for status, enum in STATUS_ENUM.items():
        if enum == value:
            return status
    if value == pb.LOT_STATUS_UNSPECIFIED:
        return None
    raise InvalidArgument("status", f"unknown lot status {value}")
