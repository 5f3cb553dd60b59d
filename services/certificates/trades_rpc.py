"""CertificateService's consent RPCs: two-party green-power trades and standing mandates."""

from __future__ import annotations

from datetime import timedelta

from certificates.exceptions import TradeNotFound
from certificates.mandates import ESCO, MandateScope
from certificates.trades import GreenTrade, check_price
from parkvpp.v1 import certificates_pb2 as pb
from services.certificates.convert import lot_message, mandate_message, trade_message
from services.certificates.metering import now_utc
from services.runtime.auth import current_caller
from services.runtime.errors import InvalidArgument
from services.runtime.rpc import require_id

#: 1 TWh: far above any one generator-hour's lot, and energy x price stays inside int64.
MAX_TRADE_WH = 10**12
DEFAULT_PROPOSAL_S = 24 * 3600
MAX_PROPOSAL_S = 7 * 24 * 3600
MAX_MANDATE_DAYS = 366
_SCOPES = {pb.MANDATE_SCOPE_BUY_GREEN: MandateScope.BUY_GREEN}
_SCOPES[pb.MANDATE_SCOPE_RETIRE_FOR] = MandateScope.RETIRE_FOR


def _acting_enterprise() -> str:
    """The enterprise id of an enterprise caller, "" for other roles."""
    caller = current_caller()
    return caller.enterprise_id if caller is not None and caller.role == "enterprise" else ""


