"""Plan versus outcome of a settled day: per interval what was offered, expected, cleared,
dispatched, delivered and paid, why they differ, and the day's difference in one paragraph.

The day's difference between expected and paid is split exactly: the expected revenue of
intervals that did not clear (by reason), the market's difference in the cleared ones
(cleared value - expected, as quantity and price), and the delivery's (paid - cleared
value). The reasons per interval are settlement.interval_reasons'.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from fractions import Fraction

from bidding.intervals import INTERVAL_HOURS, INTERVALS_PER_DAY
from settlement.exceptions import InvalidInput
from settlement.interval_reasons import (
    MARKET_EPSILON_KW,
    IntervalFigures,
    IntervalReason,
    Reason,
    bucket_of,
    cny,
    reasons_for,
    time_label,
)
from settlement.money import FEN_PER_CNY, round_fen

__all__ = [
    "DayReport",
    "IntervalFigures",
    "IntervalReason",
    "IntervalRow",
    "Reason",
    "quantity_effect_fen",
    "report_day",
]

#: What the expected revenue of intervals that did not clear is put down to, in words.
LOST_WORDS = {
    "not_offered": "with no offer",
    "not_called": "without a buyer (not called)",
    "price_above_cap": "offered above the grid's cap",
}


@dataclass(frozen=True)
class IntervalRow:
    figures: IntervalFigures
    time_label: str
    reasons: tuple[IntervalReason, ...]

    @property
    def bucket(self) -> str:
        return bucket_of(self.figures, self.reasons)


@dataclass(frozen=True)
class DayReport:
    """The day's rows (all 96) and totals; the money fields obey paid = expected -
    not_offered - not_called - price_above_cap + market quantity + market price + delivery."""

    market_day: date
    rows: tuple[IntervalRow, ...]
    expected_revenue_fen: int
    cleared_value_fen: int
    paid_fen: int
    not_offered_fen: int
    not_called_fen: int
    price_above_cap_fen: int
    market_quantity_fen: int
    market_price_fen: int
    delivery_difference_fen: int
    energy_kwh: dict[str, float] = field(default_factory=dict)
    plan_expected_revenue_fen: int | None = None
    summary: str = ""

    @property
    def market_difference_fen(self) -> int:
        """Cleared value - expected revenue of the cleared intervals (quantity + price)."""
        return self.market_quantity_fen + self.market_price_fen


def quantity_effect_fen(f: IntervalFigures) -> int:
    """The part of a cleared interval's cleared value - expected revenue due to quantity:
    (cleared - expected kW) at the plan's expected price; all of it without an expectation.
    The rest is the price's part (cleared at another price than expected)."""
    if f.expected_kw <= MARKET_EPSILON_KW:
        return f.cleared_value_fen - f.expected_revenue_fen
    ratio = Fraction(repr(f.cleared_kw)) / Fraction(repr(f.expected_kw)) - 1
    return round_fen(ratio * f.expected_revenue_fen)


def report_day(
    market_day: date,
    figures: Sequence[IntervalFigures],
    plan_expected_revenue_fen: int | None = None,
) -> DayReport:
    """The day's report from its intervals' figures (missing intervals count as empty).

    `plan_expected_revenue_fen` is the plan's own total, which also nets what rebound
    outside the offered intervals costs; the summary names it when it differs from the
    intervals' sum. Raises InvalidInput when an interval appears twice.
    """
    by_interval: dict[int, IntervalFigures] = {}
    for n, f in enumerate(figures):
        if f.interval in by_interval:
            raise InvalidInput(f"figures[{n}].interval", f"interval {f.interval} appears twice")
        by_interval[f.interval] = f
    rows = tuple(
        IntervalRow(f, time_label(i), reasons_for(f))
        for i in range(INTERVALS_PER_DAY)
        for f in [by_interval.get(i) or IntervalFigures(i)]
    )
    expected = {"not_offered": 0, "not_called": 0, "price_above_cap": 0, "cleared": 0}
    for row in rows:
        expected[row.bucket] += row.figures.expected_revenue_fen
    cleared_value = sum(r.figures.cleared_value_fen for r in rows)
    paid = sum(r.figures.paid_fen for r in rows)
    quantity = sum(quantity_effect_fen(r.figures) for r in rows if r.bucket == "cleared")
    report = DayReport(
        market_day=market_day,
        rows=rows,
        expected_revenue_fen=sum(expected.values()),
        cleared_value_fen=cleared_value,
        paid_fen=paid,
        not_offered_fen=expected["not_offered"],
        not_called_fen=expected["not_called"],
        price_above_cap_fen=expected["price_above_cap"],
        market_quantity_fen=quantity,
        market_price_fen=cleared_value - expected["cleared"] - quantity,
        delivery_difference_fen=paid - cleared_value,
        energy_kwh={
            key: sum(getattr(r.figures, f"{key}_kw") for r in rows) * INTERVAL_HOURS
            for key in ("offered", "expected", "cleared", "dispatched", "delivered")
        },
        plan_expected_revenue_fen=plan_expected_revenue_fen,
    )
    return replace(report, summary=summary_of(report))


