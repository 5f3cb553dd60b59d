"""Settling a market day: bands, penalties, estimated data, and fen that always add up."""

from __future__ import annotations

import dataclasses
import random
from datetime import date
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from settlement.exceptions import InvalidInput, MissingData
from settlement.money import round_fen
from settlement.performance import MeteredColumns, MeteredInterval
from settlement.program import DEFAULT_PROGRAM
from settlement.rules import IntervalAward, diff, input_digest, settle_day

DAY = date(2025, 7, 15)
PRICE = 400_000  # fen/MWh = 4 CNY/kWh, so 1 kWh is worth 400 fen
EVENING = 76  # 19:00-19:15


def row(enterprise, asset, reduction_kw, instructed_kw=400.0, interval=EVENING, estimated=False):
    return MeteredInterval(
        enterprise_id=enterprise,
        asset_id=asset,
        interval=interval,
        baseline_kw=1_000.0,
        metered_kw=1_000.0 - reduction_kw,
        instructed_kw=instructed_kw,
        estimated=estimated,
    )


def award(kw=400.0, interval=EVENING, price=PRICE):
    # 400 kW for a quarter hour is an award of 100 kWh.
    return {interval: IntervalAward(interval, kw, price)}


def assert_fen_add_up(day):
    assert day.operator_fee_fen + sum(e.amount_fen for e in day.enterprises) == (
        day.gross_payment_fen - day.penalty_fen
    )
    assert day.enterprise_pool_fen == sum(e.amount_fen for e in day.enterprises)
    for result in day.enterprises:
        own = day.lines[day.lines["enterprise_id"] == result.enterprise_id]
        assert int(own["amount_fen"].sum()) == result.amount_fen


def test_below_half_is_unpaid_and_penalised():
    # 160 kW for 15 min = 40 kWh of 100 kWh awarded: 40 %.
    day = settle_day(DAY, [row("steelworks", "furnace-1", 160.0)], award(), DEFAULT_PROGRAM)
    assert day.gross_payment_fen == 0
    # (100 kWh x 0.5 - 40 kWh) x 400 fen/kWh x 0.5 = 2 000 fen
    assert day.penalty_fen == 2_000
    assert day.operator_fee_fen == -200
    assert day.enterprise("steelworks").amount_fen == -1_800
    assert day.intervals.loc[0, "response_rate"] == pytest.approx(0.4)
    assert_fen_add_up(day)


@pytest.mark.parametrize(
    ("reduction_kw", "delivered_wh", "gross_fen"),
    [
        (200.0, 50_000, 20_000),  # exactly 50 %: paid, not penalised
        (280.0, 70_000, 28_000),  # 70 %: paid for the 70 kWh delivered
        (400.0, 100_000, 40_000),  # 100 %: paid in full
        (480.0, 120_000, 48_000),  # 120 %: still paid for all of it
        (600.0, 150_000, 48_000),  # 150 %: paid only up to 120 kWh
    ],
)
def test_paid_bands(reduction_kw, delivered_wh, gross_fen):
    day = settle_day(DAY, [row("steelworks", "furnace-1", reduction_kw)], award(), DEFAULT_PROGRAM)
    assert day.delivered_wh == delivered_wh
    assert day.awarded_wh == 100_000
    assert day.gross_payment_fen == gross_fen
    assert day.penalty_fen == 0
    assert day.operator_fee_fen == gross_fen // 10
    assert day.enterprise("steelworks").amount_fen == gross_fen - gross_fen // 10
    assert_fen_add_up(day)


def test_only_instructed_reductions_below_baseline_count():
    rows = [
        row("steelworks", "furnace-1", 400.0),
        row("steelworks", "furnace-2", 300.0, instructed_kw=0.0),  # not called: not paid
        row("glassworks", "kiln-1", -250.0),  # ran above baseline: counts 0, not negative
    ]
    day = settle_day(DAY, rows, award(), DEFAULT_PROGRAM)
    assert day.delivered_wh == 100_000
    assert day.enterprise("glassworks").delivered_wh == 0
    assert day.enterprise("glassworks").amount_fen == 0
    assert day.enterprise("steelworks").amount_fen == 36_000


