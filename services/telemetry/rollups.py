"""Per-asset 15-minute rollups in Redis: written once per reading, read by every service.

Keys (enterprise hash tag, one cluster slot per enterprise):
  parkvpp:{ent}:powers:{asset}:{day}    string: the power readings kept (the first value of
                                        each second), 12-byte little-endian records (uint32
                                        epoch second, float64 kW) in epoch order
  parkvpp:{ent}:readings:{asset}:{day}  hash  "r" + epoch-second -> register kWh; earlier
                                        versions also kept power readings here (epoch-second
                                        -> kW), which still count as held
  parkvpp:{ent}:rollup:{asset}:{day}    string, packed little-endian: 96 float64 sums of
                                        kW, then 96 int32 reading counts (1,152 bytes)

One Lua step (services/telemetry/rollup_script.py) applies whole events of one enterprise
(any number of its assets and days, the readings packed as binary records), each exactly
once; a day is read with one GET, so a forecast over 10,000 assets x 28 days is 280,000
small GETs instead of 54 million hash fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import redis
from redis.exceptions import NoScriptError

from bidding.intervals import INTERVALS_PER_DAY, locate_period_end
from services.runtime.metrics import REGISTER_ANOMALIES
from services.runtime.store import tenant_key
from services.telemetry.columns import (
    POWER,
    REGISTER,
    Columns,
    day_number,
    from_arrays,
    locate_period_ends,
)
from services.telemetry.rollup_script import (
    APPLY_LUA,
    POWER_RECORD,
    SLOT_KEY_KINDS,
    EventReadings,
    script_input,
)

_SUMS_BYTES = INTERVALS_PER_DAY * 8
_DAY_BYTES = _SUMS_BYTES + INTERVALS_PER_DAY * 4


def _decode(packed: bytes | None) -> tuple[np.ndarray, np.ndarray]:
    """(average kW with NaN where unmeasured, counts) from one packed day."""
    kw, counts = day_matrix([packed])
    return kw[0], counts[0]


@dataclass(frozen=True)
class RollupReading:
    """One accepted power reading, located in its market day and interval."""

    market_day: date
    interval: int
    epoch_s: int
    power_kw: float


@dataclass(frozen=True)
class RegisterReading:
    """One accepted cumulative energy register value, read at an interval end (epoch second)."""

    epoch_s: int
    register_kwh: float


def _located(epoch_s: int) -> tuple[date, int]:
    return locate_period_end(datetime.fromtimestamp(epoch_s, UTC))


def power_reading(epoch_s: int, power_kw: float) -> RollupReading:
    """A power reading stamped at the end of its metering period, located in its interval."""
    day, interval = _located(epoch_s)
    return RollupReading(day, interval, epoch_s, power_kw)


@dataclass(frozen=True)
class RollupBatch:
    """The readings of one telemetry event for one asset."""

    event_id: str
    enterprise_id: str
    asset_id: str
    readings: Sequence[RollupReading]
    registers: Sequence[RegisterReading] = ()
    bidirectional: bool = False


def _keys(enterprise_id: str, asset_id: str, day: date) -> tuple[str, str, str]:
    """The readings hash, power readings and rollup key of an asset's day."""
    readings, powers, rollup = (
        tenant_key(enterprise_id, kind, asset_id, day.isoformat()) for kind in SLOT_KEY_KINDS
    )
    return readings, powers, rollup


@dataclass(frozen=True)
class ColumnBatch:
    """The readings of one columnar telemetry event: one enterprise, any of its assets."""

    event_id: str
    enterprise_id: str
    columns: Columns
    #: Per entry of the asset table: its register may fall (a battery).
    bidirectional: Sequence[bool]


#: Readings one script call applies at most (several events of an enterprise share a call
#: up to this; an event with more gets a call of its own): some 20 ms of Lua, the longest
#: other clients (the meters' outbox writes) wait behind it, since calls go one at a time.
MAX_CALL_READINGS = 5_000


def _event_readings(batch: RollupBatch | ColumnBatch) -> EventReadings:
    """The readings of one event of either form, located for the rollup step."""
    if isinstance(batch, ColumnBatch):
        columns = batch.columns
        day, interval = locate_period_ends(columns.epoch_s)
        signed = np.asarray(batch.bidirectional, dtype=np.uint8).reshape(-1)
        return EventReadings(batch.event_id, columns, signed, day, interval)
    powers, registers = batch.readings, batch.registers
    register_epochs = np.array([r.epoch_s for r in registers], dtype=np.int64)
    register_day, register_interval = locate_period_ends(register_epochs)
    columns = from_arrays(
        (batch.asset_id,),
        np.zeros(len(powers) + len(registers), dtype=np.int64),
        [r.epoch_s for r in powers] + register_epochs.tolist(),
        [r.power_kw for r in powers] + [r.register_kwh for r in registers],
        [POWER] * len(powers) + [REGISTER] * len(registers),
    )
    day = np.concatenate([[day_number(r.market_day) for r in powers], register_day])
    interval = np.concatenate([[r.interval for r in powers], register_interval])
    signed = np.array([1 if batch.bidirectional else 0], dtype=np.uint8)
    return EventReadings(
        batch.event_id, columns, signed, day.astype(np.int64), interval.astype(np.int64)
    )


