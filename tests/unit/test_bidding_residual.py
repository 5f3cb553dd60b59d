"""Past days replayed against the competition they show (hand-computed cases)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bidding.exceptions import InvalidInput
from bidding.residual import PublishedInterval, residual_day

#: Five other sellers (fen/MWh, kW) and the grid's call: 5,000 kW at up to 13,000 CNY/MWh.
SELLERS = [(450_000, 1500), (650_000, 1200), (850_000, 1000), (1_050_000, 800), (1_250_000, 1000)]
CALL = [(1_300_000, 5000)]


def _offer(kw: float, interval: int = 72) -> np.ndarray:
    offer = np.zeros(96)
    offer[interval] = kw
    return offer


def test_our_kw_push_out_the_dearest_competitor_and_all_of_it_clears() -> None:
    """Without us the call needs 5,000 kW: 1,500 + 1,200 + 1,000 + 800 fall short by 500,
    so the cement works' 12,500 CNY/MWh sets the price. With our 1,000 kW the others need
    4,000 kW: 4,500 kW by 10,500 CNY/MWh, so that is the price, and all 1,000 kW clear."""
    published = [PublishedInterval(72, 1_250_000, SELLERS, CALL)]
    prices, clearable = residual_day(published, {}, _offer(1000), 0)
    assert prices[72] == 1_050_000 and clearable[72] == pytest.approx(1000)
    assert prices.sum() == 1_050_000 and clearable.sum() == pytest.approx(1000)  # no call elsewhere


def test_our_own_past_offer_is_taken_out_before_we_are_added() -> None:
    """We sold 700 kW at 6,000 CNY/MWh that day; the published curve holds them. Taken
    out, the replay is the same as if we had not been there."""
    ours = {72: {600_000: 700.0}}
    with_us = sorted([*SELLERS, (600_000, 700)])
    published = [PublishedInterval(72, 1_050_000, with_us, CALL)]
    prices, clearable = residual_day(published, ours, _offer(1000), 0)
    assert prices[72] == 1_050_000 and clearable[72] == pytest.approx(1000)


def test_a_small_call_takes_only_part_of_our_offer() -> None:
    """The call is 600 kW: our 1,000 kW at the floor (0) cover it alone, so the replay
    clears at 0 and our kW at the margin share the 600 kW called."""
    published = [PublishedInterval(72, 450_000, SELLERS, [(1_300_000, 600)])]
    prices, clearable = residual_day(published, {}, _offer(1000), 0)
    assert prices[72] == 0 and clearable[72] == pytest.approx(600)


def test_an_interval_without_curves_keeps_its_price_and_no_limit() -> None:
    published = [PublishedInterval(76, 700_000)]
    prices, clearable = residual_day(published, {}, _offer(1000, 76), 0)
    assert prices[76] == 700_000 and math.isinf(clearable[76])


def test_own_offers_the_curve_does_not_hold_are_refused() -> None:
    published = [PublishedInterval(72, 1_050_000, SELLERS, CALL)]
    with pytest.raises(InvalidInput, match=r"own_sells\[72\]"):
        residual_day(published, {72: {600_000: 10.0}}, _offer(1000), 0)
