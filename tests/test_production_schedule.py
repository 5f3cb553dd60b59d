"""BiddingService.ScheduleProduction over real gRPC: melting heats moved out of a dear hour, a
gas engine committed only when its start pays, refusals naming the field, and prices taken
from the day's ENERGY clearing when the request gives none."""

from __future__ import annotations

import grpc
import pytest

from certificates.factors import FUELS
from parkvpp.v1 import bidding_pb2 as pb
from parkvpp.v1 import market_pb2

pytestmark = pytest.mark.timeout(300)

DAY = "2026-03-02"
#: 1,000 CNY/MWh from 17:00 to 18:00 (intervals 68-71), 200 CNY/MWh otherwise.
DEAR, CHEAP = 100_000, 20_000
PRICES = [DEAR if 68 <= t < 72 else CHEAP for t in range(96)]


@pytest.fixture(scope="module")
def clients(stack_factory):
    stack = stack_factory(db=6)
    clients = stack.clients()
    yield clients
    clients.close()


def heat(baseline_start: int) -> pb.ProcessRun:
    """One 1-hour heat of 1,000 kW, allowed 06:00-22:00; moving costs 100 CNY + 1 CNY/interval."""
    return pb.ProcessRun(
        fixed=pb.FixedRunProfile(power_kw=[1000.0] * 4),
        earliest_start_interval=24,
        deadline_interval=88,
        baseline_start_interval=baseline_start,
        move_cost_fen=10_000,
        move_cost_fen_per_interval=100,
    )


def gas_engine(start_cost_fen: int, **changes) -> pb.ThermalUnit:
    """800 kW, min load 400 kW, ramps 200 kW/interval, 250 m3 of gas per MWh."""
    values = dict(
        unit_id="gas-engine",
        capacity_kw=800,
        min_load_kw=400,
        ramp_up_kw_per_interval=200,
        ramp_down_kw_per_interval=200,
        start_cost_fen=start_cost_fen,
        fuel="natural_gas",
        fuel_units_per_mwh=250.0,
    )
    values.update(changes)
    return pb.ThermalUnit(**values)


#: 3.00 CNY per m3: the engine's fuel costs 250 x 300 = 75,000 fen (750 CNY) per MWh.
GAS = pb.FuelPrice(fuel="natural_gas", price_fen=300)


def request(**changes) -> pb.ScheduleProductionRequest:
    values = dict(
        market_day=DAY,
        process_lines=[pb.ProcessLine(line_id="melting", runs=[heat(68), heat(72)])],
        thermal_units=[gas_engine(50_000)],
        fuel_prices=[GAS],
        prices_fen_per_mwh=PRICES,
    )
    values.update(changes)
    return pb.ScheduleProductionRequest(**values)


def test_the_heat_in_the_dear_hour_moves_to_the_nearest_cheap_slot(clients):
    reply = clients.bidding.ScheduleProduction(request(), timeout=60)
    assert reply.price_source == pb.PRODUCTION_PRICE_SOURCE_REQUEST
    assert list(reply.prices_fen_per_mwh) == PRICES
    (line,) = reply.lines
    # The 17:00 heat moves one hour earlier (16:00: 4 intervals of shift, cheaper than 8
    # after the 18:00 heat); the 18:00 heat is already in the cheap hours and stays.
    assert list(line.baseline_start_intervals) == [68, 72]
    assert list(line.start_intervals) == [64, 72]
    assert list(line.run_intervals) == [4, 4]
    # 1 MWh out of 1,000 into 200 CNY/MWh: 80,000 fen, less 10,000 + 4 x 100 to move it.
    assert line.move_cost_fen == 10_400
    assert line.value_fen == reply.process_value_fen == 80_000 - 10_400
    assert reply.process_status == "OPTIMAL"
    reduction = list(line.reduction_kw)
    assert reduction[68:72] == [1000.0] * 4 and reduction[64:68] == [-1000.0] * 4
    assert sum(abs(kw) for kw in reduction) == 8000.0


