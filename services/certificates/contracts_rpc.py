"""CertificateService's green-power contract RPCs: propose, answer, deliver a month, read."""

from __future__ import annotations

from datetime import timedelta

from certificates.contract_records import month_statuses
from certificates.contracts import ContractTerms, CurveKind
from certificates.exceptions import ContractNotFound
from certificates.trades import check_price
from parkvpp.v1 import certificates_pb2 as pb
from parkvpp.v1 import enrollment_pb2 as epb
from services.certificates.contract_convert import (
    SHORTFALL_RULES,
    SURPLUS_RULES,
    contract_message,
    month_message,
)
from services.certificates.metering import now_utc
from services.certificates.trades_rpc import _acting_enterprise
from services.runtime.errors import InvalidArgument
from services.runtime.rpc import require_id

DEFAULT_PROPOSAL_S = 7 * 24 * 3600
MAX_PROPOSAL_S = 31 * 24 * 3600
#: 1,000 CNY per kWh, like the certificate service's price bound.
MAX_RATE_FEN_PER_MWH = 10**8


def _terms(request) -> ContractTerms:
    """The proposal's terms; InvalidArgument naming the field for what only the wire can get
    wrong (curves, enum values, bounds); the ledger checks the rest (check_terms)."""
    if bool(request.monthly_wh) == bool(request.hourly_wh):
        raise InvalidArgument("monthly_wh", "set exactly one of monthly_wh and hourly_wh")
    shortfall = SHORTFALL_RULES.get(request.shortfall_rule)
    if shortfall is None:
        raise InvalidArgument("shortfall_rule", "must be SHORTFALL_RULE_COMPENSATE or _CARRY")
    surplus = SURPLUS_RULES.get(request.surplus_rule)
    if surplus is None:
        raise InvalidArgument("surplus_rule", "must be SURPLUS_RULE_REFUSE or _TAKE")
    if not 0 <= request.shortfall_rate_fen_per_mwh <= MAX_RATE_FEN_PER_MWH:
        raise InvalidArgument(
            "shortfall_rate_fen_per_mwh", f"must be 0..{MAX_RATE_FEN_PER_MWH} fen per MWh"
        )
    hourly = bool(request.hourly_wh)
    return ContractTerms(
        contract_id=require_id("contract_id", request.contract_id),
        seller_enterprise_id=require_id("seller_enterprise_id", request.seller_enterprise_id),
        buyer_enterprise_id=require_id("buyer_enterprise_id", request.buyer_enterprise_id),
        start_month=request.start_month,
        end_month=request.end_month,
        curve_kind=CurveKind.HOURLY if hourly else CurveKind.MONTHLY,
        curve_wh=tuple(request.hourly_wh if hourly else request.monthly_wh),
        price_fen_per_mwh=request.price_fen_per_mwh,
        shortfall_rule=shortfall,
        shortfall_rate_fen_per_mwh=request.shortfall_rate_fen_per_mwh,
        surplus_rule=surplus,
        surplus_cap_permille=request.surplus_cap_permille,
        generator_asset_ids=tuple(request.generator_asset_ids),
    )


class GreenContractRpcs:
    """Mixed into CertificateServicer, which supplies `ledger`, `registry`, `runtime` and
    `_price_band`."""

    def ProposeGreenContract(self, request, context):  # noqa: N802
        terms = _terms(request)
        check_price(request.price_fen_per_mwh, self._price_band())  # type: ignore[attr-defined]
        valid_s = request.valid_for_s or DEFAULT_PROPOSAL_S
        if not 60 <= valid_s <= MAX_PROPOSAL_S:
            raise InvalidArgument("valid_for_s", f"must be 60..{MAX_PROPOSAL_S} s (0 = 7 days)")
        if terms.buyer_enterprise_id == terms.seller_enterprise_id:
            raise InvalidArgument("buyer_enterprise_id", "must differ from seller_enterprise_id")
        self.registry.get_enterprise(terms.buyer_enterprise_id)  # type: ignore[attr-defined]
        self._check_generators(terms)
        now = now_utc()
        contract = self.ledger.propose_contract(  # type: ignore[attr-defined]
            require_id("request_id", request.request_id), terms, now, timedelta(seconds=valid_s)
        )
        self.runtime.events_written()  # type: ignore[attr-defined]
        return contract_message(contract, now, month_statuses(contract, {}))

    def _check_generators(self, terms: ContractTerms) -> None:
        """Each named generator must be an enrolled generator of the seller, so the buyer
        is never sold a plant the seller does not own."""
        for i, asset_id in enumerate(terms.generator_asset_ids):
            field = f"generator_asset_ids[{i}]"
            asset = self.registry.find_asset(require_id(field, asset_id))  # type: ignore[attr-defined]
            own = asset is not None and asset.enterprise_id == terms.seller_enterprise_id
            if not own or asset.kind != epb.ASSET_KIND_GENERATOR:
                raise InvalidArgument(field, "is not a generator of the seller")

    def AcceptGreenContract(self, request, context):  # noqa: N802
        return self._answer_contract(request, self.ledger.accept_contract)  # type: ignore[attr-defined]

    def RejectGreenContract(self, request, context):  # noqa: N802
        return self._answer_contract(request, self.ledger.reject_contract)  # type: ignore[attr-defined]

    def _answer_contract(self, request, step):
        now = now_utc()
        contract = step(
            require_id("request_id", request.request_id),
            require_id("contract_id", request.contract_id),
            require_id("buyer_enterprise_id", request.buyer_enterprise_id),
            now,
        )
        self.runtime.events_written()  # type: ignore[attr-defined]
        return contract_message(contract, now, month_statuses(contract, {}))

    def DeliverGreenContractMonth(self, request, context):  # noqa: N802
        request_id = require_id("request_id", request.request_id)
        contract_id = require_id("contract_id", request.contract_id)
        contract = self.ledger.get_contract(contract_id)  # type: ignore[attr-defined]
        acting = _acting_enterprise()
        if acting and acting != contract.terms.seller_enterprise_id:
            raise ContractNotFound(contract_id)
        seller = request.seller_enterprise_id
        if seller and seller != contract.terms.seller_enterprise_id:
            raise InvalidArgument("seller_enterprise_id", f"is not the seller of {contract_id}")
        now = now_utc()
        contract, delivery = self.ledger.deliver_month(  # type: ignore[attr-defined]
            request_id, contract_id, request.month, now
        )
        self.runtime.events_written()  # type: ignore[attr-defined]
        return pb.GreenContractDelivery(
            contract=contract_message(contract, now),
            month=month_message(
                delivery.month, contract.terms.contracted_wh(delivery.month), delivery
            ),
        )

    def GetGreenContract(self, request, context):  # noqa: N802
        contract_id = require_id("contract_id", request.contract_id)
        contract = self.ledger.get_contract(contract_id)  # type: ignore[attr-defined]
        party = request.enterprise_id
        terms = contract.terms
        if party and party not in (terms.seller_enterprise_id, terms.buyer_enterprise_id):
            raise ContractNotFound(contract_id)
        months = month_statuses(contract, self.ledger.deliveries(contract))  # type: ignore[attr-defined]
        return contract_message(contract, now_utc(), months, request.include_lines)

    def ListGreenContracts(self, request, context):  # noqa: N802
        if request.enterprise_id:
            require_id("enterprise_id", request.enterprise_id)
        contracts, token = self.ledger.list_contracts(  # type: ignore[attr-defined]
            request.enterprise_id, request.page_size, request.page_token
        )
        now = now_utc()
        return pb.ListGreenContractsResponse(
            contracts=[contract_message(c, now) for c in contracts], next_page_token=token
        )
