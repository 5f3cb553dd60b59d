"""Shiftable runs in the demand-response bid and the dispatch (bidding.shiftable).

Hand-computed cases (a run offered where the park has it and moved to the cheapest
window it may use; a run that cannot move offers nothing), the bid checked against brute
force over every placement in every scenario, and the dispatch moving a run out of an
award and holding one that already started.
"""

from __future__ import annotations

import itertools
from datetime import date

import numpy as np
import pytest

from bidding.assets import ShiftableLoadSpec
from bidding.dispatch import Redispatch, disaggregate
from bidding.exceptions import InvalidInput
from bidding.offer_model import FEN_PER_KW_INTERVAL, BidAsset, BidProblem, PriceScenario
from bidding.offers import build_bids
from bidding.process_runs import fixed_run
from bidding.shiftable import run_envelope, run_placements, shiftable_run

DAY = date(2026, 12, 8)
T = 96


def _spec(earliest: int = 40, latest_end: int = 90, minutes: int = 60, kwh: float = 1000.0):
    return ShiftableLoadSpec(
        energy_per_run_kwh=kwh,
        run_duration_minutes=minutes,
        earliest_start_interval=earliest,
        latest_end_interval=latest_end,
        power_kw=kwh * 60 / minutes,
    )


def _forecast(start: int, length: int, kw: float, base_kw: float = 50.0) -> np.ndarray:
    forecast = np.full(T, base_kw)
    forecast[start : start + length] += kw
    return forecast


def _asset(asset_id: str, run, spec=None) -> BidAsset:
    spec = spec or _spec()
    return BidAsset(asset_id, "ent-1", spec, run_envelope(asset_id, run_placements(run)), run)


def test_the_baseline_placement_is_where_the_forecast_has_the_run() -> None:
    run = shiftable_run(_spec(), _forecast(72, 4, 1000.0))
    assert run is not None
    assert run.baseline_start_interval == 72
    assert run.profiles_kw == ((1000.0,) * 4,)  # 1,000 kWh over 4 quarter-hours
    assert (run.earliest_start_interval, run.deadline_interval) == (40, 90)


def test_no_run_in_the_forecast_has_nothing_to_move() -> None:
    # 50 kW of base load holds 200 kWh in any hour: less than half the 1,000 kWh run.
    assert shiftable_run(_spec(), np.full(T, 50.0)) is None
    # 800 kW of steady base load is no run either, though any hour holds 800 kWh.
    assert shiftable_run(_spec(), np.full(T, 800.0)) is None
    # ... and on top of it the run stands out where it is.
    run = shiftable_run(_spec(), _forecast(72, 4, 1000.0, base_kw=800.0))
    assert run is not None and run.baseline_start_interval == 72
    with pytest.raises(InvalidInput, match="forecast_load_kw"):
        shiftable_run(_spec(), np.full(95, 50.0))
    with pytest.raises(InvalidInput, match="energy_per_run_kwh"):
        shiftable_run(_spec(kwh=-1.0), np.full(T, 50.0))


def test_the_envelope_says_where_the_run_can_go() -> None:
    run = fixed_run(
        (100.0, 100.0), earliest_start_interval=10, deadline_interval=16, baseline_start_interval=12
    )
    envelope = run_envelope("r", run_placements(run))
    up, down = envelope.up_kw, envelope.down_kw
    assert up[12:14].tolist() == [100.0, 100.0] and up.sum() == 200.0
    assert down[10:12].tolist() == [100.0, 100.0] and down[14:16].tolist() == [100.0, 100.0]
    assert down.sum() == 400.0
    assert envelope.max_daily_up_kwh == 50.0


def test_a_run_that_cannot_move_has_a_zero_envelope_and_offers_nothing() -> None:
    # The window 72..76 is exactly the run's hour: its deadline pins it. (From the forecast
    # alone the run fills its whole window, so nothing stands above the window's usual
    # level: no run to move either way.)
    spec = _spec(earliest=72, latest_end=76)
    assert shiftable_run(spec, _forecast(72, 4, 1000.0)) is None
    run = fixed_run(
        (1000.0,) * 4, earliest_start_interval=72, deadline_interval=76, baseline_start_interval=72
    )
    asset = _asset("pinned", run, spec)
    assert not asset.envelope.up_kw.any() and not asset.envelope.down_kw.any()
    prices = np.full(T, 100_000.0)
    prices[72:76] = 1_000_000.0
    solution = build_bids(BidProblem(DAY, [asset], [PriceScenario(1.0, prices)]))
    assert solution.objective_fen == 0.0
    assert not any(solution.curves.values())
    assert solution.scenario_starts["pinned"] == [None]


