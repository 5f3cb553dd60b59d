"""Dispatch of thousands of assets by the bidder's column generation, with a proven gap.

The dispatch MILP (`bidding.dispatch_model`) has a binary per candidate event of each
load; past a few hundred loads it grows beyond what a solver closes in minutes. An award
is a bid problem with one scenario whose market takes exactly the award:

- price 0 in every interval, so the objective is minus the curtailment and degradation
  cost (and minus the shortfall penalty of the commitments);
- the commitments are the award (a missing kW costs SHORTFALL_PENALTY_FEN_PER_KW and is
  reported, not refused: `BidProblem.shortfall_allowed`), and
  what the market accepts (`PriceScenario.clearable_kw`) and the sale cap are the award
  too, so no plan delivers more than awarded;
- a load's up kW is zero wherever nothing is awarded: intervals without an award see no
  curtailment (the dispatch rule), batteries may still recharge there.

`bidding.column_generation` then prices each load's event schedules by a dynamic
program, keeps batteries as LP blocks, and returns a plan of one event-feasible schedule
per load with a Lagrangian bound: no plan within the rules costs less than the bound
says, so the gap reported is proven. The events and levels are those of the dispatch
rules (`bidding.dispatch`), and setpoints are rebuilt from them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np

from bidding.assets import CurtailableLoadSpec
from bidding.column_generation import solve_by_columns
from bidding.dispatch_plan import (
    CurtailmentEvent,
    DispatchPlan,
    award_gaps,
    load_profile_kw,
    plan_cost_fen,
)
from bidding.intervals import INTERVALS_PER_DAY
from bidding.offer_model import BidAsset, BidProblem, PriceScenario

#: The column generation's plan works on any day; the dispatch is for one award.
_ANY_DAY = date(2000, 1, 1)


def award_problem(award: np.ndarray, assets: list[BidAsset]) -> BidProblem:
    """The award as a one-scenario bid problem (module docstring)."""
    awarded = award > 0
    masked = [
        replace(a, envelope=replace(a.envelope, up_kw=np.where(awarded, a.envelope.up_kw, 0.0)))
        if isinstance(a.spec, CurtailableLoadSpec)
        else a
        for a in assets
    ]
    scenario = PriceScenario(1.0, np.zeros(INTERVALS_PER_DAY), clearable_kw=award.copy())
    commitments = {int(t): float(award[t]) for t in np.flatnonzero(awarded)}
    return BidProblem(
        _ANY_DAY, masked, [scenario], commitments, award.copy(), shortfall_allowed=True
    )


def _events(windows, reduction_kw: np.ndarray) -> tuple[CurtailmentEvent, ...]:
    return tuple(
        CurtailmentEvent(w.start, tuple(float(kw) for kw in reduction_kw[w.start : w.end]))
        for w in sorted(windows)
        if float(reduction_kw[w.start : w.end].max(initial=0.0)) > 0
    )


def dispatch_by_columns(
    award: np.ndarray,
    assets: list[BidAsset],
    time_limit_seconds: float,
    gap_target: float,
    solver: str = "HIGHS",
) -> DispatchPlan:
    """A first dispatch of `award` (96 kW) over `assets` (validated) by column generation.

    The plan's `relative_gap` is the proven gap of its objective (cost plus shortfall
    penalty) to the bound. Raises SolverFailed when the first master LP is not solved.
    """
    problem = award_problem(award, assets)
    plans = solve_by_columns(problem, time_limit_seconds, gap_target, solver)
    setpoints: dict[str, np.ndarray] = {}
    events: dict[str, tuple[CurtailmentEvent, ...]] = {}
    for asset in assets:
        aid = asset.asset_id
        reduction = np.asarray(plans.scenario_asset_reduction_kw[aid][0], dtype=float)
        if isinstance(asset.spec, CurtailableLoadSpec):
            # A load with nothing to shed where awarded (no forecast, unavailable) has no
            # schedules in the column generation at all.
            windows = plans.scenario_windows.get(aid, [()])[0]
            events[aid] = _events(windows, reduction)
            setpoints[aid] = load_profile_kw(events[aid], asset.spec.rebound_fraction)
        else:
            setpoints[aid] = reduction
    run_starts = {aid: per[0] for aid, per in plans.scenario_starts.items() if per[0] is not None}
    shortfall, surplus = award_gaps(award, setpoints)
    return DispatchPlan(
        awarded_kw=award,
        setpoints_kw=setpoints,
        events=events,
        shortfall_kw=shortfall,
        surplus_kw=surplus,
        cost_fen=plan_cost_fen(setpoints, assets, run_starts),
        relative_gap=float(plans.outcome.relative_gap),
        method="columns",
        run_starts=run_starts,
    )
