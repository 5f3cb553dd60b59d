"""Bid builder on cases small enough to solve by hand: what is offered, at what price, and why."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from bidding.assets import BatterySpec, CurtailableLoadSpec
from bidding.event_windows import EventWindow
from bidding.exceptions import InfeasibleProblem, InvalidInput
from bidding.flexibility import battery_envelope, curtailable_envelope
from bidding.intervals import INTERVAL_HOURS
from bidding.offer_model import BidAsset, BidProblem, PriceScenario
from bidding.offers import OfferStep, build_bids

DAY = date(2025, 7, 16)
LOW, HIGH, COST = 100_000, 1_000_000, 500_000  # fen/MWh


def _load(asset_id="load-1", kw=100.0, cost=COST, rebound=0.0, events=1, minutes=60) -> BidAsset:
    spec = CurtailableLoadSpec(kw, 15, minutes, events, 0, rebound, (), cost)
    return BidAsset(
        asset_id, "ent-1", spec, curtailable_envelope(asset_id, spec, DAY, [200.0] * 96)
    )


def _flat_envelope(spec: CurtailableLoadSpec):
    return curtailable_envelope("load-1", spec, DAY, [200.0] * 96)


def _prices(base: float, overrides: dict[int, float]) -> np.ndarray:
    prices = np.full(96, float(base))
    for t, p in overrides.items():
        prices[t] = p
    return prices


def _peak_scenarios() -> list[PriceScenario]:
    """Even odds: a dull day at LOW everywhere, or a day with HIGH prices in 72..75."""
    return [
        PriceScenario(0.5, _prices(LOW, {})),
        PriceScenario(0.5, _prices(LOW, {t: HIGH for t in range(72, 76)})),
    ]


def test_single_load_offers_only_where_price_beats_cost() -> None:
    solution = build_bids(BidProblem(DAY, [_load()], _peak_scenarios()))
    # LOW < cost < HIGH: nothing at LOW, all 100 kW once the price reaches HIGH.
    for t in range(72, 76):
        assert solution.curves[t] == [OfferStep(HIGH, 100.0)]
    assert all(not solution.curves[t] for t in range(96) if t not in range(72, 76))
    # High-price day: 4 intervals x 100 kW x 15 min = 100 kWh at 1000 fen/kWh.
    assert solution.scenario_revenue_fen == [0, 100_000]
    assert solution.expected_revenue_fen == 50_000
    # Net of the 500 fen/kWh cost, with probability 0.5: 0.5 x 100 kWh x 500 fen/kWh.
    assert solution.objective_fen == pytest.approx(25_000)
    assert solution.bound_fen == pytest.approx(25_000)
    assert solution.relative_gap == 0.0
    assert solution.solver.startswith("HIGHS/column-generation")
    assert solution.windows["load-1"] == (EventWindow(72, 4),)
    np.testing.assert_allclose(solution.asset_reduction_kw["load-1"][72], 50.0)  # expected plan


def test_one_short_event_takes_the_best_adjacent_intervals() -> None:
    # One event of at most 30 minutes (two intervals); prices 900k, 800k, 700k.
    scenario = PriceScenario(1.0, _prices(LOW, {70: 900_000, 71: 800_000, 72: 700_000}))
    solution = build_bids(BidProblem(DAY, [_load(minutes=30)], [scenario]))
    assert solution.curves[70] == [OfferStep(900_000, 100.0)]
    assert solution.curves[71] == [OfferStep(800_000, 100.0)]
    assert solution.curves[72] == []
    assert solution.objective_fen == pytest.approx(25 * (900 - 500) + 25 * (800 - 500))


def test_rebound_can_make_a_thin_margin_unprofitable() -> None:
    prices = _prices(LOW, {72: 510_000})  # 10 fen/kWh above cost
    scenario = PriceScenario(1.0, prices)
    without = build_bids(BidProblem(DAY, [_load(rebound=0.0)], [scenario]))
    assert without.curves[72] == [OfferStep(510_000, 100.0)]
    # 20 % of the shed energy comes back in the next interval at 100 fen/kWh: 20 fen per
    # shed kWh > the 10 fen/kWh margin.
    with_rebound = build_bids(BidProblem(DAY, [_load(rebound=0.2)], [scenario]))
    assert with_rebound.curves[72] == []
    assert with_rebound.objective_fen == pytest.approx(0.0)


def test_rebound_comes_back_right_after_the_event() -> None:
    # Peak 72..73 at HIGH, 74..75 at LOW: a 30-minute event at the peak draws 25 % of its
    # 50 kWh back over 74..75 (25 kW each), paid at LOW.
    scenario = PriceScenario(1.0, _prices(LOW, {72: HIGH, 73: HIGH}))
    solution = build_bids(BidProblem(DAY, [_load(rebound=0.25, minutes=30)], [scenario]))
    plan = solution.scenario_asset_reduction_kw["load-1"][0]
    np.testing.assert_allclose(plan[72:74], 100.0)
    np.testing.assert_allclose(plan[74:76], -25.0)
    assert np.count_nonzero(np.abs(plan) > 1e-6) == 4
    # 50 kWh x (1000 - 500) fen/kWh - 12.5 kWh x 100 fen/kWh
    assert solution.objective_fen == pytest.approx(50 * 500 - 12.5 * 100)
    # The portfolio quantity carries the rebound: no offer where it is negative.
    assert solution.curves[74] == [] and solution.scenario_quantity_kw[0, 74] == pytest.approx(-25)


def test_events_keep_their_minimum_length_and_count() -> None:
    # Two short price spikes far apart; one event a day of 60..60 minutes: the load can
    # take only one spike, and holds the event for all four intervals around it.
    spec = CurtailableLoadSpec(100.0, 60, 60, 1, 0, 0.0, (), COST)
    load = BidAsset(
        "load-1", "ent-1", spec, curtailable_envelope("load-1", spec, DAY, [200.0] * 96)
    )
    scenario = PriceScenario(1.0, _prices(LOW, {40: 2 * HIGH, 80: HIGH}))
    solution = build_bids(BidProblem(DAY, [load], [scenario]))
    plan = solution.scenario_asset_reduction_kw["load-1"][0]
    on = np.flatnonzero(plan > 1e-6)
    assert len(on) == 4 and on[-1] - on[0] == 3 and 40 in on  # one event of 4 intervals
    # 25 kWh at 2000 fen/kWh, 75 kWh at 100, all at 500 cost: positive, so it is called.
    assert solution.objective_fen == pytest.approx(25 * 2000 + 75 * 100 - 100 * 500)


def test_battery_arbitrage_matches_hand_solution() -> None:
    # 100 kWh, 50 kW, lossless, 10 fen/kWh wear, starts half full, must end half full.
    spec = BatterySpec(100.0, 50.0, 50.0, 1.0, 1.0, 0.0, 1.0, 0.5, 10_000)
    bess = BidAsset("bess-1", "ent-1", spec, battery_envelope("bess-1", spec))
    prices = _prices(300_000, {t: LOW for t in range(8)} | {t: HIGH for t in range(72, 80)})
    solution = build_bids(BidProblem(DAY, [bess], [PriceScenario(1.0, prices)]))
    # Fill 50 kWh at 100 fen/kWh, empty 100 kWh at 1000 (less 10 wear), refill 50 kWh at 300.
    assert solution.objective_fen == pytest.approx(100 * (1000 - 10) - 50 * 100 - 50 * 300)
    plan = solution.asset_reduction_kw["bess-1"]
    np.testing.assert_allclose(plan[72:80], 50.0)  # full power through the peak
    assert all(solution.curves[t] == [OfferStep(HIGH, 50.0)] for t in range(72, 80))
    assert plan[:8].sum() * INTERVAL_HOURS == pytest.approx(-50.0)  # 50 kWh charged while cheap
    assert all(solution.curves[t] == [] for t in range(8))  # charging is not an offer
    stored = 50.0 - np.cumsum(plan) * INTERVAL_HOURS
    assert stored.min() >= -1e-6 and stored.max() <= 100.0 + 1e-6
    assert stored[-1] >= 50.0 - 1e-6


def test_battery_energy_not_power_limits_the_peak() -> None:
    # 200 kW of power but only 40 kWh above soc_min: over a 2-hour peak it can give 40 kWh.
    spec = BatterySpec(100.0, 200.0, 200.0, 1.0, 0.9, 0.2, 0.6, 0.6, 10_000)
    bess = BidAsset("bess-1", "ent-1", spec, battery_envelope("bess-1", spec))
    prices = _prices(HIGH, {t: 2 * HIGH for t in range(72, 80)})
    solution = build_bids(BidProblem(DAY, [bess], [PriceScenario(1.0, prices)]))
    plan = solution.asset_reduction_kw["bess-1"]
    delivered_kwh = plan[72:80].sum() * INTERVAL_HOURS
    assert delivered_kwh == pytest.approx(40.0 * 0.9)  # discharge losses come out of storage
    assert np.all(plan <= 200.0 + 1e-6)


def test_commitment_beyond_capacity_names_the_interval() -> None:
    problem = BidProblem(DAY, [_load()], _peak_scenarios(), commitments={75: 150.0})
    with pytest.raises(InfeasibleProblem) as caught:
        build_bids(problem)
    assert caught.value.constraint == "commitment"
    assert caught.value.interval == 75
    assert "150.000 kW" in str(caught.value) and "100.000 kW" in str(caught.value)


def test_commitment_holds_in_every_scenario() -> None:
    problem = BidProblem(DAY, [_load()], _peak_scenarios(), commitments={72: 60.0})
    solution = build_bids(problem)
    assert solution.scenario_quantity_kw[:, 72].min() >= 60.0 - 1e-6
    # The dull scenario has to curtail 60 kW at a loss; the curve starts at LOW.
    assert solution.curves[72] == [OfferStep(LOW, 60.0), OfferStep(HIGH, 40.0)]


def test_commitments_jointly_beyond_energy_are_infeasible() -> None:
    # 1 h of curtailment per day but 2 h of 100 kW committed: the fifth hour-quarter fails.
    commitments = {t: 100.0 for t in range(60, 68)}
    with pytest.raises(InfeasibleProblem) as caught:
        build_bids(BidProblem(DAY, [_load()], _peak_scenarios(), commitments))
    assert caught.value.constraint == "commitment"
    assert caught.value.interval is not None and 60 <= caught.value.interval < 68
    assert "interval" in str(caught.value)


def test_commitment_events_cannot_cover_names_the_interval() -> None:
    # Two 30-minute commitments 3 hours apart, but one 30-minute event a day.
    spec = CurtailableLoadSpec(100.0, 30, 30, 1, 0, 0.0, (), COST)
    load = BidAsset(
        "load-1", "ent-1", spec, curtailable_envelope("load-1", spec, DAY, [200.0] * 96)
    )
    commitments = {40: 50.0, 41: 50.0, 52: 50.0, 53: 50.0}
    with pytest.raises(InfeasibleProblem) as caught:
        build_bids(BidProblem(DAY, [load], _peak_scenarios(), commitments))
    assert caught.value.constraint == "commitment"
    assert caught.value.interval in (40, 52)


def test_malformed_problems_are_rejected() -> None:
    lopsided = [PriceScenario(0.5, _prices(LOW, {})), PriceScenario(0.4, _prices(LOW, {}))]
    with pytest.raises(InvalidInput) as caught:
        build_bids(BidProblem(DAY, [_load()], lopsided))
    assert caught.value.field == "scenarios"
    with pytest.raises(InvalidInput):
        build_bids(BidProblem(DAY, [_load()], []))
    with pytest.raises(InvalidInput):
        build_bids(BidProblem(DAY, [_load(), _load()], _peak_scenarios()))
    with pytest.raises(InvalidInput):
        build_bids(BidProblem(DAY, [_load()], _peak_scenarios(), {96: 1.0}))
    with pytest.raises(InvalidInput) as caught:
        build_bids(BidProblem(DAY, [_load()], _peak_scenarios()), solver="NO_SUCH_SOLVER")
    assert caught.value.field == "solver"


def test_glop_gives_the_same_answer() -> None:
    solution = build_bids(BidProblem(DAY, [_load()], _peak_scenarios()), solver="GLOP")
    assert solution.solver.startswith("GLOP/column-generation")
    assert solution.objective_fen == pytest.approx(25_000)
    assert solution.curves[73] == [OfferStep(HIGH, 100.0)]
