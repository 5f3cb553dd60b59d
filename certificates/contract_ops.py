"""Green-power contracts in the ledger: proposal, the buyer's answer, monthly delivery, reads.

Each step is one Lua script with its audit entry and change-feed entry, like every ledger
mutation. A delivery is planned here (certificates.contracts.plan_delivery) on the
seller's lots at one owner version and applied by deliver.lua only if none of them changed
since; otherwise it is planned again. A month is delivered once: running it again returns
the stored delivery and writes nothing, whatever the request id.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from certificates import exceptions as exc
from certificates.contract_records import GreenContract, MonthDelivery
from certificates.contracts import (
    ContractState,
    ContractTerms,
    check_terms,
    eligible_lots,
    month_end,
    month_index,
    month_name,
    plan_delivery,
)
from certificates.exceptions import InvalidInput
from certificates.lots import aware, check_id
from certificates.signing import request_json

CONTRACT_STEPS = ("propose_contract", "accept_contract", "reject_contract", "deliver")
#: Plans made and found stale before a delivery gives up with LedgerBusy.
PLAN_ATTEMPTS = 8


class PlanStale(Exception):
    """deliver.lua found the ledger changed since the plan, or the month delivered: plan
    again (internal to deliver_month, never raised to callers)."""


def _when(text: str) -> datetime:
    return datetime.fromtimestamp(int(text), UTC)


def raise_contract_error(code: str, detail: str) -> None:
    """Raise the exception of a contract script's "CODE:detail" error; return when unknown."""
    name, _, extra = detail.rpartition(":")
    if code == "CONTRACT_NOT_FOUND":
        raise exc.ContractNotFound(detail) from None
    if code == "CONTRACT_EXISTS":
        raise exc.ContractExists(detail) from None
    if code == "CONTRACT_STATE":
        raise exc.ContractClosed(name, extra) from None
    if code == "CONTRACT_EXPIRED":
        raise exc.ContractExpired(name, _when(extra)) from None
    if code in ("STALE", "DELIVERED"):
        raise PlanStale(detail) from None


def _s(at: datetime, field: str = "at") -> int:
    return int(aware(at, field).timestamp())


