"""Meter data to settle: one MeteredInterval per row, or many rows as MeteredColumns."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bidding.intervals import INTERVALS_PER_DAY
from settlement.exceptions import InvalidInput


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
        object.__setattr__(self, "estimated", estimated.copy())
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
        rows = list(rows)
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
    return tuple(str(a) for a in assets), tuple(str(e) for e in owners)


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
