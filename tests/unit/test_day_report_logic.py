"""Plan versus outcome, the pure part: the reasons of an interval, the day's split from
expected to paid and its summary, and the settled figures per interval, all by hand.

The day's figures are those of the settled day of tests/test_day_report.py (its module
docstring works them out); that test fetches the same report over gRPC.
"""

from __future__ import annotations

from datetime import date

import pytest

from bidding.intervals import INTERVALS_PER_DAY
from settlement.day_report import IntervalFigures, Reason, quantity_effect_fen, report_day
from settlement.exceptions import InvalidInput, MissingData
from settlement.interval_reasons import cny, reasons_for, time_label
from settlement.performance import MeteredInterval
from settlement.program import DEFAULT_PROGRAM
from settlement.results import IntervalAward
from settlement.settled_intervals import IssuedTotals, settled_intervals

DAY = date(2026, 12, 4)


def reasons(figures: IntervalFigures) -> list[Reason]:
    return [r.reason for r in reasons_for(figures)]


# -- the reasons, by hand ---------------------------------------------------------------


def test_clock_labels_and_money_read_as_an_operator_reads_them():
    assert time_label(0) == "00:00-00:15"
    assert time_label(72) == "18:00-18:15"
    assert time_label(95) == "23:45-24:00"
    assert cny(723_449) == "7,234.49"
    assert cny(-5) == "-0.05"


def test_nothing_offered_nothing_called_gives_no_reason():
    assert reasons_for(IntervalFigures(10)) == ()


def test_a_call_without_an_offer_is_not_offered():
    (reason,) = reasons_for(IntervalFigures(75, called_kw=1000.0, price_cap_fen_per_mwh=1_300_000))
    assert reason.reason == Reason.NOT_OFFERED
    assert reason.detail == "the grid called 1,000 kW; nothing was offered"


def test_an_offer_without_a_buyer_is_not_called():
    (reason,) = reasons_for(IntervalFigures(60, offered_kw=300.0, lowest_offer_fen_per_mwh=500_000))
    assert (reason.reason, reason.detail) == (
        Reason.NOT_CALLED,
        "no buyer: the grid did not call it",
    )


def test_an_offer_above_the_grids_cap_says_both_prices():
    (reason,) = reasons_for(
        IntervalFigures(
            74,
            offered_kw=500.0,
            lowest_offer_fen_per_mwh=1_400_000,
            called_kw=1000.0,
            price_cap_fen_per_mwh=1_300_000,
        )
    )
    assert reason.reason == Reason.PRICE_ABOVE_CAP
    assert reason.detail == (
        "the lowest offer, 14,000 CNY/MWh, is above the grid's cap of 13,000 CNY/MWh"
    )


def test_an_offer_within_the_cap_that_the_grid_did_not_buy_is_not_called():
    (reason,) = reasons_for(
        IntervalFigures(
            74,
            offered_kw=500.0,
            lowest_offer_fen_per_mwh=1_200_000,
            called_kw=1000.0,
            price_cap_fen_per_mwh=1_300_000,
        )
    )
    assert reason.reason == Reason.NOT_CALLED
    assert reason.detail == "the grid called 1,000 kW but bought none of the offer"


def cleared(**changes) -> IntervalFigures:
    """1,000 kW cleared at 1,000,000 fen/MWh (250,000 fen), dispatched and delivered."""
    base = {
        "interval": 73,
        "offered_kw": 1000.0,
        "lowest_offer_fen_per_mwh": 900_000,
        "called_kw": 1000.0,
        "price_cap_fen_per_mwh": 1_300_000,
        "cleared_kw": 1000.0,
        "clearing_price_fen_per_mwh": 1_000_000,
        "dispatched_kw": 1000.0,
        "delivered_kw": 1000.0,
        "reference_delivered_kw": 1000.0,
        "paid_fen": 250_000,
    }
    return IntervalFigures(**{**base, **changes})