def test_estimated_rows_are_not_paid_when_the_program_forbids_it():
    rows = [
        row("steelworks", "furnace-1", 200.0),
        row("glassworks", "kiln-1", 200.0, estimated=True),
    ]
    day = settle_day(DAY, rows, award(), DEFAULT_PROGRAM)
    # Only the measured 50 kWh counts: 50 % of the award, 20 000 fen gross.
    assert day.gross_payment_fen == 20_000
    glass = day.enterprise("glassworks")
    assert (glass.delivered_wh, glass.amount_fen, glass.includes_estimated) == (0, 0, True)
    assert day.enterprise("steelworks").amount_fen == 18_000
    flagged = day.lines.set_index("asset_id")["excluded_estimated"]
    assert flagged["kiln-1"] and not flagged["furnace-1"]

    lenient = dataclasses.replace(DEFAULT_PROGRAM, settle_estimated=True)
    day = settle_day(DAY, rows, award(), lenient)
    assert day.gross_payment_fen == 40_000
    assert day.enterprise("glassworks").amount_fen == 18_000
    assert not day.lines["excluded_estimated"].any()


def test_gross_is_rounded_once_for_the_day_not_per_interval():
    # 1 kW for a quarter hour = 250 Wh at 2 000 fen/MWh = 0.5 fen in each of 3 intervals.
    rows = [row("bakery", "oven", 1.0, instructed_kw=1.0, interval=i) for i in (10, 11, 12)]
    awards = {i: IntervalAward(i, 1.0, 2_000) for i in (10, 11, 12)}
    day = settle_day(DAY, rows, awards, DEFAULT_PROGRAM)
    assert day.gross_payment_fen == 2  # round(1.5), not 3 x round(0.5)
    assert_fen_add_up(day)


def test_a_penalty_is_shared_by_instructed_energy():
    rows = [
        row("steelworks", "furnace-1", 0.0, instructed_kw=300.0),  # called, delivered nothing
        row("glassworks", "kiln-1", 100.0, instructed_kw=100.0),  # delivered what was asked
    ]
    day = settle_day(DAY, rows, award(), DEFAULT_PROGRAM)
    # 25 % response: (50 - 25) kWh x 400 fen x 0.5 = 5 000 fen penalty, operator bears 10 %.
    assert (day.gross_payment_fen, day.penalty_fen, day.operator_fee_fen) == (0, 5_000, -500)
    assert day.enterprise("steelworks").amount_fen == -3_375
    assert day.enterprise("glassworks").amount_fen == -1_125
    assert_fen_add_up(day)


def test_when_nobody_was_called_the_operator_carries_the_penalty():
    day = settle_day(
        DAY, [row("steelworks", "furnace-1", 0.0, instructed_kw=0.0)], award(), DEFAULT_PROGRAM
    )
    assert day.penalty_fen == 10_000
    assert day.operator_fee_fen == -10_000
    assert day.enterprise("steelworks").amount_fen == 0
    assert_fen_add_up(day)


def multi_enterprise_day(seed=7):
    rng = random.Random(seed)
    rows, awards = [], {}
    assets = {
        "steelworks": ["furnace-1", "furnace-2"],
        "glassworks": ["kiln-1"],
        "mill": ["a", "b", "c"],
    }
    for interval in range(68, 84):
        awards[interval] = IntervalAward(
            interval, rng.uniform(200, 900), rng.randint(100_000, 1_500_000)
        )
        for enterprise, names in assets.items():
            for asset in names:
                rows.append(
                    MeteredInterval(
                        enterprise, asset, interval, 500.0, rng.uniform(250, 520),
                        rng.choice([0.0, 150.0, 200.0]), estimated=rng.random() < 0.1,
                    )
                )  # fmt: skip
    return rows, awards


