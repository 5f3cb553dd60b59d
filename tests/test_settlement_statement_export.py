"""`parkvpp statement` over real gRPC: CSV and Parquet read back to the statement, to the fen."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from parkvpp.v1 import settlement_pb2 as spb
from services.cli import main
from services.settlement.runs import RunStore
from services.statement_export import POOL_SHARE, RECONCILE_DTYPES, read_csv, read_parquet
from settlement.period_statement import EXPORT_COLUMNS

pytestmark = pytest.mark.timeout(120)

DAYS = (date(2026, 3, 2), date(2026, 3, 3))
SKIPPED = date(2026, 3, 4)  # settled for nobody: no statement that day
ENTERPRISE = "ent-exp"


def _statement(day: date, amounts: list[int]) -> spb.Statement:
    statement = spb.Statement(enterprise_id=ENTERPRISE, market_day=day.isoformat())
    for n, amount_fen in enumerate(amounts):
        statement.lines.add(
            asset_id=f"asset-{n % 2}",
            interval=72 + n // 2,
            baseline_kw=1000.0 / 3 + n,
            metered_kw=0.1 + 0.2 * n,
            instructed_kw=150.0 + n,
            delivered_kwh=12.345678901234567 * (n + 1),
            clearing_price_fen_per_mwh=412_345 if n % 3 else 0,
            estimated=n == 1,
            amount_fen=amount_fen,
        )
    statement.amount_fen = sum(amounts)
    statement.delivered_kwh = sum(line.delivered_kwh for line in statement.lines)
    statement.includes_estimated = True
    return statement


@pytest.fixture(scope="module")
def settled(stack_factory):
    """Two settled days of ENTERPRISE with awkward amounts (a negative line among them)."""
    stack = stack_factory(db=15)
    runs = RunStore(stack.redis)
    amounts = {DAYS[0]: [33_334, 33_333, 33_333, -1], DAYS[1]: [7, 0, 1_000_001]}
    for day in DAYS:
        statement = _statement(day, amounts[day])
        run = spb.SettlementRun(market_day=day.isoformat(), input_digest=f"digest-{day}")
        run.enterprises.add(enterprise_id=ENTERPRISE, amount_fen=statement.amount_fen)
        runs.append(run, [statement])
    run = spb.SettlementRun(market_day=SKIPPED.isoformat(), input_digest="other")
    runs.append(run, [])
    clients = stack.clients("esco")
    yield stack, clients
    clients.close()


def _export(stack, fmt: str, path, capsys, enterprise: str = ENTERPRISE) -> tuple[int, str]:
    code = main(
        [
            "statement",
            *("--enterprise", enterprise, "--from", DAYS[0].isoformat()),
            *("--to", SKIPPED.isoformat(), "--format", fmt, "--out", str(path)),
            *("--addr", stack.addr, "--token", stack.token("esco")),
        ]
    )
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _statement_total(clients) -> int:
    return sum(
        clients.settlement.GetStatement(
            spb.GetStatementRequest(enterprise_id=ENTERPRISE, market_day=day.isoformat())
        ).amount_fen
        for day in DAYS
    )


def test_csv_and_parquet_read_back_to_the_same_lines_and_total(settled, tmp_path, capsys):
    stack, clients = settled
    code, out = _export(stack, "csv", tmp_path / "s.csv", capsys)
    assert code == 0, out
    assert f"no statement on: {SKIPPED.isoformat()}" in out
    code, out = _export(stack, "parquet", tmp_path / "s.parquet", capsys)
    assert code == 0, out
    from_csv, from_parquet = read_csv(tmp_path / "s.csv"), read_parquet(tmp_path / "s.parquet")
    assert list(from_csv.columns) == [*EXPORT_COLUMNS, *RECONCILE_DTYPES]
    pd.testing.assert_frame_equal(from_csv, from_parquet)
    assert len(from_csv) == 7
    total = _statement_total(clients)
    assert int(from_csv["amount_fen"].sum()) == int(from_parquet["amount_fen"].sum()) == total
    assert total == 100_000 - 1 + 1_000_008
    assert f"total {total / 100:,.2f} CNY" in out
    # Every line as GetStatement serves it, floats to the last bit.
    served = clients.settlement.GetStatement(
        spb.GetStatementRequest(enterprise_id=ENTERPRISE, market_day=DAYS[0].isoformat())
    )
    first_day = from_csv[from_csv["market_day"] == DAYS[0].isoformat()]
    expected = sorted(
        (line.asset_id, line.interval, line.delivered_kwh, line.estimated, line.amount_fen)
        for line in served.lines
    )
    got = sorted(
        zip(
            first_day["asset_id"],
            first_day["interval"],
            first_day["delivered_kwh"],
            first_day["estimated"],
            first_day["amount_fen"],
            strict=True,
        )
    )
    assert got == expected
    assert first_day["interval_start_local"].iloc[0] == "2026-03-02T18:00:00+08:00"
    assert from_csv["estimated"].sum() == 2


def test_each_line_reconciles_and_parquet_keeps_dates_and_times(settled, tmp_path, capsys):
    import pyarrow as pa
    import pyarrow.parquet as pq

    stack, _ = settled
    assert _export(stack, "csv", tmp_path / "s.csv", capsys)[0] == 0
    assert _export(stack, "parquet", tmp_path / "s.parquet", capsys)[0] == 0
    lines = read_csv(tmp_path / "s.csv")
    value_fen = (lines["delivered_kwh"] * lines["clearing_price_fen_per_mwh"] / 1000).round()
    assert (lines["market_value_fen"] == value_fen).all()
    assert (lines["market_value_fen"] + lines["pool_share_fen"] == lines["amount_fen"]).all()
    pooled = lines[lines["pool_share_fen"] != 0]
    assert len(pooled) and (pooled["reconciles"] == POOL_SHARE).all()
    schema = pq.read_schema(tmp_path / "s.parquet")
    assert schema.field("market_day").type == pa.date32()
    assert schema.field("interval_start_local").type == pa.timestamp("us", tz="Asia/Shanghai")


def test_the_png_chart_is_written(settled, tmp_path, capsys):
    stack, _ = settled
    code, out = _export(stack, "png", tmp_path / "s.png", capsys)
    assert code == 0, out
    assert (tmp_path / "s.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_chart_shades_the_intervals_with_estimated_meter_data(tmp_path, monkeypatch):
    from services import plots, statement_export
    from settlement.period_statement import DayStatement, period_frame

    drawn = []
    monkeypatch.setattr(plots, "save_png", lambda fig, path: drawn.append(fig))
    day = _statement(DAYS[0], [1, 2, 3, 4])
    lines = [{n: getattr(line, n) for n in statement_export.LINE_FIELDS} for line in day.lines]
    frame = period_frame([DayStatement(ENTERPRISE, DAYS[0], 1, 10, lines)])
    statement_export.write_chart(frame, tmp_path / "s.png", "title")
    (axes,) = drawn[0].axes
    legend = [text.get_text() for text in axes.get_legend().get_texts()]
    assert "estimated meter data" in legend
    assert len(axes.patches) == 1  # interval 72 holds the one estimated line


def test_a_period_without_statements_is_an_error(settled, tmp_path, capsys):
    stack, _ = settled
    code, out = _export(stack, "csv", tmp_path / "none.csv", capsys, enterprise="ent-none")
    assert code == 1
    assert "no statement for ent-none" in out
    assert not (tmp_path / "none.csv").exists()
