"""Meter readings as numpy columns: one form for rows and packed columns, checked vectorised.

Both wire forms of a ReadingBatch (rows of `Reading`, packed `ReadingColumns`) become one
`Columns` value here, and everything after that (the checks, deduplication, the split
into one event per enterprise, the rollup step) sees only columns: so the two forms give
the same summary, events and rollups by construction, and the per-reading work is numpy's.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from operator import itemgetter

import numpy as np

from bidding.intervals import INTERVAL, MARKET_TZ
from parkvpp.v1 import telemetry_pb2 as pb
from services.runtime.errors import InvalidArgument

#: Value kinds of a column entry (telemetry.proto's ReadingValueKind).
MISSING, POWER, REGISTER = 0, 1, 2
KIND_OF_ONEOF = {"power_kw": POWER, "energy_register_kwh": REGISTER}
#: Timestamps outside 2000-01-01 .. 2100-01-01 are refused before any date arithmetic.
MIN_EPOCH_S = 946_684_800
MAX_EPOCH_S = 4_102_444_800
#: Largest value a meter of a park asset can report, per reading kind: beyond is a bad value
#: (1 TW of power; a register of 1e12 kWh, a century of a 1 GW plant's output).
MAX_POWER_KW = 1e9
MAX_REGISTER_KWH = 1e12
#: Readings stamped further ahead than this are refused as clock errors.
MAX_FUTURE = timedelta(minutes=5)
#: Readings older than this are refused as late (settlement of that period is closed).
MAX_AGE = timedelta(days=400)
INTERVAL_SECONDS = int(INTERVAL.total_seconds())
DAY_SECONDS = 86_400
#: The market's UTC offset in the accepted timestamp range (China keeps no summer time
#: since 1991); `locate_period_ends` relies on it, and a test holds it to the datetime rule.
MARKET_OFFSET_S = int(MARKET_TZ.utcoffset(datetime(2000, 1, 1)).total_seconds())  # type: ignore[union-attr]
EPOCH_DAY = date(1970, 1, 1)

#: Reasons a reading is refused, in the order they are tried (the first that holds wins).
REASONS = (
    "unknown_asset",
    "missing_value",
    "not_finite",
    "out_of_range",
    "negative",
    "missing_timestamp",
    "too_old",
    "future_timestamp",
)
REGISTER_OFF_INTERVAL = "register_off_interval"


@dataclass(frozen=True)
class Columns:
    """Readings as columns: `asset_index` points into the `asset_ids` table."""

    asset_ids: tuple[str, ...]
    asset_index: np.ndarray  # int64
    epoch_s: np.ndarray  # int64, end of the metering period
    values: np.ndarray  # float64
    kinds: np.ndarray  # int8: MISSING, POWER or REGISTER

    def __len__(self) -> int:
        return len(self.epoch_s)

    def take(self, rows: np.ndarray) -> Columns:
        """The readings at `rows` (indices or a mask), with the asset table kept whole."""
        return Columns(
            self.asset_ids,
            self.asset_index[rows],
            self.epoch_s[rows],
            self.values[rows],
            self.kinds[rows],
        )

    def compact(self) -> Columns:
        """The same readings with an asset table of only the assets they use."""
        return self._compact()[0]

    def _compact(self) -> tuple[Columns, np.ndarray]:
        """`compact()` and the entries of this table it kept."""
        used, local = np.unique(self.asset_index, return_inverse=True)
        ids = _pick(self.asset_ids, used)
        compact = Columns(
            ids, local.reshape(-1).astype(np.int64), self.epoch_s, self.values, self.kinds
        )
        return compact, used

    def to_message(self, message: pb.ReadingColumns | None = None) -> pb.ReadingColumns:
        """The packed form, written into `message` when given; `kinds` stays empty when
        every reading is power (as `from_message` reads it)."""
        message = pb.ReadingColumns() if message is None else message
        message.asset_ids.extend(self.asset_ids)
        message.asset_index.extend(self.asset_index.tolist())
        message.timestamp_seconds.extend(self.epoch_s.tolist())
        message.values.extend(self.values.tolist())
        if not bool((self.kinds == POWER).all()):
            message.kinds.extend(self.kinds.tolist())
        return message


def empty() -> Columns:
    return from_arrays((), [], [], [], [])


def from_arrays(
    asset_ids: Sequence[str],
    asset_index: Sequence[int] | np.ndarray,
    epoch_s: Sequence[int] | np.ndarray,
    values: Sequence[float] | np.ndarray,
    kinds: Sequence[int] | np.ndarray,
) -> Columns:
    return Columns(
        tuple(asset_ids),
        np.asarray(asset_index, dtype=np.int64),
        np.asarray(epoch_s, dtype=np.int64),
        np.asarray(values, dtype=np.float64),
        np.asarray(kinds, dtype=np.int8),
    )


def from_rows(readings: Sequence[pb.Reading]) -> Columns:
    """The row form as columns (a reading without a value gets kind MISSING)."""
    table: dict[str, int] = {}
    index, epochs, values, kinds = [], [], [], []
    for reading in readings:
        index.append(table.setdefault(reading.asset_id, len(table)))
        epochs.append(reading.timestamp.seconds)
        kind = reading.WhichOneof("value")
        kinds.append(KIND_OF_ONEOF[kind] if kind else MISSING)
        values.append(getattr(reading, kind) if kind else 0.0)
    return from_arrays(list(table), index, epochs, values, kinds)


def from_message(message: pb.ReadingColumns, field: str = "columns") -> Columns:
    """The packed form as columns; InvalidArgument naming the column that does not fit.

    Every column holds one entry per reading (`kinds` may be empty: all power), each
    asset index points into `asset_ids`, and each kind is one of ReadingValueKind.
    """
    count = len(message.timestamp_seconds)
    for name in ("asset_index", "values"):
        if len(getattr(message, name)) != count:
            raise InvalidArgument(f"{field}.{name}", f"must hold {count} entries, one a reading")
    if len(message.kinds) not in (0, count):
        raise InvalidArgument(f"{field}.kinds", f"must be empty or hold {count} entries")
    index = np.fromiter(message.asset_index, dtype=np.int64, count=count)
    if count and int(index.max()) >= len(message.asset_ids):
        raise InvalidArgument(
            f"{field}.asset_index", f"must be below {len(message.asset_ids)} (asset_ids)"
        )
    kinds = (
        np.fromiter(message.kinds, dtype=np.int64, count=count)
        if len(message.kinds)
        else np.full(count, POWER)
    )
    if count and not bool(((kinds >= MISSING) & (kinds <= REGISTER)).all()):
        raise InvalidArgument(f"{field}.kinds", "must be ReadingValueKind values")
    return Columns(
        tuple(message.asset_ids),
        index,
        np.fromiter(message.timestamp_seconds, dtype=np.int64, count=count),
        np.fromiter(message.values, dtype=np.float64, count=count),
        kinds.astype(np.int8),
    )


def from_batch(batch: pb.ReadingBatch) -> Columns:
    """All readings of a batch: its rows, then its columns."""
    if not batch.readings:
        return from_message(batch.columns)
    rows = from_rows(batch.readings)
    if not len(batch.columns.timestamp_seconds):
        return rows
    return concat(rows, from_message(batch.columns))


def concat(first: Columns, second: Columns) -> Columns:
    """`first`'s readings followed by `second`'s, on one asset table."""
    table = {asset_id: n for n, asset_id in enumerate(first.asset_ids)}
    remap = np.array(
        [table.setdefault(a, len(table)) for a in second.asset_ids], dtype=np.int64
    ).reshape(-1)
    return Columns(
        tuple(table),
        np.concatenate([first.asset_index, remap[second.asset_index]]),
        np.concatenate([first.epoch_s, second.epoch_s]),
        np.concatenate([first.values, second.values]),
        np.concatenate([first.kinds, second.kinds]),
    )


@dataclass(frozen=True)
class AssetFacts:
    """What the checks need of each entry of an asset table, as aligned arrays."""

    visible: np.ndarray  # bool: known, not withdrawn, the caller's to send
    battery: np.ndarray  # bool: may report negative power


def refusals(columns: Columns, facts: AssetFacts, now: datetime) -> np.ndarray:
    """Per reading the index into REASONS (+1) of why it is refused, 0 when accepted.

    Index len(REASONS) + 1 is REGISTER_OFF_INTERVAL (see `reason_names`). The rules, in
    order: unknown or foreign asset, no value, value not finite, beyond MAX_*, negative
    (only battery power may be), no timestamp, outside 2000-2100, more than MAX_FUTURE
    ahead of `now`, older than MAX_AGE, a register not read at an interval end.
    """
    asset, epoch, values, kinds = (
        columns.asset_index,
        columns.epoch_s,
        columns.values,
        columns.kinds,
    )
    register = kinds == REGISTER
    now_s = now.timestamp()
    with np.errstate(invalid="ignore"):
        magnitude = np.abs(values)
        conditions = [
            ~facts.visible[asset],
            kinds == MISSING,
            ~np.isfinite(values),
            magnitude > np.where(register, MAX_REGISTER_KWH, MAX_POWER_KW),
            (values < 0) & (register | ~facts.battery[asset]),
            epoch == 0,
            (epoch < MIN_EPOCH_S) | (epoch < now_s - MAX_AGE.total_seconds()),
            (epoch > MAX_EPOCH_S) | (epoch > now_s + MAX_FUTURE.total_seconds()),
            register & (epoch % INTERVAL_SECONDS != 0),
        ]
    choices = list(range(1, len(conditions) + 1))
    return np.select(conditions, choices, default=0)


def reason_names() -> tuple[str, ...]:
    """Names of the codes `refusals` returns, code 1 first."""
    return (*REASONS, REGISTER_OFF_INTERVAL)


def first_of_each(columns: Columns) -> np.ndarray:
    """Indices (ascending) of the first reading of each (asset, kind, timestamp).

    For checked readings (timestamps within 2000..2100, so below 2**33). A later repeat
    changes nothing in the rollups (the first value is kept), so it need not travel: this
    is the deduplication of a batch.
    """
    if len(columns) == 0:
        return np.zeros(0, dtype=np.int64)
    key = (columns.asset_index << 36) | (columns.kinds.astype(np.int64) << 33) | columns.epoch_s
    _, first = np.unique(key, return_index=True)
    return np.sort(first)


def _pick(items: tuple[str, ...], at: np.ndarray) -> tuple[str, ...]:
    """items[at] as a tuple (one C call, not a generator over the entries)."""
    if len(at) == 0:
        return ()
    if len(at) == 1:
        return (items[int(at[0])],)
    return itemgetter(*at.tolist())(items)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Owners:
    """The enterprise of each entry of an asset table: `codes` into `names` (sorted)."""

    names: tuple[str, ...]
    codes: np.ndarray  # int64, aligned with the asset table

    @classmethod
    def of(cls, owners: Sequence[str]) -> Owners:
        names = sorted(set(owners))
        number = {name: n for n, name in enumerate(names)}
        return cls(tuple(names), np.array([number[o] for o in owners], dtype=np.int64).reshape(-1))


def _parts(columns: Columns, owners: Owners) -> Iterator[tuple[str, Columns, np.ndarray]]:
    """Per enterprise with readings (by name): its readings with a compact asset table,
    reading order kept, and the entries of `columns`' table that table holds."""
    owner_of_reading = owners.codes[columns.asset_index]
    order = np.argsort(owner_of_reading, kind="stable")  # by owner, reading order kept
    counts = np.bincount(owner_of_reading, minlength=len(owners.names))
    ends = np.cumsum(counts)
    for n in np.flatnonzero(counts).tolist():
        part, used = columns.take(order[ends[n] - counts[n] : ends[n]])._compact()
        yield owners.names[n], part, used


