"""Checks of each audit entry against the request it records: signature, one application
per request, and effects that are what the signed parameters call for.

An entry appended without the signing key (by running the ledger's scripts straight
against Redis) fails here even when its chain link, the replay and the stored state all
agree. Every problem is reported as "seq N: ..." like the replay's rule breaks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence

from certificates.signing import LedgerSigner

LotFields = Mapping[str, str]
Check = Callable[[list, Mapping, Mapping[str, LotFields]], list[str]]


def check_entries(entries: Iterable[Mapping], signer: LedgerSigner) -> list[str]:
    """What is wrong with each entry's signature and its agreement with its request."""
    errors: list[str] = []
    lots: dict[str, LotFields] = {}
    seen: dict[str, int] = {}
    for entry in entries:
        seq = entry["seq"]
        errors += [f"seq {seq}: {problem}" for problem in _problems(entry, signer, lots, seen)]
        seen.setdefault(str(entry.get("request_id")), seq)
        for lot in entry.get("lots") or []:
            lots[lot["lot_id"]] = lot
    return errors


def _problems(
    entry: Mapping, signer: LedgerSigner, lots: Mapping[str, LotFields], seen: Mapping[str, int]
) -> list[str]:
    request, signature = entry.get("request"), entry.get("sig")
    request_id = str(entry.get("request_id"))
    if not isinstance(request, str) or not isinstance(signature, str) or not signature:
        return ["not signed by the certificate service (written around it)"]
    if not signer.verifies(request_id, request, signature):
        return ["signature does not match its request (written around the service or edited)"]
    if request_id in seen:
        return [f"request {request_id!r} applied again (first at seq {seen[request_id]})"]
    try:
        parts = json.loads(request)
    except ValueError:
        return ["signed request is not JSON"]
    if not isinstance(parts, list) or not parts or parts[0] != entry.get("op"):
        return [f"entry says {entry.get('op')!r}, its signed request does not"]
    check = _CHECKS.get(entry["op"])
    try:
        return check(parts, entry, lots) if check else []
    except (IndexError, KeyError, TypeError, ValueError) as exc:
        return [f"effects do not fit the signed request ({exc!r})"]


def _issue(parts: list, entry: Mapping, lots: Mapping[str, LotFields]) -> list[str]:
    _, generator, technology, grid_area, owner, rows = parts
    issued = entry["lots"] or []
    got = [
        (
            lot["generator_asset_id"],
            lot["technology"],
            lot["grid_area"],
            lot["owner_enterprise_id"],
            int(lot["production_hour_start"]),
            int(lot["energy_wh"]),
            int(lot["expires_at"]),
        )
        for lot in issued
    ]
    want = [(generator, technology, grid_area, owner, *row) for row in rows]
    return [] if got == want else ["issued lots differ from the signed request"]


def _moved(parts: Sequence, entry: Mapping, lots: Mapping[str, LotFields], what: str) -> list:
    """The acted-on lot and problems common to transfer and retire."""
    lot_id, owner, energy_wh = parts[1], parts[2], int(parts[4])
    prior = lots.get(lot_id)
    acted = (entry["lots"] or [None])[0]
    if prior is None or acted is None:
        return [f"{what} of a lot the signed request does not name"]
    problems = []
    if prior["owner_enterprise_id"] != owner:
        problems.append(f"{what} of a lot the signed request's enterprise did not own")
    if acted["lot_id"] != lot_id and acted.get("parent_lot_id") != lot_id:
        problems.append(f"{what} acted on another lot than the signed request's")
    if int(acted["energy_wh"]) != (energy_wh or int(prior["energy_wh"])):
        problems.append(f"{what} moved other Wh than the signed request's")
    return problems


def _transfer(parts: list, entry: Mapping, lots: Mapping[str, LotFields]) -> list[str]:
    problems = _moved(parts, entry, lots, "transfer")
    moved = (entry["lots"] or [{}])[0]
    if not problems and moved["owner_enterprise_id"] != parts[3]:
        problems.append("transfer went to another enterprise than the signed request's")
    return problems


