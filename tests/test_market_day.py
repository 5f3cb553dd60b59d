"""One whole market day of the sample park through the real services, broker and Redis."""

from __future__ import annotations

import calendar

import pytest

from parkvpp.v1 import bidding_pb2, certificates_pb2, market_pb2, settlement_pb2, vpp_pb2
from services.demo.clients import Clients
from services.demo.day import DaySummary, MarketDay, market_day_for

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def day_run(stack_factory) -> tuple[DaySummary, Clients]:
    stack = stack_factory(db=1)
    clients = stack.clients()
    summary = MarketDay(clients, market_day_for(), lambda line: None, stack.token).run()
    yield summary, clients
    clients.close()


def test_the_vpp_wins_awards_and_every_enterprise_instructed_gets_them(day_run):
    summary, _ = day_run
    vpp_awards = [a for a in summary.clearing.awards if a.participant_id == "parkvpp-vpp"]
    assert vpp_awards, "the reference exchange awarded the VPP nothing"
    awarded = {}
    for award in vpp_awards:
        awarded[award.interval] = awarded.get(award.interval, 0.0) + award.awarded_kw
    dispatched = {}
    for items in summary.instructions.values():
        for item in items:
            if item.reduction_kw > 0:
                dispatched[item.interval] = dispatched.get(item.interval, 0.0) + item.reduction_kw
    # What the re-dispatch after the chillers' trip could not place is reported short.
    for interval, kw in awarded.items():
        short = summary.shortfall_kw.get(interval, 0.0)
        assert dispatched.get(interval, 0.0) + short == pytest.approx(kw, abs=0.05)
    assert sum(summary.shortfall_kw.values()) < 0.25 * sum(awarded.values())
    assert set(dispatched) <= set(awarded), "load was curtailed outside awarded intervals"


def test_the_plan_is_solved_to_a_proven_bound_and_offers_monotone_curves(day_run):
    plan = day_run[0].plan
    # Column generation over the loads' event schedules; the bound is proven.
    assert plan.solver.startswith("HIGHS/column-generation")
    assert plan.bound_fen >= plan.objective_fen - 1e-6 > 0
    assert plan.relative_gap == pytest.approx(
        (plan.bound_fen - plan.objective_fen) / plan.bound_fen
    )
    for curve in plan.demand_response_offers:
        prices = [s.price_fen_per_mwh for s in curve.steps]
        assert prices == sorted(prices) and all(s.quantity_kw > 0 for s in curve.steps)


def test_settlement_money_adds_up_to_the_fen_and_reruns_change_nothing(day_run):
    summary, _ = day_run
    run = summary.settlement
    assert run.gross_payment_fen > 0
    shares = sum(e.amount_fen for e in run.enterprises)
    assert shares == run.enterprise_pool_fen
    assert shares + run.operator_fee_fen == run.gross_payment_fen - run.penalty_fen
    assert summary.settlement_again.run_id == run.run_id
    assert summary.settlement_again.version == 1


def test_the_statement_lines_sum_to_the_enterprise_amount(day_run):
    summary, _ = day_run
    statement = summary.statement
    amount = next(
        e.amount_fen
        for e in summary.settlement.enterprises
        if e.enterprise_id == statement.enterprise_id
    )
    assert sum(line.amount_fen for line in statement.lines) == statement.amount_fen == amount


def test_certificates_follow_the_trade_and_lower_market_based_scope_2(day_run):
    summary, _ = day_run
    issued = summary.issued
    assert issued.energy_wh == sum(lot.energy_wh for lot in issued.lots) > 0
    for lot in issued.lots:
        assert lot.serial_end - lot.serial_start == lot.energy_wh
    foundry = summary.balances["ent-foundry"]
    logistics = summary.balances["ent-logistics"]
    assert foundry.retired_wh == summary.retired_wh > 0
    # ent-logistics also retired some of its own for the foundry, under its mandate: they
    # left logistics' balance and count on the foundry's footprint.
    assert summary.retired_for_wh > 0
    assert logistics.active_wh == issued.energy_wh - summary.transferred_wh - summary.retired_for_wh
    footprint = summary.footprint
    claimed_wh = summary.retired_wh + summary.retired_for_wh
    assert footprint.retired_certificate_wh == claimed_wh
    assert footprint.market_based_kg_co2e < footprint.location_based_kg_co2e
    expected = footprint.consumption_wh / 1000 * footprint.grid_emission_factor_kg_per_kwh
    assert footprint.location_based_kg_co2e == pytest.approx(expected)
    assert footprint.grid_factor_basis == "national grid, 2022 (MEE/NBS)"
    # Annual matching counts every retired Wh against the day's consumption; hourly matching
    # only what falls in the same hour, so it is never more.
    annual = claimed_wh / footprint.consumption_wh
    assert footprint.annual_matched_share == pytest.approx(min(1.0, annual))
    assert footprint.hourly_matched_cfe_share <= footprint.annual_matched_share + 1e-12


