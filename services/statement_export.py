"""`parkvpp statement`: an enterprise's settlement statements over a period as CSV, Parquet or PNG.

The statements come from SettlementService.GetStatement (one call per market day, latest
version) with a token of the ESCO role unless one is given; the rows are built by
`settlement.period_statement`, so the file's amount_fen column sums to the statements'
total to the fen. The PNG chart (`services.plots.interval_steps_chart`) shows baseline,
metered and awarded kW per interval summed over the enterprise's assets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import grpc
import pandas as pd

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


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """UTF-8 CSV, no index, "\\n" line ends; floats written so they read back exactly."""
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return path


def read_csv(path: Path) -> pd.DataFrame:
    """An exported CSV read back with the export's column types."""
    return pd.read_csv(path, dtype=EXPORT_DTYPES, keep_default_na=False)


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_parquet(path, engine="pyarrow", index=False)
    return path


def read_parquet(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path, engine="pyarrow").astype(EXPORT_DTYPES)


def write_chart(frame: pd.DataFrame, path: Path, title: str) -> Path:
    """PNG of baseline vs metered vs awarded kW per interval (sums over the assets)."""
    from services.plots import interval_steps_chart

    profile = interval_profile(frame)
    series = {
        "baseline kW": profile["baseline_kw"].tolist(),
        "metered kW": profile["metered_kw"].tolist(),
        "awarded (instructed) kW": profile["awarded_kw"].tolist(),
    }
    starts = pd.to_datetime(profile["interval_start_local"]).tolist()
    return interval_steps_chart(path, title, starts, series)


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
