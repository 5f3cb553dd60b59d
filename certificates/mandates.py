"""Standing mandates: one enterprise's consent, given once, for another party to act for it.

buy_green: the ESCO may settle green-power trades with the grantor as buyer that it did
not accept one by one, up to a price cap (and optionally only from one seller, up to a
number of Wh). retire_for: the grantee enterprise may retire certificates for the
grantor's consumption, so the claim counts on the grantor's footprint.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

#: The grantee of every buy_green mandate.
ESCO = "esco"


class MandateScope(StrEnum):
    BUY_GREEN = "buy_green"
    RETIRE_FOR = "retire_for"


class MandateState(StrEnum):
    ACTIVE = "ACTIVE"
    REVOKED = "REVOKED"
    #: Past its expiry; computed at read time, nothing is written.
    EXPIRED = "EXPIRED"


@dataclass(frozen=True)
class Mandate:
    """A mandate as stored; `state_at(now)` says whether it still counts."""

    mandate_id: str
    grantor_enterprise_id: str
    grantee: str
    scope: MandateScope
    max_price_fen_per_mwh: int
    max_energy_wh: int
    used_wh: int
    counterparty_enterprise_id: str
    granted_at: datetime
    expires_at: datetime
    stored_state: MandateState
    revoked_at: datetime | None
    request_id: str

    def state_at(self, now: datetime) -> MandateState:
        if self.stored_state == MandateState.ACTIVE and now >= self.expires_at:
            return MandateState.EXPIRED
        return self.stored_state

    @classmethod
    def from_fields(cls, fields: Mapping[str | bytes, str | bytes]) -> Mandate:
        """Rebuild a mandate from its Redis hash; raises KeyError/ValueError on a hash the
        ledger did not write."""
        f = {
            (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
            for k, v in fields.items()
        }
        return cls(
            mandate_id=f["mandate_id"],
            grantor_enterprise_id=f["grantor_enterprise_id"],
            grantee=f["grantee"],
            scope=MandateScope(f["scope"]),
            max_price_fen_per_mwh=int(f["max_price_fen_per_mwh"]),
            max_energy_wh=int(f["max_energy_wh"]),
            used_wh=int(f["used_wh"]),
            counterparty_enterprise_id=f["counterparty_enterprise_id"],
            granted_at=datetime.fromtimestamp(int(f["granted_at"]), UTC),
            expires_at=datetime.fromtimestamp(int(f["expires_at"]), UTC),
            stored_state=MandateState(f["state"]),
            revoked_at=(
                datetime.fromtimestamp(int(f["revoked_at"]), UTC) if f["revoked_at"] else None
            ),
            request_id=f["request_id"],
        )