def test_the_run_is_offered_where_it_was_and_moved_to_the_cheapest_allowed_window() -> None:
    run = shiftable_run(_spec(earliest=40, latest_end=90), _forecast(72, 4, 1000.0))
    prices = np.full(T, 100_000.0)
    prices[72:76] = 1_000_000.0  # the evening peak where the park runs it
    prices[44:48] = 50_000.0  # the cheapest hour inside the window
    prices[20:24] = 10_000.0  # cheaper, but before earliest_start_interval
    prices[90:94] = 10_000.0  # cheaper, but after the deadline
    solution = build_bids(BidProblem(DAY, [_asset("melt", run)], [PriceScenario(1.0, prices)]))
    # Sold: 1,000 kW for an hour at 1,000,000 fen/MWh = 1,000,000 fen; the hour bought
    # back at 50,000 fen/MWh costs 50,000 fen.
    assert solution.objective_fen == pytest.approx(950_000.0)
    assert solution.bound_fen == pytest.approx(950_000.0)
    assert solution.scenario_starts["melt"] == [44]
    for t in range(72, 76):
        assert [(s.price_fen_per_mwh, s.quantity_kw) for s in solution.curves[t]] == [
            (1_000_000, 1000.0)
        ]
    assert not solution.curves[44]  # extra load is never an offer
    plan = solution.scenario_asset_reduction_kw["melt"][0]
    assert plan[44:48].tolist() == [-1000.0] * 4 and plan[72:76].tolist() == [1000.0] * 4


def test_a_move_costing_more_than_it_earns_stays() -> None:
    run = fixed_run(
        (1000.0,) * 4,
        earliest_start_interval=40,
        deadline_interval=90,
        baseline_start_interval=72,
        move_cost_fen=960_000,
    )
    prices = np.full(T, 100_000.0)
    prices[72:76] = 1_000_000.0
    prices[44:48] = 50_000.0
    solution = build_bids(BidProblem(DAY, [_asset("melt", run)], [PriceScenario(1.0, prices)]))
    assert solution.objective_fen == 0.0
    assert solution.scenario_starts["melt"] == [None]


def _brute_force(problem: BidProblem) -> float:
    """Best expected value over every placement of every run in every scenario."""
    prices = np.array([s.price_fen_per_mwh for s in problem.scenarios])
    probability = np.array([s.probability for s in problem.scenarios])
    draws = np.maximum(prices, (probability @ prices)[None, :])
    cap = problem.sale_cap_kw()
    runs = [run_placements(a.run) for a in problem.assets]
    S = len(problem.scenarios)
    best = -np.inf
    per_scenario = list(itertools.product(*(range(len(r.start)) for r in runs)))
    for choice in itertools.product(per_scenario, repeat=S):
        quantity = np.array(
            [sum(r.reduction_kw[p] for r, p in zip(runs, c, strict=True)) for c in choice]
        )
        if np.any(quantity > cap[None, :] + 1e-9):
            continue
        monotone = True
        for t in range(T):
            order = np.argsort(prices[:, t], kind="stable")
            for low, high in itertools.pairwise(order):
                equal = round(prices[low, t]) == round(prices[high, t])
                if quantity[high, t] < quantity[low, t] - 1e-9 or (
                    equal and abs(quantity[high, t] - quantity[low, t]) > 1e-9
                ):
                    monotone = False
        if not monotone:
            continue
        value = 0.0
        for s, c in enumerate(choice):
            for r, p in zip(runs, c, strict=True):
                red = r.reduction_kw[p]
                worth = prices[s] @ red.clip(min=0) + draws[s] @ red.clip(max=0)
                value += probability[s] * (worth * FEN_PER_KW_INTERVAL - r.move_cost_fen[p])
        best = max(best, value)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_the_bid_matches_brute_force_over_every_placement(seed: int) -> None:
    rng = np.random.default_rng(seed)
    assets = []
    for k in range(2):
        length = int(rng.integers(1, 4))
        earliest = int(rng.integers(60, 66))
        deadline = earliest + length + int(rng.integers(2, 6))
        baseline = int(rng.integers(earliest, deadline - length + 1))
        kw = float(rng.integers(1, 5) * 100)
        run = fixed_run(
            (kw,) * length,
            earliest_start_interval=earliest,
            deadline_interval=deadline,
            baseline_start_interval=baseline,
            move_cost_fen_per_interval=int(rng.integers(0, 300)),
        )
        assets.append(_asset(f"run-{k}", run))
    scenarios = []
    for probability in (0.4, 0.6):
        prices = np.full(T, 200_000.0)
        prices[56:80] = rng.integers(1, 20, size=24) * 50_000.0
        scenarios.append(PriceScenario(probability, prices))
    cap = np.full(T, np.inf)
    cap[60:80] = float(rng.integers(1, 6) * 100)
    problem = BidProblem(DAY, assets, scenarios, max_sale_kw=cap)
    solution = build_bids(problem, time_limit_seconds=30)
    expected = _brute_force(problem)
    assert solution.objective_fen == pytest.approx(expected, abs=1e-3)
    assert solution.bound_fen >= solution.objective_fen - 1e-6


