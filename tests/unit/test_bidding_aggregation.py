"""Aggregated bids: bounds bracket the exact optimum and every disaggregated plan is feasible."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from bidding.aggregation import solve_aggregated
from bidding.assets import AvailabilityWindow, BatterySpec, CurtailableLoadSpec
from bidding.exceptions import InfeasibleProblem
from bidding.flexibility import battery_envelope, curtailable_envelope
from bidding.intervals import INTERVAL_HOURS
from bidding.offer_model import FEN_PER_KW_INTERVAL, BidAsset, BidProblem
from bidding.offers import BidSolution, build_bids, default_scenarios

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


def _check_plans(problem: BidProblem, solution: BidSolution) -> float:
    """Fail unless every asset's plan obeys its own limits; return the plans' value (fen)."""
    prices = np.array([s.price_fen_per_mwh for s in problem.scenarios])
    weight = np.array([s.probability for s in problem.scenarios])[:, None] * FEN_PER_KW_INTERVAL
    total = sum(solution.scenario_asset_reduction_kw.values())
    np.testing.assert_allclose(total, solution.scenario_quantity_kw, atol=1e-4)
    value = 0.0
    for asset in problem.assets:
        plan, env, spec = (
            solution.scenario_asset_reduction_kw[asset.asset_id],
            asset.envelope,
            asset.spec,
        )
        assert np.all(plan <= env.up_kw + TOL_KW) and np.all(plan >= -env.down_kw - TOL_KW)
        if isinstance(spec, CurtailableLoadSpec):
            assert np.all(plan >= -TOL_KW)
            assert np.all(plan.sum(axis=1) * INTERVAL_HOURS <= env.max_daily_up_kwh + TOL_KWH)
            cost = spec.curtailment_cost_fen_per_mwh + spec.rebound_fraction * prices.mean(axis=1)
            value += float((weight * (prices - cost[:, None]) * plan).sum())
            continue
        discharge, charge = np.maximum(plan, 0), np.maximum(-plan, 0)
        flow = charge * spec.charge_efficiency - discharge / spec.discharge_efficiency
        start = spec.initial_soc * spec.energy_capacity_kwh
        stored = start + np.cumsum(flow * INTERVAL_HOURS, axis=1)
        assert np.all(stored >= env.stored_energy_min_kwh - TOL_KWH)
        assert np.all(stored <= env.stored_energy_max_kwh + TOL_KWH)
        assert np.all(stored[:, -1] >= start - TOL_KWH)
        wear = spec.degradation_cost_fen_per_mwh
        value += float((weight * ((prices - wear) * discharge - prices * charge)).sum())
    return value


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
def test_bounds_bracket_the_exact_optimum(count: int, seed: int, clusters: int) -> None:
    problem = _problem(count, seed)
    exact = build_bids(problem, aggregate_above_assets=None).objective_fen
    coarse = solve_aggregated(problem, "HIGHS", 60, cluster_count=clusters, gap_target=1.0)
    assert coarse.outcome.objective <= exact * (1 + 1e-6)
    assert exact <= coarse.outcome.bound * (1 + 1e-6)
    assert coarse.outcome.relative_gap > 0  # coarse clusters of unlike assets lose something
    refined = solve_aggregated(problem, "HIGHS", 60, cluster_count=clusters, gap_target=0.02)
    assert refined.outcome.relative_gap <= 0.02
    assert coarse.outcome.objective - 1e-6 <= refined.outcome.objective <= exact * (1 + 1e-6)


@pytest.mark.parametrize("seed", [4, 5])
def test_disaggregated_plans_are_feasible_for_every_asset(seed: int) -> None:
    problem = _problem(40, seed, commitments={76: 300.0, 77: 300.0})
    solution = build_bids(problem, aggregate_above_assets=0)
    assert "aggregated" in solution.solver
    value = _check_plans(problem, solution)
    assert value == pytest.approx(solution.objective_fen, rel=1e-6, abs=1e-3)
    assert solution.objective_fen <= solution.bound_fen + 1e-6
    assert solution.relative_gap <= 0.02
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
    solution = solve_aggregated(problem, "HIGHS", 60, cluster_count=1, gap_target=0.0)
    assert solution.outcome.solver == "HIGHS/aggregated(2 clusters)"
    assert solution.outcome.relative_gap == pytest.approx(0.0, abs=1e-9)
    exact = build_bids(problem, aggregate_above_assets=None).objective_fen
    assert solution.outcome.objective == pytest.approx(exact, rel=1e-7)


def test_small_portfolios_stay_monolithic_by_default() -> None:
    problem = _problem(12, 6)
    assert build_bids(problem).solver == "HIGHS"


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
