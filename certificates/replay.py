"""Pure replay of the audit log, the ledger invariants, and the diff against stored state."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bidding.intervals import MARKET_TZ
from certificates.consent_replay import CONSENT_OPS, check_consent
from certificates.contracts_replay import CONTRACT_OPS, check_contract, merge

LotFields = dict[str, str]
COUNTERS = ("issued_wh", "active_wh", "retired_wh", "expired_wh")
#: A lot in one of these states never changes again.
FINAL = ("RETIRED", "EXPIRED")


@dataclass
class LedgerState:
    """Lots, counters and trades, either as replayed from the log or as read from Redis.

    Counter maps leave out zero values. `generator_hours[counter]` is keyed
    "<hour epoch s>:<generator>" like the Lua counters.
    """

    lots: dict[str, LotFields] = field(default_factory=dict)
    totals: Counter[str] = field(default_factory=Counter)
    balances: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    generator_hours: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    issued_by_hour: Counter[str] = field(default_factory=Counter)
    issued_by_month: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    #: Wh expired per owner, keyed by the expiry instant (epoch s) like the Lua counter.
    expired_by_expiry: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    trades: dict[str, LotFields] = field(default_factory=dict)
    mandates: dict[str, LotFields] = field(default_factory=dict)
    #: Green-power contracts by id, and their delivered months by "<contract_id>:<month>".
    contracts: dict[str, LotFields] = field(default_factory=dict)
    deliveries: dict[str, LotFields] = field(default_factory=dict)
    #: Lot ids by owner as replayed (what a contract delivery may take from); not compared.
    owned: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


def _wh(lot: Mapping[str, str]) -> int:
    return int(lot["energy_wh"])


def _hour_key(lot: Mapping[str, str]) -> str:
    return f"{lot['production_hour_start']}:{lot['generator_asset_id']}"


def _record_issue(state: LedgerState, lot: Mapping[str, str]) -> None:
    wh = _wh(lot)
    state.issued_by_hour[lot["production_hour_start"]] += wh
    state.generator_hours["issued_wh"][_hour_key(lot)] += wh
    state.totals["issued_wh"] += wh
    month = datetime.fromtimestamp(int(lot["production_hour_start"]), MARKET_TZ)
    state.issued_by_month[lot["owner_enterprise_id"]][month.strftime("%Y-%m")] += wh


def _check_entry(seq: int, entry: Mapping, state: LedgerState) -> list[str]:
    """What is wrong with applying `entry` to `state` (before it is applied)."""
    touched = entry["lots"] or []
    priors = [state.lots[lot["lot_id"]] for lot in touched if lot["lot_id"] in state.lots]
    errors = [
        f"seq {seq}: {prior['status'].lower()} lot {prior['lot_id']} changed"
        for prior in priors
        if prior["status"] in FINAL
    ]
    if entry["op"] == "issue":
        if priors:
            errors.append(f"seq {seq}: issue reused lot id {priors[0]['lot_id']}")
    elif entry["op"] == "expire":
        errors += _check_expiry(seq, entry, priors)
    elif entry["op"] in CONSENT_OPS:
        return errors + check_consent(seq, entry, state.trades, state.mandates)
    elif entry["op"] in CONTRACT_OPS:
        return errors + check_contract(seq, entry, state.contracts, state.lots, state.owned)
    elif len(priors) != 1:
        errors.append(f"seq {seq}: {entry['op']} must act on exactly one existing lot")
    elif sum(_wh(lot) for lot in touched) != _wh(priors[0]):
        errors.append(f"seq {seq}: {entry['op']} changed the energy of {priors[0]['lot_id']}")
    trade = entry.get("trade")
    if entry["op"] == "trade" and (
        not trade
        or touched[0]["owner_enterprise_id"] != trade["buyer_enterprise_id"]
        or _wh(touched[0]) != int(trade["energy_wh"])
    ):
        errors.append(f"seq {seq}: trade record does not match the lot it moved")
    if entry["op"] in ("trade", "retire"):
        errors += check_consent(seq, entry, state.trades, state.mandates)
    return errors


def _check_expiry(seq: int, entry: Mapping, priors: list[LotFields]) -> list[str]:
    """An expiry marks existing lots EXPIRED, unchanged otherwise, once their time is up."""
    touched = entry["lots"]
    if len(priors) != len(touched):
        return [f"seq {seq}: expire must act on existing lots"]
    errors = []
    for prior, lot in zip(priors, touched, strict=True):
        if {**prior, "status": "EXPIRED"} != lot:
            errors.append(f"seq {seq}: expire changed more than the status of {lot['lot_id']}")
        if int(lot["expires_at"]) > int(entry.get("at", 0)):
            errors.append(f"seq {seq}: lot {lot['lot_id']} expired before its expiry")
    return errors


def replay(entries: Iterable[Mapping]) -> tuple[LedgerState, list[str]]:
    """The state the log describes, and the rule breaks met while replaying it in order.

    Checks per entry: retired and expired lots never change again, an issue creates only
    new lots, a transfer/retire/trade splits exactly one existing lot without changing its
    energy, a trade record matches the lot it moved, an expiry only marks lots whose
    validity ended by the sweep's time, consent holds (certificates.consent_replay), and
    each contract delivery is the one its contract's rule gives (contracts_replay).
    """
    state, errors = LedgerState(), []
    for entry in entries:
        seq = entry["seq"]
        errors += _check_entry(seq, entry, state)
        for lot in entry["lots"] or []:
            if entry["op"] == "issue":
                _record_issue(state, lot)
            if entry["op"] == "expire":
                owner = lot["owner_enterprise_id"]
                state.expired_by_expiry[owner][lot["expires_at"]] += _wh(lot)
            _own(state, lot)
        if entry.get("trade"):
            state.trades[entry["trade"]["trade_id"]] = dict(entry["trade"])
        if entry.get("mandate"):
            state.mandates[entry["mandate"]["mandate_id"]] = dict(entry["mandate"])
        if entry.get("contract"):
            merge(state.contracts, entry)
        if entry.get("delivery"):
            delivery = entry["delivery"]
            state.deliveries[f"{delivery['contract_id']}:{delivery['month']}"] = dict(delivery)
    _derive_holdings(state)
    return state, errors


def _own(state: LedgerState, lot: Mapping[str, str]) -> None:
    """Store the lot as the entry left it, and index it under its owner."""
    prior = state.lots.get(lot["lot_id"])
    if prior is not None:
        state.owned[prior["owner_enterprise_id"]].discard(lot["lot_id"])
    state.owned[lot["owner_enterprise_id"]].add(lot["lot_id"])
    state.lots[lot["lot_id"]] = dict(lot)


def _derive_holdings(state: LedgerState) -> None:
    """Active/retired totals, balances and generator-hour counters from the lots."""
    by_status = {"RETIRED": "retired_wh", "EXPIRED": "expired_wh"}
    for lot in state.lots.values():
        counter = by_status.get(lot["status"], "active_wh")
        state.totals[counter] += _wh(lot)
        state.balances[lot["owner_enterprise_id"]][counter] += _wh(lot)
        state.generator_hours[counter][_hour_key(lot)] += _wh(lot)


def check_invariants(state: LedgerState) -> list[str]:
    """Serials in at most one lot, issued = active + retired in total and per generator-hour,
    no negative counter anywhere."""
    errors = []
    spans = sorted(
        (int(lot["serial_start"]), int(lot["serial_end"]), lot["lot_id"])
        for lot in state.lots.values()
    )
    for start, end, lot_id in spans:
        if end - start != _wh(state.lots[lot_id]):
            errors.append(f"lot {lot_id}: serial span differs from energy_wh")
    for (_, end, left), (start, _, right) in zip(spans, spans[1:], strict=False):
        if start < end:
            errors.append(f"serials {start}..{end - 1} are in both {left} and {right}")
    totals = state.totals
    if totals["issued_wh"] != sum(totals[c] for c in COUNTERS[1:]):
        errors.append(f"totals: issued != active + retired + expired ({dict(totals)})")
    hours = state.generator_hours
    for key in set().union(*(hours[c] for c in COUNTERS)):
        if hours["issued_wh"][key] != sum(hours[c][key] for c in COUNTERS[1:]):
            errors.append(f"generator-hour {key}: issued != active + retired + expired")
    for owner, balance in state.balances.items():
        errors += [f"balance {owner}: {c} is negative" for c in COUNTERS if balance[c] < 0]
    return errors


def _diff(name: str, replayed: Mapping, stored: Mapping) -> list[str]:
    return [
        f"{name} {key}: stored {stored.get(key)!r}, log says {replayed.get(key)!r}"
        for key in sorted(set(replayed) | set(stored), key=str)
        if replayed.get(key) != stored.get(key)
    ]


def _nonzero(counters: Mapping[str, int]) -> dict[str, int]:
    return {key: value for key, value in counters.items() if value}


def compare(replayed: LedgerState, stored: LedgerState) -> list[str]:
    """Every difference between what the log says and what Redis holds."""
    errors = []
    for lot_id in sorted(set(replayed.lots) | set(stored.lots)):
        if lot_id not in stored.lots:
            errors.append(f"lot {lot_id}: in the log but not stored")
        elif lot_id not in replayed.lots:
            errors.append(f"lot {lot_id}: stored but not in the log")
        else:
            errors += _diff(f"lot {lot_id}", replayed.lots[lot_id], stored.lots[lot_id])
    errors += _diff("trade", _flat(replayed.trades), _flat(stored.trades))
    errors += _diff("mandate", _flat(replayed.mandates), _flat(stored.mandates))
    errors += _diff("contract", _flat(replayed.contracts), _flat(stored.contracts))
    errors += _diff("contract delivery", _flat(replayed.deliveries), _flat(stored.deliveries))
    errors += _diff("totals", _nonzero(replayed.totals), _nonzero(stored.totals))
    errors += _diff(
        "issued-by-hour", _nonzero(replayed.issued_by_hour), _nonzero(stored.issued_by_hour)
    )
    for name, mine, theirs in _nested(replayed, stored):
        errors += _diff(name, _nonzero(mine), _nonzero(theirs))
    return errors


def _flat(records: Mapping[str, Mapping[str, str]]) -> dict[tuple[str, str], str]:
    return {(rid, name): value for rid, fields in records.items() for name, value in fields.items()}


def _nested(replayed: LedgerState, stored: LedgerState) -> Sequence[tuple[str, Mapping, Mapping]]:
    pairs = []
    for label, attr in (
        ("balance", "balances"),
        ("generator-hour", "generator_hours"),
        ("issued-by-month", "issued_by_month"),
        ("expired-by-expiry", "expired_by_expiry"),
    ):
        mine, theirs = getattr(replayed, attr), getattr(stored, attr)
        for key in sorted(set(mine) | set(theirs)):
            pairs.append((f"{label} {key}", mine.get(key, {}), theirs.get(key, {})))
    return pairs
