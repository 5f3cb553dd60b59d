"""The demo day's plan-versus-outcome step: the settled day's report, compactly."""

from __future__ import annotations

from parkvpp.v1 import settlement_pb2
from services.day_report_table import offered_cleared_or_paid, table


class ReportStep:
    """The plan-versus-outcome step of MarketDay (uses its clients, day, log, as_, summary)."""

    def day_report(self) -> None:
        if self.summary.settlement is None:
            self.log("   nothing settled, nothing to report")
            return
        report = self.c.settlement.GetDayReport(
            settlement_pb2.GetDayReportRequest(market_day=self.day.isoformat()),
            metadata=self.as_("esco"),
            timeout=120,
        )
        self.summary.day_report = report
        for line in table(report, offered_cleared_or_paid):
            self.log(f"   {line}")
        self.log(f"   {report.summary}")
        plan = self.summary.plan
        if plan is not None and plan.scenario_revenues:
            self.log(f"   {band(plan, report)}")


def _where(value_fen: int, low_fen: int, high_fen: int) -> str:
    if value_fen < low_fen:
        return "below it"
    return "above it" if value_fen > high_fen else "within it"


def band(plan, report: settlement_pb2.DayReport) -> str:
    """The plan's own band (its price scenarios' revenues) against what cleared and paid."""
    revenues = [s.revenue_fen for s in plan.scenario_revenues]
    low, high = min(revenues), max(revenues)
    return (
        f"Band: the plan's {len(revenues)} price scenarios earn {low / 100:,.2f}.."
        f"{high / 100:,.2f} CNY; the day cleared {report.cleared_value_fen / 100:,.2f} CNY "
        f"({_where(report.cleared_value_fen, low, high)}) and paid "
        f"{report.paid_fen / 100:,.2f} CNY ({_where(report.paid_fen, low, high)})."
    )
