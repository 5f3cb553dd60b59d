"""Certificate lots, their Redis hash form, whole-certificate views and the validity rule."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum

from bidding.intervals import MARKET_TZ
from certificates.exceptions import InvalidInput
from certificates.ids import ID_RULE, is_id

WH_PER_GEC = 1_000_000  # 1 GEC = 1 MWh
VALIDITY_MONTHS = 24
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class LotStatus(StrEnum):
    ACTIVE = "ACTIVE"
    RETIRED = "RETIRED"
    #: Past its validity: out of every balance, never moves or retires again.
    EXPIRED = "EXPIRED"


class Technology(StrEnum):
    PV = "pv"
    WIND = "wind"


def aware(moment: datetime, field: str) -> datetime:
    """`moment` unchanged; raises InvalidInput naming `field` unless it is timezone-aware."""
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise InvalidInput(field, "must be a timezone-aware datetime")
    return moment


def whole_hour(moment: datetime, field: str) -> datetime:
    """`moment` in UTC; raises InvalidInput naming `field` when naive or not on a whole hour."""
    utc = aware(moment, field).astimezone(UTC)
    if (utc.minute, utc.second, utc.microsecond) != (0, 0, 0):
        raise InvalidInput(field, f"must start on a whole UTC hour, got {utc.isoformat()}")
    return utc


def epoch_s(moment: datetime, field: str) -> int:
    """Whole seconds since the epoch; raises InvalidInput when naive or with a sub-second part."""
    if aware(moment, field).microsecond:
        raise InvalidInput(field, "must be a whole second")
    return int(moment.timestamp())


def check_id(value: str, field: str, *, allow_empty: bool = False) -> str:
    """`value` when it is an id by the one id rule (certificates.ids); raises InvalidInput
    naming `field` otherwise."""
    if not isinstance(value, str):
        raise InvalidInput(field, "must be a string")
    if not value and allow_empty:
        return value
    if not is_id(value):
        raise InvalidInput(field, ID_RULE)
    return value


def check_energy(value: int, field: str = "energy_wh") -> int:
    """`value` when it is an int >= 0; raises InvalidInput naming `field` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(field, f"must be an integer >= 0, got {value!r}")
    return value


def _time_field(value: datetime | None) -> str:
    return "" if value is None else str(int(value.timestamp()))


def _parse_time(text: str) -> datetime | None:
    return datetime.fromtimestamp(int(text), UTC) if text else None