def test_cleared_dispatched_and_delivered_is_paid_as_cleared():
    figures = cleared()
    assert figures.cleared_value_fen == 250_000
    (reason,) = reasons_for(figures)
    assert reason.reason == Reason.PAID_AS_CLEARED
    assert reason.detail == "paid 2,500.00 CNY for 1,000 kW at 10,000 CNY/MWh, as cleared"


def test_the_grid_taking_less_than_offered_is_partly_cleared():
    first, second = reasons_for(cleared(offered_kw=1200.0))
    assert first.reason == Reason.PARTLY_CLEARED
    assert first.detail == "the grid took 1,000 of 1,200 kW offered (it called 1,000 kW)"
    assert second.reason == Reason.PAID_AS_CLEARED


def test_less_dispatched_than_cleared_is_not_dispatched():
    figures = cleared(dispatched_kw=900.0, delivered_kw=900.0, reference_delivered_kw=900.0)
    (reason,) = reasons_for(figures)
    assert reason.reason == Reason.NOT_DISPATCHED
    assert reason.detail.startswith("100 of 1,000 kW cleared were not dispatched; paid")


def test_more_dispatched_than_cleared_is_said():
    # A curtailment event holds one level: 1,000 kW sent for a 600 kW award.
    figures = cleared(offered_kw=600.0, cleared_kw=600.0, paid_fen=180_000)
    (reason,) = reasons_for(figures)
    assert reason.reason == Reason.DISPATCHED_ABOVE_CLEARED
    assert reason.detail == (
        "1,000 kW were dispatched for 600 kW cleared; paid 1,800.00 CNY against 1,500.00 CNY "
        "cleared"
    )


def test_a_cut_below_the_dispatch_is_under_delivery_and_says_what_was_paid():
    (reason,) = reasons_for(
        cleared(delivered_kw=800.0, reference_delivered_kw=None, paid_fen=200_000)
    )
    assert reason.reason == Reason.UNDER_DELIVERY
    assert reason.detail == (
        "the assets cut 800 of 1,000 kW dispatched (80%); "
        "paid 2,000.00 CNY against 2,500.00 CNY cleared"
    )


def test_a_cut_above_the_dispatch_is_over_delivery():
    figures = cleared(delivered_kw=1100.0, reference_delivered_kw=1100.0)
    assert reasons(figures) == [Reason.OVER_DELIVERY]


def test_a_settlement_baseline_other_than_the_days_own_load_is_baseline():
    (reason,) = reasons_for(cleared(baseline_kw=2000.0, delivered_kw=900.0, paid_fen=225_000))
    assert reason.reason == Reason.BASELINE
    assert reason.detail == (
        "the settlement baseline (2,000 kW) counts 900 kW delivered where the day's own load "
        "shows 1,000 kW; paid 2,250.00 CNY against 2,500.00 CNY cleared"
    )


def test_differences_within_the_meters_tolerance_are_no_reason():
    # 2 % of 1,000 kW = 20 kW: 985 kW is as dispatched, 979 kW is not.
    assert reasons(cleared(delivered_kw=985.0, reference_delivered_kw=985.0)) == [
        Reason.PAID_AS_CLEARED
    ]
    assert reasons(cleared(delivered_kw=979.0, reference_delivered_kw=979.0)) == [
        Reason.UNDER_DELIVERY
    ]
    # 13 kW short against the day's own load and 8 kW by the baseline: each within the
    # tolerance, together 21 kW, beyond it; the larger part is named.
    assert reasons(cleared(delivered_kw=979.0, reference_delivered_kw=987.0)) == [
        Reason.UNDER_DELIVERY
    ]
    assert reasons(cleared(delivered_kw=979.0, reference_delivered_kw=992.0)) == [Reason.BASELINE]


def test_bad_figures_are_refused_naming_the_field():
    with pytest.raises(InvalidInput) as err:
        IntervalFigures(96)
    assert err.value.field == "interval"
    with pytest.raises(InvalidInput) as err:
        IntervalFigures(1, cleared_kw=float("nan"))
    assert err.value.field == "cleared_kw"
    with pytest.raises(InvalidInput) as err:
        report_day(DAY, [IntervalFigures(1), IntervalFigures(1)])
    assert err.value.field == "figures[1].interval"