def test_the_dispatch_moves_a_run_out_of_its_award_and_holds_one_under_way() -> None:
    run = fixed_run(
        (1000.0,) * 4,
        earliest_start_interval=40,
        deadline_interval=79,  # no later hour clears 72..75
        baseline_start_interval=72,
        move_cost_fen_per_interval=10,
    )
    asset = _asset("melt", run)
    award = {t: 1000.0 for t in range(72, 76)}
    for method in ("milp", "columns"):
        plan = disaggregate(award, [asset], method=method)
        assert plan.shortfall_kwh == pytest.approx(0.0, abs=1e-6), method
        start = plan.run_starts["melt"]
        # The nearest start whose hour stays out of 72..75 moves it least: 68 (17:00).
        assert start == 68, method
        setpoints = plan.setpoints_kw["melt"]
        assert setpoints[72:76].tolist() == [1000.0] * 4
        assert setpoints[start : start + 4].tolist() == [-1000.0] * 4
        assert plan.cost_fen == pytest.approx(40.0)  # 4 intervals x 10 fen
    first = disaggregate(award, [asset], method="milp")
    # At 17:30 the run's new start (17:00) has passed: a re-dispatch holds it.
    again = disaggregate(award, [asset], Redispatch(first, from_interval=70))
    assert again.run_starts == {"melt": 68}
    np.testing.assert_allclose(again.setpoints_kw["melt"], first.setpoints_kw["melt"])
    # Before either start a re-dispatch may still choose; an award now also at 17:00-18:00
    # leaves the run only 16:00 and earlier, and it still moves it least.
    wider = {**award, **{t: 1000.0 for t in range(68, 72)}}
    fresh = disaggregate(wider, [asset], method="milp")
    assert fresh.run_starts == {"melt": 64}


def test_a_run_only_a_shiftable_load_may_carry_and_bad_runs_name_their_field() -> None:
    good = fixed_run(
        (10.0,), earliest_start_interval=0, deadline_interval=4, baseline_start_interval=1
    )
    asset = _asset("r", good)
    bad = BidAsset(
        "r",
        "e",
        asset.spec,
        asset.envelope,
        fixed_run(
            (10.0,), earliest_start_interval=5, deadline_interval=4, baseline_start_interval=1
        ),
    )
    prices = [PriceScenario(1.0, np.full(T, 1000.0))]
    with pytest.raises(InvalidInput, match=r"assets\[0\].run.deadline_interval"):
        build_bids(BidProblem(DAY, [bad], prices))
    no_run = BidAsset("r", "e", asset.spec, asset.envelope)
    with pytest.raises(InvalidInput, match=r"assets\[0\].spec"):
        build_bids(BidProblem(DAY, [no_run], prices))


@pytest.mark.parametrize("seed", range(2))
def test_every_asset_plan_replays_to_the_objective_with_runs_in_the_portfolio(seed: int) -> None:
    """The per-asset plans (runs moved or not, loads, batteries) are worth exactly what the
    plan says, priced from the scenarios and costs alone; each moved run is a whole run."""
    from loadtests.bench_bidding_scale import portfolio, replayed_value

    problem = portfolio(100, 3, seed, battery_share=0.1, shiftable_share=0.2)
    solution = build_bids(problem, time_limit_seconds=60)
    assert replayed_value(problem, solution) == pytest.approx(solution.objective_fen, rel=1e-7)
    # The offer curves' quantities are the sum of the assets' plans, scenario by scenario.
    total = sum(solution.scenario_asset_reduction_kw[a.asset_id] for a in problem.assets)
    np.testing.assert_allclose(solution.scenario_quantity_kw, total, atol=1e-6)
    assert solution.bound_fen >= solution.objective_fen - 1e-6
    for asset in problem.assets:
        if asset.run is None:
            continue
        placements = run_placements(asset.run)
        plans = solution.scenario_asset_reduction_kw[asset.asset_id]
        for s, start in enumerate(solution.scenario_starts[asset.asset_id]):
            if start is None:
                assert not plans[s].any()
            else:
                (index,) = np.flatnonzero(placements.start == start)
                np.testing.assert_allclose(plans[s], placements.reduction_kw[index])
