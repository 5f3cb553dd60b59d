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


blocks = st.lists(st.tuples(st.integers(0, 2000), st.floats(0, 500, allow_nan=False)), max_size=8)


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
