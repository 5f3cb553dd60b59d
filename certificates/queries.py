"""Read-only queries of the certificate ledger: lots, balances, totals, trades, views."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

import redis

from certificates import exceptions as exc
from certificates.exceptions import InvalidInput
from certificates.lots import (
    Balance,
    Lot,
    LotStatus,
    MonthlyGec,
    aware,
    epoch_s,
    gec_view,
    monthly_gec,
    monthly_gec_rows,
    production_month_of,
    whole_hour,
)
from certificates.mandates import Mandate
from certificates.trades import GreenTrade

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100
_HOUR_S = 3600
_HMGET_CHUNK = 5000


def _int(value: bytes | None) -> int:
    return int(value) if value is not None else 0


class LedgerQueries:
    """Reads of the ledger's Redis state; every key starts with `prefix`.

    Raises InvalidInput when `prefix` carries no Redis Cluster hash tag such as {ledger}.
    """

    def __init__(self, client: redis.Redis, prefix: str = "parkvpp:{ledger}") -> None:
        open_at = prefix.find("{")
        if open_at < 0 or prefix.find("}", open_at) <= open_at + 1:
            raise InvalidInput("prefix", "must contain a non-empty hash tag such as {ledger}")
        self._redis = client
        self._prefix = prefix

    def _key(self, *parts: str) -> str:
        return ":".join((self._prefix, *parts))

    def get_lot(self, lot_id: str) -> Lot:
        """The lot as stored now; raises LotNotFound."""
        fields = self._redis.hgetall(self._key("lot", lot_id))
        if not fields:
            raise exc.LotNotFound(lot_id)
        return Lot.from_fields(fields)

    def balance(self, enterprise_id: str) -> Balance:
        """Active Wh held, Wh retired as owner and Wh expired while held (zero when
        unknown), with a GEC view. Lots past expiry count as active until `expire_due`
        marks them (the service runs it before every balance it reports)."""
        active, retired, expired = self._redis.hmget(
            self._key("balance", enterprise_id), "active_wh", "retired_wh", "expired_wh"
        )
        gec, remainder_wh = gec_view(_int(active))
        return Balance(enterprise_id, _int(active), _int(retired), gec, remainder_wh, _int(expired))

    def totals(self) -> dict[str, int]:
        """Ledger-wide issued_wh, active_wh, retired_wh and expired_wh
        (issued = active + retired + expired)."""
        names = ("issued_wh", "active_wh", "retired_wh", "expired_wh")
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
        if owner_enterprise_id and status:
            key = self._key("idx", "owner-status", str(status), owner_enterprise_id)
        elif owner_enterprise_id:
            key = self._key("idx", "owner", owner_enterprise_id)
        elif status:
            key = self._key("idx", "status", str(status))
        else:
            key = self._key("idx", "all")
        lot_ids, next_token = self._page(key, page_size, page_token)
        return self._fetch(lot_ids), next_token

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

    def get_lots(self, lot_ids: Sequence[str]) -> dict[str, Lot]:
        """The stored lots among `lot_ids` in one round trip, by id (unknown ids left out)."""
        return {lot.lot_id: lot for lot in self._fetch(lot_ids)}

    def _fetch(self, lot_ids: Sequence[str]) -> list[Lot]:
        pipe = self._redis.pipeline(transaction=False)
        for lot_id in lot_ids:
            pipe.hgetall(self._key("lot", lot_id))
        return [Lot.from_fields(fields) for fields in pipe.execute() if fields]

    def generator_hour(self, generator_asset_id: str, hour_start: datetime) -> dict[str, int]:
        """issued_wh, active_wh and retired_wh of one generator's production hour, where
        issued = active + retired; zeros when unknown. Raises InvalidInput unless
        `hour_start` is an aware whole hour."""
        field = f"{int(whole_hour(hour_start, 'hour_start').timestamp())}:{generator_asset_id}"
        names = ("issued_wh", "active_wh", "retired_wh")
        pipe = self._redis.pipeline(transaction=False)
        for name in names:
            pipe.hget(self._key("gen-hour", name), field)
        return {name: _int(value) for name, value in zip(names, pipe.execute(), strict=True)}

    def get_trade(self, trade_id: str) -> GreenTrade:
        """The settled green-power trade; raises TradeNotFound."""
        fields = self._redis.hgetall(self._key("trade", trade_id))
        if not fields:
            raise exc.TradeNotFound(trade_id)
        return GreenTrade.from_fields(fields)

    def monthly_gec_view(self, owner_enterprise_id: str) -> list[tuple[str, int, int]]:
        """Whole GECs per production month (China local) of the energy issued to an owner.

        Counts what was issued to `owner_enterprise_id` as the generator's owner, whatever
        happened to the lots later; the remainder below 1 MWh carries to the next month as
        in `lots.monthly_gec`. Returns [] for an owner with no issuance.
        """
        return monthly_gec(self._issued_by_month(owner_enterprise_id))

    def monthly_gec_rows(
        self, owner_enterprise_id: str, from_month: str = "", to_month: str = ""
    ) -> list[MonthlyGec]:
        """`lots.monthly_gec_rows` of what was issued to an owner, with what expired while
        it held it by production month; raises InvalidInput."""
        rows = self._issued_by_month(owner_enterprise_id)
        stored = self._redis.hgetall(self._key("expired-by-expiry", owner_enterprise_id))
        expired: dict[str, int] = {}
        for expires_s, energy_wh in stored.items():
            month = production_month_of(int(expires_s))
            expired[month] = expired.get(month, 0) + int(energy_wh)
        return monthly_gec_rows(rows, from_month, to_month, expired)

    def _issued_by_month(self, owner_enterprise_id: str) -> dict[str, int]:
        stored = self._redis.hgetall(self._key("issued-by-month", owner_enterprise_id))
        return {month.decode(): int(wh) for month, wh in stored.items()}

    def list_trades(
        self, enterprise_id: str = "", page_size: int = DEFAULT_PAGE_SIZE, page_token: str = ""
    ) -> tuple[list[GreenTrade], str]:
        """One page of green-power trades in proposal order (every state), all or those an
        enterprise buys or sells; next_token is "" on the last page. Raises InvalidInput for a
        page_size outside 0..1000 or a token this ledger did not issue."""
        if enterprise_id:
            key = self._key("idx", "trades-of", enterprise_id)
        else:
            key = self._key("idx", "trades")
        ids, next_token = self._page(key, page_size, page_token)
        pipe = self._redis.pipeline(transaction=False)
        for trade_id in ids:
            pipe.hgetall(self._key("trade", trade_id))
        return [GreenTrade.from_fields(f) for f in pipe.execute() if f], next_token

    def get_mandate(self, mandate_id: str) -> Mandate:
        """The mandate as stored; raises MandateNotFound."""
        fields = self._redis.hgetall(self._key("mandate", mandate_id))
        if not fields:
            raise exc.MandateNotFound(mandate_id)
        return Mandate.from_fields(fields)

    def list_mandates(
        self, enterprise_id: str, page_size: int = DEFAULT_PAGE_SIZE, page_token: str = ""
    ) -> tuple[list[Mandate], str]:
        """One page of the mandates an enterprise granted or was granted, in grant order;
        raises InvalidInput for a bad page_size or token."""
        key = self._key("idx", "mandates-of", enterprise_id)
        ids, next_token = self._page(key, page_size, page_token)
        pipe = self._redis.pipeline(transaction=False)
        for mandate_id in ids:
            pipe.hgetall(self._key("mandate", mandate_id))
        return [Mandate.from_fields(f) for f in pipe.execute() if f], next_token

    def list_retirements(
        self,
        beneficiary_enterprise_id: str,
        page_size: int = DEFAULT_PAGE_SIZE,
        page_token: str = "",
    ) -> tuple[list[Lot], str]:
        """One page of the lots retired for a beneficiary (by itself or by others under its
        mandate), in retirement order; raises InvalidInput for a bad page_size or token."""
        key = self._key("idx", "retired-for", beneficiary_enterprise_id)
        ids, next_token = self._page(key, page_size, page_token)
        return self._fetch(ids), next_token

    def _page(self, key: str, page_size: int, page_token: str) -> tuple[list[str], str]:
        """Members of a sorted set after the score in page_token, and the next token."""
        if not 0 <= page_size <= MAX_PAGE_SIZE:
            raise InvalidInput("page_size", f"must be 0..{MAX_PAGE_SIZE}, got {page_size}")
        page_size = page_size or DEFAULT_PAGE_SIZE
        if page_token and not (page_token.isascii() and page_token.isdigit()):
            raise InvalidInput("page_token", "is not a token returned by this listing")
        low = f"({page_token}" if page_token else "-inf"
        rows = self._redis.zrangebyscore(key, low, "+inf", 0, page_size + 1, withscores=True)
        page = rows[:page_size]
        next_token = str(int(page[-1][1])) if len(rows) > page_size else ""
        return [member.decode() for member, _ in page], next_token
