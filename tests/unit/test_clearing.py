"""Uniform-price clearing of the reference exchange, against hand-computed results."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bidding.clearing import Block, clear_interval
from bidding.exceptions import InvalidInput


def test_price_is_the_marginal_sell_block_and_demand_is_met():
    sells = [Block("a", 100, 50.0), Block("b", 300, 50.0), Block("c", 500, 50.0)]
    buys = [Block("grid", 400, 80.0)]
    result = clear_interval(sells, buys)
    assert result.clearing_price_fen_per_mwh == 300
    assert result.cleared_kw == pytest.approx(80.0)
    assert result.sold_kw == pytest.approx({"a": 50.0, "b": 30.0})
    assert result.bought_kw == pytest.approx({"grid": 80.0})


def test_ties_at_the_margin_share_pro_rata():
    sells = [Block("a", 200, 30.0), Block("b", 200, 10.0)]
    buys = [Block("grid", 250, 20.0)]
    result = clear_interval(sells, buys)
    assert result.clearing_price_fen_per_mwh == 200
    assert result.sold_kw == pytest.approx({"a": 15.0, "b": 5.0})


def test_price_cap_of_the_buyer_limits_what_clears():
    sells = [Block("a", 100, 10.0), Block("b", 900, 100.0)]
    buys = [Block("grid", 500, 60.0)]
    result = clear_interval(sells, buys)
    assert result.clearing_price_fen_per_mwh == 100
    assert result.cleared_kw == pytest.approx(10.0)
    assert "b" not in result.sold_kw


def test_no_crossing_clears_nothing():
    result = clear_interval([Block("a", 900, 10.0)], [Block("grid", 500, 10.0)])
    assert (result.clearing_price_fen_per_mwh, result.cleared_kw) == (0, 0.0)
    assert result.sold_kw == {} and result.bought_kw == {}


def test_bad_block_names_the_field():
    with pytest.raises(InvalidInput) as err:
        clear_interval([Block("a", 100, math.nan)], [])
    assert err.value.field == "sell[0].quantity_kw"


def test_negative_prices_clear_at_the_marginal_sell_price():
    # Midday: solar pays to run. Supply at -5000: 1,500; wind at 0. Demand 1,200 kW at
    # any price. Volume is 1,200 at every price from -5000 up, the lowest is -5000.
    sells = [Block("solar", -5000, 1500.0), Block("wind", 0, 800.0)]
    buys = [Block("retail", 130_000, 1200.0)]
    result = clear_interval(sells, buys, floor_fen_per_mwh=-8000, cap_fen_per_mwh=130_000)
    assert result.clearing_price_fen_per_mwh == -5000
    assert result.cleared_kw == pytest.approx(1200.0)
    assert result.sold_kw == pytest.approx({"solar": 1200.0})
    assert result.bought_kw == pytest.approx({"retail": 1200.0})


def test_a_buyer_bidding_a_negative_price_buys_only_at_or_below_it():
    # Battery buys 100 kW only if paid at least 3000 fen/MWh; solar 1500 at -5000 and
    # the price-taking load 1200: volume 1300 at -5000, 1200 at 0 -> price -5000.
    sells = [Block("solar", -5000, 1500.0), Block("wind", 0, 800.0)]
    buys = [Block("retail", 130_000, 1200.0), Block("battery", -3000, 100.0)]
    result = clear_interval(sells, buys)
    assert (result.clearing_price_fen_per_mwh, result.cleared_kw) == (-5000, pytest.approx(1300))
    assert result.bought_kw == pytest.approx({"retail": 1200.0, "battery": 100.0})


def test_a_shortage_clears_at_the_cap():
    # The gas peaker offers at the cap; price-taking demand of 6,500 kW against 6,000
    # kW of supply: everything sells, at the cap, and the buyer is rationed.
    sells = [Block("coal", 32_000, 5000.0), Block("gas", 130_000, 1000.0)]
    buys = [Block("retail", 130_000, 6500.0)]
    result = clear_interval(sells, buys, floor_fen_per_mwh=-8000, cap_fen_per_mwh=130_000)
    assert result.clearing_price_fen_per_mwh == 130_000
    assert result.cleared_kw == pytest.approx(6000.0)
    assert result.sold_kw == pytest.approx({"coal": 5000.0, "gas": 1000.0})
    assert result.bought_kw == pytest.approx({"retail": 6000.0})


def test_no_crossing_with_negative_prices_clears_nothing_at_zero():
    result = clear_interval([Block("a", -1000, 10.0)], [Block("b", -2000, 10.0)])
    assert (result.clearing_price_fen_per_mwh, result.cleared_kw) == (0, 0.0)


def test_an_exact_tie_on_both_sides_shares_pro_rata():
    # Sells: 10 at -100 whole, then 30 + 10 at 200 tie; buys 20 + 20 tie at 200 and
    # 40 at 500. Volume at 200: min(50, 80) = 50 -> price 200; buyers at 500 take 40
    # whole, the 10 left is shared 5/5 by the two tied buyers; the 40 left of supply
    # after the -100 block is shared 30:10 by the tied sellers -> 30 and 10.
    sells = [Block("s0", -100, 10.0), Block("s1", 200, 30.0), Block("s2", 200, 10.0)]
    buys = [Block("b0", 500, 40.0), Block("b1", 200, 20.0), Block("b2", 200, 20.0)]
    result = clear_interval(sells, buys)
    assert result.clearing_price_fen_per_mwh == 200
    assert result.cleared_kw == pytest.approx(50.0)
    assert result.sold_kw == pytest.approx({"s0": 10.0, "s1": 30.0, "s2": 10.0})
    assert result.bought_kw == pytest.approx({"b0": 40.0, "b1": 5.0, "b2": 5.0})


@pytest.mark.parametrize(
    ("sells", "buys", "field"),
    [
        ([Block("a", -8001, 1.0)], [], "sell[0].price_fen_per_mwh"),
        ([], [Block("a", 1, 1.0), Block("b", 130_001, 1.0)], "buy[1].price_fen_per_mwh"),
        ([Block("a", 1.5, 1.0)], [], "sell[0].price_fen_per_mwh"),  # type: ignore[arg-type]
    ],
)
def test_prices_outside_the_floor_and_cap_name_the_block(sells, buys, field):
    with pytest.raises(InvalidInput) as err:
        clear_interval(sells, buys, floor_fen_per_mwh=-8000, cap_fen_per_mwh=130_000)
    assert err.value.field == field


blocks = st.lists(
    st.tuples(st.integers(-8000, 2000), st.floats(0, 500, allow_nan=False)), max_size=8
)


@given(blocks, blocks)
def test_both_sides_trade_the_cleared_volume_within_limits(sell_data, buy_data):
    sells = [Block(f"s{n}", p, q) for n, (p, q) in enumerate(sell_data)]
    buys = [Block(f"b{n}", p, q) for n, (p, q) in enumerate(buy_data)]
    result = clear_interval(sells, buys)
    assert sum(result.sold_kw.values()) == pytest.approx(result.cleared_kw, abs=1e-6)
    assert sum(result.bought_kw.values()) == pytest.approx(result.cleared_kw, abs=1e-6)
    price = result.clearing_price_fen_per_mwh
    for block in sells:
        if block.order_id in result.sold_kw:
            assert block.price_fen_per_mwh <= price
            assert result.sold_kw[block.order_id] <= block.quantity_kw + 1e-6
    for block in buys:
        if block.order_id in result.bought_kw:
            assert block.price_fen_per_mwh >= price
