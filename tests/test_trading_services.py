"""Bidding, market and certificates over real gRPC: clear refusals, idempotent writes."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import grpc
import pytest

from bidding.intervals import INTERVAL, INTERVALS_PER_DAY, MARKET_TZ, interval_start
from parkvpp.v1 import bidding_pb2, certificates_pb2, market_pb2
from services.demo.day import MarketDay, market_day_for
from services.runtime.rpc import to_ts

DR = market_pb2.PRODUCT_DEMAND_RESPONSE
ENERGY = market_pb2.PRODUCT_ENERGY


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


def sell(interval=0, price=100, quantity=10.0, **kw) -> market_pb2.Order:
    values = dict(
        participant_id="seller",
        market_day="2026-01-05",
        interval=interval,
        product=DR,
        side=market_pb2.SIDE_SELL,
        steps=[market_pb2.PriceStep(price_fen_per_mwh=price, quantity_kw=quantity)],
    )
    values.update(kw)
    return market_pb2.Order(**values)


@pytest.mark.parametrize(
    ("order", "field"),
    [
        (sell(interval=96), "orders[0].interval"),
        (sell(price=-1), "orders[0].steps[0].price_fen_per_mwh"),
        (sell(quantity=math.nan), "orders[0].steps[0].quantity_kw"),
        (sell(quantity=math.inf), "orders[0].steps[0].quantity_kw"),
        (sell(quantity=1e300), "orders[0].steps[0].quantity_kw"),
        (sell(price=2**62), "orders[0].steps[0].price_fen_per_mwh"),
        (sell(side=market_pb2.SIDE_UNSPECIFIED), "orders[0].side"),
        (sell(product=7), "orders[0].product"),
        (sell(market_day="2026-01-06"), "orders[0].market_day"),
        (sell(participant_id=""), "orders[0].participant_id"),
        (sell(price=1_500_001), "orders[0].steps[0].price_fen_per_mwh"),
        (sell(product=ENERGY, price=-8001), "orders[0].steps[0].price_fen_per_mwh"),
        (sell(product=ENERGY, price=130_001), "orders[0].steps[0].price_fen_per_mwh"),
    ],
)
def test_bad_orders_are_refused_naming_the_field(park, order, field):
    clients, _, stack = park
    with pytest.raises(grpc.RpcError) as err:
        clients.market.SubmitOrders(
            market_pb2.SubmitOrdersRequest(batch_id="bad", market_day="2026-01-05", orders=[order])
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.details().startswith(field), err.value.details()


def test_a_resubmitted_batch_is_booked_once(park):
    clients, _, stack = park
    day = "2026-01-07"
    request = market_pb2.SubmitOrdersRequest(
        batch_id="b-once",
        market_day=day,
        orders=[
            sell(market_day=day, order_id="s1"),
            sell(
                market_day=day,
                order_id="b1",
                participant_id="buyer",
                side=market_pb2.SIDE_BUY,
                steps=[market_pb2.PriceStep(price_fen_per_mwh=500, quantity_kw=30.0)],
            ),
        ],
    )
    for _ in range(2):
        clients.market.SubmitOrders(request)
    result = clients.market.ClearMarket(market_pb2.ClearMarketRequest(market_day=day, product=DR))
    assert [(i.interval, i.cleared_kw, i.clearing_price_fen_per_mwh) for i in result.intervals] == [
        (0, 10.0, 100)
    ]


def test_energy_clears_at_a_negative_price_within_the_floor(park):
    clients, _, stack = park
    day = "2026-01-08"
    orders = [
        sell(market_day=day, order_id="solar", product=ENERGY, price=-5000, quantity=1500.0),
        sell(market_day=day, order_id="wind", product=ENERGY, price=0, quantity=800.0),
        sell(
            market_day=day,
            order_id="load",
            product=ENERGY,
            participant_id="buyer",
            side=market_pb2.SIDE_BUY,
            steps=[market_pb2.PriceStep(price_fen_per_mwh=130_000, quantity_kw=1200.0)],
        ),
    ]
    clients.market.SubmitOrders(
        market_pb2.SubmitOrdersRequest(batch_id="neg", market_day=day, orders=orders)
    )
    result = clients.market.ClearMarket(
        market_pb2.ClearMarketRequest(market_day=day, product=ENERGY)
    )
    assert [(i.cleared_kw, i.clearing_price_fen_per_mwh) for i in result.intervals] == [
        (1200.0, -5000)
    ]
    assert {a.order_id: a.awarded_kw for a in result.awards} == {"solar": 1200.0, "load": 1200.0}


def test_synthetic_participants_join_a_clearing_only_when_asked(park):
    clients, _, stack = park
    day = "2026-01-09"
    plain = clients.market.ClearMarket(market_pb2.ClearMarketRequest(market_day=day, product=DR))
    assert not plain.intervals and not plain.awards
    day = "2026-01-12"
    vpp = sell(market_day=day, interval=72, price=900_000, quantity=400.0, order_id="vpp-72")
    clients.market.SubmitOrders(
        market_pb2.SubmitOrdersRequest(batch_id="vpp", market_day=day, orders=[vpp])
    )
    dr = clients.market.ClearMarket(
        market_pb2.ClearMarketRequest(
            market_day=day, product=DR, include_synthetic_participants=True
        )
    )
    # The built-in grid call: 18:00-20:00 (intervals 72..79), about 5,000 kW up to 1.3M
    # fen/MWh, against five other sellers; the published curves show the whole book.
    assert [i.interval for i in dr.intervals] == list(range(72, 80))
    first = dr.intervals[0]
    [call] = first.buy_curve
    assert call.price_fen_per_mwh == 1_300_000 and 4000 <= call.quantity_kw <= 6000
    ladder = [(s.price_fen_per_mwh, s.quantity_kw) for s in first.sell_curve]
    assert ladder == sorted(ladder) and len(ladder) == 6 and (900_000, 400.0) in ladder
    # The price is the first step of the supply ladder that covers the call.
    covered, price = 0.0, None
    for ask, kw in ladder:
        covered += kw
        if covered >= call.quantity_kw:
            price = ask
            break
    assert first.clearing_price_fen_per_mwh == price
    assert first.cleared_kw == pytest.approx(call.quantity_kw)
    ours = [a for a in dr.awards if a.order_id == "vpp-72"]
    assert price > 900_000 and [a.awarded_kw for a in ours] == [400.0]
    assert {"seller", "grid-operator"} < {a.participant_id for a in dr.awards}
    energy = clients.market.ClearMarket(
        market_pb2.ClearMarketRequest(
            market_day=day, product=ENERGY, include_synthetic_participants=True
        )
    )
    prices = {i.interval: i.clearing_price_fen_per_mwh for i in energy.intervals}
    # Hand-computed from the default participants (see services/market/participants.py):
    # night 2,500 kW -> coal's first block 32,000; midday 1,200 kW -> solar at -5,000;
    # morning 4,200 kW -> coal's second block 45,000; evening 6,200 kW -> gas at 90,000.
    assert (prices[0], prices[36], prices[44], prices[72]) == (32_000, 45_000, -5_000, 90_000)
    assert len(prices) == 96


def test_bid_scenarios_are_checked_before_solving(park):
    clients, day, stack = park
    bad = bidding_pb2.PriceScenario(probability=1.0, price_fen_per_mwh=[100] * 95)
    with pytest.raises(grpc.RpcError) as err:
        clients.bidding.PrepareBids(
            bidding_pb2.PrepareBidsRequest(market_day=day.isoformat(), price_scenarios=[bad])
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.details().startswith("price_scenarios[0].price_fen_per_mwh")


def test_a_commitment_beyond_the_portfolio_names_the_interval(park):
    clients, day, stack = park
    with pytest.raises(grpc.RpcError) as err:
        clients.bidding.PrepareBids(
            bidding_pb2.PrepareBidsRequest(
                market_day=day.isoformat(),
                commitments=[bidding_pb2.Commitment(interval=75, min_reduction_kw=50_000.0)],
            )
        )
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "commitment" in err.value.details() and "75" in err.value.details()


def test_given_scenarios_give_curves_that_never_offer_less_at_a_higher_price(park):
    clients, day, stack = park
    scenarios = [
        bidding_pb2.PriceScenario(probability=p, price_fen_per_mwh=[level] * INTERVALS_PER_DAY)
        for p, level in ((0.5, 200_000), (0.3, 800_000), (0.2, 1_600_000))
    ]
    eve = day - timedelta(days=1)
    plan = clients.bidding.PrepareBids(
        bidding_pb2.PrepareBidsRequest(
            market_day=day.isoformat(),
            price_scenarios=scenarios,
            # Ahead of the grid call's deadline (12:00 the day before): its window is offered.
            decided_at=datetime(eve.year, eve.month, eve.day, 9, tzinfo=MARKET_TZ),
        )
    )
    assert plan.demand_response_offers
    assert {s.scenario for s in plan.scenario_revenues} == {0, 1, 2}
    for curve in plan.demand_response_offers:
        cumulative = 0.0
        for step in curve.steps:
            assert step.quantity_kw > 0
            cumulative += step.quantity_kw
        assert [s.price_fen_per_mwh for s in curve.steps] == sorted(
            {s.price_fen_per_mwh for s in curve.steps}
        )
    stored = clients.bidding.GetBidPlan(bidding_pb2.GetBidPlanRequest(plan_id=plan.plan_id))
    assert stored == plan
    # No block above the exchange's DR cap (1.5M fen/MWh by default).
    assert max(s.price_fen_per_mwh for c in plan.demand_response_offers for s in c.steps) <= (
        1_500_000
    )


def test_without_scenarios_a_plan_bids_on_the_recent_clearing_prices(park):
    clients, day, stack = park
    plan = clients.bidding.PrepareBids(bidding_pb2.PrepareBidsRequest(market_day=day.isoformat()))
    assert plan.scenario_source == "default shape"  # no day before it has been cleared
    later = day + timedelta(days=14)
    cleared = [later - timedelta(days=n) for n in range(6, 0, -1)]
    for n, past in enumerate(cleared):
        # A seller at 5 + 0.5 n CNY/kWh at 19:00: the grid's call clears at its price.
        price = 500_000 + 50_000 * n
        order = sell(
            market_day=past.isoformat(), interval=76, price=price, quantity=300.0, order_id="s"
        )
        clients.market.SubmitOrders(
            market_pb2.SubmitOrdersRequest(
                batch_id=f"hist-{past}", market_day=past.isoformat(), orders=[order]
            )
        )
        clients.market.ClearMarket(
            market_pb2.ClearMarketRequest(
                market_day=past.isoformat(), product=DR, include_synthetic_participants=True
            )
        )
    plan = clients.bidding.PrepareBids(bidding_pb2.PrepareBidsRequest(market_day=later.isoformat()))
    replayed = ", replayed against the competing offers with all we can offer"
    assert plan.scenario_source == f"history: 6 days {cleared[0]}..{cleared[-1]}{replayed}"
    assert len(plan.scenario_revenues) == 6
    published = [
        clients.market.GetClearingResult(
            market_pb2.GetClearingResultRequest(market_day=past.isoformat(), product=DR)
        ).intervals
        for past in cleared
    ]
    # More than 10 cleared days: the 10 latest are used.
    for n in range(7, 12):
        past = (later - timedelta(days=n)).isoformat()
        clients.market.ClearMarket(
            market_pb2.ClearMarketRequest(
                market_day=past, product=DR, include_synthetic_participants=True
            )
        )
    newest = clients.bidding.PrepareBids(
        bidding_pb2.PrepareBidsRequest(market_day=later.isoformat(), time_limit_seconds=120)
    )
    first = later - timedelta(days=10)
    assert newest.scenario_source == f"history: 10 days {first}..{cleared[-1]}{replayed}"
    # Only the grid's evening call (72-79) has a price. Each day is replayed with all the
    # park can offer pushing the dearest competitors out: every step is priced at one of
    # that day's published sell prices (or the floor), never above the day's own price.
    curves = {c.interval: c for c in plan.demand_response_offers}
    assert 76 in curves and set(curves) <= set(range(72, 80))
    for t, curve in curves.items():
        book = [i for day in published for i in day if i.interval == t]
        asks = {s.price_fen_per_mwh for i in book for s in i.sell_curve} | {0}
        assert {s.price_fen_per_mwh for s in curve.steps} <= asks
        assert max(s.price_fen_per_mwh for s in curve.steps) <= max(
            i.clearing_price_fen_per_mwh for i in book
        )


def target(**kw) -> bidding_pb2.GreenTarget:
    values = dict(
        enterprise_id="ent-foundry",
        share=0.3,
        bundled_price_limit_fen_per_mwh=45_000,
        certificate_price_limit_fen_per_mwh=2_000,
    )
    values.update(kw)
    return bidding_pb2.GreenTarget(**values)


@pytest.mark.parametrize(
    ("targets", "field"),
    [
        ([target(share=1.5)], "green_targets[0].share"),
        ([target(share=math.nan)], "green_targets[0].share"),
        ([target(), target(enterprise_id="ent-nowhere")], "green_targets[1].enterprise_id"),
        ([target(), target()], "green_targets[1].enterprise_id"),
        ([target(bundled_price_limit_fen_per_mwh=-1)], "green_targets[0].bundled_price_limit"),
        ([target(certificate_price_limit_fen_per_mwh=-1)], "green_targets[0].certificate_price"),
    ],
)
def test_green_targets_are_checked_naming_the_field(park, targets, field):
    clients, day, stack = park
    with pytest.raises(grpc.RpcError) as err:
        clients.bidding.PrepareBids(
            bidding_pb2.PrepareBidsRequest(market_day=day.isoformat(), green_targets=targets)
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.details().startswith(field), err.value.details()


def test_energy_scenarios_are_checked_naming_the_field(park):
    clients, day, stack = park
    bad = bidding_pb2.PriceScenario(probability=0.5, price_fen_per_mwh=[-100] * 96)
    with pytest.raises(grpc.RpcError) as err:
        clients.bidding.PrepareBids(
            bidding_pb2.PrepareBidsRequest(market_day=day.isoformat(), energy_price_scenarios=[bad])
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.details().startswith("energy_price_scenarios")


def test_a_plan_offers_storage_within_the_battery_share_and_green_power(park):
    clients, day, stack = park
    plan = clients.bidding.PrepareBids(
        bidding_pb2.PrepareBidsRequest(market_day=day.isoformat(), green_targets=[target()])
    )
    assert plan.storage_energy_share == 0.5
    assert plan.storage_offers, "the chemicals plant's battery trades energy"
    for curve in plan.storage_offers:
        assert curve.product == ENERGY
        prices = [s.price_fen_per_mwh for s in curve.steps]
        assert all(-8000 <= p <= 130_000 for p in prices)
        ascending = curve.side == market_pb2.SIDE_SELL
        assert prices == sorted(prices, reverse=not ascending)
        # Half of the battery's 250 kW goes to the energy market, the rest to DR.
        assert sum(s.quantity_kw for s in curve.steps) <= 125.0 + 1e-6
    results = {r.enterprise_id: r for r in plan.green_power_results}
    foundry = results["ent-foundry"]
    assert foundry.target_kwh == pytest.approx(0.3 * foundry.consumption_kwh)
    assert foundry.shortfall_kwh == 0.0
    # Certificates (5 CNY/MWh by default) are cheaper than bundled power's premium, and
    # an annual (not hourly-matched) target may count them.
    assert foundry.certificate_wh >= foundry.target_kwh * 1000
    buys = [o for o in plan.green_power_offers if o.enterprise_id == "ent-foundry"]
    assert [(o.product, o.side) for o in buys] == [
        (bidding_pb2.GREEN_PRODUCT_CERTIFICATE, market_pb2.SIDE_BUY)
    ]
    assert buys[0].price_limit_fen_per_mwh == 2_000
    # The logistics site's rooftop PV beyond its own load is offered for sale by the hour.
    surplus = [o for o in plan.green_power_offers if o.enterprise_id == "ent-logistics"]
    assert surplus and all(o.side == market_pb2.SIDE_SELL for o in surplus)
    assert sum(o.energy_wh for o in surplus) == results["ent-logistics"].surplus_offered_wh > 0


def _period(day):
    start = interval_start(day, 0)
    return to_ts(start), to_ts(start + INTERVALS_PER_DAY * INTERVAL)


def test_certificates_are_issued_once_and_only_owners_move_them(park):
    clients, day, stack = park
    start, end = _period(day - timedelta(days=1))
    issue = certificates_pb2.IssueCertificatesRequest(
        request_id="issue-1", generator_asset_id="logistics-pv", period_start=start, period_end=end
    )
    registry = stack.auth("registry")
    issued = clients.certificates.IssueCertificates(issue, metadata=registry)
    assert issued.energy_wh > 0
    again = clients.certificates.IssueCertificates(issue, metadata=registry)
    assert again == issued, "replay returns the same"
    issue.request_id = "issue-2"
    with pytest.raises(grpc.RpcError) as err:
        clients.certificates.IssueCertificates(issue, metadata=registry)
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
    lot = issued.lots[0]
    with pytest.raises(grpc.RpcError) as err:
        clients.certificates.Transfer(
            certificates_pb2.TransferRequest(
                request_id="steal",
                lot_id=lot.lot_id,
                from_enterprise_id="ent-foundry",
                to_enterprise_id="ent-chem",
            ),
            metadata=stack.auth("enterprise:ent-foundry"),
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert "ent-logistics" not in err.value.details()
    with pytest.raises(grpc.RpcError) as err:
        clients.certificates.Retire(
            certificates_pb2.RetireRequest(
                request_id="too-much",
                lot_id=lot.lot_id,
                owner_enterprise_id="ent-logistics",
                beneficiary_enterprise_id="ent-logistics",
                energy_wh=lot.energy_wh + 1,
                consumption_period_start=start,
                consumption_period_end=end,
            ),
            metadata=stack.auth("enterprise:ent-logistics"),
        )
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    balance = clients.certificates.GetBalance(
        certificates_pb2.GetBalanceRequest(enterprise_id="ent-logistics")
    )
    assert balance.active_wh == issued.energy_wh
    assert balance.active_gec * 1_000_000 + balance.active_remainder_wh == issued.energy_wh


def test_issuing_from_a_load_or_the_future_is_refused(park):
    clients, day, stack = park
    start, end = _period(day + timedelta(days=7))
    for asset_id, code in (
        ("foundry-furnace-1", grpc.StatusCode.INVALID_ARGUMENT),
        ("logistics-pv", grpc.StatusCode.INVALID_ARGUMENT),
    ):
        with pytest.raises(grpc.RpcError) as err:
            clients.certificates.IssueCertificates(
                certificates_pb2.IssueCertificatesRequest(
                    request_id=f"r-{asset_id}",
                    generator_asset_id=asset_id,
                    period_start=start,
                    period_end=end,
                ),
                metadata=stack.auth("registry"),
            )
        assert err.value.code() == code


def test_lots_page_through_without_repeats(park):
    clients, _, stack = park
    seen, token = [], ""
    while True:
        page = clients.certificates.ListLots(
            certificates_pb2.ListLotsRequest(
                owner_enterprise_id="ent-logistics", page_size=5, page_token=token
            )
        )
        seen.extend(lot.lot_id for lot in page.lots)
        token = page.next_page_token
        if not token:
            break
    assert seen and len(seen) == len(set(seen))
