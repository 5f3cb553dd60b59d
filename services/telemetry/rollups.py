"""Per-asset 15-minute rollups in Redis: written once per reading, read by every service.

Keys (enterprise hash tag, one cluster slot per enterprise):
  parkvpp:{ent}:readings:{asset}:{day}  hash  epoch-second -> kW (dedupe of readings)
  parkvpp:{ent}:rollup:{asset}:{day}    hash  s:{interval} sum of kW, n:{interval} count
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
    redis.call('HINCRBYFLOAT', rollup, 's:' .. ARGV[i + 2], ARGV[i + 3])
    redis.call('HINCRBY', rollup, 'n:' .. ARGV[i + 2], 1)
    added = added + 1
  end
end
return added
"""


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
        pipe = self._redis.pipeline(transaction=False)
        for day in days:
            pipe.hgetall(self._keys(enterprise_id, asset_id, day)[1])
        out: dict[date, tuple[np.ndarray, np.ndarray]] = {}
        for day, raw in zip(days, pipe.execute(), strict=True):
            sums = np.zeros(INTERVALS_PER_DAY)
            counts = np.zeros(INTERVALS_PER_DAY, dtype=np.int64)
            for field, value in raw.items():
                kind, _, idx = field.decode().partition(":")
                if kind == "s":
                    sums[int(idx)] = float(value)
                else:
                    counts[int(idx)] = int(value)
            with np.errstate(invalid="ignore", divide="ignore"):
                avg = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
            out[day] = (avg, counts)
        return out

    def history_kw(
        self, enterprise_id: str, asset_id: str, days: Iterable[date]
    ) -> dict[date, np.ndarray]:
        """Days with a complete measured profile (all 96 intervals), for baselines."""
        found = self.day_kw(enterprise_id, asset_id, list(days))
        return {d: kw for d, (kw, counts) in found.items() if bool((counts > 0).all())}
