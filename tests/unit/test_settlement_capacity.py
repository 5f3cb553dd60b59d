"""Capacity payments: per awarded kW and interval, full, pro rata or forfeited, to the fen."""

from __future__ import annotations

import dataclasses
from datetime import date
from fractions import Fraction

import pytest

from settlement.exceptions import InvalidInput
from settlement.performance import MeteredInterval
from settlement.program import DEFAULT_PROGRAM, PaymentBand, ProgramRules
from settlement.rules import IntervalAward, input_digest, settle_day

DAY = date(2025, 7, 15)
PRICE = 400_000  # fen/MWh: 1 kWh is worth 400 fen
EVENING = 76


def row(enterprise, asset, reduction_kw, interval=EVENING, instructed_kw=400.0):
    return MeteredInterval(
        enterprise_id=enterprise,
        asset_id=asset,
        interval=interval,
        baseline_kw=1_000.0,
        metered_kw=1_000.0 - reduction_kw,
        instructed_kw=instructed_kw,
        estimated=False,
    )


def awards(*intervals, kw=400.0, price=PRICE):
    return {i: IntervalAward(i, kw, price) for i in intervals}


def program(price=5, **kw):
    """The Jiangsu program plus 5 fen per awarded kW and interval."""
    return dataclasses.replace(DEFAULT_PROGRAM, capacity_price_fen_per_kw=Fraction(price), **kw)


CAPACITY_ONLY = dataclasses.replace(
    program(),
    bands=(PaymentBand(Fraction(0), None, Fraction(0)),),
    penalty_factor=Fraction(0),
)


def assert_fen_add_up(day):
    shares = sum(e.amount_fen for e in day.enterprises)
    assert day.enterprise_pool_fen == shares
    assert (
        day.operator_fee_fen + shares
        == day.net_pool_fen
        == (day.gross_payment_fen + day.capacity_payment_fen - day.penalty_fen)
    )
    for result in day.enterprises:
        own = day.lines[day.lines["enterprise_id"] == result.enterprise_id]
        assert int(own["amount_fen"].sum()) == result.amount_fen


def test_capacity_only_pays_the_awarded_kw_at_full_performance():
    # 400 kW awarded, 360 kW delivered (90 % >= 80 %): 400 kW x 5 fen = 2 000 fen, no energy pay.
    day = settle_day(DAY, [row("steel", "f1", 360.0)], awards(EVENING), CAPACITY_ONLY)
    assert (day.gross_payment_fen, day.capacity_payment_fen, day.penalty_fen) == (0, 2_000, 0)
    assert (day.operator_fee_fen, day.enterprise("steel").amount_fen) == (200, 1_800)
    assert day.intervals.loc[0, "capacity_fen"] == 2_000.0
    assert_fen_add_up(day)


def test_energy_and_capacity_add_up_in_one_pool():
    # 360 kW delivered = 90 kWh x 400 fen = 36 000 fen energy, plus 2 000 fen capacity.
    day = settle_day(DAY, [row("steel", "f1", 360.0)], awards(EVENING), program())
    assert (day.gross_payment_fen, day.capacity_payment_fen) == (36_000, 2_000)
    assert (day.operator_fee_fen, day.enterprise_pool_fen) == (3_800, 34_200)
    assert_fen_add_up(day)


def test_between_floor_and_full_rate_capacity_is_paid_pro_rata():
    # 240 of 400 kW = 60 %: capacity 2 000 x 0.6 / 0.8 = 1 500 fen; energy 60 kWh = 24 000 fen.
    day = settle_day(DAY, [row("steel", "f1", 240.0)], awards(EVENING), program())
    assert (day.gross_payment_fen, day.capacity_payment_fen) == (24_000, 1_500)
    assert day.intervals.loc[0, "capacity_factor"] == pytest.approx(0.75)
    assert_fen_add_up(day)


def test_below_the_floor_capacity_is_forfeited_and_the_penalty_stays():
    # 160 of 400 kW = 40 % < 50 %: no capacity, no energy, penalty (50 - 40) kWh x 400 x 0.5.
    day = settle_day(DAY, [row("steel", "f1", 160.0)], awards(EVENING), program())
    assert (day.gross_payment_fen, day.capacity_payment_fen, day.penalty_fen) == (0, 0, 2_000)
    assert day.enterprise("steel").amount_fen == -1_800
    assert_fen_add_up(day)


