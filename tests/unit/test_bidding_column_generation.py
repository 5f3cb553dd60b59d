"""The bid's proof: the bound never falls below a plan, and equals a brute-force optimum.

The brute force here is written from the asset rules alone (no bid-model code): it lists
every schedule a load may hold (events of allowed length in available intervals, at most
`max_events_per_day`, the next one after the previous rebound), and a MIP picks one per
load and scenario, each event at its own level in [0, 1], under the same curve linking
(quantity never falls as a scenario's price rises; equal prices, equal quantity), with
energy drawn back paid at the higher of the scenario's price and the scenarios' mean.
"""

from __future__ import annotations

import math
from datetime import date

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings
from ortools.linear_solver import pywraplp

from bidding.assets import AvailabilityWindow, BatterySpec, CurtailableLoadSpec
from bidding.flexibility import battery_envelope, curtailable_envelope
from bidding.offer_model import BidAsset, BidProblem, PriceScenario
from bidding.offers import OfferStep, build_bids
from tests.unit.plan_checks import check_solution

DAY = date(2025, 7, 16)
HOURS = 0.25


def _load(asset_id, kw, cost, rebound, events, min_minutes, max_minutes, window) -> BidAsset:
    spec = CurtailableLoadSpec(
        kw, min_minutes, max_minutes, events, 0, rebound, (AvailabilityWindow((), *window),), cost
    )
    envelope = curtailable_envelope(asset_id, spec, DAY, [400.0] * 96)
    return BidAsset(asset_id, "ent-1", spec, envelope)


def _schedules(spec: CurtailableLoadSpec, up: np.ndarray) -> list[list[tuple[int, int]]]:
    """Every schedule: lists of (start, length) events, written from the rules."""
    shortest = max(1, math.ceil(spec.min_event_minutes / 15))
    longest = spec.max_event_minutes // 15
    events = []
    for start in range(96):
        for length in range(shortest, longest + 1):
            end = start + length
            tail = end + length if spec.rebound_fraction > 0 else end
            if tail <= 96 and all(up[t] > 0 for t in range(start, end)):
                events.append((start, length))
    out: list[list[tuple[int, int]]] = [[]]

    def extend(schedule: list[tuple[int, int]]) -> None:
        if len(schedule) == spec.max_events_per_day:
            return
        if schedule:
            start, length = schedule[-1]
            free = start + 2 * length if spec.rebound_fraction > 0 else start + length + 1
        else:
            free = 0
        for event in events:
            if event[0] >= free:
                out.append([*schedule, event])
                extend(out[-1])

    extend([])
    return out


def _profile(spec: CurtailableLoadSpec, up: np.ndarray, start: int, length: int) -> np.ndarray:
    profile = np.zeros(96)
    profile[start : start + length] = up[start : start + length]
    if spec.rebound_fraction > 0:
        back = spec.rebound_fraction * profile.sum() / length
        profile[start + length : start + 2 * length] = -back
    return profile


