"""Green-power trades: the money leg recorded with the certificate transfer it pays for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction

from certificates.lots import WH_PER_GEC, check_energy


@dataclass(frozen=True)
class GreenTrade:
    """A settled green-power trade; `lot_id` is the buyer's lot, `source_lot_id` the seller's.

    `amount_fen` is what the buyer pays. `agreed_price_fen_per_mwh` is the contract price
    when the trade was settled from one (None when only an amount was agreed); the
    `price_fen_per_mwh` property is the exact effective price of the amount.
    """

    trade_id: str
    lot_id: str
    source_lot_id: str
    seller_enterprise_id: str
    buyer_enterprise_id: str
    energy_wh: int
    amount_fen: int
    at: datetime
    request_id: str
    agreed_price_fen_per_mwh: int | None = None

    @property
    def price_fen_per_mwh(self) -> Fraction:
        """Exact price in fen per MWh (energy_wh is always > 0)."""
        return Fraction(self.amount_fen * WH_PER_GEC, self.energy_wh)

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
            at=datetime.fromtimestamp(int(f["at"]), UTC),
            request_id=f["request_id"],
            agreed_price_fen_per_mwh=(
                int(f["price_fen_per_mwh"]) if f.get("price_fen_per_mwh") else None
            ),
        )


def trade_amount_fen(energy_wh: int, price_fen_per_mwh: int) -> int:
    """energy_wh x price / 1,000,000 Wh per MWh, rounded half up to the fen.

    Raises InvalidInput naming the field when either is not an integer >= 0.
    """
    check_energy(energy_wh, "energy_wh")
    check_energy(price_fen_per_mwh, "price_fen_per_mwh")
    return (energy_wh * price_fen_per_mwh + WH_PER_GEC // 2) // WH_PER_GEC
