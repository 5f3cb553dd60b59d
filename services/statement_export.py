"""`parkvpp statement`: an enterprise's settlement statements over a period as CSV, Parquet or PNG.

The statements come from SettlementService.GetStatement (one call per market day, latest
version) with a token of the ESCO role unless one is given; the rows are built by
`settlement.period_statement`, so the file's amount_fen column sums to the statements'
total to the fen.

A line's amount is its share of the day's pooled DR revenue (gross and capacity less
penalties and the operator fee, shared by delivered energy), not its delivered kWh times
its clearing price; so each CSV/Parquet line also carries `market_value_fen` (delivered
kWh x clearing price), `pool_share_fen` (amount_fen - market_value_fen) and a `reconciles`
note: market_value_fen + pool_share_fen == amount_fen on every line.

Parquet keeps real types: market_day is a date, interval_start_local a timestamp in
Asia/Shanghai. The PNG chart (`services.plots.interval_steps_chart`) shows baseline,
metered and awarded kW per interval summed over the enterprise's assets, with the
intervals whose meter data were estimated shaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import grpc
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from bidding.intervals import days_between
from parkvpp.v1 import settlement_pb2 as spb
from parkvpp.v1 import settlement_pb2_grpc
from settlement.period_statement import (
    EXPORT_DTYPES,
    LINE_FIELDS,
    DayStatement,
    interval_profile,
    period_frame,
    period_total_fen,
)

FORMATS = ("csv", "parquet", "png")
MAX_DAYS = 366
#: Columns after the statement's own: how each line's amount follows from its price.
RECONCILE_DTYPES = {"market_value_fen": "int64", "pool_share_fen": "int64", "reconciles": "string"}
FILE_DTYPES = {**EXPORT_DTYPES, **RECONCILE_DTYPES}
AT_PRICE = "amount = delivered kWh x clearing price"
POOL_SHARE = (
    "amount = market value + pool share: the day's DR revenue (less penalties and the "
    "operator fee) is shared by delivered energy"
)


class ExportError(RuntimeError):
    """The export could not be made: a bad period, no statement in it, or a refused call."""


@dataclass(frozen=True)
class PeriodStatements:
    """What was found: the days' statements and the days without one."""

    enterprise_id: str
    days: list[DayStatement]
    missing_days: list[date]

    @property
    def total_fen(self) -> int:
        return period_total_fen(self.days)


def _day_statement(statement: spb.Statement) -> DayStatement:
    lines = [{name: getattr(line, name) for name in LINE_FIELDS} for line in statement.lines]
    return DayStatement(
        enterprise_id=statement.enterprise_id,
        market_day=date.fromisoformat(statement.market_day),
        version=statement.version,
        amount_fen=statement.amount_fen,
        lines=lines,
    )


def fetch_statements(
    channel: grpc.Channel, enterprise_id: str, first: date, last: date, timeout_s: float = 30.0
) -> PeriodStatements:
    """The latest statement of every market day first..last; days without one are listed.

    Raises ExportError for a period that runs backwards or is longer than MAX_DAYS, and
    for any refusal other than NOT_FOUND (which marks a day without a statement).
    """
    days = days_between(first, last)
    if not 1 <= len(days) <= MAX_DAYS:
        raise ExportError(f"--to must be 0..{MAX_DAYS - 1} days after --from")
    stub = settlement_pb2_grpc.SettlementServiceStub(channel)
    found, missing = [], []
    for day in days:
        request = spb.GetStatementRequest(enterprise_id=enterprise_id, market_day=day.isoformat())
        try:
            found.append(_day_statement(stub.GetStatement(request, timeout=timeout_s)))
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.NOT_FOUND:  # type: ignore[attr-defined]
                raise ExportError(
                    f"GetStatement {day}: {exc.code().name} {exc.details()}"  # type: ignore[attr-defined]
                ) from exc
            missing.append(day)
    return PeriodStatements(enterprise_id, found, missing)


def with_reconciliation(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with market_value_fen, pool_share_fen and the note that reconciles them."""
    out = frame.copy()
    value_fen = (out["delivered_kwh"] * out["clearing_price_fen_per_mwh"] / 1000).round()
    out["market_value_fen"] = value_fen.astype("int64")
    out["pool_share_fen"] = out["amount_fen"] - out["market_value_fen"]
    out["reconciles"] = [AT_PRICE if share == 0 else POOL_SHARE for share in out["pool_share_fen"]]
    return out.astype(FILE_DTYPES)


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """UTF-8 CSV, no index, "\\n" line ends; floats written so they read back exactly."""
    with_reconciliation(frame).to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return path


def read_csv(path: Path) -> pd.DataFrame:
    """An exported CSV read back with the export's column types."""
    return pd.read_csv(path, dtype=FILE_DTYPES, keep_default_na=False)


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    """Parquet with a date market_day and a zoned timestamp interval_start_local."""
    out = with_reconciliation(frame)
    out["market_day"] = pd.to_datetime(out["market_day"]).dt.date
    out["interval_start_local"] = pd.to_datetime(out["interval_start_local"]).dt.tz_convert(
        "Asia/Shanghai"
    )
    table = pa.Table.from_pandas(out, preserve_index=False)
    date_at = table.schema.get_field_index("market_day")
    table = table.set_column(date_at, "market_day", table.column("market_day").cast(pa.date32()))
    pq.write_table(table, path)
    return path


def read_parquet(path: Path) -> pd.DataFrame:
    """An exported Parquet file as the CSV reads back (dates and times as ISO text)."""
    frame = pd.read_parquet(path, engine="pyarrow")
    frame["market_day"] = [d.isoformat() for d in frame["market_day"]]
    frame["interval_start_local"] = [t.isoformat() for t in frame["interval_start_local"]]
    return frame.astype(FILE_DTYPES)


def write_chart(frame: pd.DataFrame, path: Path, title: str) -> Path:
    """PNG of baseline vs metered vs awarded kW per interval (sums over the assets), the
    intervals with estimated meter data shaded."""
    from services.plots import interval_steps_chart

    profile = interval_profile(frame)
    series = {
        "baseline kW": profile["baseline_kw"].tolist(),
        "metered kW": profile["metered_kw"].tolist(),
        "awarded (instructed) kW": profile["awarded_kw"].tolist(),
    }
    starts = pd.to_datetime(profile["interval_start_local"]).tolist()
    estimated = frame.groupby(["market_day", "interval"])["estimated"].any()
    days, intervals = profile["market_day"], profile["interval"]
    flags = [bool(estimated[key]) for key in zip(days, intervals, strict=True)]
    shaded = [start for start, flag in zip(starts, flags, strict=True) if flag]
    return interval_steps_chart(
        path, title, starts, series, shaded=shaded, shaded_label="estimated meter data"
    )


def export(statements: PeriodStatements, fmt: str, path: Path) -> pd.DataFrame:
    """Write the statements to `path` as `fmt`; returns the rows written (or charted).

    Raises ExportError for an unknown format or a period without any statement.
    """
    if fmt not in FORMATS:
        raise ExportError(f"--format must be one of {', '.join(FORMATS)}")
    if not statements.days:
        raise ExportError(f"no statement for {statements.enterprise_id} in the period")
    frame = period_frame(statements.days)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        write_csv(frame, path)
    elif fmt == "parquet":
        write_parquet(frame, path)
    else:
        first, last = statements.days[0].market_day, statements.days[-1].market_day
        span = first.isoformat() if first == last else f"{first} to {last}"
        title = f"{statements.enterprise_id} {span}: baseline vs metered vs awarded"
        write_chart(frame, path, title)
    return frame
