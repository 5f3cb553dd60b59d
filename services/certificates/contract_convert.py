"""Conversions between green-power contracts and their proto messages."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from certificates.contract_records import GreenContract, MonthDelivery, MonthStatus
from certificates.contracts import ContractState, CurveKind, ShortfallRule, SurplusRule
from parkvpp.v1 import certificates_pb2 as pb
from services.runtime.rpc import to_ts

SHORTFALL_RULES = {
    pb.SHORTFALL_RULE_COMPENSATE: ShortfallRule.COMPENSATE,
    pb.SHORTFALL_RULE_CARRY: ShortfallRule.CARRY,
}
SURPLUS_RULES = {
    pb.SURPLUS_RULE_UNSPECIFIED: SurplusRule.REFUSE,
    pb.SURPLUS_RULE_REFUSE: SurplusRule.REFUSE,
    pb.SURPLUS_RULE_TAKE: SurplusRule.TAKE,
}
_SHORTFALL_ENUM = {rule: enum for enum, rule in SHORTFALL_RULES.items()}
_SURPLUS_ENUM = {SurplusRule.REFUSE: pb.SURPLUS_RULE_REFUSE, SurplusRule.TAKE: pb.SURPLUS_RULE_TAKE}
_CURVE_ENUM = {
    CurveKind.MONTHLY: pb.GREEN_CONTRACT_CURVE_MONTHLY,
    CurveKind.HOURLY: pb.GREEN_CONTRACT_CURVE_HOURLY,
}
_STATE_ENUM = {
    ContractState.PROPOSED: pb.GREEN_CONTRACT_STATE_PROPOSED,
    ContractState.ACCEPTED: pb.GREEN_CONTRACT_STATE_ACCEPTED,
    ContractState.REJECTED: pb.GREEN_CONTRACT_STATE_REJECTED,
    ContractState.EXPIRED: pb.GREEN_CONTRACT_STATE_EXPIRED,
}


def contract_message(
    contract: GreenContract,
    now: datetime | None = None,
    months: list[MonthStatus] | None = None,
    include_lines: bool = False,
) -> pb.GreenContract:
    """The GreenContract reply: terms, state as of `now` (default: as stored), totals and,
    when given, every month contracted versus delivered."""
    terms = contract.terms
    state = contract.state_at(now) if now else contract.stored_state
    message = pb.GreenContract(
        contract_id=terms.contract_id,
        seller_enterprise_id=terms.seller_enterprise_id,
        buyer_enterprise_id=terms.buyer_enterprise_id,
        start_month=terms.start_month,
        end_month=terms.end_month,
        curve=_CURVE_ENUM[terms.curve_kind],
        price_fen_per_mwh=terms.price_fen_per_mwh,
        shortfall_rule=_SHORTFALL_ENUM[terms.shortfall_rule],
        shortfall_rate_fen_per_mwh=terms.shortfall_rate_fen_per_mwh,
        surplus_rule=_SURPLUS_ENUM[terms.surplus_rule],
        surplus_cap_permille=terms.surplus_cap_permille,
        generator_asset_ids=list(terms.generator_asset_ids),
        state=_STATE_ENUM[state],
        proposal_request_id=contract.proposal_request_id,
        contracted_wh=sum(terms.curve_wh),
        delivered_wh=contract.delivered_wh,
        amount_fen=contract.amount_fen,
        compensation_fen=contract.compensation_fen,
        net_fen=contract.amount_fen - contract.compensation_fen,
        next_month=contract.next_month,
        carry_wh=contract.carry_wh,
    )
    if state == ContractState.ACCEPTED and not contract.next_month:
        message.state = pb.GREEN_CONTRACT_STATE_COMPLETED
    message.proposed_at.CopyFrom(to_ts(contract.proposed_at))
    message.expires_at.CopyFrom(to_ts(contract.expires_at))
    if contract.accepted_at is not None:
        message.accepted_at.CopyFrom(to_ts(contract.accepted_at))
    for status in months or []:
        row = month_message(status.month, status.contracted_wh, status.delivery, include_lines)
        message.months.append(row)
        message.compensated_wh += row.compensated_wh
    return message


def month_message(
    month: str, contracted_wh: int, delivery: MonthDelivery | None, include_lines: bool = True
) -> pb.GreenContractMonth:
    """One month contracted versus delivered (figures 0 until it was delivered)."""
    message = pb.GreenContractMonth(month=month, contracted_wh=contracted_wh)
    if delivery is None:
        return message
    message.delivered = True
    for name in (
        "carried_in_wh",
        "available_wh",
        "delivered_wh",
        "surplus_wh",
        "shortfall_wh",
        "carried_out_wh",
        "compensated_wh",
        "amount_fen",
        "compensation_fen",
        "net_fen",
        "request_id",
    ):
        setattr(message, name, getattr(delivery, name))
    message.delivered_at.CopyFrom(to_ts(delivery.at))
    if include_lines:
        for line in delivery.lines:
            message.lines.append(
                pb.GreenContractLine(
                    source_lot_id=line.source_lot_id,
                    lot_id=line.lot_id,
                    production_hour_start=to_ts(line.hour_start),
                    energy_wh=line.energy_wh,
                    amount_fen=line.amount_fen,
                )
            )
    return message


def delivered_event(result: Mapping) -> pb.GreenContractMonthDelivered:
    """The event of a "deliver" change-feed result (contract progress, delivery, parties)."""
    delivery = MonthDelivery.from_fields(result["delivery"])
    return pb.GreenContractMonthDelivered(
        contract_id=delivery.contract_id,
        seller_enterprise_id=result["seller_enterprise_id"],
        buyer_enterprise_id=result["buyer_enterprise_id"],
        month=month_message(delivery.month, int(result["delivery"]["contracted_wh"]), delivery),
    )