def test_capacity_is_judged_interval_by_interval_and_rounded_once():
    # 1/3 fen per kW: interval 76 at 100 % earns 400/3, interval 77 at 40 % nothing,
    # interval 78 at 60 % earns 400/3 x 3/4 = 100: 233.33 -> 233 fen (once, not per interval).
    rows = [row("steel", "f1", 400.0, 76), row("steel", "f1", 160.0, 77)]
    rows.append(row("steel", "f1", 240.0, 78))
    day = settle_day(
        DAY,
        rows,
        awards(76, 77, 78),
        dataclasses.replace(CAPACITY_ONLY, capacity_price_fen_per_kw=Fraction(1, 3)),
    )
    assert day.capacity_payment_fen == 233
    assert list(day.intervals["capacity_factor"]) == [1.0, 0.0, 0.75]
    assert_fen_add_up(day)


def test_awkward_capacity_split_by_delivered_energy_by_largest_remainder():
    # 3 enterprises deliver 100 kW each of a 300 kW award: 300 x 1 fen = 300 fen capacity,
    # 10 % fee = 30, 270 over three equal weights = 90 each. Make it awkward: 7 fen per kW
    # -> 2 100 fen, fee 210, 1 890 / 3 = 630 each; then deliveries 101/100/99 kW.
    rows = [row("a", "a1", 101.0, instructed_kw=100.0), row("b", "b1", 100.0, instructed_kw=100.0)]
    rows.append(row("c", "c1", 99.0, instructed_kw=100.0))
    day = settle_day(
        DAY,
        rows,
        awards(EVENING, kw=300.0),
        dataclasses.replace(CAPACITY_ONLY, capacity_price_fen_per_kw=Fraction(7)),
    )
    assert (day.capacity_payment_fen, day.operator_fee_fen) == (2_100, 210)
    # Delivered Wh 25 250 / 25 000 / 24 750 of 75 000: exact 636.3, 630, 623.7
    # -> floors 636, 630, 623 (1 889), the leftover fen to the largest remainder (c: .7).
    amounts = {e.enterprise_id: e.amount_fen for e in day.enterprises}
    assert amounts == {"a": 636, "b": 630, "c": 624}
    assert_fen_add_up(day)


def test_without_capacity_price_results_and_digests_are_unchanged():
    rows, award = [row("steel", "f1", 360.0)], awards(EVENING)
    explicit = dataclasses.replace(DEFAULT_PROGRAM, capacity_price_fen_per_kw=Fraction(0))
    assert settle_day(DAY, rows, award, explicit) == settle_day(DAY, rows, award, DEFAULT_PROGRAM)
    assert "capacity_price_fen_per_kw" not in DEFAULT_PROGRAM.to_dict()
    assert input_digest(DAY, rows, award, explicit) == input_digest(
        DAY, rows, award, DEFAULT_PROGRAM
    )
    assert input_digest(DAY, rows, award, program()) != input_digest(
        DAY, rows, award, DEFAULT_PROGRAM
    )


def test_capacity_rules_round_trip_through_plain_data():
    rules = program(price="5/2", capacity_min_rate="0.6", capacity_full_rate=Fraction(9, 10))
    data = rules.to_dict()
    assert data["capacity_price_fen_per_kw"] == "5/2"
    assert ProgramRules.from_dict(data) == rules
    old = DEFAULT_PROGRAM.to_dict()  # a config written before capacity payments
    assert ProgramRules.from_dict(old) == DEFAULT_PROGRAM


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"capacity_price_fen_per_kw": -1}, "capacity_price_fen_per_kw"),
        ({"capacity_price_fen_per_kw": 0.5}, "capacity_price_fen_per_kw"),
        ({"capacity_full_rate": 0}, "capacity_full_rate"),
        ({"capacity_full_rate": Fraction(3, 2)}, "capacity_full_rate"),
        ({"capacity_min_rate": Fraction(9, 10)}, "capacity_min_rate"),
        ({"capacity_min_rate": -1}, "capacity_min_rate"),
        ({"capacity_min_rate": "half"}, "capacity_min_rate"),
    ],
)
def test_bad_capacity_rules_name_the_field(changes, field):
    with pytest.raises(InvalidInput) as err:
        dataclasses.replace(DEFAULT_PROGRAM, **changes)
    assert err.value.field == field