# -- the day's report, by hand (the figures of the settled day of tests/test_day_report.py)

CALLED = {"called_kw": 1000.0, "price_cap_fen_per_mwh": 1_300_000}
DAY_FIGURES = [
    IntervalFigures(60, 300.0, 500_000, 300.0, 37_500),
    IntervalFigures(
        72,
        600.0,
        800_000,
        600.0,
        120_000,
        **CALLED,
        cleared_kw=600.0,
        clearing_price_fen_per_mwh=800_000,
        dispatched_kw=600.0,
        baseline_kw=2000.0,
        metered_kw=1500.0,
        delivered_kw=500.0,
        reference_delivered_kw=600.0,
        paid_fen=100_000,
    ),  # fmt: skip
    IntervalFigures(
        73,
        1200.0,
        900_000,
        1100.0,
        264_000,
        **CALLED,
        cleared_kw=1000.0,
        clearing_price_fen_per_mwh=1_000_000,
        dispatched_kw=1000.0,
        baseline_kw=2000.0,
        metered_kw=1300.0,
        delivered_kw=700.0,
        reference_delivered_kw=800.0,
        paid_fen=175_000,
    ),  # fmt: skip
    IntervalFigures(74, 500.0, 1_400_000, 500.0, 175_000, **CALLED),
    *(IntervalFigures(t, **CALLED) for t in range(75, 80)),
]
SUMMARY = (
    "Expected 5,965.00 CNY (the plan's 5,950.00 CNY also nets rebound outside the offered "
    "intervals), paid 2,750.00 CNY (-3,215.00 CNY): 375.00 CNY was expected in 1 interval "
    "without a buyer (not called); 1,750.00 CNY was expected in 1 interval offered above "
    "the grid's cap; the 2 cleared intervals were worth 3,700.00 CNY as "
    "cleared against 3,840.00 CNY expected (-240.00 CNY because the grid took 400 of the "
    "425 kWh expected; +100.00 CNY because it cleared at 8,000-10,000 CNY/MWh, not the "
    "9,035 CNY/MWh expected on average); dispatch, delivery and baseline took 950.00 CNY "
    "off (under-delivery in 1, baseline in 2)."
)


def test_the_days_reasons_follow_plan_market_dispatch_delivery():
    report = report_day(DAY, DAY_FIGURES, plan_expected_revenue_fen=595_000)
    assert len(report.rows) == INTERVALS_PER_DAY
    by_interval = {row.figures.interval: [r.reason for r in row.reasons] for row in report.rows}
    assert by_interval[60] == [Reason.NOT_CALLED]
    assert by_interval[72] == [Reason.BASELINE]
    assert by_interval[73] == [Reason.PARTLY_CLEARED, Reason.UNDER_DELIVERY, Reason.BASELINE]
    assert by_interval[74] == [Reason.PRICE_ABOVE_CAP]
    assert all(by_interval[t] == [Reason.NOT_OFFERED] for t in range(75, 80))
    assert sum(1 for r in by_interval.values() if r) == 9


def test_expected_to_paid_adds_up_to_the_fen_and_is_said_in_one_paragraph():
    report = report_day(DAY, DAY_FIGURES, plan_expected_revenue_fen=595_000)
    assert quantity_effect_fen(DAY_FIGURES[2]) == -24_000  # (1,000 / 1,100 - 1) x 264,000
    assert (report.expected_revenue_fen, report.cleared_value_fen, report.paid_fen) == (
        596_500,
        370_000,
        275_000,
    )
    assert (report.not_offered_fen, report.not_called_fen, report.price_above_cap_fen) == (
        0,
        37_500,
        175_000,
    )
    assert (report.market_quantity_fen, report.market_price_fen) == (-24_000, 10_000)
    assert report.delivery_difference_fen == -95_000
    assert report.paid_fen == (
        report.expected_revenue_fen
        - report.not_offered_fen
        - report.not_called_fen
        - report.price_above_cap_fen
        + report.market_quantity_fen
        + report.market_price_fen
        + report.delivery_difference_fen
    )
    assert report.energy_kwh == pytest.approx(
        {"offered": 650.0, "expected": 625.0, "cleared": 400.0, "dispatched": 400.0,
         "delivered": 300.0}
    )  # fmt: skip
    assert report.summary == SUMMARY