class ContractOps:
    """The contract steps of CertificateLedger (which supplies `_run`, `_scripts`, `_redis`,
    `_key`, `get_lots`-style reads and `_page`)."""

    def propose_contract(
        self, request_id: str, terms: ContractTerms, at: datetime, valid_for: timedelta
    ) -> GreenContract:
        """The seller offers the contract to the buyer, open for `valid_for` from `at` (not
        part of the request identity); nothing binds until the buyer accepts. Raises
        InvalidInput naming the field, ContractExists, DuplicateRequest."""
        check_id(request_id, "request_id")
        check_terms(terms)
        if not isinstance(valid_for, timedelta) or valid_for.total_seconds() < 1:
            raise InvalidInput("valid_for", "must be a duration of at least 1 s")
        valid_s, at_s = int(valid_for.total_seconds()), _s(at)
        fields = json.dumps(terms.to_fields(), sort_keys=True, separators=(",", ":"))
        request = request_json("propose_contract", fields, valid_s)
        reply = self._run(  # type: ignore[attr-defined]
            self._scripts["propose_contract"],  # type: ignore[attr-defined]
            request_id,
            request,
            [fields, at_s, at_s + valid_s],
            "",
        )
        return GreenContract.from_fields(json.loads(reply))

    def accept_contract(
        self, request_id: str, contract_id: str, buyer_enterprise_id: str, at: datetime
    ) -> GreenContract:
        """The buyer's own acceptance of a proposed contract before it expires; from then on
        it binds both parties. Raises InvalidInput, ContractNotFound (also for another
        buyer's), ContractClosed, ContractExpired, DuplicateRequest."""
        return self._answer("accept_contract", request_id, contract_id, buyer_enterprise_id, at)

    def reject_contract(
        self, request_id: str, contract_id: str, buyer_enterprise_id: str, at: datetime
    ) -> GreenContract:
        """The buyer turns a proposed contract down; raises like accept_contract."""
        return self._answer("reject_contract", request_id, contract_id, buyer_enterprise_id, at)

    def _answer(self, step: str, request_id: str, contract_id: str, buyer: str, at: datetime):
        check_id(request_id, "request_id")
        check_id(contract_id, "contract_id")
        check_id(buyer, "buyer_enterprise_id")
        request = request_json(step, contract_id, buyer)
        args = [contract_id, buyer, _s(at)]
        reply = self._run(self._scripts[step], request_id, request, args, "")  # type: ignore[attr-defined]
        return GreenContract.from_fields(json.loads(reply))

    def deliver_month(
        self, request_id: str, contract_id: str, month: str, at: datetime
    ) -> tuple[GreenContract, MonthDelivery]:
        """Deliver `month` of an accepted contract at `at` (after the month ended, every
        earlier month delivered): certificates and money as certificates.contracts says.
        A month already delivered is returned as stored and nothing is written.

        Raises InvalidInput (ids, a month outside the period), ContractNotFound,
        ContractClosed (not accepted), MonthNotDeliverable (month not over, or an earlier
        month undelivered), LedgerBusy (the seller's lots changed under every plan),
        DuplicateRequest.
        """
        check_id(request_id, "request_id")
        check_id(contract_id, "contract_id")
        month_index(month, "month")
        at_s = _s(at)
        for _ in range(PLAN_ATTEMPTS):
            done = self.get_delivery(contract_id, month)
            if done is not None:
                return self.get_contract(contract_id), done
            contract = self._deliverable(contract_id, month, at)
            if contract is None:  # delivered by a concurrent run since the check above
                continue
            seller = contract.terms.seller_enterprise_id
            version = self._redis.hget(self._key("owner-version"), seller)  # type: ignore[attr-defined]
            lots = eligible_lots(contract.terms, month, self._seller_lots(contract), at_s)
            plan = plan_delivery(contract.terms, month, contract.carry_wh, lots)
            after = month_index(month, "month") + 1
            next_month = month_name(after) if month != contract.terms.end_month else ""
            args = [contract_id, month, at_s, (version or b"0").decode(), contract.carry_wh]
            args += [next_month, json.dumps(plan.numbers(), sort_keys=True)]
            for line in plan.lines:
                args += [line.source_lot_id, line.energy_wh, line.amount_fen, line.hour_s]
            request = request_json("deliver", contract_id, month)
            try:
                self._run(self._scripts["deliver"], request_id, request, args, "")  # type: ignore[attr-defined]
            except PlanStale:
                continue
            return self.get_contract(contract_id), self._stored_delivery(contract_id, month)
        raise exc.LedgerBusy(PLAN_ATTEMPTS)

    def _deliverable(self, contract_id: str, month: str, at: datetime) -> GreenContract | None:
        """The contract when `month` is its next month to deliver; None when the month was
        delivered meanwhile. Raises as deliver_month says."""
        contract = self.get_contract(contract_id)
        if contract.stored_state != ContractState.ACCEPTED:
            raise exc.ContractClosed(contract_id, str(contract.state_at(at)))
        terms = contract.terms
        if month not in terms.months:
            raise InvalidInput("month", f"must be {terms.start_month}..{terms.end_month}")
        if not contract.next_month or terms.months.index(month) < terms.months.index(
            contract.next_month
        ):
            return None
        if month != contract.next_month:
            reason = f"deliver {contract.next_month} first (months are delivered in order)"
            raise exc.MonthNotDeliverable(contract_id, month, reason)
        if at < month_end(month):
            reason = f"the month ends at {month_end(month).isoformat()}"
            raise exc.MonthNotDeliverable(contract_id, month, reason)
        return contract

    def _seller_lots(self, contract: GreenContract) -> list[dict[str, str]]:
        seller = contract.terms.seller_enterprise_id
        ids = self._redis.zrange(self._key("idx", "owner-status", "ACTIVE", seller), 0, -1)  # type: ignore[attr-defined]
        pipe = self._redis.pipeline(transaction=False)  # type: ignore[attr-defined]
        for lot_id in ids:
            pipe.hgetall(self._key("lot", lot_id.decode()))  # type: ignore[attr-defined]
        return [
            {k.decode(): v.decode() for k, v in fields.items()}
            for fields in pipe.execute()
            if fields
        ]

    def get_contract(self, contract_id: str) -> GreenContract:
        """The contract as stored; raises ContractNotFound."""
        fields = self._redis.hgetall(self._key("gcontract", contract_id))  # type: ignore[attr-defined]
        if not fields:
            raise exc.ContractNotFound(contract_id)
        return GreenContract.from_fields(fields)

    def get_delivery(self, contract_id: str, month: str) -> MonthDelivery | None:
        """The delivery of `month`, or None before it ran."""
        fields = self._redis.hgetall(self._key("gdelivery", contract_id, month))  # type: ignore[attr-defined]
        return MonthDelivery.from_fields(fields) if fields else None

    def _stored_delivery(self, contract_id: str, month: str) -> MonthDelivery:
        delivery = self.get_delivery(contract_id, month)
        assert delivery is not None, "deliver.lua stored no delivery"
        return delivery

    def deliveries(self, contract: GreenContract) -> dict[str, MonthDelivery]:
        """Every delivered month of the contract, by month."""
        pipe = self._redis.pipeline(transaction=False)  # type: ignore[attr-defined]
        months = contract.terms.months
        for month in months:
            pipe.hgetall(self._key("gdelivery", contract.contract_id, month))  # type: ignore[attr-defined]
        return {
            month: MonthDelivery.from_fields(fields)
            for month, fields in zip(months, pipe.execute(), strict=True)
            if fields
        }

    def list_contracts(
        self, enterprise_id: str = "", page_size: int = 0, page_token: str = ""
    ) -> tuple[list[GreenContract], str]:
        """One page of contracts in proposal order, all or those an enterprise sells or
        buys; raises InvalidInput for a bad page_size or token."""
        if enterprise_id:
            key = self._key("idx", "contracts-of", enterprise_id)  # type: ignore[attr-defined]
        else:
            key = self._key("idx", "contracts")  # type: ignore[attr-defined]
        ids, next_token = self._page(key, page_size, page_token)  # type: ignore[attr-defined]
        pipe = self._redis.pipeline(transaction=False)  # type: ignore[attr-defined]
        for contract_id in ids:
            pipe.hgetall(self._key("gcontract", contract_id))  # type: ignore[attr-defined]
        return [GreenContract.from_fields(f) for f in pipe.execute() if f], next_token
