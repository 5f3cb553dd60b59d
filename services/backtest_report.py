"""What `parkvpp backtest` writes: one CSV row per day as it is done, the table, the chart."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import TextIO

import numpy as np
from rich.table import Table

from bidding.backtest import BacktestDay, BacktestResult
from bidding.price_history import DayNote
from services.plots import figure, save_png

TABLE_COLUMNS = (
    "market_day",
    "status",
    "reason",
    "bid_net_fen",
    "perfect_net_fen",
    "naive_net_fen",
    "capture_pct",
    "regret_vs_perfect_fen",
    "regret_vs_naive_fen",
    "naive_price_fen_per_mwh",
    "bid_paid_fen",
    "bid_cost_fen",
    "bid_penalty_fen",
    "bid_delivered_kwh",
    "bid_shortfall_kwh",
    "naive_shortfall_kwh",
    "bid_relative_gap",
)
#: Statuses of a day in backtest.csv.
SCORED, WARMUP, FAILED, SKIPPED = "scored", "warm-up", "failed", "skipped"


def _scored_row(day: BacktestDay, min_perfect_fen: int) -> dict[str, object]:
    ratio = day.capture_ratio(min_perfect_fen)
    return {
        "market_day": day.market_day.isoformat(),
        "status": SCORED,
        "bid_net_fen": day.bid.net_fen,
        "perfect_net_fen": day.perfect.net_fen,
        "naive_net_fen": day.naive.net_fen,
        "capture_pct": "" if ratio is None else round(100 * ratio, 2),
        "regret_vs_perfect_fen": day.regret_fen("perfect"),
        "regret_vs_naive_fen": day.regret_fen("naive"),
        "naive_price_fen_per_mwh": day.naive_price_fen_per_mwh,
        "bid_paid_fen": day.bid.paid_fen,
        "bid_cost_fen": day.bid.cost_fen,
        "bid_penalty_fen": day.bid.penalty_fen,
        "bid_delivered_kwh": day.bid.delivered_kwh,
        "bid_shortfall_kwh": day.bid.shortfall_kwh,
        "naive_shortfall_kwh": day.naive.shortfall_kwh,
        "bid_relative_gap": round(day.bid_relative_gap, 6),
    }


class DayTable:
    """backtest.csv written row by row (flushed), so a run cut short keeps the days done."""

    def __init__(self, out: TextIO, min_perfect_fen: int) -> None:
        self._out = out
        self._writer = csv.DictWriter(out, fieldnames=TABLE_COLUMNS)
        self._writer.writeheader()
        self._min_perfect_fen = min_perfect_fen

    def scored(self, day: BacktestDay) -> None:
        self._write(_scored_row(day, self._min_perfect_fen))

    def other(self, market_day: date, status: str, reason: str = "") -> None:
        self._write({"market_day": market_day.isoformat(), "status": status, "reason": reason})

    def _write(self, row: dict[str, object]) -> None:
        self._writer.writerow(row)
        self._out.flush()


def _cny(fen: int) -> str:
    return f"{fen / 100:,.2f}"


def _capture(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def result_table(result: BacktestResult, min_perfect_fen: int) -> Table:
    """One row per scored or failed day, then the totals and the regret (CNY)."""
    table = Table(title="Backtest: net revenue per day (CNY)", show_footer=True)
    footer = {
        "day": "total\nregret",
        "bid": _cny(result.total_fen("bid")),
        "perfect": f"{_cny(result.total_fen('perfect'))}\n"
        f"{_cny(result.total_regret_fen('perfect'))}",
        "naive": f"{_cny(result.total_fen('naive'))}\n{_cny(result.total_regret_fen('naive'))}",
        "capture": _capture(result.capture_ratio),
    }
    table.add_column("day", footer=footer["day"], no_wrap=True)
    for name, heading in (("bid", "bid CNY"), ("perfect", "perfect CNY"), ("naive", "naive CNY")):
        table.add_column(heading, footer=footer[name], justify="right")
    table.add_column("capture", footer=footer["capture"], justify="right")
    rows = [(d.market_day, d) for d in result.days] + [(f.market_day, f) for f in result.failed]
    for market_day, item in sorted(rows, key=lambda row: row[0]):
        if isinstance(item, DayNote):
            table.add_row(market_day.isoformat(), f"failed: {item.note}", "", "", "")
            continue
        table.add_row(
            market_day.isoformat(),
            _cny(item.bid.net_fen),
            _cny(item.perfect.net_fen),
            _cny(item.naive.net_fen),
            _capture(item.capture_ratio(min_perfect_fen)),
        )
    return table


def summary_lines(
    result: BacktestResult, skipped: Iterable[DayNote], min_perfect_fen: int
) -> list[str]:
    """What the table does not say: losing days, the capture rule, days left out and why."""
    losing = [d for d in result.days if d.bid.net_fen < 0]
    shown = sum(1 for d in result.days if d.capture_ratio(min_perfect_fen) is not None)
    lines = [
        f"bid lost money on {len(losing)} of {len(result.days)} scored days "
        f"({sum(d.bid.net_fen for d in losing) / 100:,.2f} CNY); regret = the other "
        "strategy's net minus the bid's",
        f"capture shown for the {shown} days where perfect foresight earned at least "
        f"{min_perfect_fen / 100:,.2f} CNY; the total is over all scored days",
    ]
    for note in result.failed:
        lines.append(f"failed  {note.market_day.isoformat()}: {note.note}")
    for note in skipped:
        lines.append(f"skipped {note.market_day.isoformat()}: {note.note}")
    return lines


def write_chart(result: BacktestResult, path: Path) -> Path:
    """Cumulative net revenue of the three strategies over the scored days (CNY)."""
    fig, ax = figure()
    positions = range(len(result.days))
    labels = [d.market_day.isoformat() for d in result.days]
    for name, key in (("perfect foresight", "perfect"), ("bid curves", "bid"), ("naive", "naive")):
        values = np.cumsum([getattr(d, key).net_fen / 100 for d in result.days])
        ax.plot(positions, values, marker="o", markersize=2, label=name)
    step = max(1, len(labels) // 12)
    ax.set_xticks(list(positions)[::step], labels[::step], rotation=45, ha="right")
    ax.set_title("Backtest: cumulative net revenue")
    ax.set_xlabel(f"market day ({len(result.days)} scored, {len(result.failed)} failed)")
    ax.set_ylabel("cumulative net revenue (CNY)")
    ax.legend()
    return save_png(fig, path)
