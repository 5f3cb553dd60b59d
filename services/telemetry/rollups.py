"""Per-asset 15-minute rollups in Redis: written once per reading, read by every service.

Keys (enterprise hash tag, one cluster slot per enterprise):
  parkvpp:{ent}:readings:{asset}:{day}  hash  epoch-second -> kW (dedupe of readings)
  parkvpp:{ent}:rollup:{asset}:{day}    string, packed little-endian: 96 float64 sums of
                                        kW, then 96 int32 reading counts (1,152 bytes)

The packed day is updated in place (GETRANGE/SETRANGE of one slot inside the Lua step)
and read with one GET, so a forecast over 10,000 assets x 28 days is 280,000 small GETs
instead of 54 million hash fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import redis

from bidding.intervals import INTERVALS_PER_DAY
from services.runtime.store import APPLIED_TTL_S, tenant_key

_APPLY = """
-- KEYS[1]: applied marker; then per day: readings key, rollup key
-- ARGV[1]: ttl; then per reading: day slot (1-based), epoch second, interval, kW
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) == false then return -1 end
local added = 0
for i = 2, #ARGV, 4 do
  local slot = tonumber(ARGV[i])
  local readings, rollup = KEYS[2 * slot], KEYS[2 * slot + 1]
  if redis.call('HSETNX', readings, ARGV[i + 1], ARGV[i + 3]) == 1 then
    local interval = tonumber(ARGV[i + 2])
    local sum_at, count_at = interval * 8, 768 + interval * 4
    local sum, count = 0, 0
    local raw = redis.call('GETRANGE', rollup, sum_at, sum_at + 7)
    if #raw == 8 then sum = struct.unpack('<d', raw) end
    raw = redis.call('GETRANGE', rollup, count_at, count_at + 3)
    if #raw == 4 then count = struct.unpack('<i4', raw) end
    redis.call('SETRANGE', rollup, sum_at, struct.pack('<d', sum + tonumber(ARGV[i + 3])))
    redis.call('SETRANGE', rollup, count_at, struct.pack('<i4', count + 1))
    added = added + 1
  end
end
return added
"""


_SUMS_BYTES = INTERVALS_PER_DAY * 8
_DAY_BYTES = _SUMS_BYTES + INTERVALS_PER_DAY * 4


def _decode(packed: bytes | None) -> tuple[np.ndarray, np.ndarray]:
    """(average kW with NaN where unmeasured, counts) from one packed day."""
    buf = (packed or b"").ljust(_DAY_BYTES, b"\0")
    sums = np.frombuffer(buf, dtype="<f8", count=INTERVALS_PER_DAY)
    counts = np.frombuffer(buf, dtype="<i4", offset=_SUMS_BYTES).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        avg = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return avg, counts


@dataclass(frozen=True)
class RollupReading:
    """One accepted reading, located in its market day and interval."""

    market_day: date
    interval: int
    epoch_s: int
    power_kw: float


class Rollups:
    """Atomic, idempotent rollup writes and vectorised reads."""

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client
        self._apply = client.register_script(_APPLY)

    @staticmethod
    def _keys(enterprise_id: str, asset_id: str, day: date) -> tuple[str, str]:
        iso = day.isoformat()
        return (
            tenant_key(enterprise_id, "readings", asset_id, iso),
            tenant_key(enterprise_id, "rollup", asset_id, iso),
        )

    def apply(
        self, event_id: str, enterprise_id: str, asset_id: str, readings: Sequence[RollupReading]
    ) -> int:
        """Add readings not seen before; returns how many, or -1 if the event was applied."""
        days = sorted({r.market_day for r in readings})
        slot = {day: n + 1 for n, day in enumerate(days)}
        keys = [tenant_key(enterprise_id, "applied", "telemetry", event_id)]
        for day in days:
            keys.extend(self._keys(enterprise_id, asset_id, day))
        args: list[str | int | float] = [APPLIED_TTL_S]
        for r in readings:
            args.extend((slot[r.market_day], r.epoch_s, r.interval, repr(r.power_kw)))
        return int(self._apply(keys=keys, args=args))

    def has_reading(self, enterprise_id: str, asset_id: str, day: date, epoch_s: int) -> bool:
        return bool(self._redis.hexists(self._keys(enterprise_id, asset_id, day)[0], epoch_s))

    def day_kw(
        self, enterprise_id: str, asset_id: str, days: Sequence[date]
    ) -> dict[date, tuple[np.ndarray, np.ndarray]]:
        """Per day: (average kW per interval with NaN where missing, reading counts)."""
        return self.many_day_kw([(enterprise_id, asset_id)], days)[asset_id]

    def many_day_kw(
        self, assets: Sequence[tuple[str, str]], days: Sequence[date], chunk: int = 2000
    ) -> dict[str, dict[date, tuple[np.ndarray, np.ndarray]]]:
        """`day_kw` for many (enterprise_id, asset_id) pairs in pipelined round trips."""
        keys = [
            (asset_id, day, self._keys(enterprise_id, asset_id, day)[1])
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
