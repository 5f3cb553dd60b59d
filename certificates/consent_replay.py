"""Replay rules of consent: what each proposal, acceptance, rejection, settlement, mandate
and retirement for another enterprise may change, checked entry by entry in log order."""

from __future__ import annotations

from collections.abc import Mapping

Record = Mapping[str, str]
CONSENT_OPS = ("propose", "accept", "reject", "grant", "revoke")
_OPEN = ("PROPOSED", "ACCEPTED")
#: Fields a trade keeps from its proposal to its settlement.
_TERMS = (
    "source_lot_id",
    "seller_enterprise_id",
    "buyer_enterprise_id",
    "energy_wh",
    "price_fen_per_mwh",
    "amount_fen",
    "expires_at",
    "proposal_request_id",
)


def check_consent(
    seq: int, entry: Mapping, trades: Mapping[str, Record], mandates: Mapping[str, Record]
) -> list[str]:
    """What is wrong with `entry` as a consent step, given the trades and mandates before it."""
    op = entry["op"]
    problems = _CHECKS[op](entry, trades, mandates) if op in _CHECKS else []
    return [f"seq {seq}: {problem}" for problem in problems]


def _trade_step(entry: Mapping, trades: Mapping[str, Record]) -> tuple[Record, Record | None]:
    trade = entry.get("trade") or {}
    return trade, trades.get(trade.get("trade_id", ""))


def _propose(entry: Mapping, trades, mandates) -> list[str]:
    trade, prior = _trade_step(entry, trades)
    if entry.get("lots"):
        return ["a proposal moved certificates"]
    if prior is not None:
        return [f"trade {trade['trade_id']} proposed twice"]
    return [] if trade.get("state") == "PROPOSED" else ["a proposal that is not PROPOSED"]


def _unchanged_terms(trade: Record, prior: Record) -> bool:
    return all(trade.get(name) == prior.get(name) for name in _TERMS)


def _accept(entry: Mapping, trades, mandates) -> list[str]:
    trade, prior = _trade_step(entry, trades)
    if prior is None or prior.get("state") != "PROPOSED":
        return ["acceptance of a trade that was not proposed"]
    if trade.get("state") != "ACCEPTED" or trade.get("accepted_by") != prior["buyer_enterprise_id"]:
        return ["acceptance by someone other than the buyer"]
    return [] if _unchanged_terms(trade, prior) else ["acceptance changed the trade's terms"]


def _reject(entry: Mapping, trades, mandates) -> list[str]:
    trade, prior = _trade_step(entry, trades)
    if prior is None or prior.get("state") not in _OPEN:
        return ["rejection of a trade that was not open"]
    if trade.get("state") != "REJECTED" or not _unchanged_terms(trade, prior):
        return ["rejection changed more than the trade's state"]
    return []


def _settle(entry: Mapping, trades, mandates) -> list[str]:
    trade, prior = _trade_step(entry, trades)
    if prior is None:
        return [f"trade {trade.get('trade_id')} settled without a proposal"]
    if prior.get("state") not in _OPEN or not _unchanged_terms(trade, prior):
        return ["settlement of a trade that was not open, or on other terms"]
    if trade.get("state") != "SETTLED":
        return ["settlement that does not settle"]
    if prior["state"] == "ACCEPTED":
        return []
    mandate = entry.get("mandate")
    if not mandate or trade.get("accepted_by") != f"mandate:{mandate['mandate_id']}":
        return ["settled without the buyer's acceptance or mandate"]
    covers = (
        mandate["scope"] == "buy_green"
        and mandate["grantor_enterprise_id"] == trade["buyer_enterprise_id"]
        and int(trade["price_fen_per_mwh"]) <= int(mandate["max_price_fen_per_mwh"])
        and mandate["counterparty_enterprise_id"] in ("", trade["seller_enterprise_id"])
        and int(trade["at"]) < int(mandate["expires_at"])
    )
    problems = [] if covers else ["settled under a mandate that does not cover it"]
    return problems + _used(mandate, mandates, int(trade["energy_wh"]))


def _used(mandate: Record, mandates: Mapping[str, Record], wh: int) -> list[str]:
    prior = mandates.get(mandate["mandate_id"])
    if prior is None or prior.get("state") != "ACTIVE":
        return ["acted under a mandate that was not active"]
    if int(mandate["used_wh"]) != int(prior["used_wh"]) + wh:
        return ["mandate's used Wh do not add up"]
    cap = int(mandate["max_energy_wh"])
    return ["mandate used beyond its Wh cap"] if cap and int(mandate["used_wh"]) > cap else []


def _retire(entry: Mapping, trades, mandates) -> list[str]:
    lots = entry.get("lots") or []
    if not lots or lots[0]["beneficiary_enterprise_id"] == lots[0]["owner_enterprise_id"]:
        return []
    retired, mandate = lots[0], entry.get("mandate")
    if not mandate:
        return ["retired for another enterprise without its mandate"]
    covers = (
        mandate["scope"] == "retire_for"
        and mandate["grantor_enterprise_id"] == retired["beneficiary_enterprise_id"]
        and mandate["grantee"] == retired["owner_enterprise_id"]
        and int(entry.get("at", 0)) < int(mandate["expires_at"])
    )
    problems = [] if covers else ["retired for another enterprise outside its mandate"]
    return problems + _used(mandate, mandates, int(retired["energy_wh"]))


def _grant(entry: Mapping, trades, mandates) -> list[str]:
    mandate = entry.get("mandate") or {}
    if mandate.get("mandate_id") in mandates:
        return [f"mandate {mandate.get('mandate_id')} granted twice"]
    fresh = mandate.get("state") == "ACTIVE" and mandate.get("used_wh") == "0"
    return [] if fresh else ["a grant that is not a fresh active mandate"]


def _revoke(entry: Mapping, trades, mandates) -> list[str]:
    mandate = entry.get("mandate") or {}
    prior = mandates.get(mandate.get("mandate_id", ""))
    if prior is None or prior.get("state") != "ACTIVE":
        return ["revocation of a mandate that was not active"]
    same = {**prior, "state": "REVOKED", "revoked_at": mandate.get("revoked_at")} == mandate
    return [] if same else ["revocation changed more than the mandate's state"]


_CHECKS = {
    "propose": _propose,
    "accept": _accept,
    "reject": _reject,
    "trade": _settle,
    "retire": _retire,
    "grant": _grant,
    "revoke": _revoke,
}
