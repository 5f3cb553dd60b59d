"""An enterprise's statements over a period as one table of lines, and its per-interval profile.

The service layer reads each day's statement (GetStatement) and hands the plain lines
here; this module checks that every day's lines add up to that day's amount, so an
export whose money sums to the statement totals to the fen is the only kind it builds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

from bidding.intervals import INTERVALS_PER_DAY, MARKET_TZ, interval_start
from settlement.exceptions import InvalidInput

#: Columns of an exported statement, in order; money in integer fen.
EXPORT_COLUMNS = [
    "enterprise_id",
    "market_day",
    "version",
    "asset_id",
    "interval",
    "interval_start_local",
    "baseline_kw",
    "metered_kw",
    "awarded_kw",
    "delivered_kwh",
    "clearing_price_fen_per_mwh",
    "estimated",
    "amount_fen",
]
EXPORT_DTYPES = {
    "enterprise_id": "string",
    "market_day": "string",
    "version": "int64",
    "asset_id": "string",
    "interval": "int64",
    "interval_start_local": "string",
    "baseline_kw": "float64",
    "metered_kw": "float64",
    "awarded_kw": "float64",
    "delivered_kwh": "float64",
    "clearing_price_fen_per_mwh": "int64",
    "estimated": "bool",
    "amount_fen": "int64",
}
#: Per-line fields a day's statement must carry (the awarded kW is the asset's instruction).
LINE_FIELDS = (
    "asset_id",
    "interval",
    "baseline_kw",
    "metered_kw",
    "instructed_kw",
    "delivered_kwh",
    "clearing_price_fen_per_mwh",
    "estimated",
    "amount_fen",
)


@dataclass(frozen=True)
class DayStatement:
    """One settled day of one enterprise: the version read, its amount and its lines."""

    enterprise_id: str
    market_day: date
    version: int
    amount_fen: int
    lines: Sequence[Mapping[str, object]]


def _rows(day: DayStatement) -> list[dict[str, object]]:
    rows = []
    for n, line in enumerate(day.lines):
        missing = [name for name in LINE_FIELDS if name not in line]
        if missing:
            raise InvalidInput(f"{day.market_day}.lines[{n}]", f"lacks {', '.join(missing)}")
        interval = line["interval"]
        if not isinstance(interval, int) or not 0 <= interval < INTERVALS_PER_DAY:
            raise InvalidInput(f"{day.market_day}.lines[{n}].interval", "must be 0..95")
        start = interval_start(day.market_day, interval).astimezone(MARKET_TZ)
        rows.append(
            {
                "enterprise_id": day.enterprise_id,
                "market_day": day.market_day.isoformat(),
                "version": day.version,
                "asset_id": line["asset_id"],
                "interval": interval,
                "interval_start_local": start.isoformat(),
                "baseline_kw": line["baseline_kw"],
                "metered_kw": line["metered_kw"],
                "awarded_kw": line["instructed_kw"],
                "delivered_kwh": line["delivered_kwh"],
                "clearing_price_fen_per_mwh": line["clearing_price_fen_per_mwh"],
                "estimated": line["estimated"],
                "amount_fen": line["amount_fen"],
            }
        )
    total = sum(int(row["amount_fen"]) for row in rows)  # type: ignore[call-overload]
    if total != day.amount_fen:
        raise InvalidInput(
            f"{day.market_day}.lines",
            f"amounts sum to {total} fen, the statement says {day.amount_fen} fen",
        )
    return rows


def period_frame(days: Sequence[DayStatement]) -> pd.DataFrame:
    """Every line of `days`, by market day, asset and interval, typed as EXPORT_DTYPES.

    `amount_fen` sums to `period_total_fen(days)` exactly. Raises InvalidInput when a
    day's lines do not add up to its amount, a line lacks a field or names an interval
    outside 0..95, or two statements are for the same day.
    """
    seen: set[date] = set()
    rows: list[dict[str, object]] = []
    for day in sorted(days, key=lambda d: d.market_day):
        if day.market_day in seen:
            raise InvalidInput("days", f"{day.market_day} appears twice")
        seen.add(day.market_day)
        rows.extend(_rows(day))
    frame = pd.DataFrame(rows, columns=EXPORT_COLUMNS).astype(EXPORT_DTYPES)
    return frame.sort_values(["market_day", "asset_id", "interval"], ignore_index=True)


def period_total_fen(days: Sequence[DayStatement]) -> int:
    """The statements' total: the sum of each day's amount, in fen."""
    return sum(day.amount_fen for day in days)


def interval_profile(frame: pd.DataFrame) -> pd.DataFrame:
    """Baseline, metered and awarded kW summed over the enterprise's assets per interval.

    One row per (market_day, interval) present in `frame`, in time order, with the
    interval's local start; for the chart of a statement. Raises InvalidInput when
    `frame` lacks an export column.
    """
    missing = [c for c in EXPORT_COLUMNS if c not in frame.columns]
    if missing:
        raise InvalidInput("frame", f"lacks columns {missing}")
    keys = ["market_day", "interval", "interval_start_local"]
    sums = frame.groupby(keys, as_index=False, sort=True)[
        ["baseline_kw", "metered_kw", "awarded_kw"]
    ].sum()
    return sums.sort_values(["market_day", "interval"], ignore_index=True)
