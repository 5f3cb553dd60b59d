"""Replay rules of green-power contracts: what a proposal, the buyer's answer and a monthly
delivery may change, checked entry by entry in log order.

A delivery is planned again from the replayed lots as they were before its entry, with
the contract's terms and carried Wh, so an entry (or a stored delivery) that moved other
lots or Wh, or recorded other figures or money than the rule gives, is named.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from certificates.contracts import (
    ContractTerms,
    check_terms,
    eligible_lots,
    month_index,
    month_name,
    plan_delivery,
)
from certificates.exceptions import InvalidInput

Record = Mapping[str, str]
CONTRACT_OPS = ("propose_contract", "accept_contract", "reject_contract", "deliver")
_FRESH = {
    "state": "PROPOSED",
    "accepted_at": "",
    "accepted_by": "",
    "rejected_at": "",
    "rejected_by": "",
    "carry_wh": "0",
    "months_delivered": "0",
    "delivered_wh": "0",
    "amount_fen": "0",
    "compensation_fen": "0",
}


def check_contract(
    seq: int,
    entry: Mapping,
    contracts: Mapping[str, Record],
    lots: Mapping[str, Record],
    owned: Mapping[str, set[str]],
) -> list[str]:
    """What is wrong with `entry` as a contract step, given the contracts and lots before it
    (`owned`: lot ids by owner)."""
    contract = entry.get("contract") or {}
    prior = contracts.get(contract.get("contract_id", ""))
    if entry["op"] == "propose_contract":
        problems = _propose(contract, prior, entry)
    elif entry["op"] == "deliver":
        problems = _deliver(contract, prior, entry, lots, owned)
    else:
        problems = _answer(entry["op"], contract, prior)
    return [f"seq {seq}: {problem}" for problem in problems]


def merge(contracts: dict[str, dict[str, str]], entry: Mapping) -> None:
    """Apply the entry's contract record (whole on proposal, progress fields after)."""
    contract = entry["contract"]
    contracts.setdefault(contract["contract_id"], {}).update(contract)


def _propose(contract: Record, prior: Record | None, entry: Mapping) -> list[str]:
    if entry.get("lots"):
        return ["a contract proposal moved certificates"]
    if prior is not None:
        return [f"contract {contract.get('contract_id')} proposed twice"]
    try:
        check_terms(ContractTerms.from_fields(contract))
    except (InvalidInput, KeyError, ValueError) as exc:
        return [f"contract proposed on terms that break a rule ({exc})"]
    fresh = all(contract.get(name) == value for name, value in _FRESH.items())
    if not fresh or contract.get("next_month") != contract["start_month"]:
        return ["a contract proposal that is not a fresh proposal"]
    return []


def _answer(op: str, contract: Record, prior: Record | None) -> list[str]:
    if prior is None or prior.get("state") != "PROPOSED":
        return [f"{op} of a contract that was not proposed"]
    state, by, at = ("ACCEPTED", "accepted_by", "accepted_at")
    if op == "reject_contract":
        state, by, at = ("REJECTED", "rejected_by", "rejected_at")
    if contract.get("state") != state or contract.get(by) != prior["buyer_enterprise_id"]:
        return [f"{op} by someone other than the buyer"]
    if int(contract.get(at) or 0) >= int(prior["expires_at"]):
        return [f"{op} after the proposal expired"]
    unchanged = {**prior, **contract} == {
        **prior,
        "state": state,
        by: contract[by],
        at: contract[at],
    }
    return [] if unchanged else [f"{op} changed more than the contract's state"]


def _deliver(
    contract: Record, prior: Record | None, entry: Mapping, lots, owned: Mapping[str, set[str]]
) -> list[str]:
    delivery = entry.get("delivery") or {}
    if prior is None or prior.get("state") != "ACCEPTED":
        return ["delivery of a contract its buyer did not accept"]
    month = delivery.get("month")
    if month != prior["next_month"] or delivery.get("carried_in_wh") != prior["carry_wh"]:
        return [f"delivery of {month} out of order or with other carried Wh"]
    terms = ContractTerms.from_fields(prior)
    seller_lots = [lots[lot_id] for lot_id in owned.get(terms.seller_enterprise_id, ())]
    available = eligible_lots(terms, month, seller_lots, int(delivery["at"]))
    plan = plan_delivery(terms, month, int(prior["carry_wh"]), available)
    problems = []
    if any(delivery.get(name) != value for name, value in plan.numbers().items()):
        problems.append(f"delivery of {month} differs from the contract's rule")
    lines = json.loads(delivery.get("lines") or "[]")
    planned = [(x.source_lot_id, str(x.energy_wh), str(x.amount_fen)) for x in plan.lines]
    if [(x["source_lot_id"], x["energy_wh"], x["amount_fen"]) for x in lines] != planned:
        problems.append(f"delivery of {month} moved other lots, Wh or fen than the rule")
    problems += _moved(entry, lines, lots, terms)
    after = "" if month == terms.end_month else month_name(month_index(month, "month") + 1)
    if (
        contract.get("next_month") != after
        or contract.get("carry_wh") != plan.numbers()["carried_out_wh"]
    ):
        problems.append("contract progress does not follow the delivery")
    return problems


def _moved(
    entry: Mapping, lines: list, lots: Mapping[str, Record], terms: ContractTerms
) -> list[str]:
    """Each line's Wh went to the buyer under the contract; the source lots' Wh are kept."""
    touched = {lot["lot_id"]: lot for lot in entry.get("lots") or []}
    problems = []
    for line in lines:
        moved = touched.get(line["lot_id"], {})
        ok = (
            moved.get("owner_enterprise_id") == terms.buyer_enterprise_id
            and moved.get("trade_id") == terms.contract_id
            and moved.get("energy_wh") == line["energy_wh"]
        )
        if not ok:
            problems.append(f"line of lot {line['source_lot_id']} did not reach the buyer")
    before = sum(
        int(lots[x["source_lot_id"]]["energy_wh"]) for x in lines if x["source_lot_id"] in lots
    )
    after = sum(int(lot["energy_wh"]) for lot in touched.values())
    if before != after or len(touched) > 2 * len(lines):
        problems.append("delivery changed the energy of the lots it split")
    return problems
