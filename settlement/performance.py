"""Delivered energy per asset and interval: reduction below baseline while instructed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

from bidding.intervals import INTERVAL_HOURS, INTERVALS_PER_DAY
from settlement.exceptions import InvalidInput
from settlement.meter_data import MeteredColumns, MeteredInterval, as_columns
from settlement.money import WH_PER_KWH, kwh_to_wh, kwh_to_wh_array
from settlement.program import ProgramRules

__all__ = [
    "LINE_COLUMNS",
    "Lines",
    "MeteredColumns",
    "MeteredInterval",
    "delivered_wh",
    "delivery_lines",
    "interval_wh",
    "interval_wh_array",
    "settled_lines",
]

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


def interval_wh(kw: float) -> int:
    """Energy in whole Wh of holding `kw` for one interval (nearest Wh, see kwh_to_wh)."""
    return kwh_to_wh(kw * INTERVAL_HOURS)


def interval_wh_array(kw: np.ndarray) -> np.ndarray:
    """`interval_wh` of every element, as int64 Wh (see kwh_to_wh_array)."""
    return kwh_to_wh_array(np.asarray(kw, dtype=np.float64) * INTERVAL_HOURS)


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
    present = np.flatnonzero(np.bincount(columns.asset_index, minlength=len(owners))).tolist()
    enterprise_ids = tuple(sorted({owners[a] for a in present}))
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
    for a in present:
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