@pytest.mark.parametrize(
    ("start_cost_fen", "runs"),
    [(12_000, True), (13_000, False)],
)
def test_the_gas_engine_runs_only_when_its_start_cost_is_earned(clients, start_cost_fen, runs):
    # In the dear hour the engine starts at min load (400 kW), ramps to 600, and must be
    # back at 400 kW in its last interval: 2,000 kW x 0.25 h = 0.5 MWh at 1,000 - 750 CNY
    # margin = 12,500 fen. Any interval outside loses 550 CNY/MWh.
    reply = clients.bidding.ScheduleProduction(
        request(process_lines=[], thermal_units=[gas_engine(start_cost_fen)]), timeout=60
    )
    (unit,) = reply.units
    assert unit.fuel_cost_fen_per_mwh == 75_000
    if not runs:
        assert set(unit.output_kw) == {0} and not unit.start_intervals
        assert unit.margin_fen == reply.generation_margin_fen == 0
        assert unit.fuel_burned_milli == 0 and unit.emissions_kg_co2 == 0
        return
    output = list(unit.output_kw)
    assert output[68:72] == [400, 600, 600, 400] and sum(output) == 2000
    assert list(unit.start_intervals) == [68]
    assert unit.margin_fen == reply.generation_margin_fen == 12_500 - start_cost_fen
    assert unit.start_costs_fen == start_cost_fen
    assert unit.energy_kwh == 500.0
    # 0.5 MWh x 250 m3/MWh = 125 m3 of natural gas.
    assert (unit.fuel, unit.fuel_unit, unit.fuel_burned_milli) == ("natural_gas", "m3", 125_000)
    kg_per_m3 = FUELS["natural_gas"].kg_co2_per_unit
    assert unit.emissions_kg_co2 == pytest.approx(125 * kg_per_m3)
    assert 240 < unit.emissions_kg_co2 < 260  # about 2 kg CO2 per m3 of gas


def _run(**changes) -> pb.ProcessRun:
    run = heat(68)
    for name, value in changes.items():
        setattr(run, name, value)
    return run


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (dict(market_day="2026-3-2"), "market_day"),
        (dict(prices_fen_per_mwh=PRICES[:95]), "prices_fen_per_mwh"),
        (
            dict(
                process_lines=[pb.ProcessLine(line_id="melting", runs=[_run(deadline_interval=97)])]
            ),
            "process_lines[0].runs[0].deadline_interval",
        ),
        (
            dict(
                process_lines=[
                    pb.ProcessLine(
                        line_id="melting",
                        runs=[
                            pb.ProcessRun(
                                energy=pb.EnergyRunProfile(
                                    energy_kwh=1000, min_intervals=4, max_intervals=0
                                ),
                                deadline_interval=96,
                            )
                        ],
                    )
                ]
            ),
            "process_lines[0].runs[0].energy.max_intervals",
        ),
        (
            dict(
                process_lines=[
                    pb.ProcessLine(
                        line_id="melting",
                        runs=[
                            pb.ProcessRun(
                                fixed=pb.FixedRunProfile(power_kw=[1.0, float("nan")]),
                                deadline_interval=96,
                            )
                        ],
                    )
                ]
            ),
            "process_lines[0].runs[0].fixed.power_kw[1]",
        ),
        (
            dict(precedences=[pb.RunPrecedence(before_line="casting", after_line="melting")]),
            "precedences[0].before_line",
        ),
        (dict(thermal_units=[gas_engine(0, min_load_kw=900)]), "thermal_units[0].min_load_kw"),
        (dict(thermal_units=[gas_engine(0, fuel="peat")]), "thermal_units[0].fuel"),
        (dict(fuel_prices=[]), "thermal_units[0].fuel"),
        (
            dict(fuel_prices=[pb.FuelPrice(fuel="natural_gas", price_fen=300, unit="t")]),
            "fuel_prices[0].unit",
        ),
        (
            dict(fuel_prices=[pb.FuelPrice(fuel="natural_gas", price_fen=-1)]),
            "fuel_prices[0].price_fen",
        ),
    ],
)
def test_a_bad_field_is_refused_naming_it(clients, changes, field):
    with pytest.raises(grpc.RpcError) as err:
        clients.bidding.ScheduleProduction(request(**changes), timeout=60)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.details().startswith(field + ":"), err.value.details()


def test_without_prices_it_uses_the_days_energy_clearing(clients):
    without_prices = request(prices_fen_per_mwh=[])
    with pytest.raises(grpc.RpcError) as err:
        clients.bidding.ScheduleProduction(without_prices, timeout=60)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "no ENERGY clearing" in err.value.details()

    cleared = clients.market.ClearMarket(
        market_pb2.ClearMarketRequest(
            market_day=DAY, product=market_pb2.PRODUCT_ENERGY, include_synthetic_participants=True
        ),
        timeout=60,
    )
    clearing = {i.interval: i.clearing_price_fen_per_mwh for i in cleared.intervals}
    reply = clients.bidding.ScheduleProduction(without_prices, timeout=60)
    assert reply.price_source == pb.PRODUCTION_PRICE_SOURCE_ENERGY_CLEARING
    assert list(reply.prices_fen_per_mwh) == [clearing[t] for t in range(96)]
    # The reference exchange's evening (17:00-21:00) is its dearest time: the heats leave it.
    evening = max(clearing.values())
    assert all(clearing[t] == evening for t in range(68, 84))
    (line,) = reply.lines
    assert all(not 68 <= start < 84 for start in line.start_intervals)
    assert line.value_fen > 0