def _calls(batches: Sequence[RollupBatch | ColumnBatch]) -> list[tuple[str, list[int]]]:
    """(enterprise, positions in `batches`) of each script call: an enterprise's events in
    their order, as many to a call as MAX_CALL_READINGS allows."""
    calls: list[tuple[str, list[int]]] = []
    open_call: dict[str, tuple[list[int], int]] = {}
    for n, batch in enumerate(batches):
        size = (
            len(batch.columns)
            if isinstance(batch, ColumnBatch)
            else (len(batch.readings) + len(batch.registers))
        )
        positions, readings = open_call.get(batch.enterprise_id, ([], 0))
        if positions and readings + size > MAX_CALL_READINGS:
            positions, readings = [], 0
        if not positions:
            calls.append((batch.enterprise_id, positions))
        positions.append(n)
        open_call[batch.enterprise_id] = (positions, readings + size)
    return calls


class Rollups:
    """Atomic, idempotent rollup writes and vectorised reads."""

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client
        self._apply = client.register_script(APPLY_LUA)

    def apply(
        self,
        event_id: str,
        enterprise_id: str,
        asset_id: str,
        readings: Sequence[RollupReading],
        registers: Sequence[RegisterReading] = (),
        bidirectional: bool = False,
    ) -> int:
        """Add readings not seen before; returns how many, or -1 if the event was applied.

        A register value rolls up the interval ending at it (with the register one interval
        earlier) and the interval after it (with the register one interval later), whichever
        of those neighbours is already known; readings may arrive in any order. A falling
        register of a one-way asset (meter replaced or reset) rolls up nothing: the interval
        stays a gap, and REGISTER_ANOMALIES counts it.
        """
        batch = RollupBatch(event_id, enterprise_id, asset_id, readings, registers, bidirectional)
        return self.apply_many([batch])[0]

    def apply_many(self, batches: Sequence[RollupBatch | ColumnBatch]) -> list[int]:
        """`apply` for several events; each stays atomic and is applied once.

        An enterprise's events share script calls (see rollup_script), so a slot touched
        by several of them is read and written once. Calls go one after another, not
        pipelined: Valkey then serves other clients between them.
        """
        calls = _calls(batches)
        located = [_event_readings(batch) for batch in batches]
        inputs = [
            script_input(enterprise_id, [located[n] for n in positions])
            for enterprise_id, positions in calls
        ]
        outcomes = [self._call(keys, args) for keys, args in inputs]
        anomalies = sum(int(outcome[0]) for outcome in outcomes)
        if anomalies:
            REGISTER_ANOMALIES.inc(anomalies)
        added = [0] * len(batches)
        for (_, positions), outcome in zip(calls, outcomes, strict=True):
            for n, count in zip(positions, outcome[1:], strict=True):
                added[n] = int(count)
        return added

    def _call(self, keys: list[str], args: list) -> list:
        """One script call. The script runs by its hash (EVALSHA) without asking first
        whether the server has it; only when the server says NOSCRIPT (a restart, a flush)
        is it loaded and sent again."""
        try:
            return self._redis.evalsha(self._apply.sha, len(keys), *keys, *args)
        except NoScriptError:
            self._redis.script_load(APPLY_LUA)
            return self._redis.evalsha(self._apply.sha, len(keys), *keys, *args)

    def stored_powers(self, slots: Sequence[tuple[str, str, date]]) -> list[dict[int, float]]:
        """The power readings kept for each (enterprise_id, asset_id, day), epoch second ->
        kW (the first value sent for that second): one pipelined round trip."""
        pipe = self._redis.pipeline(transaction=False)
        for enterprise_id, asset_id, day in slots:
            readings, powers, _ = _keys(enterprise_id, asset_id, day)
            pipe.hgetall(readings)
            pipe.get(powers)
        replies = pipe.execute()
        kept = []
        for earlier, packed in zip(replies[::2], replies[1::2], strict=True):
            values = {int(f): float(v) for f, v in earlier.items() if not f.startswith(b"r")}
            records = np.frombuffer(packed or b"", POWER_RECORD)
            values.update(zip(records["epoch"].tolist(), records["kw"].tolist(), strict=True))
            kept.append(values)
        return kept

    def day_kw(
        self, enterprise_id: str, asset_id: str, days: Sequence[date]
    ) -> dict[date, tuple[np.ndarray, np.ndarray]]:
        """Per day: (average kW per interval with NaN where missing, reading counts); the
        days are read with one MGET (one asset's keys share its enterprise's slot)."""
        if not days:
            return {}
        prefix = tenant_key(enterprise_id, "rollup", asset_id, "")
        kw, counts = day_matrix(self._redis.mget([prefix + d.isoformat() for d in days]))
        return {day: (kw[n], counts[n]) for n, day in enumerate(days)}

    def days_kw(
        self, assets: Sequence[tuple[str, str]], days: Sequence[date]
    ) -> tuple[np.ndarray, np.ndarray]:
        """(average kW, counts) shaped (assets, days, 96) for (enterprise_id, asset_id) pairs,
        read by `packed_days`."""
        kw, counts = day_matrix(self.packed_days(assets, days))
        shape = (len(assets), len(days), INTERVALS_PER_DAY)
        return kw.reshape(shape), counts.reshape(shape)

    def packed_days(
        self, assets: Sequence[tuple[str, str]], days: Sequence[date], chunk: int = 20_000
    ) -> list[bytes | None]:
        """The stored days of (enterprise_id, asset_id) pairs, asset by asset, as stored
        (None where none): one MGET per enterprise (its keys share a cluster slot) and
        chunk, pipelined."""
        # Keys as bytes, built from one prefix per asset (redis-py sends bytes as they are).
        isos = [d.isoformat().encode() for d in days]
        keys = [
            prefix + iso
            for prefix in (tenant_key(e, "rollup", a, "").encode() for e, a in assets)
            for iso in isos
        ]
        owners = [e for e, _ in assets for _ in days]
        values: list[bytes | None] = [None] * len(keys)
        for start in range(0, len(keys), chunk):
            groups: dict[str, list[int]] = {}
            for n in range(start, min(start + chunk, len(keys))):
                groups.setdefault(owners[n], []).append(n)
            pipe = self._redis.pipeline(transaction=False)
            for rows in groups.values():
                pipe.mget([keys[n] for n in rows])
            for rows, got in zip(groups.values(), pipe.execute(), strict=True):
                for n, value in zip(rows, got, strict=True):
                    values[n] = value
        return values

    def many_day_kw(
        self, assets: Sequence[tuple[str, str]], days: Sequence[date], chunk: int = 2000
    ) -> dict[str, dict[date, tuple[np.ndarray, np.ndarray]]]:
        """`day_kw` for many (enterprise_id, asset_id) pairs in pipelined round trips."""
        keys = [
            (asset_id, day, _keys(enterprise_id, asset_id, day)[2])
            for enterprise_id, asset_id in assets
            for day in days
        ]
        out: dict[str, dict[date, tuple[np.ndarray, np.ndarray]]] = {a: {} for _, a in assets}
        for start in range(0, len(keys), chunk):
            part = keys[start : start + chunk]
            pipe = self._redis.pipeline(transaction=False)
            for _, _, key in part:
                pipe.get(key)
            for (asset_id, day, _), values in zip(part, pipe.execute(), strict=True):
                out[asset_id][day] = _decode(values)
        return out