def brute_force(problem: BidProblem) -> float:
    """The optimum over every schedule (loads only), by MIP."""
    lp = pywraplp.Solver.CreateSolver("HIGHS")
    lp.SetSolverSpecificParametersAsString("output_flag=false\nmip_rel_gap=1e-9\n")
    prices = np.array([s.price_fen_per_mwh for s in problem.scenarios], dtype=float)
    probabilities = np.array([s.probability for s in problem.scenarios])
    # Rebound is paid at the higher of the scenario's price and the scenarios' mean.
    drawn = np.maximum(prices, probabilities @ prices)
    quantity = [[lp.Sum([]) for _ in range(96)] for _ in problem.scenarios]
    objective = []
    for asset in problem.assets:
        spec, up = asset.spec, asset.envelope.up_kw
        schedules = _schedules(spec, up)
        for s, scenario in enumerate(problem.scenarios):
            weight = scenario.probability * HOURS / 1000
            picks = [lp.BoolVar("") for _ in schedules]
            lp.Add(lp.Sum(picks) <= 1)
            for pick, schedule in zip(picks, schedules, strict=True):
                for start, length in schedule:
                    level = lp.NumVar(0.0, 1.0, "")
                    lp.Add(level <= pick)
                    profile = _profile(spec, up, start, length)
                    shed = float(up[start : start + length].sum())
                    worth = prices[s] @ np.maximum(profile, 0) + drawn[s] @ np.minimum(profile, 0)
                    value = float(worth) - spec.curtailment_cost_fen_per_mwh * shed
                    objective.append(weight * value * level)
                    for t in np.flatnonzero(profile):
                        quantity[s][t] += float(profile[t]) * level
    # The curve offers O[s][t]; a scenario sells at most min(O, what it can clear).
    curve = quantity
    clearable = problem.clearable_kw()
    if clearable is not None:
        curve = [[lp.NumVar(-lp.infinity(), lp.infinity(), "") for _ in range(96)] for _ in prices]
        for s in range(len(prices)):
            for t in range(96):
                lp.Add(quantity[s][t] <= curve[s][t])
                if math.isfinite(clearable[s, t]):
                    lp.Add(quantity[s][t] <= float(clearable[s, t]))
    for t in range(96):
        order = sorted(range(len(problem.scenarios)), key=lambda s: prices[s, t])
        for low, high in zip(order, order[1:], strict=False):
            if prices[low, t] == prices[high, t]:
                lp.Add(curve[high][t] == curve[low][t])
            else:
                lp.Add(curve[high][t] >= curve[low][t])
    lp.Maximize(lp.Sum(objective))
    assert lp.Solve() == pywraplp.Solver.OPTIMAL
    return lp.Objective().Value()


def _shaped(peaks: list[tuple[float, int, int, int]]) -> list[PriceScenario]:
    """Scenarios that differ in shape: (probability, peak start, peak length, peak price)."""
    out = []
    for probability, start, length, price in peaks:
        row = np.full(96, 200_000.0)
        row[start : start + length] = price
        out.append(PriceScenario(probability, row))
    return out


SMALL_CASES = {
    "one load, peaks move": (
        [_load("a", 100.0, 300_000, 0.0, 1, 30, 60, (64, 84))],
        [(0.3, 68, 3, 900_000), (0.3, 74, 2, 1_200_000), (0.4, 78, 4, 700_000)],
    ),
    "two loads with rebound": (
        [
            _load("a", 100.0, 250_000, 0.3, 2, 30, 45, (66, 82)),
            _load("b", 60.0, 500_000, 0.0, 1, 15, 60, (68, 80)),
        ],
        [(0.5, 70, 3, 1_000_000), (0.25, 76, 2, 800_000), (0.25, 66, 6, 600_000)],
    ),
    "three loads, shared peak and a second one": (
        [
            _load("a", 80.0, 300_000, 0.2, 1, 30, 60, (66, 82)),
            _load("b", 50.0, 450_000, 0.0, 1, 15, 30, (70, 80)),
            _load("c", 120.0, 650_000, 0.5, 1, 45, 60, (68, 84)),
        ],
        [(0.4, 70, 4, 1_100_000), (0.35, 74, 4, 900_000), (0.25, 78, 2, 1_400_000)],
    ),
}


@pytest.mark.parametrize("case", sorted(SMALL_CASES))
def test_plan_and_bound_equal_the_brute_force_optimum(case: str) -> None:
    assets, peaks = SMALL_CASES[case]
    problem = BidProblem(DAY, assets, _shaped(peaks))
    optimum = brute_force(problem)
    solution = build_bids(problem, time_limit_seconds=60)
    scale = max(1.0, abs(optimum))
    assert solution.objective_fen == pytest.approx(optimum, abs=1e-6 * scale)
    assert solution.bound_fen == pytest.approx(optimum, abs=1e-6 * scale)
    assert solution.relative_gap <= 1e-6
    # The objective is what the plans are worth, every plan within its asset's rules.
    assert check_solution(problem, solution) == pytest.approx(optimum, abs=1e-6 * scale)


