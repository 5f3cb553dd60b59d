"""`parkvpp backtest` and `parkvpp plot bids` as a user runs them: real subprocesses, real PNGs."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import bidding.backtest
from bidding.backtest import BacktestConfig, run_backtest
from bidding.exceptions import SolverFailed
from bidding.intervals import MARKET_TZ
from bidding.offers import build_bids
from bidding.price_history import price_csv_text, sample_price_history
from parkvpp.v1 import bidding_pb2, market_pb2
from services import backtest_report
from services.backtest_portfolios import demo_portfolio
from services.cli import main
from services.demo.day import DaySummary, MarketDay, market_day_for
from services.demo.run import write_bids_plot
from services.runtime.embedded import free_port

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: The installed `parkvpp` script next to this interpreter (the module when not installed).
_SCRIPT = Path(sys.executable).parent / "parkvpp"
CLI = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "services.cli"]


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None):
    root = Path(__file__).parents[1]
    full_env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{root / 'protos'}", **(env or {})}
    return subprocess.run(
        CLI + args, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=240
    )


def _assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert len(data) > 5_000  # axes, lines and labels, not an empty canvas


def test_backtest_prints_the_table_and_writes_csv_and_png(tmp_path: Path) -> None:
    prices = tmp_path / "prices.csv"
    prices.write_text(price_csv_text(sample_price_history(days=7)))
    out = tmp_path / "out"
    done = _run(["backtest", "--prices", str(prices), "--out", str(out)], tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [line.replace("┃", "│") for line in done.stdout.splitlines()]
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in lines]
    rows = {row[0]: row[1:] for row in cells if row}
    assert rows["day"] == ["bid CNY", "perfect CNY", "naive CNY", "capture"]
    assert {"2025-06-07", "2025-06-08", "total", "regret"} <= set(rows)
    assert all("," in value or "." in value for value in rows["total"][:3])
    assert "2 days scored, 0 failed, 0 skipped, 5 warm-up" in done.stdout
    assert "capture shown for the" in done.stdout and "at least 100.00 CNY" in done.stdout
    progress = done.stderr.splitlines()
    assert len(progress) == 7 and progress[-1].startswith("parkvpp backtest: day 7/7 2025-06-08")
    assert "s elapsed" in progress[-1]
    with (out / "backtest.csv").open() as table:
        rows = list(csv.DictReader(table))
    assert [r["status"] for r in rows] == ["warm-up"] * 5 + ["scored"] * 2
    for row in rows[5:]:
        assert int(row["perfect_net_fen"]) >= int(row["bid_net_fen"]) - 1
        assert int(row["regret_vs_perfect_fen"]) == int(row["perfect_net_fen"]) - int(
            row["bid_net_fen"]
        )
    _assert_png(out / "backtest.png")


def _timestamped(days: int, gap_day: int) -> str:
    """Hourly CNY prices with a +08:00 offset; day `gap_day` lacks three hours."""
    lines = ["Zone,timestamp,Price (CNY/MWh)"]
    for n, day in enumerate(sample_price_history(days=days)):
        for hour in range(24):
            if n == gap_day and 10 <= hour < 13:
                continue
            yuan = day.price_fen_per_mwh[4 * hour] / 100
            lines.append(f"CN,{day.market_day}T{hour:02d}:00:00+08:00,{yuan}")
    return "\n".join(lines) + "\n"


def test_backtest_reads_timestamped_prices_and_lists_skipped_days(tmp_path: Path) -> None:
    prices = tmp_path / "prices.csv"
    prices.write_text(_timestamped(8, gap_day=6))
    out = tmp_path / "out"
    done = _run(["backtest", "--prices", str(prices), "--out", str(out)], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "skipped 2025-06-08: 3 h of prices missing (more than 2)" in done.stdout
    assert "2 days scored, 0 failed, 1 skipped, 5 warm-up" in done.stdout
    with (out / "backtest.csv").open() as table:
        rows = list(csv.DictReader(table))
    assert [(r["market_day"], r["status"]) for r in rows[5:]] == [
        ("2025-06-07", "scored"),
        ("2025-06-08", "skipped"),
        ("2025-06-09", "scored"),
    ]
    done = _run(["backtest", "--prices", str(prices), "--fx", "7.8"], tmp_path)
    assert done.returncode == 2 and "fx" in done.stderr


def test_a_failed_day_is_listed_and_the_others_are_written(tmp_path, monkeypatch, capsys) -> None:
    unlucky = sample_price_history(days=8)[6].market_day

    def times_out(problem, **solve):
        if problem.market_day == unlucky:
            raise SolverFailed("HIGHS", "NOT_SOLVED")
        return build_bids(problem, **solve)

    monkeypatch.setattr(bidding.backtest, "build_bids", times_out)
    prices = tmp_path / "prices.csv"
    prices.write_text(price_csv_text(sample_price_history(days=8)))
    out = tmp_path / "out"
    assert main(["backtest", "--prices", str(prices), "--out", str(out)]) == 0
    printed = capsys.readouterr()
    reason = "bid: SolverFailed: solver HIGHS returned no usable solution (status NOT_SOLVED)"
    assert f"failed  {unlucky}: {reason}" in printed.out
    assert f"{unlucky} FAILED ({reason})" in printed.err
    with (out / "backtest.csv").open() as table:
        rows = {r["market_day"]: r for r in csv.DictReader(table)}
    assert (rows[str(unlucky)]["status"], rows[str(unlucky)]["reason"]) == ("failed", reason)
    assert [r["status"] for r in rows.values()].count("scored") == 2
    _assert_png(out / "backtest.png")


def test_the_chart_names_both_axes(tmp_path, monkeypatch) -> None:
    drawn = []
    monkeypatch.setattr(backtest_report, "save_png", lambda fig, path: drawn.append(fig))
    config = BacktestConfig(lookback_days=3, min_history_days=3)
    result = run_backtest(sample_price_history(days=4), demo_portfolio(), config)
    backtest_report.write_chart(result, tmp_path / "chart.png")
    (axes,) = drawn[0].axes
    assert axes.get_xlabel() == "market day (1 scored, 0 failed)"
    assert axes.get_ylabel() == "cumulative net revenue (CNY)"


def test_backtest_refuses_a_bad_file_naming_line_and_column(tmp_path: Path) -> None:
    prices = tmp_path / "prices.csv"
    text = price_csv_text(sample_price_history(days=2)).replace("2025-06-02,3,", "2025-06-02,x3,")
    prices.write_text(text)
    done = _run(["backtest", "--prices", str(prices)], tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"parkvpp backtest: {prices} line 5, column interval: must be a whole number "
        "0..95, got 'x3'"
    ]
    assert not (tmp_path / ".parkvpp").exists()
    done = _run(["backtest", "--prices", str(tmp_path / "missing.csv")], tmp_path)
    assert done.returncode == 2 and "cannot read" in done.stderr
    done = _run(["backtest", "--sample", "--portfolio", "synthetic:x"], tmp_path)
    assert done.returncode == 2 and "portfolio" in done.stderr


def test_backtest_help_documents_the_columns(tmp_path: Path) -> None:
    done = _run(["backtest", "--help"], tmp_path)
    assert done.returncode == 0
    for words in ("date", "interval", "price_fen_per_mwh", "called_kw", "timestamp", "--fx"):
        assert words in done.stdout


def test_plot_bids_without_a_stack_says_so_in_one_line(tmp_path: Path) -> None:
    nowhere = f"127.0.0.1:{free_port()}"
    env = {
        "PARKVPP_BIDDING_ADDR": nowhere,
        "PARKVPP_MARKET_ADDR": nowhere,
        "PARKVPP_TOKEN_SECRET": "s" * 48,
    }
    done = _run(["plot", "bids", "--day", "2026-01-05", "--interval", "72"], tmp_path, env)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"parkvpp plot bids: no ParkVPP stack answers at {nowhere} (addresses from "
        f"PARKVPP_<SERVICE>_ADDR or the default ports (no stack.json in {tmp_path / '.parkvpp'}))"
    ]
    done = _run(["plot", "bids", "--day", "2026-01-05", "--interval", "96"], tmp_path, env)
    assert done.returncode == 2 and "--interval" in done.stderr
    done = _run(["plot", "bids", "--day", "2026-01-05", "--interval", "18:10"], tmp_path, env)
    assert done.returncode == 2 and "quarter hour" in done.stderr
    named = ["plot", "bids", "--day", "2026-01-05", "--interval", "72", "--data-dir", "none"]
    done = _run(named, tmp_path, env)
    assert done.returncode == 2
    assert f"no running stack in {tmp_path / 'none'}" in done.stderr


@pytest.fixture(scope="module")
def cleared_day(stack_factory):
    """The demo park enrolled with history, its DR bids prepared and submitted, and the
    day cleared against the exchange's synthetic participants (the grid's evening call)."""
    stack = stack_factory(db=15)
    clients = stack.clients()
    day = MarketDay(clients, market_day_for(), lambda line: None, stack.token)
    day.enrol()
    day.history()
    market_day = day.day.isoformat()
    eve = day.day - timedelta(days=1)
    plan = clients.bidding.PrepareBids(
        bidding_pb2.PrepareBidsRequest(
            market_day=market_day,
            # Ahead of the grid call's deadline (12:00 the day before), as the demo bids.
            decided_at=datetime(eve.year, eve.month, eve.day, 9, tzinfo=MARKET_TZ),
        ),
        timeout=300,
    )
    clients.bidding.SubmitBids(bidding_pb2.SubmitBidsRequest(plan_id=plan.plan_id), timeout=60)
    clearing = clients.market.ClearMarket(
        market_pb2.ClearMarketRequest(
            market_day=market_day,
            product=market_pb2.PRODUCT_DEMAND_RESPONSE,
            include_synthetic_participants=True,
        ),
        timeout=60,
    )
    yield stack, DaySummary(day.day, plan=plan, clearing=clearing)
    clients.close()


def _stack_env(stack) -> dict[str, str]:
    return {
        "PARKVPP_BIDDING_ADDR": stack.addr,
        "PARKVPP_MARKET_ADDR": stack.addr,
        "PARKVPP_TOKEN_SECRET": stack.settings.token_secret,
    }


def test_plot_bids_draws_a_cleared_interval_of_a_running_stack(cleared_day, tmp_path) -> None:
    stack, summary = cleared_day
    traded = [i.interval for i in summary.clearing.intervals if i.cleared_kw > 0]
    assert traded, "the grid's evening call clears against the VPP's offers"
    out = tmp_path / "bids.png"
    args = ["plot", "bids", "--day", summary.market_day.isoformat(), "--interval", str(traded[0])]
    done = _run([*args, "--out", str(out)], tmp_path, _stack_env(stack))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"wrote {out}"
    _assert_png(out)


def test_plot_bids_of_an_interval_without_trade_exits_1_saying_why(cleared_day, tmp_path) -> None:
    stack, summary = cleared_day
    day = summary.market_day.isoformat()
    done = _run(["plot", "bids", "--day", day, "--interval", "03:00"], tmp_path, _stack_env(stack))
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"parkvpp plot bids: nothing to draw: nothing cleared in 03:00-03:15 (interval 12) "
        f"of {day}: no buyer bid; the VPP offered nothing"
    )
    assert not list(tmp_path.glob("*.png"))


def test_plot_bids_of_a_day_without_a_plan_is_refused(cleared_day, tmp_path) -> None:
    stack, _ = cleared_day
    args = ["plot", "bids", "--day", "2001-01-01", "--interval", "0"]
    done = _run(args, tmp_path, _stack_env(stack))
    assert done.returncode == 2
    assert done.stderr.startswith("parkvpp plot bids: NOT_FOUND: ")
    assert len(done.stderr.strip().splitlines()) == 1


def test_the_demo_writes_the_first_cleared_intervals_plot(cleared_day, tmp_path) -> None:
    stack, summary = cleared_day
    path = write_bids_plot(summary, str(tmp_path), stack.settings)
    first = min(i.interval for i in summary.clearing.intervals if i.cleared_kw > 0)
    assert path == tmp_path / f"bids-{first:02d}.png"
    _assert_png(path)
