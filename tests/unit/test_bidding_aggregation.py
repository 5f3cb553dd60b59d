"""Aggregated bids: bounds bracket the exact optimum and every disaggregated plan is feasible."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from bidding.aggregation import solve_aggregated
from bidding.assets import AvailabilityWindow, BatterySpec, CurtailableLoadSpec
from bidding.exceptions import InfeasibleProblem
from bidding.flexibility import battery_envelope, curtailable_envelope
from bidding.offer_model import BidAsset, BidProblem
from bidding.offers import BidSolution, bid_solution, build_bids, default_scenarios
from tests.unit.plan_checks import check_solution

DAY = date(2025, 7, 16)
TOL_KW = 1e-5
TOL_KWH = 1e-4


def _battery(aid: str, rng: np.random.Generator, scale: float = 1.0, **fixed) -> BidAsset:
    capacity = scale * fixed.get("capacity", float(rng.uniform(200, 2000)))
    soc_min = fixed.get("soc_min", float(rng.uniform(0.0, 0.2)))
    spec = BatterySpec(
        energy_capacity_kwh=capacity,
        max_charge_kw=capacity * fixed.get("c_rate", float(rng.uniform(0.25, 1.0))),
        max_discharge_kw=capacity * fixed.get("d_rate", float(rng.uniform(0.25, 1.0))),
        charge_efficiency=fixed.get("eta_c", float(rng.uniform(0.88, 0.98))),
        discharge_efficiency=fixed.get("eta_d", float(rng.uniform(0.88, 0.98))),
        soc_min=soc_min,
        soc_max=fixed.get("soc_max", float(rng.uniform(0.85, 1.0))),
        initial_soc=fixed.get("soc", float(rng.uniform(0.3, 0.7))),
        degradation_cost_fen_per_mwh=fixed.get("wear", int(rng.uniform(20_000, 80_000))),
    )
    return BidAsset(aid, "ent-1", spec, battery_envelope(aid, spec))


def _load(aid: str, rng: np.random.Generator, scale: float = 1.0, **fixed) -> BidAsset:
    start = fixed.get("start", int(rng.choice([24, 32, 40])))
    spec = CurtailableLoadSpec(
        scale * fixed.get("kw", float(rng.uniform(50, 800))),
        30,
        fixed.get("minutes", int(rng.choice([60, 120, 240]))),
        fixed.get("events", int(rng.integers(1, 3))),
        60,
        fixed.get("rebound", float(rng.uniform(0, 0.5))),
        (AvailabilityWindow((), start, start + 48),),
        fixed.get("cost", int(rng.uniform(100_000, 900_000))),
    )
    forecast = scale * fixed.get("forecast", rng.uniform(100, 900, 96))
    return BidAsset(aid, "ent-1", spec, curtailable_envelope(aid, spec, DAY, forecast))


def _portfolio(count: int, seed: int) -> list[BidAsset]:
    rng = np.random.default_rng(seed)
    return [_battery(f"a-{k}", rng) if k % 4 == 3 else _load(f"a-{k}", rng) for k in range(count)]


def _problem(count: int, seed: int, commitments: dict[int, float] | None = None) -> BidProblem:
    scenarios = default_scenarios(DAY, count=4, seed=seed)
    return BidProblem(DAY, _portfolio(count, seed), scenarios, commitments or {})


def _check_curves(problem: BidProblem, solution: BidSolution) -> None:
    prices = np.array([s.price_fen_per_mwh for s in problem.scenarios])
    for t, steps in solution.curves.items():
        assert [s.price_fen_per_mwh for s in steps] == sorted({s.price_fen_per_mwh for s in steps})
        assert all(step.quantity_kw > 0 for step in steps)
        order = np.argsort(prices[:, t], kind="stable")
        assert np.all(np.diff(solution.scenario_quantity_kw[order, t]) >= -TOL_KW)
    for t, kw in problem.commitments.items():
        assert solution.scenario_quantity_kw[:, t].min() >= kw - TOL_KW


@pytest.mark.parametrize(("count", "seed", "clusters"), [(32, 1, 6), (48, 2, 10), (60, 3, 16)])
def test_cluster_bounds_bracket_the_asset_model(count: int, seed: int, clusters: int) -> None:
    """Clusters restrict the asset-level plan (same windows) and relax its relaxation."""
    problem = _problem(count, seed)
    assets = build_bids(problem, time_limit_seconds=300)
    coarse = solve_aggregated(problem, "HIGHS", 300, cluster_count=clusters, gap_target=1.0)
    assert coarse.outcome.objective <= assets.objective_fen * (1 + 1e-6)
    assert assets.bound_fen <= coarse.outcome.bound * (1 + 1e-6)
    assert coarse.outcome.relative_gap > assets.relative_gap  # unlike assets lose something
    refined = solve_aggregated(
        problem, "HIGHS", 60, cluster_count=clusters, gap_target=0.0, min_round_gain=0.0
    )
    assert refined.outcome.relative_gap <= coarse.outcome.relative_gap
    assert coarse.outcome.objective - 1e-6 <= refined.outcome.objective
    assert refined.outcome.objective <= assets.objective_fen * (1 + 1e-6)


@pytest.mark.parametrize("seed", [4, 5])
def test_disaggregated_plans_are_feasible_for_every_asset(seed: int) -> None:
    problem = _problem(40, seed, commitments={76: 50.0, 77: 50.0})
    plans = solve_aggregated(problem, "HIGHS", 300, cluster_count=6, gap_target=1.0)
    assert "aggregated" in plans.outcome.solver  # several loads per cluster, one call each
    solution = bid_solution(problem, plans)
    value = check_solution(problem, solution)
    assert value == pytest.approx(solution.objective_fen, rel=1e-6, abs=1e-3)
    assert solution.objective_fen <= solution.bound_fen + 1e-6
    _check_curves(problem, solution)


def test_scaled_copies_aggregate_without_gap() -> None:
    rng = np.random.default_rng(9)
    forecast = rng.uniform(300, 900, 96)
    load = {"kw": 200.0, "minutes": 120, "events": 2, "rebound": 0.2, "cost": 300_000}
    battery = {"capacity": 1000.0, "c_rate": 0.5, "d_rate": 0.5, "eta_c": 0.95, "eta_d": 0.93}
    battery |= {"soc_min": 0.1, "soc_max": 0.9, "soc": 0.5, "wear": 40_000}
    scales = rng.uniform(0.2, 3.0, 12)
    assets = [
        _load(f"l-{k}", rng, s, start=32, forecast=forecast, **load) for k, s in enumerate(scales)
    ]
    assets += [_battery(f"b-{k}", rng, s, **battery) for k, s in enumerate(scales[:6])]
    problem = BidProblem(DAY, assets, default_scenarios(DAY, count=4, seed=2))
    solution = solve_aggregated(problem, "HIGHS", 300, cluster_count=1, gap_target=1.0)
    assert solution.outcome.solver == "HIGHS/aggregated(2 clusters)"
    assets = build_bids(problem, time_limit_seconds=300)
    assert solution.outcome.objective == pytest.approx(assets.objective_fen, rel=1e-7)
    assert solution.outcome.bound == pytest.approx(assets.bound_fen, rel=1e-7)


def test_small_portfolios_stay_monolithic_by_default() -> None:
    problem = _problem(12, 6)
    assert build_bids(problem).solver == "HIGHS/event-windows"


def test_commitments_no_cluster_plan_can_meet_are_infeasible() -> None:
    problem = _problem(24, 7)
    up_kw = np.sum([a.envelope.up_kw for a in problem.assets], axis=0)
    commitments = {t: 0.99 * float(up_kw[t]) for t in range(40, 72)}  # 8 h near full power
    with pytest.raises(InfeasibleProblem) as caught:
        build_bids(
            BidProblem(DAY, problem.assets, problem.scenarios, commitments),
            aggregate_above_assets=0,
        )
    assert caught.value.constraint == "commitment"
    assert caught.value.interval is not None and 40 <= caught.value.interval < 72
