"""A DayReport as a table (clock times, kW, CNY with thousands separators, totals).

`table` gives plain lines (the demo prints them); `print_report` draws the same columns
with rich for `parkvpp report day`.
"""

from __future__ import annotations

from collections.abc import Callable

import grpc
from rich.console import Console
from rich.table import Table

from parkvpp.v1 import settlement_pb2 as pb
from parkvpp.v1 import settlement_pb2_grpc
from services import terminal
from settlement.day_report import MARKET_EPSILON_KW, cny

#: (heading, unit, width) of the table's columns after the time.
COLUMNS = (
    ("offered", "kW", 8),
    ("lowest", "CNY/MWh", 8),
    ("expected", "kW", 8),
    ("expected", "CNY", 10),
    ("called", "kW", 7),
    ("cap", "CNY/MWh", 8),
    ("cleared", "kW", 8),
    ("price", "CNY/MWh", 8),
    ("dispatched", "kW", 10),
    ("delivered", "kW", 9),
    ("baseline", "kW", 9),
    ("paid", "CNY", 10),
)
TIME_WIDTH = 11


def _word(reason: int) -> str:
    """PRICE_ABOVE_CAP -> "price above cap"."""
    name = pb.DifferenceReason.Name(reason).removeprefix("DIFFERENCE_REASON_")
    return name.lower().replace("_", " ")


def _reason_words(row: pb.IntervalReport) -> str:
    return ", ".join(_word(r.reason) for r in row.reasons)


def _cells(row: pb.IntervalReport) -> list[str]:
    return [
        f"{row.offered_kw:,.0f}",
        f"{row.lowest_offer_fen_per_mwh / 100:,.0f}" if row.offered_kw > 0 else "",
        f"{row.expected_kw:,.0f}",
        cny(row.expected_revenue_fen),
        f"{row.called_kw:,.0f}",
        f"{row.price_cap_fen_per_mwh / 100:,.0f}" if row.called_kw > 0 else "",
        f"{row.cleared_kw:,.0f}",
        f"{row.clearing_price_fen_per_mwh / 100:,.0f}" if row.cleared_kw > 0 else "",
        f"{row.dispatched_kw:,.0f}",
        f"{row.delivered_kw:,.0f}",
        f"{row.baseline_kw:,.0f}",
        cny(row.paid_fen),
    ]


def _line(time: str, cells: list[str], why: str = "") -> str:
    body = " ".join(c.rjust(w) for c, (_, _, w) in zip(cells, COLUMNS, strict=True))
    return f"{time:<{TIME_WIDTH}} {body}  {why}".rstrip()


def offered_cleared_or_paid(row: pb.IntervalReport) -> bool:
    """The demo's rows: something offered, cleared or paid."""
    return (
        row.offered_kw > MARKET_EPSILON_KW
        or row.cleared_kw > MARKET_EPSILON_KW
        or row.paid_fen != 0
    )


def anything_happened(row: pb.IntervalReport) -> bool:
    """The CLI's rows: offered, expected, called, cleared, dispatched, paid, or a reason."""
    return bool(
        offered_cleared_or_paid(row)
        or row.expected_revenue_fen
        or row.called_kw > MARKET_EPSILON_KW
        or row.dispatched_kw > MARKET_EPSILON_KW
        or row.reasons
    )


def _totals(report: pb.DayReport) -> list[str]:
    return [
        f"{report.offered_kwh:,.0f}",
        "",
        f"{report.expected_kwh:,.0f}",
        cny(report.expected_revenue_fen),
        "",
        "",
        f"{report.cleared_kwh:,.0f}",
        "",
        f"{report.dispatched_kwh:,.0f}",
        f"{report.delivered_kwh:,.0f}",
        "",
        cny(report.paid_fen),
    ]


def table(report: pb.DayReport, keep: Callable[[pb.IntervalReport], bool]) -> list[str]:
    """Header, the rows `keep` selects (with their reasons in words), and a totals line."""
    lines = [
        _line("", [h for h, _, _ in COLUMNS]),
        _line("local time", [u for _, u, _ in COLUMNS], "why"),
    ]
    lines += [_line(r.time_label, _cells(r), _reason_words(r)) for r in report.intervals if keep(r)]
    totals = _totals(report)
    lines.append(_line("day (kWh)", totals))
    return lines


def details(report: pb.DayReport) -> list[str]:
    """Every reason of every interval in words: "18:00-18:15 price above cap: ..."."""
    return [
        f"{row.time_label} {_word(r.reason)}: {r.detail}"
        for row in report.intervals
        for r in row.reasons
    ]


def money_steps(report: pb.DayReport) -> list[str]:
    """Expected to paid in steps that add up exactly."""
    steps = (
        ("expected", report.expected_revenue_fen),
        ("not offered", -report.not_offered_fen),
        ("not called", -report.not_called_fen),
        ("price above cap", -report.price_above_cap_fen),
        ("cleared quantity vs expected", report.market_quantity_fen),
        ("clearing price vs expected", report.market_price_fen),
        ("dispatch, delivery, baseline", report.delivery_difference_fen),
    )
    out = [f"  {name:<36} {cny(fen):>14} CNY" for name, fen in steps if fen or name == "expected"]
    return [*out, f"  {'paid':<36} {cny(report.paid_fen):>14} CNY"]


def rich_table(report: pb.DayReport, keep: Callable[[pb.IntervalReport], bool]) -> Table:
    """The rows `keep` selects and a day total, one column per figure with its unit."""
    table = Table(title=f"Market day {report.market_day} (Asia/Shanghai)", show_footer=True)
    totals = _totals(report)
    table.add_column("local time", footer="day (kWh)", no_wrap=True)
    for (heading, unit, _), total in zip(COLUMNS, totals, strict=True):
        table.add_column(f"{heading}\n{unit}", footer=total, justify="right")
    table.add_column("why")
    for row in report.intervals:
        if keep(row):
            table.add_row(row.time_label, *_cells(row), _reason_words(row))
    return table


def print_report(report: pb.DayReport, console: Console | None = None) -> None:
    """`parkvpp report day`: plan and run, the table, the reasons, expected to paid."""
    console = console or terminal.console()
    console.print(
        f"Market day {report.market_day}: plan {report.plan_id or '(none)'}, "
        f"settlement {report.run_id} (version {report.settlement_version})"
    )
    console.print(rich_table(report, anything_happened))
    reasons = details(report)
    if reasons:
        console.print("why:")
        for line in reasons:
            console.print(f"  {line}", highlight=False)
    console.print("from expected to paid:")
    for line in money_steps(report):
        console.print(line, highlight=False)
    console.print(report.summary, highlight=False)


def fetch(channel: grpc.Channel, market_day: str) -> pb.DayReport:
    """GetDayReport of `market_day` (grpc.RpcError passes through)."""
    stub = settlement_pb2_grpc.SettlementServiceStub(channel)
    return stub.GetDayReport(pb.GetDayReportRequest(market_day=market_day), timeout=120)
