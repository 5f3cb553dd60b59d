"""The certificate ledger's mutations in Redis + Lua, each atomic, idempotent and audited.

Durability. Every mutation is one Lua script, so Redis applies it whole or not at all, and
the append-only file (AOF) records it as one unit. What an acknowledged write survives is
set by the server's `appendfsync` policy, which is configured outside this package:

* `always` (production and the embedded default in services/runtime/embedded.py): fsync
  before every reply, so nothing acknowledged is ever lost, at a throughput cost (one
  fsync per event-loop round, shared by the writes of concurrent clients).
* `everysec`: fsynced once a second, and Valkey may postpone the write itself by up to 2 s
  while a background fsync runs yet still reply, so even a kill -9 of the server can lose
  acknowledged writes (whole: each with its audit entry and request record).

Run ledgers with `appendonly yes` and `appendfsync always` (and replicas with WAIT if
failover must not lose writes either); certificate volumes are small next to what one
fsyncing shard can do.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.resources import files

import redis
from redis.commands.core import Script

from bidding.intervals import MARKET_TZ
from certificates import exceptions as exc
from certificates.audit import VerifyReport, verify_ledger
from certificates.consent import MANDATE_STEPS, TRADE_STEPS, ConsentOps, raise_consent_error
from certificates.contract_ops import CONTRACT_STEPS, ContractOps, raise_contract_error
from certificates.exceptions import InvalidInput
from certificates.lots import (
    Lot,
    Technology,
    aware,
    check_energy,
    check_id,
    epoch_s,
    expires_at,
    whole_hour,
)
from certificates.queries import LedgerQueries
from certificates.signing import LedgerSigner, request_json
from certificates.trades import GreenTrade

_LOT_ERRORS: dict[str, type[exc.CertificateError]] = {
    "NOT_FOUND": exc.LotNotFound,
    "NOT_OWNER": exc.NotOwner,
    "RETIRED": exc.AlreadyRetired,
}
#: Lots the expiry sweep marks per script run (each run is one audit entry).
EXPIRE_BATCH = 500


def _script_text(name: str) -> str:
    package = files("certificates")
    operation = f"local OPERATION = '{name.removesuffix('.lua')}'\n"
    parts = ["common.lua", "audit.lua", name]
    if name.removesuffix(".lua") in CONTRACT_STEPS:
        parts.insert(2, "contract_common.lua")
    return operation + "".join(package.joinpath(part).read_text() for part in parts)


def _lots(reply: bytes | str) -> list[Lot]:
    return [Lot.from_fields(fields) for fields in json.loads(reply)]


def change_of(operation: str, result: bytes | str) -> tuple[list[Lot], GreenTrade | None]:
    """The lots (and the trade) of a change-feed entry's result.

    For "issue" every lot issued, for "expire" every lot that expired; for "transfer",
    "retire" and "trade" the moved, retired or bought lot first and the remainder second
    when there is one; for "propose", "accept" and "reject" no lots and the trade, for
    "grant" and "revoke" and the contract steps neither (see `consent.mandate_of`,
    `contract_ops`). Raises ValueError for an
    unknown operation.
    """
    if operation == "trade":
        reply = json.loads(result)
        lots = [Lot.from_fields(fields) for fields in reply["lots"]]
        return lots, GreenTrade.from_fields(reply["trade"])
    if operation in ("issue", "transfer", "retire", "expire"):
        return _lots(result), None
    if operation in TRADE_STEPS:
        return [], GreenTrade.from_fields(json.loads(result))
    if operation in (*MANDATE_STEPS, *CONTRACT_STEPS):
        return [], None
    raise ValueError(f"unknown ledger operation {operation!r}")


def _pair(lots: list[Lot]) -> tuple[Lot, Lot | None]:
    return lots[0], (lots[1] if len(lots) > 1 else None)


class CertificateLedger(ConsentOps, ContractOps, LedgerQueries):
    """Issue, transfer, retire, expire and trade granular GEC lots, and the consents trades
    and retirements for others need (certificates.consent); invariants are enforced in Lua.

    Every key starts with `prefix`, which must carry a Redis Cluster hash tag so that
    each script touches one slot. Mutations take a request_id: a replay returns the
    original result and changes nothing; reusing it with other parameters raises
    DuplicateRequest. Every mutation appends to the hash-chained audit log in the same
    script; `verify` checks the log and the state against each other.
    """

    def __init__(
        self,
        client: redis.Redis,
        prefix: str = "parkvpp:{ledger}",
        change_feed: str = "",
        signer: LedgerSigner | None = None,
    ) -> None:
        """`change_feed`: a stream key in the prefix's slot to which every mutation appends
        its operation and result atomically (fields c, o, i, d; see common.lua), or "".
        `signer`: signs every request into its audit entry and makes `verify` check every
        entry's signature (certificates/signing.py); None writes and checks none."""
        super().__init__(client, prefix)
        self._feed = change_feed
        self._signer = signer
        self._issue = client.register_script(_script_text("issue.lua"))
        self._transfer = client.register_script(_script_text("transfer.lua"))
        self._retire = client.register_script(_script_text("retire.lua"))
        self._trade = client.register_script(_script_text("trade.lua"))
        self._expire = client.register_script(_script_text("expire.lua"))
        self._scripts = {
            name: client.register_script(_script_text(f"{name}.lua"))
            for name in (*TRADE_STEPS, *MANDATE_STEPS, *CONTRACT_STEPS)
        }

    def _run(self, script: Script, request_id: str, request: str, args: list, lot_id: str):
        """Run a mutation script with its signed request and map its "CODE:detail" error
        replies to exceptions."""
        keys = [self._key("request", request_id)]
        if self._feed:
            keys.append(self._feed)
        fingerprint = hashlib.sha256(request.encode()).hexdigest()
        signature = self._signer.sign(request_id, request) if self._signer else ""
        try:
            return script(keys=keys, args=[self._prefix, fingerprint, request, signature, *args])
        except redis.ResponseError as error:
            code, _, detail = str(error).partition(":")
            if code in _LOT_ERRORS:
                raise _LOT_ERRORS[code](lot_id or detail) from None
            if code == "EXPIRED":
                expired_lot, _, expires_s = detail.rpartition(":")
                when = datetime.fromtimestamp(int(expires_s), UTC)
                raise exc.LotExpired(expired_lot, when) from None
            if code == "INSUFFICIENT":
                have, _, want = detail.partition(":")
                raise exc.InsufficientEnergy(lot_id, int(have), int(want)) from None
            if code == "OVERLAP":
                hour = datetime.fromtimestamp(int(detail), UTC).isoformat()
                raise exc.OverlappingIssuance(args[0], hour) from None
            if code == "TRADE_EXISTS":
                raise exc.TradeExists(detail) from None
            raise_consent_error(code, detail)
            raise_contract_error(code, detail)
            if code == "DUPLICATE":
                raise exc.DuplicateRequest(request_id) from None
            raise

    def issue(
        self,
        request_id: str,
        generator_asset_id: str,
        technology: str,
        grid_area: str,
        owner_enterprise_id: str,
        hours: Sequence[tuple[datetime, int]],
    ) -> list[Lot]:
        """Issue one lot per (hour_start, energy_wh > 0), all or nothing; zero hours are skipped.

        Raises InvalidInput (bad ids, technology, non-whole or repeated hours, negative
        energy), OverlappingIssuance when the generator already has any of the hours, and
        DuplicateRequest when request_id was used with other parameters.
        """
        check_id(request_id, "request_id")
        check_id(generator_asset_id, "generator_asset_id")
        check_id(grid_area, "grid_area")
        check_id(owner_enterprise_id, "owner_enterprise_id")
        if technology not in set(Technology):
            raise InvalidInput("technology", f"must be one of {[str(t) for t in Technology]}")
        rows: list[tuple[int, int, int]] = []
        seen: set[datetime] = set()
        for i, (hour_start, energy_wh) in enumerate(hours):
            hour = whole_hour(hour_start, f"hours[{i}].hour_start")
            check_energy(energy_wh, f"hours[{i}].energy_wh")
            if hour in seen:
                raise InvalidInput(f"hours[{i}].hour_start", "hour appears twice")
            seen.add(hour)
            if energy_wh > 0:
                rows.append((int(hour.timestamp()), energy_wh, int(expires_at(hour).timestamp())))
        if not rows:
            return []
        rows.sort()
        request = request_json(
            "issue", generator_asset_id, str(technology), grid_area, owner_enterprise_id, rows
        )
        args = [generator_asset_id, str(technology), grid_area, owner_enterprise_id]
        for hour_s, energy_wh, expires_s in rows:
            month = datetime.fromtimestamp(hour_s, MARKET_TZ).strftime("%Y-%m")
            args += [hour_s, energy_wh, expires_s, month]
        return _lots(self._run(self._issue, request_id, request, args, ""))

    def transfer(
        self,
        request_id: str,
        lot_id: str,
        from_enterprise_id: str,
        to_enterprise_id: str,
        energy_wh: int = 0,
        trade_id: str = "",
        at: datetime | None = None,
    ) -> tuple[Lot, Lot | None]:
        """Move a whole lot (energy_wh=0) or part of it to another enterprise.

        A partial transfer gives the receiver a NEW lot with the low serials
        [serial_start, serial_start + energy_wh) and parent_lot_id set; the sender's lot
        keeps its id and the high serials. `at` (default now) is the time of transfer,
        checked against the lot's validity and not part of the request identity. Returns
        (transferred, remainder or None). Raises InvalidInput, LotNotFound, NotOwner,
        AlreadyRetired, LotExpired, InsufficientEnergy, DuplicateRequest.
        """
        check_id(request_id, "request_id")
        check_id(lot_id, "lot_id")
        check_id(from_enterprise_id, "from_enterprise_id")
        check_id(to_enterprise_id, "to_enterprise_id")
        check_id(trade_id, "trade_id", allow_empty=True)
        check_energy(energy_wh)
        if from_enterprise_id == to_enterprise_id:
            raise InvalidInput("to_enterprise_id", "must differ from from_enterprise_id")
        at_s = int(aware(at or datetime.now(UTC), "at").timestamp())
        args = [lot_id, from_enterprise_id, to_enterprise_id, energy_wh, trade_id]
        request = request_json("transfer", *args)
        reply = self._run(self._transfer, request_id, request, [*args, at_s], lot_id)
        return _pair(_lots(reply))

    def expire_due(self, at: datetime) -> list[Lot]:
        """Mark every active lot whose validity ended at or before `at` EXPIRED; the lots.

        Runs the expiry sweep in batches of EXPIRE_BATCH, each one atomic Lua step with
        its own audit entry; an expired lot leaves its owner's active balance for
        expired_wh. Nothing is written when nothing is due. Raises InvalidInput when `at`
        is naive.
        """
        at_s = int(aware(at, "at").timestamp())
        expired: list[Lot] = []
        # Every read of a balance sweeps first: one plain read finds most sweeps have
        # nothing to do, without signing and running the script.
        if not self._redis.zrangebyscore(self._key("idx", "expiry"), "-inf", at_s, 0, 1):
            return expired
        while True:
            # The sweep is idempotent by itself: a fresh id per run, recorded only by runs
            # that expired something.
            request_id = f"expire-{at_s}-{uuid.uuid4().hex[:12]}"
            args = [at_s, EXPIRE_BATCH]
            request = request_json("expire", *args)
            batch = _lots(self._run(self._expire, request_id, request, args, ""))
            expired += batch
            if len(batch) < EXPIRE_BATCH:
                return expired

    def retire(
        self,
        request_id: str,
        lot_id: str,
        owner_enterprise_id: str,
        beneficiary_enterprise_id: str,
        energy_wh: int,
        consumption_start: datetime,
        consumption_end: datetime,
        at: datetime,
    ) -> tuple[Lot, Lot | None]:
        """Retire a whole lot (energy_wh=0) or its low serials for a beneficiary; irreversible.

        Splits like `transfer`. `at` is the time of retirement and is not part of the
        request identity, so a retry later still replays. Returns (retired, remainder or
        None). Raises InvalidInput, LotNotFound, NotOwner, AlreadyRetired, LotExpired,
        InsufficientEnergy, DuplicateRequest.
        """
        check_id(request_id, "request_id")
        check_id(lot_id, "lot_id")
        check_id(owner_enterprise_id, "owner_enterprise_id")
        check_id(beneficiary_enterprise_id, "beneficiary_enterprise_id")
        check_energy(energy_wh)
        start_s = epoch_s(consumption_start, "consumption_start")
        end_s = epoch_s(consumption_end, "consumption_end")
        if end_s <= start_s:
            raise InvalidInput("consumption_end", "must be after consumption_start")
        at_s = int(aware(at, "at").timestamp())
        args = [lot_id, owner_enterprise_id, beneficiary_enterprise_id, energy_wh, start_s, end_s]
        request = request_json("retire", *args)
        reply = self._run(self._retire, request_id, request, [*args, at_s], lot_id)
        return _pair(_lots(reply))

    def verify(self) -> VerifyReport:
        """Recompute the audit chain, check every entry's signature (with a signer), replay
        the log and compare with the stored state.

        Never raises for an inconsistent ledger: the report says what is wrong (see
        certificates.audit). Raises redis errors only when Redis is unreachable.
        """
        return verify_ledger(self._redis, self._prefix, self._signer)