def day_matrix(packed_days: Sequence[bytes | None]) -> tuple[np.ndarray, np.ndarray]:
    """(average kW with NaN where unmeasured, counts), one row of 96 per packed day: the
    decode of many days at once, vectorised."""
    # A stored day is never longer than _DAY_BYTES, so when none is missing and the joined
    # bytes are as long as all the days in full, every day is whole (the common case,
    # about 60 MB for 10,000 assets' forecasts: no copy per day). A day written up to
    # interval i < 95 is shorter: then each is padded with zeros.
    buf = b""
    if None not in packed_days:
        buf = b"".join(packed_days)  # type: ignore[arg-type]
    if len(buf) != len(packed_days) * _DAY_BYTES:
        empty = bytes(_DAY_BYTES)
        buf = b"".join(
            empty if not p else p if len(p) == _DAY_BYTES else p.ljust(_DAY_BYTES, b"\0")
            for p in packed_days
        )
    raw = np.frombuffer(buf, dtype=np.uint8).reshape(len(packed_days), _DAY_BYTES)
    # Views, not copies: each row's last axis is contiguous (and 8-byte aligned sums).
    sums = raw[:, :_SUMS_BYTES].view("<f8")
    counts = raw[:, _SUMS_BYTES:].view("<i4")
    avg = np.full(sums.shape, np.nan)
    np.divide(sums, counts, out=avg, where=counts > 0)
    return avg, counts.astype(np.int64)  # writable, as callers expect
