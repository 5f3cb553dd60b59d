"""The rollup write step: one Lua call applies several telemetry events of one enterprise.

Each event is applied once (its marker is set in the same atomic step) and the events of a
call share the work: a slot (one asset's day) touched by any of them has its readings
deduplicated with one HMGET and stored with one HSET, its packed rollup day read with one
GET and each run of adjacent touched intervals written with one SETRANGE for the sums and
one for the counts. Events that follow one another in a partition are applied in their
order, so a call of many events gives the same rollups as one call per event. Key layout:
see services/telemetry/rollups.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bidding.intervals import INTERVAL_HOURS
from services.runtime.store import APPLIED_TTL_S, tenant_key
from services.telemetry.columns import INTERVAL_SECONDS, REGISTER, Columns, day_of
from services.telemetry.columns import locate_period_ends as locate

APPLY_LUA = """
-- KEYS[1..E]: the events' applied markers; then per (asset, day) slot s: KEYS[E + 2s - 1]
-- its readings hash, KEYS[E + 2s] its rollup. ARGV[1]: ttl, ARGV[2]: kW per kWh of one
-- interval, ARGV[3]: interval seconds, ARGV[4]: E, ARGV[5]: the power readings as POWER
-- records grouped by slot (reading order kept within a slot), ARGV[6]: per slot how many
-- of them are its (int32), ARGV[7]: the register readings as REGISTER records in reading
-- order. Returns {register anomalies, per event: readings added, or -1 if it was applied}.
-- Registers go one by one: each looks up its neighbours, which may come before it.
local POWER, REGISTER, DAY, CHUNK = '<i8di4i4', '<i8di4Bi4i4i4i4i4', 1152, 2000
local per_kwh, step, events = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local outcome = {0}
for e = 1, events do
  outcome[e + 1] = redis.call('SET', KEYS[e], '1', 'NX', 'EX', ARGV[1]) and 0 or -1