def test_a_multi_enterprise_day_adds_up_to_the_fen():
    rows, awards = multi_enterprise_day()
    day = settle_day(DAY, rows, awards, DEFAULT_PROGRAM)
    assert day.gross_payment_fen > 0
    assert_fen_add_up(day)
    # Gross equals the exact interval payments, summed and then rounded once.
    exact = sum(
        Fraction(a.clearing_price_fen_per_mwh)
        * min(Fraction(int(t.delivered_wh)), Fraction(6, 5) * int(t.awarded_wh))
        * (Fraction(t.delivered_wh, t.awarded_wh) >= Fraction(1, 2))
        / 1_000_000
        for a, t in zip(awards.values(), day.intervals.itertuples(), strict=True)
    )
    assert day.gross_payment_fen == round_fen(exact)
    # Each enterprise is within one fen of its exact share of the pool.
    for result in day.enterprises:
        share = Fraction(day.enterprise_pool_fen * result.delivered_wh, day.delivered_wh)
        assert abs(result.amount_fen - share) < 1


def test_the_same_input_gives_the_same_digest_and_settlement():
    rows, awards = multi_enterprise_day()
    shuffled = rows[::-1]
    assert input_digest(DAY, rows, awards, DEFAULT_PROGRAM) == input_digest(
        DAY, shuffled, dict(reversed(awards.items())), DEFAULT_PROGRAM
    )
    assert settle_day(DAY, rows, awards, DEFAULT_PROGRAM) == settle_day(
        DAY, shuffled, awards, DEFAULT_PROGRAM
    )


def test_corrected_meter_data_or_rules_change_the_digest():
    rows, awards = multi_enterprise_day()
    before = input_digest(DAY, rows, awards, DEFAULT_PROGRAM)
    corrected = [*rows[:-1], dataclasses.replace(rows[-1], metered_kw=rows[-1].metered_kw - 0.001)]
    assert input_digest(DAY, corrected, awards, DEFAULT_PROGRAM) != before
    lenient = dataclasses.replace(DEFAULT_PROGRAM, settle_estimated=True)
    assert input_digest(DAY, rows, awards, lenient) != before
    assert input_digest(date(2025, 7, 16), rows, awards, DEFAULT_PROGRAM) != before


def test_diff_shows_the_enterprise_whose_meter_data_was_corrected():
    rows = [row("steelworks", "furnace-1", 240.0), row("glassworks", "kiln-1", 160.0)]
    first = settle_day(DAY, rows, award(), DEFAULT_PROGRAM)
    assert first.enterprise("steelworks").amount_fen == 21_600
    assert first.enterprise("glassworks").amount_fen == 14_400
    rows[0] = row("steelworks", "furnace-1", 280.0)  # meter reading corrected: 70 kWh, not 60
    second = settle_day(DAY, rows, award(), DEFAULT_PROGRAM)
    [change] = diff(first, second)
    assert change.enterprise_id == "steelworks"
    assert (change.previous_amount_fen, change.current_amount_fen) == (21_600, 25_200)
    assert change.change_fen == 3_600
    assert (change.previous_delivered_wh, change.current_delivered_wh) == (60_000, 70_000)
    assert diff(second, second) == []


def test_an_instruction_without_an_award_is_missing_data():
    with pytest.raises(MissingData, match="interval 76"):
        settle_day(DAY, [row("steelworks", "furnace-1", 100.0)], {}, DEFAULT_PROGRAM)


def test_an_award_without_meter_rows_is_missing_data():
    with pytest.raises(MissingData, match="interval 77"):
        settle_day(
            DAY,
            [row("steelworks", "furnace-1", 100.0)],
            {**award(), **award(interval=77)},
            DEFAULT_PROGRAM,
        )


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: IntervalAward(96, 1.0, 1), "interval"),
        (lambda: IntervalAward(1, -1.0, 1), "awarded_kw"),
        (lambda: IntervalAward(1, 1.0, 1.5), "clearing_price_fen_per_mwh"),
        (lambda: row("s", "a", float("nan")), "metered_kw"),
        (lambda: row("s", "a", 1.0, instructed_kw=-5.0), "instructed_kw"),
        (lambda: settle_day(DAY, [row("s", "a", 1.0)] * 2, award(), DEFAULT_PROGRAM), "rows[1]"),
        (lambda: settle_day(DAY, [], {3: IntervalAward(4, 1.0, 1)}, DEFAULT_PROGRAM), "awards[3]"),
        (lambda: settle_day("2025-07-15", [], {}, DEFAULT_PROGRAM), "market_day"),
    ],
)
def test_bad_input_names_the_field(build, field):
    with pytest.raises(InvalidInput) as err:
        build()
    assert err.value.field == field