def _retire(parts: list, entry: Mapping, lots: Mapping[str, LotFields]) -> list[str]:
    problems = _moved(parts, entry, lots, "retire")
    retired = (entry["lots"] or [{}])[0]
    if problems:
        return problems
    got = (
        retired["status"],
        retired["beneficiary_enterprise_id"],
        retired["consumption_period_start"],
        retired["consumption_period_end"],
    )
    if got != ("RETIRED", parts[3], str(parts[5]), str(parts[6])):
        problems.append("retirement differs from the signed request")
    return problems


def _expire(parts: list, entry: Mapping, lots: Mapping[str, LotFields]) -> list[str]:
    return [] if entry.get("at") == parts[1] else ["expiry time differs from the signed request"]


def _fields(record: Mapping | None, names: Sequence[str]) -> list[str]:
    return [str((record or {}).get(name)) for name in names]


def _propose(parts: list, entry: Mapping, lots: Mapping[str, LotFields]) -> list[str]:
    names = (
        "trade_id",
        "source_lot_id",
        "seller_enterprise_id",
        "buyer_enterprise_id",
        "energy_wh",
        "price_fen_per_mwh",
        "amount_fen",
    )
    trade = entry.get("trade") or {}
    same = _fields(trade, names) == [str(p) for p in parts[1:-1]]
    same = same and int(trade["expires_at"]) - int(trade["proposed_at"]) == parts[-1]
    return [] if same else ["proposal differs from the signed request"]


def _respond(parts: list, entry: Mapping, lots: Mapping[str, LotFields]) -> list[str]:
    got = _fields(entry.get("trade"), ("trade_id", "buyer_enterprise_id"))
    return [] if got == parts[1:] else ["trade step on another trade or buyer than signed"]


def _settle(parts: list, entry: Mapping, lots: Mapping[str, LotFields]) -> list[str]:
    same = _fields(entry.get("trade"), ("trade_id",)) == parts[1:]
    return [] if same else ["settled another trade than the signed request's"]


def _grant(parts: list, entry: Mapping, lots: Mapping[str, LotFields]) -> list[str]:
    names = (
        "mandate_id",
        "grantor_enterprise_id",
        "grantee",
        "scope",
        "max_price_fen_per_mwh",
        "max_energy_wh",
        "counterparty_enterprise_id",
    )
    mandate = entry.get("mandate") or {}
    same = _fields(mandate, names) == [str(p) for p in parts[1:-1]]
    same = same and int(mandate["expires_at"]) - int(mandate["granted_at"]) == parts[-1]
    return [] if same else ["mandate differs from the signed request"]


def _revoke(parts: list, entry: Mapping, lots: Mapping[str, LotFields]) -> list[str]:
    got = _fields(entry.get("mandate"), ("mandate_id", "grantor_enterprise_id"))
    return [] if got == parts[1:] else ["revoked another mandate than signed"]


def _propose_contract(parts: list, entry: Mapping, lots: Mapping[str, LotFields]) -> list[str]:
    _, terms, valid_s = parts
    contract = entry.get("contract") or {}
    same = all(contract.get(name) == value for name, value in json.loads(terms).items())
    same = same and int(contract["expires_at"]) - int(contract["proposed_at"]) == valid_s
    return [] if same else ["contract differs from the signed proposal"]


def _answer_contract(parts: list, entry: Mapping, lots: Mapping[str, LotFields]) -> list[str]:
    by = "accepted_by" if entry["op"] == "accept_contract" else "rejected_by"
    got = _fields(entry.get("contract"), ("contract_id", by))
    return [] if got == parts[1:] else ["contract step on another contract or buyer than signed"]


def _deliver(parts: list, entry: Mapping, lots: Mapping[str, LotFields]) -> list[str]:
    got = _fields(entry.get("delivery"), ("contract_id", "month"))
    return [] if got == parts[1:] else ["delivered another contract or month than signed"]


_CHECKS: dict[str, Check] = {
    "issue": _issue,
    "transfer": _transfer,
    "retire": _retire,
    "expire": _expire,
    "propose": _propose,
    "accept": _respond,
    "reject": _respond,
    "trade": _settle,
    "grant": _grant,
    "revoke": _revoke,
    "propose_contract": _propose_contract,
    "accept_contract": _answer_contract,
    "reject_contract": _answer_contract,
    "deliver": _deliver,
}