def locate_period_ends(epoch_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(market day as days since 1970-01-01, interval) of metering periods ending at
    `epoch_s`: the vectorised form of bidding.intervals.locate_period_end for whole
    seconds in 2000..2100 (a period ending at local midnight is the previous day's last)."""
    local = epoch_s + (MARKET_OFFSET_S - 1)
    return local // DAY_SECONDS, (local % DAY_SECONDS) // INTERVAL_SECONDS


def day_of(day_number: int) -> date:
    return EPOCH_DAY + timedelta(days=day_number)


def day_number(day: date) -> int:
    return (day - EPOCH_DAY).days


def accepted_events(
    readings: Columns, owners: Sequence[str] | Owners, bidirectional: Sequence[bool] | np.ndarray
) -> dict[str, pb.ReadingsAcceptedColumns]:
    """The event payload per enterprise of a batch's accepted, deduplicated readings
    (`owners` and `bidirectional` aligned with the asset table)."""
    owners = owners if isinstance(owners, Owners) else Owners.of(owners)
    flags = np.asarray(bidirectional, dtype=bool).reshape(-1)
    events = {}
    for enterprise_id, part, used in _parts(readings, owners):
        event = pb.ReadingsAcceptedColumns(bidirectional=flags[used].tolist())
        part.to_message(event.columns)  # written in place, not built and copied
        events[enterprise_id] = event
    return events
