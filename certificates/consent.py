"""Consent in the ledger: two-party green-power trades and standing mandates.

A trade is proposed by the seller (nothing moves), accepted or rejected by the buyer,
and settled (certificates and money leg in one step) only when the buyer accepted it or
an active buy_green mandate of the buyer covers it at settlement. Proposals expire.
Mandates are granted and revoked by their grantor. Every step is one Lua script with its
audit entry and change-feed entry, like every other ledger mutation.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from certificates import exceptions as exc
from certificates.exceptions import InvalidInput
from certificates.lots import Lot, aware, check_energy, check_id
from certificates.mandates import ESCO, Mandate, MandateScope
from certificates.signing import request_json
from certificates.trades import GreenTrade, trade_amount_fen

TRADE_STEPS = ("propose", "accept", "reject")
MANDATE_STEPS = ("grant", "revoke")


def _when(text: str) -> datetime:
    return datetime.fromtimestamp(int(text), UTC)


def raise_consent_error(code: str, detail: str) -> None:
    """Raise the exception of a consent script's "CODE:detail" error; return when unknown."""
    name, _, extra = detail.rpartition(":")
    if code == "TRADE_NOT_FOUND":
        raise exc.TradeNotFound(detail) from None
    if code == "TRADE_STATE":
        raise exc.TradeClosed(name, extra) from None
    if code == "TRADE_EXPIRED":
        raise exc.TradeExpired(name, _when(extra)) from None
    if code == "NOT_AGREED":
        raise exc.TradeNotAgreed(detail) from None
    if code == "MANDATE_EXISTS":
        raise exc.MandateExists(detail) from None
    if code == "MANDATE_NOT_FOUND":
        raise exc.MandateNotFound(detail) from None
    if code == "MANDATE_STATE":
        raise exc.MandateClosed(name, extra) from None
    if code == "NO_MANDATE":
        raise exc.NoMandate(name, extra) from None


def mandate_of(result: bytes | str) -> Mandate:
    """The mandate of a "grant" or "revoke" change-feed result."""
    return Mandate.from_fields(json.loads(result))


def _s(at: datetime, field: str = "at") -> int:
    return int(aware(at, field).timestamp())


def _seconds(valid_for: timedelta) -> int:
    """Whole seconds > 0 of `valid_for`; raises InvalidInput("valid_for") otherwise."""
    if not isinstance(valid_for, timedelta) or valid_for.total_seconds() < 1:
        raise InvalidInput("valid_for", "must be a duration of at least 1 s")
    return int(valid_for.total_seconds())