def test_the_heats_leave_dear_hours_and_the_engines_gas_reaches_the_park_figures(day_run):
    summary, clients = day_run
    day = summary.market_day
    schedule = summary.production
    energy = clients.market.GetClearingResult(
        market_pb2.GetClearingResultRequest(
            market_day=day.isoformat(), product=market_pb2.PRODUCT_ENERGY
        )
    )
    prices = [
        i.clearing_price_fen_per_mwh for i in sorted(energy.intervals, key=lambda i: i.interval)
    ]
    assert schedule.price_source == bidding_pb2.PRODUCTION_PRICE_SOURCE_ENERGY_CLEARING
    assert list(schedule.prices_fen_per_mwh) == prices
    (line,) = schedule.lines
    assert list(line.start_intervals) == sorted(line.start_intervals), "heats keep their order"
    for before, after, n in zip(
        line.baseline_start_intervals, line.start_intervals, line.run_intervals, strict=True
    ):
        assert sum(prices[after : after + n]) <= sum(prices[before : before + n])
    assert line.value_fen == schedule.process_value_fen > 0
    (unit,) = schedule.units
    assert unit.margin_fen == schedule.generation_margin_fen >= 0
    use = summary.engine_fuel
    assert use.enterprise_id == "ent-chem" and use.fuel == "natural_gas"
    assert use.quantity == (unit.fuel_burned_milli + 500) // 1000 > 0
    # The park's day counts every reported month of fuel pro rata by day, the engine's too.
    month = day.strftime("%Y-%m")
    reported_tce = 0.0
    for enterprise_id in ("ent-foundry", "ent-chem", "ent-logistics"):
        uses = clients.certificates.ListFuelUse(
            certificates_pb2.ListFuelUseRequest(enterprise_id=enterprise_id, from_month=month)
        )
        reported_tce += uses.energy_tce
        if enterprise_id == "ent-chem":
            assert [u.request_id for u in uses.uses] == [use.request_id]
    days_in_month = calendar.monthrange(day.year, day.month)[1]
    assert summary.indicators.fuel_tce == pytest.approx(reported_tce / days_in_month)


def test_a_reconnecting_subscriber_resumes_after_its_last_acknowledgement(day_run):
    summary, clients = day_run
    enterprise_id, items = next((e, i) for e, i in summary.instructions.items() if i)
    replay = list(
        clients.vpp.SubscribeDispatch(
            vpp_pb2.SubscribeDispatchRequest(
                enterprise_id=enterprise_id, after_sequence=0, until_caught_up=True
            ),
            timeout=10,
        )
    )
    assert replay == []
    first = items[0].sequence
    again = list(
        clients.vpp.SubscribeDispatch(
            vpp_pb2.SubscribeDispatchRequest(
                enterprise_id=enterprise_id, after_sequence=first, until_caught_up=True
            ),
            timeout=10,
        )
    )
    assert [i.sequence for i in again] == [i.sequence for i in items[1:]]
    assert all(i.status == vpp_pb2.DISPATCH_STATUS_ACKNOWLEDGED for i in again)


def test_clearing_twice_returns_the_first_result_and_late_orders_are_refused(day_run):
    import grpc

    summary, clients = day_run
    day = summary.market_day.isoformat()
    again = clients.market.ClearMarket(
        market_pb2.ClearMarketRequest(market_day=day, product=market_pb2.PRODUCT_DEMAND_RESPONSE)
    )
    assert again == summary.clearing
    late = market_pb2.Order(
        participant_id="late",
        market_day=day,
        interval=1,
        product=market_pb2.PRODUCT_DEMAND_RESPONSE,
        side=market_pb2.SIDE_SELL,
        steps=[market_pb2.PriceStep(price_fen_per_mwh=1, quantity_kw=1)],
    )
    with pytest.raises(grpc.RpcError) as err:
        clients.market.SubmitOrders(
            market_pb2.SubmitOrdersRequest(batch_id="late-1", market_day=day, orders=[late])
        )
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_statement_of_an_unsettled_day_is_not_found(day_run):
    import grpc

    _, clients = day_run
    with pytest.raises(grpc.RpcError) as err:
        clients.settlement.GetStatement(
            settlement_pb2.GetStatementRequest(enterprise_id="ent-foundry", market_day="2020-01-06")
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


def test_the_day_shows_estimates_baselines_battery_energy_and_forecast_accuracy(day_run):
    summary, _ = day_run
    gap = summary.gap_profile
    assert (gap.measured_intervals, gap.estimated_intervals, gap.missing_intervals) == (90, 6, 0)
    methods = {key.split("/")[1] for key in summary.event_baselines}
    assert methods == {"similar-day", "10-in-10 adj.", "high 4 of 5"}
    for key, baseline in summary.event_baselines.items():
        assert len(baseline.baseline_kw) == 96, key
        assert 0.8 <= baseline.adjustment <= 1.2, key
    battery = summary.battery_envelope
    assert battery is not None
    for i in battery.intervals:
        assert 100.0 - 1e-9 <= i.stored_energy_min_kwh <= i.stored_energy_max_kwh <= 950.0 + 1e-9
    loads = [
        row
        for accuracy in summary.forecast_accuracy.values()
        for row in accuracy.assets
        if row.days_evaluated
        and row.asset_id in {"foundry-furnace-1", "chem-chillers", "logistics-cold-store"}
    ]
    assert len(loads) == 3 and all(0 < row.wape_pct < 15 for row in loads)


def test_the_foundry_buys_what_the_plan_says_and_learns_whether_its_target_was_met(day_run):
    summary, _ = day_run
    result = next(r for r in summary.plan.green_power_results if r.enterprise_id == "ent-foundry")
    planned_wh = result.bundled_wh + result.certificate_wh
    status = summary.green_targets["ent-foundry"]
    assert (status.target_share, status.planned_wh) == (0.3, planned_wh)
    # What was bought is the plan, unless the PV issued less: then every lot went (part of
    # one was retired for the foundry by ent-logistics first).
    assert summary.transferred_wh == status.bought_wh <= planned_wh
    if status.bought_wh < planned_wh:
        assert status.bought_wh + summary.retired_for_wh == status.park_issued_wh
    assert status.claimed_wh == summary.retired_wh + summary.retired_for_wh
    assert status.met == (status.claimed_wh >= status.target_wh)
    assert status.shortfall_wh == max(0, status.target_wh - status.claimed_wh)
    if not status.met:
        assert status.reason and status.reason_detail
        if result.shortfall_kwh:
            assert status.reason_detail.endswith(result.shortfall_detail)
