"""Delivered energy per asset and interval: reduction below baseline while instructed."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from bidding.intervals import INTERVAL_HOURS, INTERVALS_PER_DAY
from settlement.exceptions import InvalidInput
from settlement.money import WH_PER_KWH, kwh_to_wh, kwh_to_wh_array
from settlement.program import ProgramRules

LINE_COLUMNS = [
    "enterprise_id",
    "asset_id",
    "interval",
    "baseline_kw",
    "metered_kw",
    "instructed_kw",
    "estimated",
    "instructed",
    "excluded_estimated",
    "instructed_wh",
    "delivered_wh",
    "delivered_kwh",
]
_FLOAT_EXACT_WH = 2**53
_SUM_SAFE_WH = 2**62


@dataclass(frozen=True)
class MeteredInterval:
    """One asset in one interval: its baseline, what the meter saw, what the VPP asked for.

    `instructed_kw` is the reduction the VPP dispatched to the asset (0 = not called).
    `estimated` marks gap-filled meter data. Construction raises InvalidInput for empty
    ids, an interval outside 0..95, non-finite power or a negative instruction.
    """

    enterprise_id: str
    asset_id: str
    interval: int
    baseline_kw: float
    metered_kw: float
    instructed_kw: float
    estimated: bool = False

    def __post_init__(self) -> None:
        for key in ("enterprise_id", "asset_id"):
            value = getattr(self, key)
            if not isinstance(value, str) or not value:
                raise InvalidInput(key, f"must be a non-empty string, got {value!r}")
        if isinstance(self.interval, bool) or not isinstance(self.interval, int):
            raise InvalidInput("interval", f"must be an integer, got {self.interval!r}")
        if not 0 <= self.interval < INTERVALS_PER_DAY:
            raise InvalidInput(
                "interval", f"must be 0..{INTERVALS_PER_DAY - 1}, got {self.interval}"
            )
        for key in ("baseline_kw", "metered_kw", "instructed_kw"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidInput(key, f"must be a number, got {value!r}")
            if not math.isfinite(value):
                raise InvalidInput(key, f"must be finite, got {value!r}")
            object.__setattr__(self, key, float(value) + 0.0)  # normalise -0.0 and ints
        if self.instructed_kw < 0:
            raise InvalidInput("instructed_kw", f"must not be negative, got {self.instructed_kw}")
        if not isinstance(self.estimated, bool):
            raise InvalidInput("estimated", f"must be true or false, got {self.estimated!r}")

    @property
    def instructed(self) -> bool:
        """Whether the VPP called this asset in this interval."""
        return self.instructed_kw > 0


def interval_wh(kw: float) -> int:
    """Energy in whole Wh of holding `kw` for one interval (nearest Wh, see kwh_to_wh)."""
    return kwh_to_wh(kw * INTERVAL_HOURS)


def interval_wh_array(kw: np.ndarray) -> np.ndarray:
    """`interval_wh` of every element, as int64 Wh (see kwh_to_wh_array)."""
    return kwh_to_wh_array(np.asarray(kw, dtype=np.float64) * INTERVAL_HOURS)


@dataclass(frozen=True, eq=False)
class MeteredColumns:
    """Many MeteredIntervals as columns, one array element per (asset, interval) row.

    Assets are listed once: `asset_ids` (distinct) with `enterprise_ids` their owners,
    so an asset cannot belong to two enterprises. Row i is asset `asset_ids[asset_index[i]]`
    in `interval[i]`, with the fields of a MeteredInterval. Settling works on this form,
    without one Python object per row; `from_rows` builds it from MeteredIntervals.

    Construction checks every row like MeteredInterval does and raises InvalidInput
    naming the first bad one (`rows[i].interval`, `rows[i]` for a duplicate
    (asset, interval)), or `asset_ids[j]` / `enterprise_ids[j]` for a bad asset entry.
    """

    asset_ids: Sequence[str]
    enterprise_ids: Sequence[str]
    asset_index: np.ndarray
    interval: np.ndarray
    baseline_kw: np.ndarray
    metered_kw: np.ndarray
    instructed_kw: np.ndarray
    estimated: np.ndarray

    def __post_init__(self) -> None:
        assets, owners = _checked_assets(self.asset_ids, self.enterprise_ids)
        object.__setattr__(self, "asset_ids", assets)
        object.__setattr__(self, "enterprise_ids", owners)
        n = len(np.asarray(self.asset_index))
        index = _int_column(self.asset_index, "asset_index", n, 0, len(assets))
        interval = _int_column(self.interval, "interval", n, 0, INTERVALS_PER_DAY)
        object.__setattr__(self, "asset_index", index)
        object.__setattr__(self, "interval", interval)
        for key in ("baseline_kw", "metered_kw", "instructed_kw"):
            object.__setattr__(self, key, _float_column(getattr(self, key), key, n))
        negative = np.flatnonzero(self.instructed_kw < 0)
        if len(negative):
            i = int(negative[0])
            raise InvalidInput(
                f"rows[{i}].instructed_kw", f"must not be negative, got {self.instructed_kw[i]}"
            )
        estimated = np.asarray(self.estimated)
        if estimated.dtype != np.bool_ or estimated.shape != (n,):
            raise InvalidInput("estimated", f"must be {n} booleans, got {estimated.dtype}")
        object.__setattr__(self, "estimated", estimated)
        _check_unique_rows(assets, index, interval)

    def __len__(self) -> int:
        return len(self.interval)

    @classmethod
    def from_rows(cls, rows: Sequence[MeteredInterval]) -> MeteredColumns:
        """Columns of `rows`, in their order.

        Raises InvalidInput("rows[i]") when an element is not a MeteredInterval or repeats
        an (asset, interval), and InvalidInput("rows[i].enterprise_id") when one asset is
        reported under two enterprises; the first offending row is named.
        """
        owner: dict[str, str] = {}
        position: dict[str, int] = {}
        seen: set[tuple[str, int]] = set()
        for i, row in enumerate(rows):
            if not isinstance(row, MeteredInterval):
                raise InvalidInput(f"rows[{i}]", "must be a MeteredInterval")
            if owner.setdefault(row.asset_id, row.enterprise_id) != row.enterprise_id:
                raise InvalidInput(
                    f"rows[{i}].enterprise_id",
                    f"asset {row.asset_id} already belongs to {owner[row.asset_id]}",
                )
            if (row.asset_id, row.interval) in seen:
                raise InvalidInput(
                    f"rows[{i}]", f"duplicate row for asset {row.asset_id} interval {row.interval}"
                )
            seen.add((row.asset_id, row.interval))
            position.setdefault(row.asset_id, len(position))
        return cls(
            asset_ids=list(owner),
            enterprise_ids=list(owner.values()),
            asset_index=np.array([position[r.asset_id] for r in rows], dtype=np.int64),
            interval=np.array([r.interval for r in rows], dtype=np.int64),
            baseline_kw=np.array([r.baseline_kw for r in rows], dtype=np.float64),
            metered_kw=np.array([r.metered_kw for r in rows], dtype=np.float64),
            instructed_kw=np.array([r.instructed_kw for r in rows], dtype=np.float64),
            estimated=np.array([r.estimated for r in rows], dtype=np.bool_),
        )

    def digest_rows(self) -> list[list[Any]]:
        """Each row as [enterprise, asset, interval, baseline, metered, instructed, estimated]."""
        assets = np.array(self.asset_ids, dtype=object)[self.asset_index].tolist()
        owners = np.array(self.enterprise_ids, dtype=object)[self.asset_index].tolist()
        return [
            list(r)
            for r in zip(
                owners,
                assets,
                self.interval.tolist(),
                self.baseline_kw.tolist(),
                self.metered_kw.tolist(),
                self.instructed_kw.tolist(),
                self.estimated.tolist(),
                strict=True,
            )
        ]


def as_columns(rows: Sequence[MeteredInterval] | MeteredColumns) -> MeteredColumns:
    """`rows` as MeteredColumns (unchanged when they already are); see `from_rows`."""
    return rows if isinstance(rows, MeteredColumns) else MeteredColumns.from_rows(rows)


def _checked_assets(
    asset_ids: Sequence[str], enterprise_ids: Sequence[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    assets, owners = tuple(asset_ids), tuple(enterprise_ids)
    if len(assets) != len(owners):
        raise InvalidInput(
            "enterprise_ids", f"need one per asset: {len(owners)} for {len(assets)} assets"
        )
    for name, values in (("asset_ids", assets), ("enterprise_ids", owners)):
        for j, value in enumerate(values):
            if not isinstance(value, str) or not value:
                raise InvalidInput(f"{name}[{j}]", f"must be a non-empty string, got {value!r}")
    if len(set(assets)) != len(assets):
        seen: set[str] = set()
        j = next(j for j, a in enumerate(assets) if a in seen or seen.add(a))
        raise InvalidInput(f"asset_ids[{j}]", f"asset {assets[j]} is listed twice")
    return assets, owners


def _int_column(values: Any, key: str, n: int, low: int, high: int) -> np.ndarray:
    array = np.asarray(values)
    if array.shape != (n,) or (n and not np.issubdtype(array.dtype, np.integer)):
        raise InvalidInput(key, f"must be {n} integers, got {array.dtype} {array.shape}")
    array = array.astype(np.int64)
    bad = np.flatnonzero((array < low) | (array >= high))
    if len(bad):
        i = int(bad[0])
        raise InvalidInput(f"rows[{i}].{key}", f"must be {low}..{high - 1}, got {array[i]}")
    return array


def _float_column(values: Any, key: str, n: int) -> np.ndarray:
    array = np.asarray(values)
    numeric = np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)
    if array.shape != (n,) or (n and not numeric):
        raise InvalidInput(key, f"must be {n} numbers, got {array.dtype} {array.shape}")
    array = array.astype(np.float64) + 0.0  # normalise -0.0 and ints, as MeteredInterval does
    bad = np.flatnonzero(~np.isfinite(array))
    if len(bad):
        i = int(bad[0])
        raise InvalidInput(f"rows[{i}].{key}", f"must be finite, got {array[i]!r}")
    return array


def _check_unique_rows(assets: tuple[str, ...], index: np.ndarray, interval: np.ndarray) -> None:
    """Raises InvalidInput("rows[i]") at the first row repeating an earlier (asset, interval)."""
    slot = index * INTERVALS_PER_DAY + interval
    if len(slot) < 2 or (slot[1:] > slot[:-1]).all():
        return
    if np.bincount(slot, minlength=len(assets) * INTERVALS_PER_DAY).max() < 2:
        return
    _, first = np.unique(slot, return_index=True)
    repeated = np.ones(len(slot), dtype=bool)
    repeated[first] = False
    i = int(np.flatnonzero(repeated)[0])
    raise InvalidInput(
        f"rows[{i}]",
        f"duplicate row for asset {assets[index[i]]} interval {interval[i]}",
    )


def delivered_wh(row: MeteredInterval, program: ProgramRules) -> int:
    """Wh the asset delivered: reduction below baseline, only while instructed.

    Why: the market pays for reductions it asked for, so delivery outside an
    instruction counts 0, a load above its baseline counts 0 (never negative), and
    estimated data counts 0 when the program does not settle it.
    """
    columns = MeteredColumns.from_rows([row])
    return int(_delivered(columns, program)[0][0])


def _delivered(columns: MeteredColumns, program: ProgramRules) -> tuple[np.ndarray, np.ndarray]:
    """(delivered Wh, excluded_estimated) per row; see `delivered_wh` for the rule."""
    instructed = columns.instructed_kw > 0
    excluded = instructed & columns.estimated & (not program.settle_estimated)
    counted = np.flatnonzero(instructed & ~excluded)
    delivered = np.zeros(len(columns), dtype=np.int64)
    reduction_kw = columns.baseline_kw[counted] - columns.metered_kw[counted]
    delivered[counted] = interval_wh_array(np.maximum(0.0, reduction_kw))
    return delivered, excluded


@dataclass(frozen=True)
class Lines:
    """The rows as settled lines, sorted by enterprise, asset and interval (int64 Wh).

    `asset` indexes `columns.asset_ids`; `enterprise` indexes `enterprise_ids`, the
    sorted distinct owners of assets that have rows, and `sizes` counts each one's lines.
    """

    columns: MeteredColumns
    order: np.ndarray
    asset: np.ndarray
    enterprise: np.ndarray
    enterprise_ids: tuple[str, ...]
    sizes: np.ndarray
    instructed_wh: np.ndarray
    delivered_wh: np.ndarray
    excluded_estimated: np.ndarray

    def __len__(self) -> int:
        return len(self.order)

    def column(self, key: str) -> np.ndarray:
        """A MeteredColumns field in line order."""
        return getattr(self.columns, key)[self.order]

    def keys(self, positions: np.ndarray) -> list[str]:
        """Tie-break keys "asset/interval" (two-digit interval) of lines at `positions`."""
        assets = self.columns.asset_ids
        intervals = self.columns.interval[self.order[positions]].tolist()
        return [
            f"{assets[a]}/{i:02d}"
            for a, i in zip(self.asset[positions].tolist(), intervals, strict=True)
        ]

    def frame(self) -> pd.DataFrame:
        """The lines as a DataFrame with LINE_COLUMNS, index 0..n-1."""
        cols = self.columns
        if len(self):
            owners = pd.array(list(cols.enterprise_ids), dtype="str").take(self.asset)
            assets = pd.array(list(cols.asset_ids), dtype="str").take(self.asset)
        else:
            owners = assets = np.array([], dtype=object)
        instructed_kw = self.column("instructed_kw")
        data = {
            "enterprise_id": owners,
            "asset_id": assets,
            "interval": self.column("interval"),
            "baseline_kw": self.column("baseline_kw"),
            "metered_kw": self.column("metered_kw"),
            "instructed_kw": instructed_kw,
            "estimated": self.column("estimated"),
            "instructed": instructed_kw > 0,
            "excluded_estimated": self.excluded_estimated,
            "instructed_wh": self.instructed_wh,
            "delivered_wh": self.delivered_wh,
            "delivered_kwh": _kwh(self.delivered_wh),
        }
        return pd.DataFrame(data, columns=LINE_COLUMNS)


def settled_lines(rows: Sequence[MeteredInterval] | MeteredColumns, program: ProgramRules) -> Lines:
    """Instructed and delivered Wh of every row, in (enterprise, asset, interval) order.

    Raises InvalidInput as MeteredColumns / from_rows do, or ("rows") when the energy
    is too large to add up in int64 Wh.
    """
    columns = as_columns(rows)
    owners = columns.enterprise_ids
    enterprise_ids = tuple(sorted(set(owners[a] for a in np.unique(columns.asset_index).tolist())))
    rank = np.zeros(len(columns.asset_ids), dtype=np.int64)
    by_owner = sorted(range(len(owners)), key=lambda a: (owners[a], columns.asset_ids[a]))
    rank[by_owner] = np.arange(len(by_owner))
    slot = rank[columns.asset_index] * INTERVALS_PER_DAY + columns.interval
    if len(slot) < 2 or (slot[1:] > slot[:-1]).all():
        order = np.arange(len(slot))
    else:  # slots are distinct and bounded: place each row at its slot, no comparison sort
        at = np.full(len(owners) * INTERVALS_PER_DAY, -1, dtype=np.int64)
        at[slot] = np.arange(len(slot))
        order = at[at >= 0]
    asset = columns.asset_index[order]
    enterprise_of_asset = np.zeros(len(owners), dtype=np.int64)
    position = {e: k for k, e in enumerate(enterprise_ids)}
    for a in np.unique(asset).tolist():
        enterprise_of_asset[a] = position[owners[a]]
    enterprise = enterprise_of_asset[asset]
    delivered, excluded = _delivered(columns, program)
    instructed_wh = interval_wh_array(columns.instructed_kw)
    for wh in (delivered, instructed_wh):
        if len(wh) and int(np.abs(wh).max()) * len(wh) >= _SUM_SAFE_WH:
            raise InvalidInput("rows", "energy too large to add up in int64 Wh")
    return Lines(
        columns=columns,
        order=order,
        asset=asset,
        enterprise=enterprise,
        enterprise_ids=enterprise_ids,
        sizes=np.bincount(enterprise, minlength=len(enterprise_ids)),
        instructed_wh=instructed_wh[order],
        delivered_wh=delivered[order],
        excluded_estimated=excluded[order],
    )


def delivery_lines(
    rows: Sequence[MeteredInterval] | MeteredColumns, program: ProgramRules
) -> pd.DataFrame:
    """One line per row with instructed and delivered Wh, sorted by enterprise, asset, interval.

    `excluded_estimated` flags lines whose estimated delivery the program did not count.
    Raises InvalidInput when an element is not a MeteredInterval, an (asset, interval)
    appears twice or one asset is reported under two enterprises.
    """
    return settled_lines(rows, program).frame()


def _kwh(wh: np.ndarray) -> np.ndarray:
    """Wh as float kWh, each the float nearest the exact value (as float(Fraction(wh, 1000)))."""
    kwh = wh.astype(np.float64) / WH_PER_KWH
    for i in np.flatnonzero(np.abs(wh) >= _FLOAT_EXACT_WH).tolist():
        kwh[i] = float(Fraction(int(wh[i]), WH_PER_KWH))
    return kwh
