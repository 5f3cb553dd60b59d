"""`parkvpp backtest`: replay a price file against a portfolio; print a table, write CSV and PNG."""

from __future__ import annotations

import sys
import time
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from bidding.backtest import BacktestConfig, run_backtest
from bidding.backtest import Progress as BacktestProgress
from bidding.exceptions import BiddingError, InvalidInput
from bidding.price_history import DayNote, sample_price_history
from bidding.price_import import PriceSeries, read_price_file
from services import terminal
from services.backtest_portfolios import portfolio_from
from services.backtest_report import (
    FAILED,
    SKIPPED,
    WARMUP,
    DayTable,
    result_table,
    summary_lines,
    write_chart,
)

PROGRAM = "parkvpp backtest"


def _series(args) -> PriceSeries:
    if args.sample:
        return PriceSeries(sample_price_history(), [], [], "fen/MWh")
    fx = None
    if args.fx is not None:
        try:
            fx = Decimal(args.fx)
        except InvalidOperation:
            raise InvalidInput(
                "fx", f"must be a number of yuan per unit, got {args.fx!r}"
            ) from None
    kwargs = {} if args.max_missing_hours is None else {"max_missing_hours": args.max_missing_hours}
    path = Path(args.prices)
    with path.open(encoding="utf-8-sig", newline="") as lines:
        return read_price_file(lines, str(path), fx, **kwargs)


def _config(args) -> BacktestConfig:
    given = {
        "lookback_days": args.lookback_days,
        "min_history_days": args.min_history_days,
        "naive_price_fen_per_mwh": args.naive_price_fen_per_mwh,
        "shortfall_penalty_factor": args.penalty_factor,
        "capture_min_perfect_fen": args.capture_min_fen,
        "time_limit_seconds": args.time_limit_seconds,
    }
    return BacktestConfig(**{k: v for k, v in given.items() if v is not None})


class _Reporter:
    """Progress on stderr and a CSV row for every day as it is done (skipped days in order).

    On a terminal the progress is a rich bar with the last day's outcome (failed days
    are printed above it); elsewhere (a pipe, a log file) one line per day.
    """

    def __init__(self, table: DayTable, skipped: list[DayNote], started: float) -> None:
        self._table = table
        self._skipped = sorted(skipped, key=lambda note: note.market_day)
        self._started = started
        self._last = started
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __call__(self, progress: BacktestProgress) -> None:
        self._skipped_before(progress.market_day)
        if progress.day is not None:
            self._table.scored(progress.day)
            status = f"scored, bid {progress.day.bid.net_fen / 100:,.2f} CNY"
        elif progress.failed is not None:
            self._table.other(progress.market_day, FAILED, progress.failed.note)
            status = f"FAILED ({progress.failed.note})"
        else:
            self._table.other(progress.market_day, WARMUP)
            status = "warm-up (history only)"
        now = time.perf_counter()
        if sys.stderr.isatty():
            self._advance(progress, status)
        else:
            print(
                f"{PROGRAM}: day {progress.done}/{progress.total} {progress.market_day} "
                f"{status}; {now - self._last:.1f}s, {now - self._started:.0f}s elapsed",
                file=sys.stderr,
                flush=True,
            )
        self._last = now

    def _advance(self, progress: BacktestProgress, status: str) -> None:
        if self._bar is None:
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=terminal.console(stderr=True),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task("days", total=progress.total)
        assert self._task is not None
        if progress.failed is not None:
            self._bar.console.print(f"{progress.market_day} {status}")
        self._bar.update(
            self._task, completed=progress.done, description=f"{progress.market_day} {status}"
        )

    def _skipped_before(self, market_day: date | None) -> None:
        while self._skipped and (market_day is None or self._skipped[0].market_day < market_day):
            note = self._skipped.pop(0)
            self._table.other(note.market_day, SKIPPED, note.note)

    def finish(self) -> None:
        self._skipped_before(None)
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def run(args) -> int:
    """Run the backtest command: 0 with at least one day scored, 1 with none, 2 bad input."""
    started = time.perf_counter()
    try:
        config = _config(args)
        config.validate()
        series = _series(args)
        portfolio = portfolio_from(args.portfolio)
    except OSError as exc:
        print(f"{PROGRAM}: cannot read {args.prices}: {exc.strerror}", file=sys.stderr)
        return 2
    except BiddingError as exc:
        print(f"{PROGRAM}: {exc}", file=sys.stderr)
        return 2
    if len(series.days) <= config.min_history_days:
        print(
            f"{PROGRAM}: {len(series.days)} usable days; needs more than "
            f"--min-history-days ({config.min_history_days}) to score one",
            file=sys.stderr,
        )
        return 2
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    table_path, chart_path = out_dir / "backtest.csv", out_dir / "backtest.png"
    with table_path.open("w", newline="") as out:
        reporter = _Reporter(DayTable(out, config.capture_min_perfect_fen), series.skipped, started)
        try:
            result = run_backtest(series.days, portfolio, config, on_progress=reporter)
        except KeyboardInterrupt:
            reporter.finish()
            print(f"{PROGRAM}: interrupted; {table_path} holds the days done", file=sys.stderr)
            return 130
        reporter.finish()
    terminal.console().print(result_table(result, config.capture_min_perfect_fen))
    for line in summary_lines(result, series.skipped, config.capture_min_perfect_fen):
        print(line)
    if series.filled:
        print(f"{len(series.filled)} days with filled intervals (see the price file rules):")
        for note in series.filled:
            print(f"  {note.market_day.isoformat()}: {note.note}")
    if result.days:
        write_chart(result, chart_path)
    print(
        f"{len(result.days)} days scored, {len(result.failed)} failed, {len(series.skipped)} "
        f"skipped, {len(result.warmup_days)} warm-up (history only) in "
        f"{time.perf_counter() - started:.1f}s; wrote {table_path}"
        + (f" and {chart_path}" if result.days else "")
    )
    return 0 if result.days else 1
