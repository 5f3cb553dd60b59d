"""An enterprise's settlement statement: its lines of the day as a table, and as CSV."""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import pandas as pd

from settlement.exceptions import InvalidInput
from settlement.money import WH_PER_KWH
from settlement.results import DaySettlement

STATEMENT_COLUMNS = [
    "asset_id",
    "interval",
    "baseline_kw",
    "metered_kw",
    "instructed_kw",
    "delivered_kwh",
    "clearing_price_fen_per_mwh",
    "estimated",
    "excluded_estimated",
    "amount_fen",
]


def statement_frame(day: DaySettlement, enterprise_id: str) -> pd.DataFrame:
    """The lines of `enterprise_id` on `day`, sorted by asset and interval.

    `amount_fen` is the line's share of the enterprise's amount; the column sums to
    the enterprise's `amount_fen` exactly. `excluded_estimated` marks instructed lines
    whose estimated data the program did not pay. Raises MissingData (via
    `day.enterprise`) when the enterprise had no rows that day.
    """
    day.enterprise(enterprise_id)
    own = day.lines[day.lines["enterprise_id"] == enterprise_id]
    return own[STATEMENT_COLUMNS].sort_values(["asset_id", "interval"], ignore_index=True)


def statement_totals(day: DaySettlement, enterprise_id: str) -> dict[str, object]:
    """Header figures of a statement: market day, delivered kWh, amount and estimate flag.

    Raises MissingData when the enterprise had no rows that day.
    """
    result = day.enterprise(enterprise_id)
    return {
        "enterprise_id": result.enterprise_id,
        "market_day": day.market_day.isoformat(),
        "delivered_kwh": result.delivered_wh / WH_PER_KWH,
        "amount_fen": result.amount_fen,
        "includes_estimated": result.includes_estimated,
    }


def to_csv(frame: pd.DataFrame, path: str | PathLike[str]) -> Path:
    """Write `frame` as UTF-8 CSV without the index, "\\n" line ends; returns the path.

    Missing prices (intervals without an award) are written as empty cells. Raises
    InvalidInput when `frame` is not a DataFrame; OSError from the file system passes through.
    """
    if not isinstance(frame, pd.DataFrame):
        raise InvalidInput("frame", "must be a pandas DataFrame")
    target = Path(path)
    frame.to_csv(target, index=False, encoding="utf-8", lineterminator="\n")
    return target
