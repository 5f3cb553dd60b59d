"""Verification of the ledger's hash-chained audit log against its stored state.

The chain (written by audit.lua inside every mutation script) links entry n to entry
n-1 with hash_n = SHA-1(hash_{n-1} + entry_json_n). SHA-1 because Redis Lua offers
`redis.sha1hex` and no SHA-256, and computing the link outside the script would break
atomicity. What the chain must resist is editing an entry after the fact, which needs a
second preimage; none is known for SHA-1 (its known attacks are chosen-prefix collisions,
where the attacker writes both texts). A pure-Lua SHA-256 over the `bit` library is the
upgrade path if an auditor requires it. Like any hash chain stored next to the data, it
cannot stop someone who rewrites the whole log and state consistently: publish or copy
`audit:head` (seq, hash) elsewhere to anchor it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import redis

from certificates import exceptions as exc
from certificates.entry_checks import check_entries
from certificates.replay import COUNTERS, LedgerState, check_invariants, compare, replay
from certificates.signing import LedgerSigner

GENESIS = "0" * 40
SNAPSHOT_ATTEMPTS = 5


@dataclass(frozen=True)
class VerifyReport:
    """Outcome of `CertificateLedger.verify`.

    ok is True only when the chain is intact, the replay breaks no rule and the stored
    state equals the replayed one. first_broken_seq is the first log entry whose chain
    link fails (None when the chain is intact, even if the state differs); reason says
    what broke first; invariant_errors lists every rule break and state difference.
    first_rule_break_seq is the first (intact) entry whose replay breaks a ledger rule;
    first_broken_op is the operation of the entry that broke first ("" when none is
    known: a malformed entry, or only the stored state differs).
    """

    ok: bool
    entries: int
    first_broken_seq: int | None = None
    reason: str = ""
    invariant_errors: tuple[str, ...] = ()
    first_rule_break_seq: int | None = None
    first_broken_op: str = ""

    def first_problem(self) -> str:
        """One line naming the first broken entry (index, operation, what is wrong), or ""."""
        if self.ok:
            return ""
        seq = self.first_broken_seq or self.first_rule_break_seq
        if seq is not None:
            op = f" ({self.first_broken_op})" if self.first_broken_op else ""
            what = self.reason
            if self.first_broken_seq is None:
                what = next(e for e in self.invariant_errors if e.startswith(f"seq {seq}:"))
            return f"entry {seq}{op}: {what}"
        first = self.invariant_errors[0] if self.invariant_errors else self.reason
        more = len(self.invariant_errors) - 1
        return f"log intact, stored state differs: {first}" + (
            f" (+{more} more)" if more > 0 else ""
        )


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def check_chain(
    raw_entries: Sequence[bytes | str], head: Mapping[str, str]
) -> tuple[list[dict], int | None, str]:
    """(parsed entries, first broken seq or None, reason) for the stored log and head."""
    entries: list[dict] = []
    prev = GENESIS
    for seq, raw in enumerate(raw_entries, start=1):
        parts = _text(raw).split(" ", 2)
        if len(parts) != 3:
            return entries, seq, f"entry {seq} is malformed"
        stored_hash, stored_prev, body = parts
        if stored_prev != prev:
            return entries, seq, f"entry {seq} does not link to the hash of entry {seq - 1}"
        if hashlib.sha1(f"{prev}{body}".encode()).hexdigest() != stored_hash:
            return entries, seq, f"entry {seq} does not match its hash (edited)"
        try:
            entry = json.loads(body)
        except ValueError:
            return entries, seq, f"entry {seq} is not JSON"
        if entry.get("seq") != seq:
            return entries, seq, f"entry {seq} carries seq {entry.get('seq')}"
        entries.append(entry)
        prev = stored_hash
    head_seq = int(head.get("seq", "0"))
    if head_seq != len(entries) or head.get("hash", GENESIS) != prev:
        first = min(head_seq, len(entries)) + 1
        return entries, first, f"head says seq {head_seq}, log has {len(entries)} entries"
    return entries, None, ""


def verify_ledger(
    client: redis.Redis, prefix: str, signer: LedgerSigner | None = None
) -> VerifyReport:
    """Check chain, signatures (with `signer`), replay and state of the ledger under
    `prefix`; see VerifyReport. An entry without a valid signature counts as a rule break
    of its seq, so first_problem names the first entry written around the service.

    Raises LedgerBusy when every snapshot attempt saw the ledger change.
    """
    raw_entries, head, stored = _snapshot(client, prefix)
    entries, broken_seq, reason = check_chain(raw_entries, head)
    if broken_seq is not None:
        op = _op_of(raw_entries[broken_seq - 1]) if broken_seq <= len(raw_entries) else ""
        return VerifyReport(False, len(raw_entries), broken_seq, reason, first_broken_op=op)
    replayed, errors = replay(entries)
    if signer is not None:
        errors = sorted(errors + check_entries(entries, signer), key=_seq_of)
    rule_seqs = [int(m.group(1)) for m in map(_SEQ_ERROR.match, errors) if m]
    first_rule = min(rule_seqs, default=None)
    errors += check_invariants(replayed)
    errors += [f"stored {error}" for error in check_invariants(stored)]
    errors += compare(replayed, stored)
    reason = "" if not errors else "state or invariants differ from the log"
    op = str(entries[first_rule - 1].get("op", "")) if first_rule else ""
    return VerifyReport(not errors, len(entries), None, reason, tuple(errors), first_rule, op)


_SEQ_ERROR = re.compile(r"^seq (\d+):")


def _seq_of(error: str) -> int:
    match = _SEQ_ERROR.match(error)
    return int(match.group(1)) if match else 0


def _op_of(raw: bytes | str) -> str:
    """The operation a (possibly damaged) log entry claims, or "" when it is unreadable."""
    parts = _text(raw).split(" ", 2)
    try:
        entry = json.loads(parts[2]) if len(parts) == 3 else None
    except ValueError:
        return ""
    return str(entry.get("op", "")) if isinstance(entry, dict) else ""


def _snapshot(client: redis.Redis, prefix: str) -> tuple[list[bytes], dict[str, str], LedgerState]:
    """Log, head and state read while nothing changed: every mutation writes the head, so
    WATCH on it makes the final EXEC fail if a mutation slipped in between the reads."""
    head_key = f"{prefix}:audit:head"
    with client.pipeline() as guard:
        for _ in range(SNAPSHOT_ATTEMPTS):
            try:
                guard.watch(head_key)
                snapshot = _read(client, prefix)
                guard.multi()
                guard.exists(head_key)
                guard.execute()
                return snapshot
            except redis.WatchError:
                continue
    raise exc.LedgerBusy(SNAPSHOT_ATTEMPTS)


def _read(client: redis.Redis, prefix: str) -> tuple[list[bytes], dict[str, str], LedgerState]:
    def strings(raw: Mapping) -> dict[str, str]:
        return {_text(k): _text(v) for k, v in raw.items()}

    def ints(raw: Mapping) -> dict[str, int]:
        return {_text(k): int(v) for k, v in raw.items()}

    log = client.lrange(f"{prefix}:audit:log", 0, -1)
    head = strings(client.hgetall(f"{prefix}:audit:head"))
    state = LedgerState()
    state.lots = {k: strings(v) for k, v in _hashes(client, f"{prefix}:lot:").items()}
    state.trades = {k: strings(v) for k, v in _hashes(client, f"{prefix}:trade:").items()}
    state.mandates = {k: strings(v) for k, v in _hashes(client, f"{prefix}:mandate:").items()}
    state.contracts = {k: strings(v) for k, v in _hashes(client, f"{prefix}:gcontract:").items()}
    deliveries = _hashes(client, f"{prefix}:gdelivery:")
    state.deliveries = {k: strings(v) for k, v in deliveries.items()}
    state.totals.update(ints(client.hgetall(f"{prefix}:totals")))
    state.issued_by_hour.update(ints(client.hgetall(f"{prefix}:issued-by-hour")))
    for owner, raw in _hashes(client, f"{prefix}:balance:").items():
        state.balances[owner].update(ints(raw))
    for owner, raw in _hashes(client, f"{prefix}:issued-by-month:").items():
        state.issued_by_month[owner].update(ints(raw))
    for owner, raw in _hashes(client, f"{prefix}:expired-by-expiry:").items():
        state.expired_by_expiry[owner].update(ints(raw))
    for counter in COUNTERS:
        state.generator_hours[counter].update(ints(client.hgetall(f"{prefix}:gen-hour:{counter}")))
    return log, head, state


def _hashes(client: redis.Redis, key_prefix: str) -> dict[str, dict]:
    """Every hash whose key starts with `key_prefix`, by the rest of its key."""
    pattern = re.sub(r"([*?\[\]\\])", r"\\\1", key_prefix) + "*"
    keys = sorted(_text(key) for key in client.scan_iter(match=pattern, count=1000))
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.hgetall(key)
    return {key[len(key_prefix) :]: raw for key, raw in zip(keys, pipe.execute(), strict=True)}