class ConsentOps:
    """The consent steps of CertificateLedger (which supplies `_run`, `_scripts`, `_trade`)."""

    def _step(self, name: str, request_id: str, parts: list, args: list, lot_id: str = "") -> bytes:
        """Run consent script `name` with the signed request (name, *parts)."""
        script = self._trade if name == "trade" else self._scripts[name]  # type: ignore[attr-defined]
        request = request_json(name, *parts)
        return self._run(script, request_id, request, args, lot_id)  # type: ignore[attr-defined]

    def propose_green_trade(
        self,
        request_id: str,
        trade_id: str,
        lot_id: str,
        seller_enterprise_id: str,
        buyer_enterprise_id: str,
        energy_wh: int,
        price_fen_per_mwh: int,
        at: datetime,
        valid_for: timedelta = timedelta(days=1),
    ) -> GreenTrade:
        """The seller offers `energy_wh` of its lot to the buyer at a price, open for
        `valid_for` from `at` (not part of the request identity); nothing moves yet. The
        lot must be the seller's, valid at `at` and hold the Wh (checked again at
        settlement). Raises InvalidInput, LotNotFound,
        NotOwner, AlreadyRetired, LotExpired, InsufficientEnergy, TradeExists,
        DuplicateRequest.
        """
        for value, field in (
            (request_id, "request_id"),
            (trade_id, "trade_id"),
            (lot_id, "lot_id"),
            (seller_enterprise_id, "seller_enterprise_id"),
            (buyer_enterprise_id, "buyer_enterprise_id"),
        ):
            check_id(value, field)
        if check_energy(energy_wh) == 0:
            raise InvalidInput("energy_wh", "must be > 0")
        amount_fen = trade_amount_fen(energy_wh, price_fen_per_mwh)
        if seller_enterprise_id == buyer_enterprise_id:
            raise InvalidInput("buyer_enterprise_id", "must differ from seller_enterprise_id")
        valid_s = _seconds(valid_for)
        at_s = _s(at)
        parts = [trade_id, lot_id, seller_enterprise_id, buyer_enterprise_id, energy_wh]
        parts += [price_fen_per_mwh, amount_fen, valid_s]
        args = [*parts[:-1], at_s, at_s + valid_s]
        reply = self._step("propose", request_id, parts, args, lot_id)
        return GreenTrade.from_fields(json.loads(reply))

    def accept_green_trade(
        self, request_id: str, trade_id: str, buyer_enterprise_id: str, at: datetime
    ) -> GreenTrade:
        """The buyer's own acceptance of a proposed trade before it expires. Raises
        InvalidInput, TradeNotFound (also for another buyer's trade), TradeClosed,
        TradeExpired, TradeExists (already settled), DuplicateRequest."""
        return self._respond("accept", request_id, trade_id, buyer_enterprise_id, at)

    def reject_green_trade(
        self, request_id: str, trade_id: str, buyer_enterprise_id: str, at: datetime
    ) -> GreenTrade:
        """The buyer turns a proposed or accepted, unsettled trade down; like accept."""
        return self._respond("reject", request_id, trade_id, buyer_enterprise_id, at)

    def _respond(
        self, step: str, request_id: str, trade_id: str, buyer: str, at: datetime
    ) -> GreenTrade:
        check_id(request_id, "request_id")
        check_id(trade_id, "trade_id")
        check_id(buyer, "buyer_enterprise_id")
        reply = self._step(step, request_id, [trade_id, buyer], [trade_id, buyer, _s(at)])
        return GreenTrade.from_fields(json.loads(reply))

    def settle_green_trade(
        self, request_id: str, trade_id: str, at: datetime, settled_by: str = ESCO
    ) -> tuple[GreenTrade, Lot, Lot | None]:
        """Move the agreed certificates to the buyer and record what it pays, in one step.

        The trade must be accepted by its buyer, or covered now by an active buy_green
        mandate of the buyer (its Wh are then counted on the mandate). `at` (checked
        against the proposal's and the lot's expiry) is not part of the request identity;
        `settled_by` ("esco" or the seller) is recorded. Returns (trade, buyer's lot,
        seller's remainder or None). Raises InvalidInput, TradeNotFound, TradeNotAgreed,
        TradeExpired, TradeClosed, TradeExists (settled by another request), LotNotFound,
        NotOwner, AlreadyRetired, LotExpired, InsufficientEnergy, DuplicateRequest.
        """
        check_id(request_id, "request_id")
        check_id(trade_id, "trade_id")
        check_id(settled_by, "settled_by")
        reply = json.loads(
            self._step("trade", request_id, [trade_id], [trade_id, _s(at), settled_by])
        )
        lots = [Lot.from_fields(fields) for fields in reply["lots"]]
        trade = GreenTrade.from_fields(reply["trade"])
        return trade, lots[0], (lots[1] if len(lots) > 1 else None)

    def grant_mandate(
        self,
        request_id: str,
        mandate_id: str,
        grantor_enterprise_id: str,
        scope: MandateScope,
        grantee: str,
        at: datetime,
        valid_for: timedelta,
        max_price_fen_per_mwh: int = 0,
        max_energy_wh: int = 0,
        counterparty_enterprise_id: str = "",
    ) -> Mandate:
        """Record a standing consent of the grantor from `at` for `valid_for` (not part of
        the request identity, so a retry later replays). buy_green: grantee must be "esco" and
        max_price_fen_per_mwh > 0; retire_for: grantee is the enterprise that may retire
        for the grantor (not the grantor). max_energy_wh 0 means no Wh cap. Raises
        InvalidInput naming the field, MandateExists, DuplicateRequest."""
        check_id(request_id, "request_id")
        check_id(mandate_id, "mandate_id")
        check_id(grantor_enterprise_id, "grantor_enterprise_id")
        check_id(counterparty_enterprise_id, "counterparty_enterprise_id", allow_empty=True)
        if scope not in set(MandateScope):
            raise InvalidInput("scope", f"must be one of {[str(s) for s in MandateScope]}")
        check_energy(max_energy_wh, "max_energy_wh")
        check_energy(max_price_fen_per_mwh, "max_price_fen_per_mwh")
        if scope == MandateScope.BUY_GREEN:
            if grantee != ESCO:
                raise InvalidInput("grantee", "a buy_green mandate is given to the ESCO")
            if max_price_fen_per_mwh == 0:
                raise InvalidInput("max_price_fen_per_mwh", "must be > 0 for buy_green")
        else:
            check_id(grantee, "grantee")
            if grantee in (grantor_enterprise_id, ESCO):
                raise InvalidInput("grantee", "must be another enterprise")
            if counterparty_enterprise_id or max_price_fen_per_mwh:
                raise InvalidInput("scope", "retire_for takes no price cap or counterparty")
        valid_s, at_s = _seconds(valid_for), _s(at)
        parts = [mandate_id, grantor_enterprise_id, grantee, str(scope)]
        parts += [max_price_fen_per_mwh, max_energy_wh, counterparty_enterprise_id, valid_s]
        args = [*parts[:-1], at_s, at_s + valid_s]
        return mandate_of(self._step("grant", request_id, parts, args))

    def revoke_mandate(
        self, request_id: str, mandate_id: str, grantor_enterprise_id: str, at: datetime
    ) -> Mandate:
        """End the grantor's mandate now; raises InvalidInput, MandateNotFound (also for
        another grantor's), MandateClosed, DuplicateRequest."""
        check_id(request_id, "request_id")
        check_id(mandate_id, "mandate_id")
        check_id(grantor_enterprise_id, "grantor_enterprise_id")
        parts = [mandate_id, grantor_enterprise_id]
        return mandate_of(self._step("revoke", request_id, parts, [*parts, _s(at)]))