def _capped(cap_b: float) -> BidProblem:
    """One 100 kW load (cost 3,000 CNY/MWh, one 30-60 min event in 16:00-21:00) and two
    equally likely days priced 10,000 CNY/MWh at 18:00-19:00; the market takes all of it
    on day A and only `cap_b` kW on day B."""
    price = np.full(96, 200_000.0)
    price[72:76] = 1_000_000
    cap = np.full(96, np.inf)
    cap[72:76] = cap_b
    scenarios = [PriceScenario(0.5, price), PriceScenario(0.5, price.copy(), cap)]
    return BidProblem(DAY, [_load("a", 100.0, 300_000, 0.0, 1, 30, 60, (64, 84))], scenarios)


def test_what_the_market_accepts_caps_each_scenario_not_the_curve() -> None:
    """Hand-computed: day A sells 100 kW for an hour at 10,000 - 3,000 CNY/MWh = 700 CNY,
    day B the 40 kW it can clear = 280 CNY; expected 490 CNY. The curve still offers
    100 kW at 10,000 CNY/MWh (one curve for both days): tying the days to one quantity
    would sell 40 kW on both (280 CNY)."""
    problem = _capped(40.0)
    solution = build_bids(problem, time_limit_seconds=60)
    assert solution.objective_fen == pytest.approx(49_000, abs=1e-3)
    assert solution.expected_revenue_fen == round(0.5 * 100_000 + 0.5 * 40_000)
    assert solution.bound_fen == pytest.approx(brute_force(problem), abs=1e-3)
    np.testing.assert_allclose(solution.scenario_quantity_kw[:, 72:76], [[100] * 4, [40] * 4])
    assert [solution.curves[t] for t in range(72, 76)] == [[OfferStep(1_000_000, 100.0)]] * 4
    assert check_solution(problem, solution) == pytest.approx(49_000, abs=1e-3)


def test_a_scenario_that_clears_nothing_sells_nothing() -> None:
    solution = build_bids(_capped(0.0), time_limit_seconds=60)
    assert solution.objective_fen == pytest.approx(35_000, abs=1e-3)
    assert solution.scenario_quantity_kw[1].max() <= 1e-6


def test_schedules_differ_per_scenario_where_it_pays() -> None:
    """One load, one event a day: each scenario's peak gets the event (one shared window
    would leave money in two of the three)."""
    assets, peaks = SMALL_CASES["one load, peaks move"]
    problem = BidProblem(DAY, assets, _shaped(peaks))
    solution = build_bids(problem, time_limit_seconds=60)
    starts = {windows[0].start for windows in solution.scenario_windows["a"] if windows}
    assert len(starts) == 3


def _battery(asset_id: str, kwh: float) -> BidAsset:
    spec = BatterySpec.from_round_trip(
        energy_capacity_kwh=kwh,
        max_charge_kw=kwh / 4,
        max_discharge_kw=kwh / 4,
        round_trip_efficiency=0.9,
        soc_min=0.1,
        soc_max=0.95,
        initial_soc=0.5,
        degradation_cost_fen_per_mwh=30_000,
    )
    return BidAsset(asset_id, "ent-1", spec, battery_envelope(asset_id, spec))


hourly = st.lists(st.integers(min_value=-1_000_000, max_value=1_500_000), min_size=24, max_size=24)