def _intervals(n: int, kind: str = "") -> str:
    return f"{n} {kind}interval" + ("" if n == 1 else "s")


def _signed(fen: int) -> str:
    return f"{'+' if fen >= 0 else '-'}{cny(abs(fen))} CNY"


def _whole_price(price_fen_per_mwh: int) -> str:
    return f"{round(price_fen_per_mwh / FEN_PER_CNY):,}"


def _market_clause(report: DayReport, cleared: list[IntervalRow]) -> str:
    """How the cleared intervals' value compares with their expectation."""
    expected_there = report.cleared_value_fen - report.market_difference_fen
    worth = cny(report.cleared_value_fen)
    text = (
        f"the {_intervals(len(cleared), 'cleared ')} were worth {worth} CNY as cleared "
        f"against {cny(expected_there)} CNY expected"
    )
    cleared_kwh = sum(r.figures.cleared_kw for r in cleared) * INTERVAL_HOURS
    expected_kwh = sum(r.figures.expected_kw for r in cleared) * INTERVAL_HOURS
    prices = [r.figures.clearing_price_fen_per_mwh for r in cleared]
    steps = []
    if report.market_quantity_fen:
        steps.append(
            f"{_signed(report.market_quantity_fen)} because the grid took "
            f"{cleared_kwh:,.0f} of the {expected_kwh:,.0f} kWh expected"
        )
    if report.market_price_fen:
        low, high = _whole_price(min(prices)), _whole_price(max(prices))
        at = low if low == high else f"{low}-{high}"
        average = ""
        if expected_kwh > 0:
            mean = round(expected_there * 1000 / expected_kwh)
            average = f", not the {_whole_price(mean)} CNY/MWh expected on average"
        steps.append(
            f"{_signed(report.market_price_fen)} because it cleared at {at} CNY/MWh{average}"
        )
    return text + (f" ({'; '.join(steps)})" if steps else "")


def _delivery_clause(report: DayReport, cleared: list[IntervalRow]) -> str | None:
    """What dispatch, delivery and baseline did to the cleared value; None when nothing."""
    causes = [
        f"{reason.value.lower().replace('_', '-')} in {n}"
        for reason in (
            Reason.NOT_DISPATCHED,
            Reason.DISPATCHED_ABOVE_CLEARED,
            Reason.UNDER_DELIVERY,
            Reason.OVER_DELIVERY,
            Reason.BASELINE,
        )
        if (n := sum(any(r.reason == reason for r in row.reasons) for row in cleared))
    ]
    change = report.delivery_difference_fen
    if not change and not causes:
        return None
    verb = f"added {cny(change)} CNY" if change >= 0 else f"took {cny(-change)} CNY off"
    why = f" ({', '.join(causes)})" if causes else ""
    return f"dispatch, delivery and baseline {verb}{why}"


def summary_of(report: DayReport) -> str:
    """Expected against paid, then each step's part of the difference, in one paragraph."""
    parts = []
    for bucket, words in LOST_WORDS.items():
        fen = getattr(report, f"{bucket}_fen")
        if fen:
            n = sum(1 for r in report.rows if r.bucket == bucket and r.figures.expected_revenue_fen)
            parts.append(f"{cny(fen)} CNY was expected in {_intervals(n)} {words}")
    cleared = [row for row in report.rows if row.bucket == "cleared"]
    if cleared:
        parts.append(_market_clause(report, cleared))
        delivery = _delivery_clause(report, cleared)
        if delivery:
            parts.append(delivery)
    else:
        parts.append("nothing cleared")
    gap = report.paid_fen - report.expected_revenue_fen
    head = f"Expected {cny(report.expected_revenue_fen)} CNY"
    plan = report.plan_expected_revenue_fen
    if plan is not None and plan != report.expected_revenue_fen:
        head += f" (the plan's {cny(plan)} CNY also nets rebound outside the offered intervals)"
    head += f", paid {cny(report.paid_fen)} CNY ({_signed(gap)})"
    return head + ": " + "; ".join(parts) + "."
