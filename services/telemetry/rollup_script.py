"""The rollup write step: one Lua call applies several telemetry events of one enterprise.

Each event is applied once (its marker is set in the same atomic step) and the events of a
call share the work: a slot (one asset's day) touched by any of them has its power readings
stored with one APPEND of packed records (epoch second, kW) in epoch order, its packed
rollup day read with one GET and each run of adjacent touched intervals written with one
SETRANGE for the sums and one for the counts. Events that follow one another in a
partition are applied in their order, so a call of many events gives the same rollups as
one call per event.

A slot whose readings are all new, rise in time and come after every reading it holds (a
meter's readings arriving in order, the common case) takes the quick way: nothing is
looked up per reading, its records are appended as they came and each run of intervals
the day holds nothing of yet is written from sums computed here, in the order the script
would add them. Anything else goes reading by reading against the set of seconds the slot
holds (and the power fields earlier versions kept in the readings hash). Key layout: see
services/telemetry/rollups.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files

import numpy as np

from bidding.intervals import INTERVAL_HOURS
from services.runtime.store import APPLIED_TTL_S, tenant_key
from services.telemetry.columns import INTERVAL_SECONDS, REGISTER, Columns, day_of
from services.telemetry.columns import locate_period_ends as locate

#: The step itself (services/telemetry/rollup_step.lua).
APPLY_LUA = files("services.telemetry").joinpath("rollup_step.lua").read_text()
#: Per slot (the Lua SLOT): its power readings, runs of adjacent intervals and (event,
#: readings) pairs, and 1 when it may take the quick way.
SLOT_RECORD = np.dtype([("readings", "<i4"), ("runs", "<i4"), ("events", "<i4"), ("quick", "<i4")])
#: One stored power reading (the Lua POWER): epoch second and kW, 12 bytes. A slot's
#: power readings key holds them in epoch order.
POWER_RECORD = np.dtype([("epoch", "<u4"), ("kw", "<f8")])
#: Where a power reading of a call goes (the Lua PLACE): its interval and event (from 1).
PLACE_RECORD = np.dtype([("interval", "<i4"), ("event", "<i4")])
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
#: The keys of a slot (one asset's day), in the order the Lua takes them: its readings
#: hash, power readings and rollup (see services/telemetry/rollups.py).
SLOT_KEY_KINDS = ("readings", "powers", "rollup")
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
    remaps: dict[tuple[str, ...], np.ndarray] = {}  # a gateway's events share their table
    assets, signed = [], []
    for e in events:
        ids = tuple(e.columns.asset_ids)
        remap = remaps.get(ids)
        if remap is None:
            remap = remaps[ids] = np.array(
                [table.setdefault(a, len(table)) for a in ids], dtype=np.int64
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


def _slot_keys(enterprise_id: str, asset_ids: Sequence[str], slots: np.ndarray) -> list[bytes]:
    """The readings, power readings and rollup key of each (asset, day) slot, in slot order."""
    tag = tenant_key(enterprise_id, "").encode()
    prefixes = [tag + kind.encode() + b":" for kind in SLOT_KEY_KINDS]
    isos: dict[int, bytes] = {}
    names = [a.encode() for a in asset_ids]
    keys = []
    for asset, day in zip((slots // _DAYS).tolist(), (slots % _DAYS).tolist(), strict=True):
        iso = isos.get(day) or isos.setdefault(day, day_of(day).isoformat().encode())
        suffix = b"%b:%b" % (names[asset], iso)
        keys += (prefix + suffix for prefix in prefixes)
    return keys  # bytes: redis-py sends them as they are


def _power_args(
    slot: np.ndarray,
    epoch: np.ndarray,
    value: np.ndarray,
    interval: np.ndarray,
    event: np.ndarray,
    slot_count: int,
    register_slots: np.ndarray,
) -> list[bytes]:
    """ARGV[5..11] of APPLY_LUA for power readings sorted by slot (from 0 here), reading
    order kept within a slot. ValueError for an epoch second outside 0 .. 2**32 - 1 (no
    reading that passed the checks has one)."""
    if len(epoch) and not (0 <= int(epoch.min()) and int(epoch.max()) < 2**32):
        raise ValueError(f"a timestamp outside the stored range: {int(epoch.min())}")
    slots = np.zeros(slot_count, SLOT_RECORD)
    slots["readings"] = np.bincount(slot, minlength=slot_count)
    # Quick unless a register touches the slot, a second repeats (only across events) or
    # the epochs do not rise in reading order (then the records cannot go on as they are).
    quick = np.ones(slot_count, dtype=bool)
    quick[register_slots] = False
    fields, repeats = np.unique((slot << 34) | epoch, return_counts=True)
    quick[fields[repeats > 1] >> 34] = False
    falls = (np.diff(slot) == 0) & (np.diff(epoch) <= 0)
    quick[slot[1:][falls]] = False
    slots["quick"] = quick
    # Runs of adjacent intervals and their sums from nothing, added in reading order.
    cells, at = np.unique(slot * 128 + interval, return_inverse=True)
    sums = np.bincount(at.reshape(-1), weights=value, minlength=len(cells))
    counts = np.bincount(at.reshape(-1), minlength=len(cells))
    starts = np.ones(len(cells), dtype=bool)
    starts[1:] = np.diff(cells) != 1  # the next slot's cells are 128 - 95 further on
    first = np.flatnonzero(starts)
    runs = np.zeros((len(first), 2), "<i4")
    runs[:, 0] = cells[first] % 128
    runs[:, 1] = np.diff(np.append(first, len(cells)))
    slots["runs"] = np.bincount(cells[first] // 128, minlength=slot_count)
    pairs, per_pair = np.unique((slot << 32) | event, return_counts=True)
    slot_events = np.zeros((len(pairs), 2), "<i4")
    slot_events[:, 0], slot_events[:, 1] = pairs & 0xFFFFFFFF, per_pair
    slots["events"] = np.bincount(pairs >> 32, minlength=slot_count)
    powers = np.zeros(len(slot), POWER_RECORD)
    powers["epoch"], powers["kw"] = epoch, value
    places = np.zeros(len(slot), PLACE_RECORD)
    places["interval"], places["event"] = interval, event
    return [
        slots.tobytes(),
        powers.tobytes(),
        places.tobytes(),
        runs.tobytes(),
        sums.astype("<f8").tobytes(),
        counts.astype("<i4").tobytes(),
        slot_events.tobytes(),
    ]


def script_input(
    enterprise_id: str, events: Sequence[EventReadings]
) -> tuple[list[str | bytes], list[str | int | bytes]]:
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
    keys: list[str | bytes] = [
        tenant_key(enterprise_id, "applied", "telemetry", e.event_id) for e in events
    ]
    keys.extend(_slot_keys(enterprise_id, m.asset_ids, slots))
    slot = np.sort(power_slot)
    power_args = _power_args(
        slot - 1,
        m.epoch[order],
        m.value[order],
        m.interval[order],
        m.event[order],
        len(slots),
        np.unique(inverse[len(power) :]) - 1,
    )
    args: list[str | int | bytes] = [
        APPLIED_TTL_S,
        repr(1 / INTERVAL_HOURS),
        INTERVAL_SECONDS,
        len(events),
        *power_args,
        records.tobytes(),
    ]
    return keys, args