def test_a_day_where_nothing_cleared_says_so():
    report = report_day(DAY, [IntervalFigures(60, 300.0, 500_000, 300.0, 37_500)])
    assert report.summary == (
        "Expected 375.00 CNY, paid 0.00 CNY (-375.00 CNY): 375.00 CNY was expected in 1 "
        "interval without a buyer (not called); nothing cleared."
    )


# -- the settled side per interval, by hand ----------------------------------------------


def row(asset_id, interval, baseline, metered, instructed, estimated=False) -> MeteredInterval:
    return MeteredInterval("ent-a", asset_id, interval, baseline, metered, instructed, estimated)


def test_settled_intervals_sum_the_instructed_assets_and_split_the_money_exactly():
    # 10: 100 kW awarded at 400,000, press cuts 100 kW: 25,000 Wh -> 10,000 fen.
    # 11: 100 kW awarded at 300,000, press cuts 40 kW: rate 0.4, unpaid, penalty
    #     (0.5 x 25,000 - 10,000) Wh x 300,000 / 1e6 x 0.5 = 375 fen.
    # 20, 21: 1 kW at 402,000 delivered in full: 100.5 fen each, 201 fen rounded once over
    #     the day (10,000 + 201 = 10,201 gross); the leftover fen goes to interval 20.
    rows = [
        row("press", 10, 500.0, 400.0, 100.0),
        row("press", 11, 500.0, 460.0, 100.0),
        row("kiln", 20, 50.0, 49.0, 1.0),
        row("kiln", 21, 50.0, 49.0, 1.0),
        row("kiln", 22, 50.0, 40.0, 0.0),  # not instructed: delivers nothing
    ]
    awards = {
        10: IntervalAward(10, 100.0, 400_000),
        11: IntervalAward(11, 100.0, 300_000),
        20: IntervalAward(20, 1.0, 402_000),
        21: IntervalAward(21, 1.0, 402_000),
    }
    issued = IssuedTotals(gross_payment_fen=10_201, capacity_payment_fen=0, penalty_fen=375)
    reference = {"press": [520.0] * INTERVALS_PER_DAY}
    out = settled_intervals(DAY, rows, awards, DEFAULT_PROGRAM, issued, reference)
    by = {s.interval: s for s in out}
    assert [by[t].paid_fen for t in (10, 11, 20, 21, 22)] == [10_000, -375, 101, 100, 0]
    assert sum(s.paid_fen for s in out) == 10_201 - 375
    assert (by[10].dispatched_kw, by[10].baseline_kw, by[10].metered_kw) == (100.0, 500.0, 400.0)
    assert by[10].delivered_kw == pytest.approx(100.0)
    assert by[11].delivered_kw == pytest.approx(40.0)
    assert by[10].reference_delivered_kw == pytest.approx(120.0)
    assert by[11].reference_delivered_kw == pytest.approx(60.0)
    assert by[20].reference_delivered_kw is None  # kiln has no reference baseline
    assert by[22].dispatched_kw == 0.0 and by[22].delivered_kw == 0.0


def test_issued_money_that_no_interval_earns_is_missing_data():
    rows = [row("press", 10, 500.0, 500.0, 100.0)]  # called, delivered nothing
    awards = {10: IntervalAward(10, 100.0, 400_000)}
    issued = IssuedTotals(gross_payment_fen=500, capacity_payment_fen=0, penalty_fen=5_000)
    with pytest.raises(MissingData) as err:
        settled_intervals(DAY, rows, awards, DEFAULT_PROGRAM, issued)
    assert err.value.subject == "payment_fen"


def test_a_sale_outside_the_plan_is_not_called_not_offered():
    figures = cleared(offered_kw=0.0, lowest_offer_fen_per_mwh=None)
    assert reasons(figures) == [Reason.PAID_AS_CLEARED]
