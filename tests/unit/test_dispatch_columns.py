"""Dispatch by column generation (bidding.dispatch_columns) against the exact MILP.

Where the MILP is optimal (small portfolios), the column plan obeys every dispatch rule
(checked independently by tests.unit.dispatch_checks), misses no award when the MILP
misses none, its bound never lies above the MILP's optimum, and its cost is within the
gap it reports of that optimum.
"""

from __future__ import annotations

import numpy as np
import pytest

from bidding.assets import AvailabilityWindow
from bidding.dispatch import Redispatch, disaggregate
from bidding.dispatch_columns import dispatch_by_columns
from bidding.exceptions import InvalidInput
from loadtests.bench_dispatch_scale import feasible_award, portfolio
from tests.unit.dispatch_checks import check_plan
from tests.unit.test_bidding_dispatch import _award, _battery, _load

TOL_FEN = 1.0


def _awarded(award: np.ndarray) -> dict[int, float]:
    return {int(t): float(award[t]) for t in np.flatnonzero(award)}


@pytest.mark.parametrize("seed", range(4))
def test_the_column_plan_keeps_the_rules_and_its_bound_holds_against_the_milp(seed: int) -> None:
    assets = portfolio(10, seed, battery_share=0.1)  # 9 loads, 1 battery
    award = feasible_award(assets, seed)  # 80% of a rule-keeping plan: no shortfall needed
    exact = disaggregate(_awarded(award), assets, method="milp")
    plan = disaggregate(_awarded(award), assets, method="columns")
    assert (exact.method, plan.method) == ("milp", "columns")
    check_plan(assets, award, plan.setpoints_kw, plan.shortfall_kw)
    assert exact.shortfall_kwh == pytest.approx(0.0, abs=1e-6)
    assert plan.shortfall_kwh == pytest.approx(0.0, abs=1e-6)
    bound = plan.cost_fen / (1 + plan.relative_gap)  # no plan costs less than this
    assert bound <= exact.cost_fen + TOL_FEN
    assert plan.cost_fen >= exact.cost_fen - TOL_FEN


def test_the_cheapest_load_serves_a_small_award() -> None:
    # 60 kW at 18:00 for two intervals: the 200,000 fen/MWh load, never the 500,000 one.
    assets = [_load("cheap", 100.0, 200_000), _load("dear", 100.0, 500_000)]
    award = _award({72: 60.0, 73: 60.0})
    plan = dispatch_by_columns(award, assets, time_limit_seconds=30, gap_target=1e-4)
    assert plan.setpoints_kw["cheap"][72:74] == pytest.approx([60.0, 60.0])
    assert not plan.setpoints_kw["dear"].any()
    # 60 kW x 0.5 h = 30 kWh at 200,000 fen/MWh = 6,000 fen.
    assert plan.cost_fen == pytest.approx(6_000.0)


def test_nothing_moves_where_nothing_is_awarded() -> None:
    assets = [_load("l0", 100.0, 100_000), _battery("bess", soc=0.9)]
    award = _award({60: 50.0})
    plan = dispatch_by_columns(award, assets, time_limit_seconds=30, gap_target=1e-4)
    check_plan(assets, award, plan.setpoints_kw, plan.shortfall_kw)
    total = sum(plan.setpoints_kw.values())
    assert total[60] == pytest.approx(50.0)
    assert (np.delete(total, 60) <= 1e-6).all()


def test_loads_with_nothing_to_shed_get_no_events() -> None:
    # A load without a forecast (zero envelope) and one unavailable at 50: the columns
    # know neither, the plan still lists both, with no events and zero setpoints.
    silent = _load("no-forecast", 100.0, 100_000, forecast_kw=0.0)
    late = _load("late", 100.0, 100_000, windows=(AvailabilityWindow((1, 2, 3, 4, 5), 80, 96),))
    assets = [_load("l0", 100.0, 100_000), silent, late]
    plan = dispatch_by_columns(_award({50: 60.0}), assets, 30, 1e-4)
    assert plan.events["no-forecast"] == () and plan.events["late"] == ()
    assert not plan.setpoints_kw["no-forecast"].any() and not plan.setpoints_kw["late"].any()
    assert plan.setpoints_kw["l0"][50] == pytest.approx(60.0)


def test_an_award_beyond_the_portfolio_is_reported_short_not_refused() -> None:
    # One 100 kW load cannot deliver 150 kW: 50 kW short in each of the two intervals.
    assets = [_load("l0", 100.0, 100_000)]
    plan = dispatch_by_columns(_award({50: 150.0, 51: 150.0}), assets, 30, 1e-4)
    assert plan.shortfall_kw[50:52] == pytest.approx([50.0, 50.0])


def test_auto_falls_back_to_columns_only_when_the_milp_finds_no_plan() -> None:
    # 100 synthetic assets: the MILP found no plan even in 120 s (loadtests/README.md);
    # with 2 s it has none, so the first dispatch comes from column generation.
    large = portfolio(100, 11, battery_share=0.1)
    award = feasible_award(large, 11)
    first = disaggregate(_awarded(award), large, time_limit_seconds=2)
    assert first.method == "columns" and first.shortfall_kwh == pytest.approx(0.0, abs=1e-6)
    check_plan(large, award, first.setpoints_kw, first.shortfall_kw)
    small = portfolio(10, 0, battery_share=0.1)  # the MILP's case of the test above
    assert disaggregate(_awarded(feasible_award(small, 0)), small).method == "milp"
    redispatch = Redispatch(first, from_interval=80)
    with pytest.raises(InvalidInput, match="method"):
        disaggregate(_awarded(award), large, redispatch, method="columns")
