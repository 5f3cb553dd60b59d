"""Green-power contracts and their monthly deliveries as the ledger stores them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from certificates.contracts import FIGURES, ContractState, ContractTerms, round_fen

Fields = Mapping[str | bytes, str | bytes]


def _text(fields: Fields) -> dict[str, str]:
    return {
        (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
        for k, v in fields.items()
    }


def _time(text: str) -> datetime | None:
    return datetime.fromtimestamp(int(text), UTC) if text else None


@dataclass(frozen=True)
class GreenContract:
    """A contract's terms, its consent and how far delivery has come.

    `next_month` is the month the next delivery run delivers ("" once every month is
    delivered); `carry_wh` the shortfall carried into it (rule CARRY). The totals sum the
    delivered months: `amount_fen` the buyer pays, `compensation_fen` the seller pays.
    """

    terms: ContractTerms
    stored_state: ContractState
    proposed_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    accepted_by: str
    rejected_at: datetime | None
    proposal_request_id: str
    next_month: str
    carry_wh: int
    months_delivered: int
    delivered_wh: int
    amount_fen: int
    compensation_fen: int

    @property
    def contract_id(self) -> str:
        return self.terms.contract_id

    def state_at(self, now: datetime) -> ContractState:
        """The state as of `now`: a proposal past its expiry is EXPIRED."""
        if self.stored_state == ContractState.PROPOSED and now >= self.expires_at:
            return ContractState.EXPIRED
        return self.stored_state

    @classmethod
    def from_fields(cls, fields: Fields) -> GreenContract:
        """Rebuild a contract from its Redis hash; raises KeyError/ValueError on a hash the
        ledger did not write."""
        f = _text(fields)
        return cls(
            terms=ContractTerms.from_fields(f),
            stored_state=ContractState(f["state"]),
            proposed_at=datetime.fromtimestamp(int(f["proposed_at"]), UTC),
            expires_at=datetime.fromtimestamp(int(f["expires_at"]), UTC),
            accepted_at=_time(f["accepted_at"]),
            accepted_by=f["accepted_by"],
            rejected_at=_time(f["rejected_at"]),
            proposal_request_id=f["proposal_request_id"],
            next_month=f["next_month"],
            carry_wh=int(f["carry_wh"]),
            months_delivered=int(f["months_delivered"]),
            delivered_wh=int(f["delivered_wh"]),
            amount_fen=int(f["amount_fen"]),
            compensation_fen=int(f["compensation_fen"]),
        )


@dataclass(frozen=True)
class DeliveredLine:
    """Wh of one seller's lot delivered: the buyer's lot, its hour, its part of the amount."""

    source_lot_id: str
    lot_id: str
    hour_start: datetime
    energy_wh: int
    amount_fen: int


@dataclass(frozen=True)
class MonthDelivery:
    """A delivered month: contracted versus delivered, the shortfall and where it went,
    and the money both ways. `net_fen` is what the buyer owes the seller for the month
    (negative when the compensation is larger)."""

    contract_id: str
    month: str
    contracted_wh: int
    carried_in_wh: int
    available_wh: int
    delivered_wh: int
    surplus_wh: int
    shortfall_wh: int
    carried_out_wh: int
    compensated_wh: int
    amount_fen: int
    compensation_fen: int
    at: datetime
    request_id: str
    lines: tuple[DeliveredLine, ...]

    @property
    def net_fen(self) -> int:
        return self.amount_fen - self.compensation_fen

    @classmethod
    def from_fields(cls, fields: Fields) -> MonthDelivery:
        f = _text(fields)
        lines = tuple(
            DeliveredLine(
                line["source_lot_id"],
                line["lot_id"],
                datetime.fromtimestamp(int(line["hour_s"]), UTC),
                int(line["energy_wh"]),
                int(line["amount_fen"]),
            )
            for line in json.loads(f["lines"])
        )
        return cls(
            contract_id=f["contract_id"],
            month=f["month"],
            **{name: int(f[name]) for name in FIGURES},
            at=datetime.fromtimestamp(int(f["at"]), UTC),
            request_id=f["request_id"],
            lines=lines,
        )


@dataclass(frozen=True)
class MonthStatus:
    """One month of a contract as both parties see it: contracted, and what was delivered
    (None until the month's delivery ran)."""

    month: str
    contracted_wh: int
    delivery: MonthDelivery | None


def month_statuses(
    contract: GreenContract, deliveries: Mapping[str, MonthDelivery]
) -> list[MonthStatus]:
    """Every month of the contract, in order, with its delivery when there is one."""
    terms = contract.terms
    return [
        MonthStatus(month, terms.contracted_wh(month), deliveries.get(month))
        for month in terms.months
    ]


def contract_value_fen(terms: ContractTerms) -> int:
    """What the whole contracted volume costs at the contract price (months rounded each)."""
    return sum(round_fen(terms.contracted_wh(m), terms.price_fen_per_mwh) for m in terms.months)
