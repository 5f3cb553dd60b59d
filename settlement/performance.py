"""Delivered energy per asset and interval: reduction below baseline while instructed."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import pandas as pd

from bidding.intervals import INTERVAL_HOURS, INTERVALS_PER_DAY
from settlement.exceptions import InvalidInput
from settlement.money import WH_PER_KWH, kwh_to_wh
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


def delivered_wh(row: MeteredInterval, program: ProgramRules) -> int:
    """Wh the asset delivered: reduction below baseline, only while instructed.

    Why: the market pays for reductions it asked for, so delivery outside an
    instruction counts 0, a load above its baseline counts 0 (never negative), and
    estimated data counts 0 when the program does not settle it.
    """
    if not row.instructed or (row.estimated and not program.settle_estimated):
        return 0
    return interval_wh(max(0.0, row.baseline_kw - row.metered_kw))


def delivery_lines(rows: Sequence[MeteredInterval], program: ProgramRules) -> pd.DataFrame:
    """One line per row with instructed and delivered Wh, sorted by enterprise, asset, interval.

    `excluded_estimated` flags lines whose estimated delivery the program did not count.
    Raises InvalidInput when an element is not a MeteredInterval, an (asset, interval)
    appears twice or one asset is reported under two enterprises.
    """
    owner: dict[str, str] = {}
    seen: set[tuple[str, int]] = set()
    records = []
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
        wh = delivered_wh(row, program)
        records.append(
            {
                "enterprise_id": row.enterprise_id,
                "asset_id": row.asset_id,
                "interval": row.interval,
                "baseline_kw": row.baseline_kw,
                "metered_kw": row.metered_kw,
                "instructed_kw": row.instructed_kw,
                "estimated": row.estimated,
                "instructed": row.instructed,
                "excluded_estimated": row.instructed
                and row.estimated
                and not program.settle_estimated,
                "instructed_wh": interval_wh(row.instructed_kw),
                "delivered_wh": wh,
                "delivered_kwh": float(Fraction(wh, WH_PER_KWH)),
            }
        )
    frame = pd.DataFrame.from_records(records, columns=LINE_COLUMNS)
    frame = frame.astype(
        {
            "interval": "int64",
            "instructed_wh": "int64",
            "delivered_wh": "int64",
            "estimated": "bool",
            "instructed": "bool",
            "excluded_estimated": "bool",
            "baseline_kw": "float64",
            "metered_kw": "float64",
            "instructed_kw": "float64",
            "delivered_kwh": "float64",
        }
    )
    return frame.sort_values(["enterprise_id", "asset_id", "interval"], ignore_index=True)
