"""Green-power trades: the money leg recorded with the certificate transfer it pays for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction

from certificates.lots import WH_PER_GEC


@dataclass(frozen=True)
class GreenTrade:
    """A settled green-power trade; `lot_id` is the buyer's lot, `source_lot_id` the seller's.

    Only the amount is stored: the price is derived exactly, never rounded into the ledger.
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
        )