@dataclass(frozen=True)
class Lot:
    """A granular lot: one generator, one production hour, serials [serial_start, serial_end).

    Construction raises InvalidInput when energy_wh <= 0 or the serial span differs from it.
    """

    lot_id: str
    generator_asset_id: str
    technology: Technology
    grid_area: str
    production_hour_start: datetime
    energy_wh: int
    serial_start: int
    serial_end: int
    owner_enterprise_id: str
    status: LotStatus = LotStatus.ACTIVE
    beneficiary_enterprise_id: str = ""
    consumption_period_start: datetime | None = None
    consumption_period_end: datetime | None = None
    parent_lot_id: str = ""
    trade_id: str = ""
    #: The first instant at which the lot is no longer valid (see `expires_at`).
    expires_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.energy_wh <= 0:
            raise InvalidInput("energy_wh", f"must be > 0, got {self.energy_wh}")
        if self.serial_end - self.serial_start != self.energy_wh:
            raise InvalidInput("serial_end", "serial span must equal energy_wh")

    def to_fields(self) -> dict[str, str]:
        """The Redis hash form: every value a string, times as epoch seconds, None as ""."""
        return {
            "lot_id": self.lot_id,
            "generator_asset_id": self.generator_asset_id,
            "technology": str(self.technology),
            "grid_area": self.grid_area,
            "production_hour_start": _time_field(self.production_hour_start),
            "energy_wh": str(self.energy_wh),
            "serial_start": str(self.serial_start),
            "serial_end": str(self.serial_end),
            "owner_enterprise_id": self.owner_enterprise_id,
            "status": str(self.status),
            "beneficiary_enterprise_id": self.beneficiary_enterprise_id,
            "consumption_period_start": _time_field(self.consumption_period_start),
            "consumption_period_end": _time_field(self.consumption_period_end),
            "parent_lot_id": self.parent_lot_id,
            "trade_id": self.trade_id,
            "expires_at": _time_field(self.expires_at),
        }

    @classmethod
    def from_fields(cls, fields: Mapping[str | bytes, str | bytes]) -> Lot:
        """Rebuild a lot from its hash (bytes or str); extra store-only fields are ignored.

        Raises KeyError/ValueError on a hash that was not written by the ledger.
        """
        f = {
            (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
            for k, v in fields.items()
        }
        production = _parse_time(f["production_hour_start"])
        if production is None:
            raise ValueError("lot hash without production_hour_start")
        return cls(
            lot_id=f["lot_id"],
            generator_asset_id=f["generator_asset_id"],
            technology=Technology(f["technology"]),
            grid_area=f["grid_area"],
            production_hour_start=production,
            energy_wh=int(f["energy_wh"]),
            serial_start=int(f["serial_start"]),
            serial_end=int(f["serial_end"]),
            owner_enterprise_id=f["owner_enterprise_id"],
            status=LotStatus(f["status"]),
            beneficiary_enterprise_id=f.get("beneficiary_enterprise_id", ""),
            consumption_period_start=_parse_time(f.get("consumption_period_start", "")),
            consumption_period_end=_parse_time(f.get("consumption_period_end", "")),
            parent_lot_id=f.get("parent_lot_id", ""),
            trade_id=f.get("trade_id", ""),
            expires_at=_parse_time(f.get("expires_at", "")),
        )


@dataclass(frozen=True)
class Balance:
    """What an enterprise holds: active and retired Wh, and the active Wh as whole GECs;
    expired_wh is what expired while it held it (no longer in active_wh)."""

    enterprise_id: str
    active_wh: int
    retired_wh: int
    active_gec: int
    active_remainder_wh: int
    expired_wh: int = 0


def gec_view(energy_wh: int) -> tuple[int, int]:
    """(whole certificates, Wh left below the next one); raises InvalidInput when negative."""
    if energy_wh < 0:
        raise InvalidInput("energy_wh", f"must be >= 0, got {energy_wh}")
    whole, remainder = divmod(energy_wh, WH_PER_GEC)
    return whole, remainder


def monthly_gec(issued_wh_by_month: Mapping[str, int]) -> list[tuple[str, int, int]]:
    """Whole GECs per month under China's rule that the remainder below 1 MWh carries over.

    Returns (month, gec, carried_wh) in month order, where carried_wh moves to the next
    listed month (a missing month counts as zero generation). Raises InvalidInput on a
    month that is not YYYY-MM or a negative amount.
    """
    carried_wh = 0
    result: list[tuple[str, int, int]] = []
    for month in sorted(issued_wh_by_month):
        if not _MONTH.match(month):
            raise InvalidInput(f"issued_wh_by_month[{month!r}]", "month must be YYYY-MM")
        energy_wh = issued_wh_by_month[month]
        if energy_wh < 0:
            raise InvalidInput(f"issued_wh_by_month[{month}]", f"must be >= 0, got {energy_wh}")
        gec, carried_wh = divmod(carried_wh + energy_wh, WH_PER_GEC)
        result.append((month, gec, carried_wh))
    return result


@dataclass(frozen=True)
class MonthlyGec:
    """One month of the GEC view: Wh issued, carried in, whole GECs, carried out (< 1 MWh)."""

    month: str
    issued_wh: int
    carried_in_wh: int
    gec: int
    carried_out_wh: int
    #: Wh produced in the month that expired while the enterprise held them.
    expired_wh: int = 0

    @property
    def expires_on(self) -> date:
        """First day on which certificates produced in this month are no longer valid."""
        index = _month_index(self.month, "month") + VALIDITY_MONTHS
        return date(index // 12, index % 12 + 1, 1)


def _month_index(month: str, field: str) -> int:
    if not isinstance(month, str) or not _MONTH.match(month):
        raise InvalidInput(field, f"must be YYYY-MM, got {month!r}")
    year, number = int(month[:4]), int(month[5:])
    if not 2000 <= year <= 2099:
        raise InvalidInput(field, f"year must be 2000..2099, got {year}")
    return year * 12 + number - 1


def _month_name(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def monthly_gec_rows(
    issued_wh_by_month: Mapping[str, int],
    from_month: str = "",
    to_month: str = "",
    expired_wh_by_month: Mapping[str, int] | None = None,
) -> list[MonthlyGec]:
    """Every month of the GEC view, months without issuance included, carry and all.

    `expired_wh_by_month` (by production month) fills each row's expired_wh; its months
    widen the default window like issuance does, but expiry never changes the carry.

    The carry starts at the first month with issuance, whatever `from_month` says, so
    a month's figures never depend on the window asked for. The rows run from
    `from_month` (default: the first issuance) to `to_month` (default: the last
    issuance). Raises InvalidInput naming the field for a month that is not YYYY-MM in
    2000..2099, a window that ends before it starts, or negative energy.
    """
    issued = {
        _month_index(m, f"issued_wh_by_month[{m!r}]"): wh for m, wh in issued_wh_by_month.items()
    }
    for index, energy_wh in issued.items():
        check_energy(energy_wh, f"issued_wh_by_month[{_month_name(index)}]")
    expired = {
        _month_index(m, f"expired_wh_by_month[{m!r}]"): wh
        for m, wh in (expired_wh_by_month or {}).items()
    }
    shown = [*issued, *expired]
    first = _month_index(from_month, "from_month") if from_month else min(shown, default=None)
    last = _month_index(to_month, "to_month") if to_month else max(shown, default=None)
    if first is None or last is None:
        return []
    if last < first:
        raise InvalidInput("to_month", "must not be before from_month")
    rows: list[MonthlyGec] = []
    carried_wh = 0
    for index in range(min([first, *issued]), last + 1):
        energy_wh = issued.get(index, 0)
        gec, carried_out = divmod(carried_wh + energy_wh, WH_PER_GEC)
        if index >= first:
            rows.append(
                MonthlyGec(
                    _month_name(index),
                    energy_wh,
                    carried_wh,
                    gec,
                    carried_out,
                    expired.get(index, 0),
                )
            )
        carried_wh = carried_out
    return rows


def expires_on(production_hour_start: datetime) -> date:
    """First day on which a certificate is no longer valid.

    Validity is two years counted from the production month inclusive; months are
    China local (Asia/Shanghai) months. Produced 2026-03-10 → valid through 2028-02-29,
    so this returns 2028-03-01. Raises InvalidInput when the datetime is naive.
    """
    local = aware(production_hour_start, "production_hour_start").astimezone(MARKET_TZ)
    index = local.year * 12 + local.month - 1 + VALIDITY_MONTHS
    return date(index // 12, index % 12 + 1, 1)


def expires_at(production_hour_start: datetime) -> datetime:
    """UTC instant (local midnight of `expires_on`) from which the certificate is expired."""
    day = expires_on(production_hour_start)
    return datetime(day.year, day.month, day.day, tzinfo=MARKET_TZ).astimezone(UTC)


def production_month_of(expires_at_s: int) -> str:
    """The local production month (YYYY-MM) of certificates expiring at `expires_at_s`."""
    local = datetime.fromtimestamp(expires_at_s, UTC).astimezone(MARKET_TZ)
    return _month_name(local.year * 12 + local.month - 1 - VALIDITY_MONTHS)


def is_expired(lot: Lot, at: datetime) -> bool:
    """Whether `lot` is past its validity at `at`; raises InvalidInput when `at` is naive."""
    return aware(at, "at") >= expires_at(lot.production_hour_start)
