"""Green-power trades: proposed by the seller, agreed by the buyer (or its mandate), then
settled with the money leg recorded with the certificate transfer it pays for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from fractions import Fraction

from certificates.exceptions import InvalidInput
from certificates.lots import WH_PER_GEC, check_energy


class TradeState(StrEnum):
    PROPOSED = "PROPOSED"
    ACCEPTED = "ACCEPTED"
    SETTLED = "SETTLED"
    #: Not settled by its expiry; computed at read time, nothing is written.
    EXPIRED = "EXPIRED"
    REJECTED = "REJECTED"


def _time(text: str) -> datetime | None:
    return datetime.fromtimestamp(int(text), UTC) if text else None


@dataclass(frozen=True)
class GreenTrade:
    """A green-power trade from proposal to settlement; `lot_id` is the buyer's lot (""
    until settled), `source_lot_id` the seller's.

    `amount_fen` is what the buyer pays. `agreed_price_fen_per_mwh` is the contract price
    (None for trades settled before proposals, from an amount only); the
    `price_fen_per_mwh` property is the exact effective price of the amount. `at` is the
    settlement time, `request_id` the settling request (both empty until settled).
    `accepted_by` is the buyer's id, or "mandate:<id>" when a buyer's mandate covered it.
    """

    trade_id: str
    lot_id: str
    source_lot_id: str
    seller_enterprise_id: str
    buyer_enterprise_id: str
    energy_wh: int
    amount_fen: int
    at: datetime | None
    request_id: str
    agreed_price_fen_per_mwh: int | None = None
    stored_state: TradeState = TradeState.SETTLED
    proposed_at: datetime | None = None
    expires_at: datetime | None = None
    accepted_at: datetime | None = None
    accepted_by: str = ""
    mandate_id: str = ""
    settled_by: str = ""
    proposal_request_id: str = ""

    @property
    def price_fen_per_mwh(self) -> Fraction:
        """Exact price in fen per MWh (energy_wh is always > 0)."""
        return Fraction(self.amount_fen * WH_PER_GEC, self.energy_wh)

    def state_at(self, now: datetime) -> TradeState:
        """The state as of `now`: a proposed or accepted trade past its expiry is EXPIRED."""
        open_states = (TradeState.PROPOSED, TradeState.ACCEPTED)
        if self.stored_state in open_states and self.expires_at and now >= self.expires_at:
            return TradeState.EXPIRED
        return self.stored_state

    @classmethod
    def from_fields(cls, fields: Mapping[str | bytes, str | bytes]) -> GreenTrade:
        """Rebuild a trade from its Redis hash (bytes or str); raises KeyError/ValueError
        on a hash that was not written by the ledger."""
        f = {
            (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
            for k, v in fields.items()
        }
        return cls(
            trade_id=f["trade_id"],
            lot_id=f["lot_id"],
            source_lot_id=f["source_lot_id"],
            seller_enterprise_id=f["seller_enterprise_id"],
            buyer_enterprise_id=f["buyer_enterprise_id"],
            energy_wh=int(f["energy_wh"]),
            amount_fen=int(f["amount_fen"]),
            at=_time(f.get("at", "")),
            request_id=f.get("request_id", ""),
            agreed_price_fen_per_mwh=(
                int(f["price_fen_per_mwh"]) if f.get("price_fen_per_mwh") else None
            ),
            stored_state=TradeState(f.get("state") or "SETTLED"),
            proposed_at=_time(f.get("proposed_at", "")),
            expires_at=_time(f.get("expires_at", "")),
            accepted_at=_time(f.get("accepted_at", "")),
            accepted_by=f.get("accepted_by", ""),
            mandate_id=f.get("mandate_id", ""),
            settled_by=f.get("settled_by", ""),
            proposal_request_id=f.get("proposal_request_id", ""),
        )


def trade_amount_fen(energy_wh: int, price_fen_per_mwh: int) -> int:
    """energy_wh x price / 1,000,000 Wh per MWh, rounded half up to the fen.

    Raises InvalidInput naming the field when either is not an integer >= 0.
    """
    check_energy(energy_wh, "energy_wh")
    check_energy(price_fen_per_mwh, "price_fen_per_mwh")
    return (energy_wh * price_fen_per_mwh + WH_PER_GEC // 2) // WH_PER_GEC


def check_price(price_fen_per_mwh: int, band: tuple[int, int]) -> int:
    """`price_fen_per_mwh` when inside the (min, max) band; raises InvalidInput naming
    price_fen_per_mwh otherwise."""
    low, high = band
    if isinstance(price_fen_per_mwh, bool) or not isinstance(price_fen_per_mwh, int):
        raise InvalidInput("price_fen_per_mwh", "must be an integer")
    if not low <= price_fen_per_mwh <= high:
        raise InvalidInput(
            "price_fen_per_mwh", f"must be {low}..{high} fen per MWh, got {price_fen_per_mwh}"
        )
    return price_fen_per_mwh