end
local ZERO = string.rep('\\0', DAY)
local raw_of, touched_of, slots, sums, counts = {}, {}, {}, {}, {}
local function add(slot, interval, kw)
  local at = slot * 128 + interval
  local sum = sums[at]
  if sum == nil then
    local raw = raw_of[slot]
    if raw == nil then
      raw = redis.call('GET', KEYS[events + 2 * slot]) or ZERO
      if #raw < DAY then raw = raw .. string.sub(ZERO, #raw + 1) end
      raw_of[slot], touched_of[slot] = raw, {}
      slots[#slots + 1] = slot
    end
    if raw == ZERO then
      sum, counts[at] = 0, 0
    else
      sum = struct.unpack('<d', raw, interval * 8 + 1)
      counts[at] = struct.unpack('<i4', raw, 768 + interval * 4 + 1)
    end
    local touched = touched_of[slot]
    touched[#touched + 1] = interval
  end
  sums[at], counts[at] = sum + kw, counts[at] + 1
end
local function added(event)
  outcome[event + 1] = outcome[event + 1] + 1
end
-- An event's power readings come without repeats (the caller keeps the first of each);
-- a repeat from another event of the call is new only where it comes first.
local power, per_slot, pos = ARGV[5], ARGV[6], 1
local fields, values, intervals, owners, new = {}, {}, {}, {}, {}
for slot = 1, #per_slot / 4 do
  local key, n = KEYS[events + 2 * slot - 1], 0
  for _ = 1, struct.unpack('<i4', per_slot, slot * 4 - 3) do
    local epoch, value, interval, event
    epoch, value, interval, event, pos = struct.unpack(POWER, power, pos)
    if outcome[event + 1] >= 0 then
      n = n + 1
      fields[n], values[n], intervals[n], owners[n] = tostring(epoch), value, interval, event
    end
  end
  if n == 1 then
    if redis.call('HSETNX', key, fields[1], values[1]) == 1 then
      add(slot, intervals[1], values[1])
      added(owners[1])
    end
  elseif n > 1 then
    local m, seen = 0, events > 1 and {} or nil
    for first = 1, n, CHUNK do
      local last = math.min(first + CHUNK - 1, n)
      local found = redis.call('HMGET', key, unpack(fields, first, last))
      for k = first, last do
        if not found[k - first + 1] and not (seen and seen[fields[k]]) then
          if seen then seen[fields[k]] = true end
          new[m + 1], new[m + 2] = fields[k], values[k]
          m = m + 2
          add(slot, intervals[k], values[k])
          added(owners[k])
        end
      end
    end
    for first = 1, m, 2 * CHUNK do
      redis.call('HSET', key, unpack(new, first, math.min(first + 2 * CHUNK - 1, m)))
    end
  end
end
local function delta(slot, interval, later, earlier, signed)
  local kwh = tonumber(later) - tonumber(earlier)
  if kwh < 0 and signed == 0 then outcome[1] = outcome[1] + 1 return end
  add(slot, interval, kwh * per_kwh)
end
local registers = ARGV[7]
pos = 1
while pos <= #registers do
  local epoch, value, event, signed, slot, interval, before, after, after_interval
  epoch, value, event, signed, slot, interval, before, after, after_interval, pos =
    struct.unpack(REGISTER, registers, pos)
  if outcome[event + 1] >= 0
    and redis.call('HSETNX', KEYS[events + 2 * slot - 1], 'r' .. tostring(epoch), value) == 1
  then
    added(event)
    local earlier = redis.call('HGET', KEYS[events + 2 * before - 1], 'r' .. tostring(epoch - step))
    if earlier then delta(slot, interval, value, earlier, signed) end
    local later = redis.call('HGET', KEYS[events + 2 * after - 1], 'r' .. tostring(epoch + step))
    if later then delta(after, after_interval, later, value, signed) end
  end
end
local function packed(kind, values)
  return struct.pack('<' .. string.rep(kind, #values), unpack(values))
end
for _, slot in ipairs(slots) do
  local touched, rollup = touched_of[slot], KEYS[events + 2 * slot]
  table.sort(touched)
  local k = 1
  while k <= #touched do
    local first, run_sums, run_counts = touched[k], {}, {}
    repeat
      local at = slot * 128 + touched[k]
      run_sums[#run_sums + 1], run_counts[#run_counts + 1] = sums[at], counts[at]
      k = k + 1
    until k > #touched or touched[k] ~= touched[k - 1] + 1
    redis.call('SETRANGE', rollup, first * 8, packed('d', run_sums))
    redis.call('SETRANGE', rollup, 768 + first * 4, packed('i4', run_counts))
  end
end
return outcome
"""
#: One power reading of the step (the Lua POWER): epoch second, kW, interval, event (from 1).
POWER_RECORD = np.dtype([("epoch", "<i8"), ("value", "<f8"), ("interval", "<i4"), ("event", "<i4")])
#: One register reading (the Lua REGISTER): epoch second, kWh, event, signed (1 when the
#: register may fall), its slot and interval, the slots of one interval earlier and later
#: and the later one's interval.
REGISTER_RECORD = np.dtype(
    [
        ("epoch", "<i8"),
        ("value", "<f8"),
        ("event", "<i4"),
        ("signed", "u1"),
        ("slot", "<i4"),
        ("interval", "<i4"),
        ("before", "<i4"),
        ("after", "<i4"),
        ("after_interval", "<i4"),
    ]
)
#: Day numbers stay below this (year 2243), so (asset, day) pairs pack into one integer.
_DAYS = 100_000


@dataclass(frozen=True)
class EventReadings:
    """One event's readings for the step, located: market day (days since 1970) and
    interval of each, and per entry of the asset table whether its register may fall."""

    event_id: str
    columns: Columns
    signed: np.ndarray  # uint8, aligned with columns.asset_ids
    day: np.ndarray  # int64
    interval: np.ndarray  # int64


@dataclass(frozen=True)
class _Merged:
    """The readings of several events on one asset table, each tagged with its event."""

    asset_ids: list[str]
    asset: np.ndarray
    epoch: np.ndarray
    value: np.ndarray
    register: np.ndarray
    day: np.ndarray
    interval: np.ndarray
    signed: np.ndarray
    event: np.ndarray  # from 1, as the Lua counts


def _merge(events: Sequence[EventReadings]) -> _Merged:
    table: dict[str, int] = {}
    assets, signed = [], []
    for e in events:
        remap = np.array(
            [table.setdefault(a, len(table)) for a in e.columns.asset_ids], dtype=np.int64
        ).reshape(-1)
        assets.append(remap[e.columns.asset_index])
        signed.append(np.asarray(e.signed, dtype=np.uint8).reshape(-1)[e.columns.asset_index])

    def joined(arrays: list[np.ndarray], dtype: str) -> np.ndarray:
        return np.concatenate(arrays).astype(dtype) if arrays else np.zeros(0, dtype)

    return _Merged(
        list(table),
        joined(assets, "i8"),
        joined([e.columns.epoch_s for e in events], "i8"),
        joined([e.columns.values for e in events], "f8"),
        joined([e.columns.kinds == REGISTER for e in events], "?"),
        joined([e.day for e in events], "i8"),
        joined([e.interval for e in events], "i8"),
        joined(signed, "u1"),
        np.repeat(np.arange(1, len(events) + 1), [len(e.columns) for e in events]),
    )


def _first_of_each(m: _Merged) -> _Merged:
    """The readings without repeats of an (asset, kind, second) within one event: a repeat
    changes nothing (the first value is kept). Repeats across events stay (the first of
    them may be in an event that was applied before, and so skipped)."""
    order = np.lexsort((m.epoch, m.register, m.asset, m.event))  # stable: first stays first
    v, a, r, e = m.event[order], m.asset[order], m.register[order], m.epoch[order]
    starts = np.ones(len(order), dtype=bool)
    starts[1:] = (v[1:] != v[:-1]) | (a[1:] != a[:-1]) | (r[1:] != r[:-1]) | (e[1:] != e[:-1])
    if starts.all():
        return m
    keep = np.sort(order[starts])
    return _Merged(
        m.asset_ids,
        *(
            column[keep]
            for column in (m.asset, m.epoch, m.value, m.register, m.day, m.interval, m.signed)
        ),
        m.event[keep],
    )


def _slot_keys(enterprise_id: str, asset_ids: Sequence[str], slots: np.ndarray) -> list[str]:
    """The readings and rollup key of each (asset, day) slot, in slot order."""
    tag = tenant_key(enterprise_id, "")
    isos: dict[int, str] = {}
    keys = []
    for asset, day in zip((slots // _DAYS).tolist(), (slots % _DAYS).tolist(), strict=True):
        iso = isos.get(day) or isos.setdefault(day, day_of(day).isoformat())
        suffix = f"{asset_ids[asset]}:{iso}"
        keys.append(f"{tag}readings:{suffix}")
        keys.append(f"{tag}rollup:{suffix}")
    return keys


def script_input(
    enterprise_id: str, events: Sequence[EventReadings]
) -> tuple[list[str], list[str | int | bytes]]:
    """KEYS and ARGV of APPLY_LUA for `events` (all of `enterprise_id`, in their order)."""
    m = _first_of_each(_merge(events))
    power, registers = np.flatnonzero(~m.register), np.flatnonzero(m.register)
    before_day, _ = locate(m.epoch[registers] - INTERVAL_SECONDS)
    after_day, after_interval = locate(m.epoch[registers] + INTERVAL_SECONDS)
    register_asset = m.asset[registers] * _DAYS
    slots, inverse = np.unique(
        np.concatenate(
            [
                m.asset[power] * _DAYS + m.day[power],
                register_asset + m.day[registers],
                register_asset + before_day,
                register_asset + after_day,
            ]
        ),
        return_inverse=True,
    )
    inverse = inverse.reshape(-1) + 1  # Lua slots count from 1
    power_slot = inverse[: len(power)]
    order = power[np.argsort(power_slot, kind="stable")]  # by slot, reading order kept
    powers = np.zeros(len(power), POWER_RECORD)
    for field, column in (("epoch", m.epoch), ("value", m.value), ("interval", m.interval)):
        powers[field] = column[order]
    powers["event"] = m.event[order]
    records = np.zeros(len(registers), REGISTER_RECORD)
    for field, column in (
        ("epoch", m.epoch),
        ("value", m.value),
        ("event", m.event),
        ("signed", m.signed),
        ("interval", m.interval),
    ):
        records[field] = column[registers]
    records["slot"], records["before"], records["after"] = inverse[len(power) :].reshape(3, -1)
    records["after_interval"] = after_interval
    keys = [tenant_key(enterprise_id, "applied", "telemetry", e.event_id) for e in events]
    keys.extend(_slot_keys(enterprise_id, m.asset_ids, slots))
    per_slot = np.bincount(power_slot - 1, minlength=len(slots)).astype("<i4")
    args: list[str | int | bytes] = [
        APPLIED_TTL_S,
        repr(1 / INTERVAL_HOURS),
        INTERVAL_SECONDS,
        len(events),
        powers.tobytes(),
        per_slot.tobytes(),
        records.tobytes(),
    ]
    return keys, args