class GreenTradeRpcs:
    """Mixed into CertificateServicer, which supplies `ledger`, `registry` and `runtime`."""

    def _price_band(self) -> tuple[int, int]:
        s = self.runtime.settings  # type: ignore[attr-defined]
        return s.green_price_min_fen_per_mwh, s.green_price_max_fen_per_mwh

    def ProposeGreenTrade(self, request, context):  # noqa: N802
        if not 0 < request.energy_wh <= MAX_TRADE_WH:
            raise InvalidArgument("energy_wh", f"must be 1..{MAX_TRADE_WH} Wh")
        check_price(request.price_fen_per_mwh, self._price_band())
        valid_s = request.valid_for_s or DEFAULT_PROPOSAL_S
        if not 60 <= valid_s <= MAX_PROPOSAL_S:
            raise InvalidArgument("valid_for_s", f"must be 60..{MAX_PROPOSAL_S} s (0 = 24 h)")
        seller = require_id("seller_enterprise_id", request.seller_enterprise_id)
        buyer = require_id("buyer_enterprise_id", request.buyer_enterprise_id)
        if buyer == seller:
            raise InvalidArgument("buyer_enterprise_id", "must differ from seller_enterprise_id")
        self.registry.get_enterprise(buyer)  # type: ignore[attr-defined]
        now = now_utc()
        trade = self.ledger.propose_green_trade(  # type: ignore[attr-defined]
            require_id("request_id", request.request_id),
            require_id("trade_id", request.trade_id),
            require_id("lot_id", request.lot_id),
            seller,
            buyer,
            request.energy_wh,
            request.price_fen_per_mwh,
            now,
            timedelta(seconds=valid_s),
        )
        self.runtime.events_written()  # type: ignore[attr-defined]
        return trade_message(trade, None, now=now)

    def AcceptGreenTrade(self, request, context):  # noqa: N802
        return self._respond(request, self.ledger.accept_green_trade)  # type: ignore[attr-defined]

    def RejectGreenTrade(self, request, context):  # noqa: N802
        return self._respond(request, self.ledger.reject_green_trade)  # type: ignore[attr-defined]

    def _respond(self, request, step):
        now = now_utc()
        trade = step(
            require_id("request_id", request.request_id),
            require_id("trade_id", request.trade_id),
            require_id("buyer_enterprise_id", request.buyer_enterprise_id),
            now,
        )
        self.runtime.events_written()  # type: ignore[attr-defined]
        return trade_message(trade, None, now=now)

    def SettleGreenTrade(self, request, context):  # noqa: N802
        request_id = require_id("request_id", request.request_id)
        trade_id = require_id("trade_id", request.trade_id)
        trade = self.ledger.get_trade(trade_id)  # type: ignore[attr-defined]
        acting = _acting_enterprise()
        if acting and acting != trade.seller_enterprise_id:
            raise TradeNotFound(trade_id)
        _check_terms(request, trade)
        check_price(trade.agreed_price_fen_per_mwh or 0, self._price_band())
        trade, bought, rest = self.ledger.settle_green_trade(  # type: ignore[attr-defined]
            request_id, trade_id, now_utc(), settled_by=acting or ESCO
        )
        self.runtime.events_written()  # type: ignore[attr-defined]
        return trade_message(trade, bought, rest)

    def GetGreenTrade(self, request, context):  # noqa: N802
        trade_id = require_id("trade_id", request.trade_id)
        trade = self.ledger.get_trade(trade_id)  # type: ignore[attr-defined]
        party = request.enterprise_id
        if party and party not in (trade.seller_enterprise_id, trade.buyer_enterprise_id):
            raise TradeNotFound(trade_id)
        bought = self.ledger.get_lots([trade.lot_id]).get(trade.lot_id)  # type: ignore[attr-defined]
        return trade_message(trade, bought, now=now_utc())

    def ListGreenTrades(self, request, context):  # noqa: N802
        if request.enterprise_id:
            require_id("enterprise_id", request.enterprise_id)
        trades, token = self.ledger.list_trades(  # type: ignore[attr-defined]
            request.enterprise_id, request.page_size, request.page_token
        )
        lots = self.ledger.get_lots([t.lot_id for t in trades if t.lot_id])  # type: ignore[attr-defined]
        now = now_utc()
        return pb.ListGreenTradesResponse(
            trades=[trade_message(t, lots.get(t.lot_id), now=now) for t in trades],
            next_page_token=token,
        )

    def GrantMandate(self, request, context):  # noqa: N802
        scope = _SCOPES.get(request.scope)
        if scope is None:
            raise InvalidArgument("scope", "must be MANDATE_SCOPE_BUY_GREEN or _RETIRE_FOR")
        grantor = require_id("grantor_enterprise_id", request.grantor_enterprise_id)
        if scope == MandateScope.BUY_GREEN:
            if request.grantee_enterprise_id:
                raise InvalidArgument("grantee_enterprise_id", "must be empty (the ESCO)")
            check_price(request.max_price_fen_per_mwh, self._price_band())
            grantee = ESCO
        else:
            grantee = require_id("grantee_enterprise_id", request.grantee_enterprise_id)
            self.registry.get_enterprise(grantee)  # type: ignore[attr-defined]
        if request.counterparty_enterprise_id:
            require_id("counterparty_enterprise_id", request.counterparty_enterprise_id)
        if not 0 <= request.max_energy_wh <= MAX_TRADE_WH:
            raise InvalidArgument("max_energy_wh", f"must be 0..{MAX_TRADE_WH} Wh (0 = no cap)")
        if not 1 <= request.valid_for_days <= MAX_MANDATE_DAYS:
            raise InvalidArgument("valid_for_days", f"must be 1..{MAX_MANDATE_DAYS}")
        now = now_utc()
        mandate = self.ledger.grant_mandate(  # type: ignore[attr-defined]
            require_id("request_id", request.request_id),
            require_id("mandate_id", request.mandate_id),
            grantor,
            scope,
            grantee,
            now,
            timedelta(days=request.valid_for_days),
            max_price_fen_per_mwh=request.max_price_fen_per_mwh,
            max_energy_wh=request.max_energy_wh,
            counterparty_enterprise_id=request.counterparty_enterprise_id,
        )
        self.runtime.events_written()  # type: ignore[attr-defined]
        return mandate_message(mandate, now)

    def RevokeMandate(self, request, context):  # noqa: N802
        now = now_utc()
        mandate = self.ledger.revoke_mandate(  # type: ignore[attr-defined]
            require_id("request_id", request.request_id),
            require_id("mandate_id", request.mandate_id),
            require_id("grantor_enterprise_id", request.grantor_enterprise_id),
            now,
        )
        self.runtime.events_written()  # type: ignore[attr-defined]
        return mandate_message(mandate, now)

    def ListMandates(self, request, context):  # noqa: N802
        enterprise_id = require_id("enterprise_id", request.enterprise_id)
        mandates, token = self.ledger.list_mandates(  # type: ignore[attr-defined]
            enterprise_id, request.page_size, request.page_token
        )
        now = now_utc()
        return pb.ListMandatesResponse(
            mandates=[mandate_message(m, now) for m in mandates], next_page_token=token
        )

    def ListRetirements(self, request, context):  # noqa: N802
        beneficiary = require_id("beneficiary_enterprise_id", request.beneficiary_enterprise_id)
        lots, token = self.ledger.list_retirements(  # type: ignore[attr-defined]
            beneficiary, request.page_size, request.page_token
        )
        return pb.ListRetirementsResponse(
            lots=[lot_message(lot) for lot in lots], next_page_token=token
        )


def _check_terms(request, trade: GreenTrade) -> None:
    """Each optional term set in a SettleGreenTrade request must be the proposal's."""
    terms = (
        ("lot_id", trade.source_lot_id),
        ("seller_enterprise_id", trade.seller_enterprise_id),
        ("buyer_enterprise_id", trade.buyer_enterprise_id),
        ("energy_wh", trade.energy_wh),
        ("price_fen_per_mwh", trade.agreed_price_fen_per_mwh or 0),
    )
    for field, proposed in terms:
        value = getattr(request, field)
        if value and value != proposed:
            raise InvalidArgument(field, f"differs from the proposal of trade {trade.trade_id}")