@settings(max_examples=8, deadline=None)
@given(
    days=st.lists(hourly, min_size=1, max_size=3),
    with_load=st.booleans(),
    batteries=st.integers(min_value=1, max_value=2),
)
def test_every_plan_keeps_every_limit_at_any_price(days, with_load, batteries) -> None:
    """Prices down to -10,000 CNY/MWh: every scenario plan of every asset within its rules,
    the bound above the plan's value."""
    scenarios = [
        PriceScenario(1 / len(days), np.repeat(np.array(day, dtype=float), 4)) for day in days
    ]
    assets = [_battery(f"bat-{k}", 400.0 * (k + 1)) for k in range(batteries)]
    if with_load:
        assets.append(_load("load", 100.0, 300_000, 0.2, 2, 30, 60, (0, 96)))
    problem = BidProblem(DAY, assets, scenarios)
    solution = build_bids(problem, time_limit_seconds=60)
    value = check_solution(problem, solution)
    assert value == pytest.approx(solution.objective_fen, abs=1.0)
    assert solution.bound_fen >= solution.objective_fen - 1e-6 * max(1.0, abs(value))


def test_curves_step_up_where_scenario_prices_call_for_more() -> None:
    """Three loads at 300, 500 and 700 CNY/MWh; three equally likely prices 400, 600, 800
    in 18:00-19:00: at 400 the cheapest load sheds, at 600 two, at 800 all three, so each
    interval's curve has three blocks, ascending in price, cumulative 100/160/280 kW."""
    assets = [
        _load("cheap", 100.0, 300_000, 0.0, 1, 60, 60, (72, 76)),
        _load("mid", 60.0, 500_000, 0.0, 1, 60, 60, (72, 76)),
        _load("dear", 120.0, 700_000, 0.0, 1, 60, 60, (72, 76)),
    ]
    scenarios = []
    for price in (400_000, 600_000, 800_000):
        row = np.full(96, 100_000.0)
        row[72:76] = price
        scenarios.append(PriceScenario(1 / 3, row))
    solution = build_bids(BidProblem(DAY, assets, scenarios), time_limit_seconds=60)
    for t in range(72, 76):
        steps = solution.curves[t]
        assert [s.price_fen_per_mwh for s in steps] == [400_000, 600_000, 800_000]
        assert [s.quantity_kw for s in steps] == [100.0, 60.0, 120.0]
    assert all(not solution.curves[t] for t in range(96) if t not in range(72, 76))


def test_one_block_where_every_scenario_offers_the_same() -> None:
    """A load far cheaper than every scenario's price sheds all it can in each: one block
    at the lowest scenario price (where all scenarios agree, nothing to step)."""
    assets = [_load("cheap", 100.0, 100_000, 0.0, 1, 60, 60, (72, 76))]
    scenarios = []
    for price in (400_000, 600_000, 800_000):
        row = np.full(96, 50_000.0)
        row[72:76] = price
        scenarios.append(PriceScenario(1 / 3, row))
    solution = build_bids(BidProblem(DAY, assets, scenarios), time_limit_seconds=60)
    assert solution.curves[72] == [OfferStep(400_000, 100.0)]


def test_a_curve_longer_than_the_exchange_allows_merges_its_smallest_blocks_upwards() -> None:
    from services.bidding.curves import MAX_STEPS, at_most
    from services.market.servicer import MAX_STEPS as EXCHANGE_MAX_STEPS

    assert MAX_STEPS == EXCHANGE_MAX_STEPS
    steps = [OfferStep(100_000 + 1_000 * k, 1.0 + (k % 7)) for k in range(80)]
    merged = at_most(steps)
    assert len(merged) == MAX_STEPS
    assert sum(s.quantity_kw for s in merged) == pytest.approx(sum(s.quantity_kw for s in steps))
    prices = [s.price_fen_per_mwh for s in merged]
    assert prices == sorted(set(prices))
    # Never offered cheaper than planned: at each price at most the planned cumulative kW.
    for price in prices:
        planned = sum(s.quantity_kw for s in steps if s.price_fen_per_mwh <= price)
        offered = sum(s.quantity_kw for s in merged if s.price_fen_per_mwh <= price)
        assert offered <= planned + 1e-9
