"""DR invitations over real gRPC: announced, listed, published, read from files, answered."""

from __future__ import annotations

import pytest

from bidding.intervals import INTERVALS_PER_DAY
from parkvpp.v1 import bidding_pb2
from services.demo.day import MarketDay, market_day_for

FLAT = [
    bidding_pb2.PriceScenario(probability=p, price_fen_per_mwh=[level] * INTERVALS_PER_DAY)
    for p, level in ((0.5, 200_000), (0.3, 800_000), (0.2, 1_200_000))
]


@pytest.fixture(scope="module")
def park(stack_factory):
    """The sample park enrolled with its history (no bids yet)."""
    stack = stack_factory(db=4)
    clients = stack.clients()
    day = MarketDay(clients, market_day_for(), lambda line: None, stack.token)
    day.enrol()
    day.history()
    yield clients, day.day, stack
    clients.close()


def test_a_plan_says_per_interval_what_it_offers_and_expects(park):
    clients, day, _ = park
    plan = clients.bidding.PrepareBids(
        bidding_pb2.PrepareBidsRequest(market_day=day.isoformat(), price_scenarios=FLAT)
    )
    assert [p.interval for p in plan.interval_plans] == list(range(INTERVALS_PER_DAY))
    offered = {c.interval: sum(s.quantity_kw for s in c.steps) for c in plan.demand_response_offers}
    for row in plan.interval_plans:
        assert row.offered_kw == pytest.approx(offered.get(row.interval, 0.0), abs=1e-3)
        assert 0 <= row.expected_kw <= row.offered_kw + 1e-3
        assert row.expected_revenue_fen >= 0
    assert any(row.expected_kw > 0 for row in plan.interval_plans)