def columns_of(rows):
    """The rows as MeteredColumns built by hand, assets in reverse order of appearance."""
    assets = list(dict.fromkeys(r.asset_id for r in rows))[::-1]
    owners = {r.asset_id: r.enterprise_id for r in rows}
    return MeteredColumns(
        asset_ids=assets,
        enterprise_ids=[owners[a] for a in assets],
        asset_index=np.array([assets.index(r.asset_id) for r in rows]),
        interval=np.array([r.interval for r in rows]),
        baseline_kw=np.array([r.baseline_kw for r in rows]),
        metered_kw=np.array([r.metered_kw for r in rows]),
        instructed_kw=np.array([r.instructed_kw for r in rows]),
        estimated=np.array([r.estimated for r in rows]),
    )


def test_columns_settle_exactly_like_rows():
    rows, awards = multi_enterprise_day()
    by_rows = settle_day(DAY, rows, awards, DEFAULT_PROGRAM)
    by_columns = settle_day(DAY, columns_of(rows[::-1]), awards, DEFAULT_PROGRAM)
    assert by_columns == by_rows
    pd.testing.assert_frame_equal(by_columns.lines, by_rows.lines, check_exact=True)
    pd.testing.assert_frame_equal(by_columns.intervals, by_rows.intervals, check_exact=True)
    assert input_digest(DAY, columns_of(rows), awards, DEFAULT_PROGRAM) == input_digest(
        DAY, rows, awards, DEFAULT_PROGRAM
    )


def test_hand_computed_penalty_sharing_from_columns():
    rows = [
        row("steelworks", "furnace-1", 0.0, instructed_kw=300.0),
        row("glassworks", "kiln-1", 100.0, instructed_kw=100.0),
    ]
    day = settle_day(DAY, columns_of(rows), award(), DEFAULT_PROGRAM)
    assert (day.penalty_fen, day.operator_fee_fen) == (5_000, -500)
    assert day.enterprise("steelworks").amount_fen == -3_375
    assert day.enterprise("glassworks").amount_fen == -1_125


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"interval": np.array([76, 96])}, "rows[1].interval"),
        ({"instructed_kw": np.array([1.0, -1.0])}, "rows[1].instructed_kw"),
        ({"metered_kw": np.array([np.inf, 1.0])}, "rows[0].metered_kw"),
        ({"asset_index": np.array([0, 0]), "interval": np.array([76, 76])}, "rows[1]"),
        ({"asset_index": np.array([0, 2])}, "rows[1].asset_index"),
        ({"asset_ids": ["a", "a"]}, "asset_ids[1]"),
        ({"enterprise_ids": ["s", ""]}, "enterprise_ids[1]"),
        ({"estimated": np.array([0, 1])}, "estimated"),
    ],
)
def test_bad_columns_name_the_field_and_row(change, field):
    fields = {
        "asset_ids": ["a", "b"],
        "enterprise_ids": ["s", "t"],
        "asset_index": np.array([0, 1]),
        "interval": np.array([76, 76]),
        "baseline_kw": np.array([1.0, 1.0]),
        "metered_kw": np.array([0.0, 0.0]),
        "instructed_kw": np.array([1.0, 1.0]),
        "estimated": np.array([False, False]),
    }
    with pytest.raises(InvalidInput) as err:
        MeteredColumns(**{**fields, **change})
    assert err.value.field == field
