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
