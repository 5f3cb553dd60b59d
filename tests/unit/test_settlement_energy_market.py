"""Energy-market settlement of storage awards: sales earn, purchases cost, negative prices too."""

from __future__ import annotations

import pytest

from settlement.energy_market import (
    BUY,
    SELL,
    EnergyAward,
    StorageShare,
    settle_energy_awards,
)
from settlement.exceptions import InvalidInput

BATTERY = StorageShare("ent-chem", "chem-battery", 500_000)


def award(interval, side, kw, price, award_id=None):
    return EnergyAward(award_id or f"a-{interval}-{side}", interval, side, kw, price)


def test_a_sale_at_a_negative_price_costs_and_a_purchase_earns():
    # 100 kW for 15 min = 25 kWh = 25 000 Wh; at -5 000 fen/MWh that is 125 fen.
    sale, purchase = award(40, SELL, 100.0, -5_000), award(41, BUY, 100.0, -5_000)
    assert (sale.energy_wh, sale.amount_fen, purchase.amount_fen) == (25_000, -125, 125)
    day = settle_energy_awards([sale, purchase], [BATTERY])
    assert day.amount_fen == 0
    assert [line.amount_fen for line in day.lines] == [-125, 125]


def test_a_day_of_charging_and_discharging_to_the_fen():
    awards = [
        award(8, BUY, 200.0, 30_000),  # 50 000 Wh x 30 000 fen/MWh / 1e6 = 1 500 paid
        award(50, BUY, 125.0, -2_000),  # 31 250 Wh x -2 000 / 1e6 = -62.5 -> paid -(-62.5) = +63
        award(80, SELL, 125.0, 90_001),  # 31 250 Wh x 90 001 / 1e6 = 2 812.53125 -> 2 813
    ]
    day = settle_energy_awards(awards, [BATTERY])
    assert [line.amount_fen for line in day.lines] == [-1_500, 63, 2_813]
    assert day.amount_fen == 1_376
    assert day.by_enterprise() == {"ent-chem": 1_376}


def test_halves_round_away_from_zero_per_award():
    # 10 kW = 2 500 Wh; at 200 fen/MWh 0.5 fen: a sale gets 1, a purchase pays 1.
    assert award(1, SELL, 10.0, 200).amount_fen == 1
    assert award(1, BUY, 10.0, 200).amount_fen == -1
    assert award(1, SELL, 10.0, -200).amount_fen == -1


def test_a_portfolio_award_is_split_among_batteries_by_capacity():
    # Weights 2:1; -125 fen -> 83.33 / 41.67 -> 83 / 41, the leftover fen to the .67.
    batteries = [StorageShare("ent-b", "b-big", 200), StorageShare("ent-s", "s-small", 100)]
    day = settle_energy_awards([award(40, SELL, 100.0, -5_000)], batteries)
    assert {line.asset_id: line.amount_fen for line in day.lines} == {
        "b-big": -83,
        "s-small": -42,
    }
    assert day.by_enterprise() == {"ent-b": -83, "ent-s": -42}
    assert sum(day.by_enterprise().values()) == day.amount_fen == -125
    assert [line.asset_id for line in day.of_enterprise("ent-s")] == ["s-small"]


def test_no_awards_settle_to_nothing_even_without_batteries():
    day = settle_energy_awards([], [])
    assert (day.amount_fen, day.lines) == (0, ())


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: award(96, SELL, 1.0, 1), "interval"),
        (lambda: award(1, "hold", 1.0, 1), "side"),
        (lambda: award(1, SELL, float("nan"), 1), "awarded_kw"),
        (lambda: award(1, SELL, -1.0, 1), "awarded_kw"),
        (lambda: award(1, SELL, 1.0, 1.5), "price_fen_per_mwh"),
        (lambda: settle_energy_awards([award(1, SELL, 1.0, 1)], []), "batteries"),
        (
            lambda: settle_energy_awards([], [StorageShare("e", "a", -1)]),
            "batteries[0].weight",
        ),
    ],
)
def test_bad_energy_inputs_name_the_field(build, field):
    with pytest.raises(InvalidInput) as err:
        build()
    assert err.value.field == field
