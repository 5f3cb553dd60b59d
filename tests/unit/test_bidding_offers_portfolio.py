"""Bid builder on a mixed portfolio: every scenario obeys every limit, curves are monotone."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from bidding.assets import AvailabilityWindow, BatterySpec, CurtailableLoadSpec
from bidding.exceptions import InvalidInput
from bidding.flexibility import battery_envelope, curtailable_envelope
from bidding.offer_model import BidAsset, BidProblem, PriceScenario
from bidding.offers import BidSolution, build_bids, default_price_shape, default_scenarios
from tests.unit.plan_checks import check_solution

DAY = date(2025, 7, 16)
TOL = 1e-5


def _portfolio(count: int = 6, seed: int = 7) -> list[BidAsset]:
    """Curtailable loads of varied size, cost and window; every third asset a battery."""
    rng = np.random.default_rng(seed)
    assets = []
    for k in range(count):
        aid = f"asset-{k}"
        if k % 3 == 2:
            spec = BatterySpec.from_round_trip(
                energy_capacity_kwh=float(rng.uniform(200, 2000)),
                max_charge_kw=float(rng.uniform(100, 500)),
                max_discharge_kw=float(rng.uniform(100, 500)),
                round_trip_efficiency=float(rng.uniform(0.8, 0.92)),
                soc_min=0.1,
                soc_max=0.95,
                initial_soc=float(rng.uniform(0.2, 0.8)),
                degradation_cost_fen_per_mwh=int(rng.uniform(20_000, 80_000)),
            )
            envelope = battery_envelope(aid, spec)
        else:
            start = int(rng.integers(20, 60))
            window = AvailabilityWindow((), start, int(rng.integers(start + 8, 97)))
            spec = CurtailableLoadSpec(
                float(rng.uniform(50, 800)),
                30,
                int(rng.choice([60, 120, 240])),
                int(rng.integers(1, 3)),
                60,
                float(rng.uniform(0, 0.5)),
                (window,),
                int(rng.uniform(100_000, 900_000)),
            )
            envelope = curtailable_envelope(aid, spec, DAY, rng.uniform(100, 900, 96))
        assets.append(BidAsset(aid, f"ent-{k % 4}", spec, envelope))
    return assets


@pytest.fixture(scope="module")
def solved() -> tuple[BidProblem, BidSolution]:
    problem = BidProblem(DAY, _portfolio(), default_scenarios(DAY, count=10, seed=3))
    return problem, build_bids(problem)


def _offered_at(steps, price: float) -> float:
    return sum(step.quantity_kw for step in steps if step.price_fen_per_mwh <= round(price))


def test_curves_are_monotone_and_match_every_scenario(solved) -> None:
    problem, solution = solved
    assert sorted(solution.curves) == list(range(96))
    for t, steps in solution.curves.items():
        prices = [step.price_fen_per_mwh for step in steps]
        assert prices == sorted(set(prices))  # strictly ascending
        assert all(step.quantity_kw > 0 for step in steps)
        for s, scenario in enumerate(problem.scenarios):
            wanted = max(solution.scenario_quantity_kw[s, t], 0.0)
            assert _offered_at(steps, scenario.price_fen_per_mwh[t]) == pytest.approx(
                wanted, abs=0.002
            )
    assert sum(len(steps) for steps in solution.curves.values()) > 0


def test_quantity_never_falls_as_price_rises(solved) -> None:
    problem, solution = solved
    prices = np.array([s.price_fen_per_mwh for s in problem.scenarios])
    for t in range(96):
        order = np.argsort(prices[:, t], kind="stable")
        assert np.all(np.diff(solution.scenario_quantity_kw[order, t]) >= -TOL)


def test_every_scenario_obeys_every_asset_rule(solved) -> None:
    """Events, rebound, availability, SoC: checked from the specs by tests/unit/plan_checks."""
    problem, solution = solved
    value = check_solution(problem, solution)
    assert value == pytest.approx(solution.objective_fen, rel=1e-6, abs=1e-2)
    assert any(solution.windows[a.asset_id] for a in problem.assets)


def test_expected_plan_is_probability_weighted(solved) -> None:
    problem, solution = solved
    weights = np.array([s.probability for s in problem.scenarios])
    for aid, plans in solution.scenario_asset_reduction_kw.items():
        np.testing.assert_allclose(solution.asset_reduction_kw[aid], weights @ plans)
    assert solution.expected_revenue_fen == pytest.approx(
        weights @ solution.scenario_revenue_fen, abs=1
    )
    assert solution.objective_fen <= solution.expected_revenue_fen  # costs come off revenue


def test_revenue_rises_with_price() -> None:
    assets = _portfolio()
    base = default_price_shape()
    scaled = [PriceScenario(1 / 3, base * level) for level in (0.8, 1.0, 1.2)]
    solution = build_bids(BidProblem(DAY, assets, scaled))
    low, mid, high = solution.scenario_revenue_fen
    assert low < mid < high
    dearer = [PriceScenario(s.probability, s.price_fen_per_mwh * 1.5) for s in scaled]
    richer = build_bids(BidProblem(DAY, assets, dearer))
    assert richer.expected_revenue_fen > solution.expected_revenue_fen
    assert richer.objective_fen > solution.objective_fen


def test_default_scenarios_repeat_and_look_like_a_chinese_day() -> None:
    first = default_scenarios(DAY)
    again = default_scenarios(DAY)
    assert len(first) == 10
    assert sum(s.probability for s in first) == pytest.approx(1.0)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a.price_fen_per_mwh, b.price_fen_per_mwh)
    other = default_scenarios(DAY, seed=1)
    assert not np.array_equal(first[0].price_fen_per_mwh, other[0].price_fen_per_mwh)
    mean = np.mean([s.price_fen_per_mwh for s in first], axis=0)
    assert 800_000 <= mean[76] <= 1_500_000  # 19:00 evening peak
    assert mean[8] < mean[76] / 4  # 02:00 valley
    assert all(np.all(s.price_fen_per_mwh >= 0) for s in first)
    with pytest.raises(InvalidInput):
        default_scenarios(DAY, count=0)
    with pytest.raises(InvalidInput):
        default_scenarios(DAY, base_price_fen_per_mwh=np.ones(24))


def test_fifty_assets_ten_scenarios_stay_within_their_proven_bound() -> None:
    """Speed and gap size are measured by loadtests/bench_bidding*.py, not asserted here."""
    problem = BidProblem(DAY, _portfolio(50, seed=1), default_scenarios(DAY, count=10))
    solution = build_bids(problem, time_limit_seconds=300)
    assert solution.objective_fen <= solution.bound_fen
    assert solution.relative_gap == pytest.approx(
        (solution.bound_fen - solution.objective_fen) / solution.bound_fen
    )
    assert check_solution(problem, solution) == pytest.approx(solution.objective_fen, rel=1e-6)
    assert solution.expected_revenue_fen > 0
