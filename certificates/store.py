"""The certificate ledger in Redis: the only code here that talks to Redis."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.resources import files

import redis
from redis.commands.core import Script

from certificates import exceptions as exc
from certificates.exceptions import InvalidInput
from certificates.lots import (
    Balance,
    Lot,
    LotStatus,
    Technology,
    aware,
    check_energy,
    check_id,
    epoch_s,
    expires_at,
    gec_view,
    whole_hour,
)

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100
_HOUR_S = 3600
_HMGET_CHUNK = 5000
_LOT_ERRORS: dict[str, type[exc.CertificateError]] = {
    "NOT_FOUND": exc.LotNotFound,
    "NOT_OWNER": exc.NotOwner,
    "RETIRED": exc.AlreadyRetired,
    "EXPIRED": exc.LotExpired,
}


def _script_text(name: str) -> str:
    package = files("certificates")
    return package.joinpath("common.lua").read_text() + package.joinpath(name).read_text()


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, separators=(",", ":")).encode()).hexdigest()


def _lots(reply: bytes | str) -> list[Lot]:
    return [Lot.from_fields(fields) for fields in json.loads(reply)]


def _pair(reply: bytes | str) -> tuple[Lot, Lot | None]:
    lots = _lots(reply)
    return lots[0], (lots[1] if len(lots) > 1 else None)


def _int(value: bytes | None) -> int:
    return int(value) if value is not None else 0


class CertificateLedger:
    """Issue, transfer and retire granular GEC lots; invariants are enforced in Lua.

    Every key starts with `prefix`, which must carry a Redis Cluster hash tag so that
    each script touches one slot. Mutations take a request_id: a replay returns the
    original result and changes nothing; reusing it with other parameters raises
    DuplicateRequest.
    """

    def __init__(self, client: redis.Redis, prefix: str = "parkvpp:{ledger}") -> None:
        open_at = prefix.find("{")
        if open_at < 0 or prefix.find("}", open_at) <= open_at + 1:
            raise InvalidInput("prefix", "must contain a non-empty hash tag such as {ledger}")
        self._redis = client
        self._prefix = prefix
        self._issue = client.register_script(_script_text("issue.lua"))
        self._transfer = client.register_script(_script_text("transfer.lua"))
        self._retire = client.register_script(_script_text("retire.lua"))

    def _key(self, *parts: str) -> str:
        return ":".join((self._prefix, *parts))

    def _run(self, script: Script, request_id: str, fingerprint: str, args: list, lot_id: str):
        """Run a mutation script and map its "CODE:detail" error replies to exceptions."""
        keys = [self._key("request", request_id)]
        try:
            return script(keys=keys, args=[self._prefix, fingerprint, *args])
        except redis.ResponseError as error:
            code, _, detail = str(error).partition(":")
            if code in _LOT_ERRORS:
                raise _LOT_ERRORS[code](lot_id) from None
            if code == "INSUFFICIENT":
                have, _, want = detail.partition(":")
                raise exc.InsufficientEnergy(lot_id, int(have), int(want)) from None
            if code == "OVERLAP":
                hour = datetime.fromtimestamp(int(detail), UTC).isoformat()
                raise exc.OverlappingIssuance(args[0], hour) from None
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
        fingerprint = _fingerprint(
            "issue", generator_asset_id, str(technology), grid_area, owner_enterprise_id, rows
        )
        args = [generator_asset_id, str(technology), grid_area, owner_enterprise_id]
        args += [value for row in rows for value in row]
        return _lots(self._run(self._issue, request_id, fingerprint, args, ""))

    def transfer(
        self,
        request_id: str,
        lot_id: str,
        from_enterprise_id: str,
        to_enterprise_id: str,
        energy_wh: int = 0,
        trade_id: str = "",
    ) -> tuple[Lot, Lot | None]:
        """Move a whole lot (energy_wh=0) or part of it to another enterprise.

        A partial transfer gives the receiver a NEW lot with the low serials
        [serial_start, serial_start + energy_wh) and parent_lot_id set; the sender's lot
        keeps its id and the high serials. Returns (transferred, remainder or None).
        Raises InvalidInput, LotNotFound, NotOwner, AlreadyRetired, InsufficientEnergy,
        DuplicateRequest.
        """
        check_id(request_id, "request_id")
        check_id(lot_id, "lot_id")
        check_id(from_enterprise_id, "from_enterprise_id")
        check_id(to_enterprise_id, "to_enterprise_id")
        check_id(trade_id, "trade_id", allow_empty=True)
        check_energy(energy_wh)
        if from_enterprise_id == to_enterprise_id:
            raise InvalidInput("to_enterprise_id", "must differ from from_enterprise_id")
        args = [lot_id, from_enterprise_id, to_enterprise_id, energy_wh, trade_id]
        fingerprint = _fingerprint("transfer", *args)
        return _pair(self._run(self._transfer, request_id, fingerprint, args, lot_id))

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
        fingerprint = _fingerprint("retire", *args)
        return _pair(self._run(self._retire, request_id, fingerprint, [*args, at_s], lot_id))

    def get_lot(self, lot_id: str) -> Lot:
        """The lot as stored now; raises LotNotFound."""
        fields = self._redis.hgetall(self._key("lot", lot_id))
        if not fields:
            raise exc.LotNotFound(lot_id)
        return Lot.from_fields(fields)

    def balance(self, enterprise_id: str) -> Balance:
        """Active Wh held and Wh retired as owner (zero when unknown), with a GEC view."""
        active, retired = self._redis.hmget(
            self._key("balance", enterprise_id), "active_wh", "retired_wh"
        )
        gec, remainder_wh = gec_view(_int(active))
        return Balance(enterprise_id, _int(active), _int(retired), gec, remainder_wh)

    def totals(self) -> dict[str, int]:
        """Ledger-wide issued_wh, active_wh and retired_wh (issued = active + retired)."""
        names = ("issued_wh", "active_wh", "retired_wh")
        values = self._redis.hmget(self._key("totals"), *names)
        return {name: _int(value) for name, value in zip(names, values, strict=True)}

    def list_lots(
        self,
        owner_enterprise_id: str = "",
        status: LotStatus | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        page_token: str = "",
    ) -> tuple[list[Lot], str]:
        """One page of lots in creation order, optionally by owner and status.

        page_size 0 means the default; next_token is "" on the last page. Raises
        InvalidInput for a page_size outside 0..1000 or a token this ledger did not issue.
        """
        if not 0 <= page_size <= MAX_PAGE_SIZE:
            raise InvalidInput("page_size", f"must be 0..{MAX_PAGE_SIZE}, got {page_size}")
        page_size = page_size or DEFAULT_PAGE_SIZE
        if page_token and not page_token.isdigit():
            raise InvalidInput("page_token", "is not a token returned by list_lots")
        if owner_enterprise_id and status:
            key = self._key("idx", "owner-status", str(status), owner_enterprise_id)
        elif owner_enterprise_id:
            key = self._key("idx", "owner", owner_enterprise_id)
        elif status:
            key = self._key("idx", "status", str(status))
        else:
            key = self._key("idx", "all")
        low = f"({page_token}" if page_token else "-inf"
        rows = self._redis.zrangebyscore(key, low, "+inf", 0, page_size + 1, withscores=True)
        page = rows[:page_size]
        next_token = str(int(page[-1][1])) if len(rows) > page_size else ""
        return self._fetch([member.decode() for member, _ in page]), next_token

    def retired_for(
        self, beneficiary_enterprise_id: str, start: datetime, end: datetime
    ) -> list[Lot]:
        """Lots retired for a beneficiary whose consumption period overlaps [start, end).

        Ordered by consumption start. Raises InvalidInput on naive datetimes or end <= start.
        """
        start_s, end_s = epoch_s(start, "start"), epoch_s(end, "end")
        if end_s <= start_s:
            raise InvalidInput("end", "must be after start")
        key = self._key("idx", "beneficiary", beneficiary_enterprise_id)
        ids = [m.decode() for m in self._redis.zrangebyscore(key, "-inf", f"({end_s}")]
        return [
            lot
            for lot in self._fetch(ids)
            if lot.consumption_period_end and lot.consumption_period_end.timestamp() > start_s
        ]

    def issued_between(self, start: datetime, end: datetime) -> int:
        """Wh issued for production hours h with start <= h < end, for park indicators.

        Raises InvalidInput on naive datetimes or end < start.
        """
        start_ts, end_ts = aware(start, "start").timestamp(), aware(end, "end").timestamp()
        if end_ts < start_ts:
            raise InvalidInput("end", "must not be before start")
        first_s = math.ceil(start_ts / _HOUR_S) * _HOUR_S
        fields = [str(hour_s) for hour_s in range(first_s, math.ceil(end_ts), _HOUR_S)]
        key = self._key("issued-by-hour")
        total_wh = 0
        for i in range(0, len(fields), _HMGET_CHUNK):
            total_wh += sum(_int(v) for v in self._redis.hmget(key, fields[i : i + _HMGET_CHUNK]))
        return total_wh

    def _fetch(self, lot_ids: Sequence[str]) -> list[Lot]:
        pipe = self._redis.pipeline(transaction=False)
        for lot_id in lot_ids:
            pipe.hgetall(self._key("lot", lot_id))
        return [Lot.from_fields(fields) for fields in pipe.execute() if fields]
