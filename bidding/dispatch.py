"""Dispatch: split an awarded portfolio reduction into per-asset setpoints at least cost.

Curtailable loads are dispatched as curtailment events, the rule of the DR bid model
(bidding.event_windows): an event is a run of `min_event_minutes`..`max_event_minutes`
(in whole intervals: ceil of the minimum, floor of the maximum) of available intervals
(envelope up kW > 0, which encodes availability and notification lead) in which the load
sheds one constant level, the same share of its up kW in each interval; at most
`max_events_per_day` of them; after each event the load draws rebound_fraction x the
shed energy back, spread evenly over as many intervals right after the event, and that
rebound must end by midnight. The next event starts only after the rebound (without a
rebound, one interval after the event), so events and rebounds never mix. Batteries
stay within power limits and stored-energy bounds, their state of charge tracked from
initial_soc with charge and discharge efficiencies. Costs are curtailment cost and
battery degradation (on discharge).

Every awarded interval gets exactly its award when the portfolio can deliver it; when it
cannot, the plan says how much is missing per interval (`shortfall_kw`) instead of
failing. Intervals without an award see no curtailment; batteries may recharge there.

Re-dispatch (`Redispatch`): an asset failed or stopped following. Intervals before
`from_interval` keep the plan in force; from there on the failed assets are held at zero
and the rest is optimised again with the same rules. An event already under way at
`from_interval` keeps its start and length; its level may change from `from_interval` on
(its rebound stays rebound_fraction x the event's energy). New events may not start
before a load's notification lead allows (`earliest_start`).
"""

from __future__ import annotations

from collections.abc import Mapping

from bidding.dispatch_columns import dispatch_by_columns
from bidding.dispatch_model import solve_plan
from bidding.dispatch_plan import (
    SHORTFALL_TOLERANCE_KW,
    CurtailmentEvent,
    DispatchPlan,
    Redispatch,
    award_profile,
    check_redispatch,
    event_intervals,
    load_profile_kw,
    plan_cost_fen,
)
from bidding.exceptions import InvalidInput, SolverFailed
from bidding.lp import DEFAULT_SOLVER, DEFAULT_TIME_LIMIT_SECONDS
from bidding.offer_model import BidAsset
from bidding.offer_model import validate_assets as _validate_assets

#: The column generation stops at this proven gap (or its time limit).
DISPATCH_GAP_TARGET = 0.005
#: Master and plan solver of the column generation (pywraplp/MathOpt name).
COLUMNS_SOLVER = "HIGHS"

__all__ = [
    "SHORTFALL_TOLERANCE_KW",
    "CurtailmentEvent",
    "DispatchPlan",
    "Redispatch",
    "disaggregate",
    "event_intervals",
    "load_profile_kw",
    "plan_cost_fen",
]


def disaggregate(
    awarded_kw: Mapping[int, float],
    assets: list[BidAsset],
    redispatch: Redispatch | None = None,
    solver: str = DEFAULT_SOLVER,
    time_limit_seconds: float = DEFAULT_TIME_LIMIT_SECONDS,
    method: str = "auto",
) -> DispatchPlan:
    """The least-cost plan meeting the award, or the plan with the least shortfall.

    `method` "auto": the exact MILP, and for a first dispatch whose MILP found no plan in
    its time limit column generation (`bidding.dispatch_columns`, proven gap
    DISPATCH_GAP_TARGET) instead: the MILP has a binary per candidate event and on 36
    synthetic loads and 4 batteries found no plan in 10 s, where columns planned with a
    proven 0.55 % gap in 0.35 s (loadtests/README.md). The column plan keeps the bid
    model's battery rule (a battery ends the day with at least the energy it started
    with), so it may recharge where nothing is awarded; the MILP does not require that.
    "milp" or "columns" forces one.

    Raises InvalidInput for bad assets or awards (unknown interval, negative, non-finite)
    or a re-dispatch that does not fit the award; SolverFailed when the solver gives up
    without a plan. A portfolio too small for the award is not an error: the plan
    reports the shortfall (the MILP: earliest intervals served first).
    """
    _validate_assets(assets)
    award = award_profile(awarded_kw)
    if redispatch is not None:
        check_redispatch(redispatch, award)
    if method not in ("auto", "milp", "columns"):
        raise InvalidInput("method", "must be auto, milp or columns")
    if method == "columns" and redispatch is not None:
        raise InvalidInput("method", "a re-dispatch is solved by the MILP")
    first = redispatch is None
    if method == "columns":
        return dispatch_by_columns(
            award, assets, time_limit_seconds, DISPATCH_GAP_TARGET, COLUMNS_SOLVER
        )
    try:
        return solve_plan(award, assets, redispatch, solver, time_limit_seconds)
    except SolverFailed:
        if method == "milp" or not first:
            raise
        # The MILP found no plan in time: columns always have one (shortfall priced).
        return dispatch_by_columns(
            award, assets, time_limit_seconds, DISPATCH_GAP_TARGET, COLUMNS_SOLVER
        )
