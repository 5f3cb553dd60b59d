"""The plan of the bid's column generation: one schedule per load and scenario, each run
moved whole or not at all, from the master's columns (`bidding.column_generation`).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field, replace

import numpy as np

from bidding.cluster_blocks import (
    weights,
)
from bidding.cluster_lp import (
    SHORTFALL_TOLERANCE_KW,
    battery_days,
)
from bidding.column_model import (
    Column,
    Master,
    base_model,
    column_terms,
    draw_prices,
    scenario_prices,
    scenario_weights,
)
from bidding.event_windows import EventWindow
from bidding.exceptions import InfeasibleProblem, SolverFailed
from bidding.intervals import INTERVALS_PER_DAY
from bidding.lp import LpOutcome, create_solver
from bidding.mathopt_lp import OPTIMAL, MathOptLp
from bidding.switches import create_mip_solver, solve_exclusive

T = INTERVALS_PER_DAY


#: Up to this many (cluster, scenario) pairs whose master mixes columns, the plan picks
#: one of those columns for each by MIP; above, each keeps its heaviest (an LP).
SUPPORT_CHOICES_MAX = 300
#: Share of the time limit the batteries' exact repair (binary switches) may take; past it
#: the first one-way plan stands.
EXACT_REPAIR_SHARE = 0.15
#: Share of the time limit kept after the plan's solves for reading it out.
FINISH_SHARE = 0.05
#: A run unit's level this close to 0 or 1 is whole; else the plan rounds it (`build_plan`).
RUN_TOLERANCE = 1e-6


@dataclass(frozen=True)
class ColumnPlans:
    """The plan, its proof, and the schedules behind it.

    `quantity_kw` (scenarios x 96) is the portfolio's net reduction per scenario,
    `scenario_asset_reduction_kw` each asset's plan per scenario; `scenario_windows`
    each load's events per scenario; `windows` the union of a load's events over the
    scenarios (for display). `outcome.objective` is the plan's value, `outcome.bound`
    the proven upper bound, `outcome.relative_gap` their distance.
    """

    quantity_kw: np.ndarray
    scenario_asset_reduction_kw: dict[str, np.ndarray]
    outcome: LpOutcome
    windows: dict[str, tuple[EventWindow, ...]]
    scenario_windows: dict[str, list[tuple[EventWindow, ...]]]
    rounds: int
    columns: int
    method: str
    #: Per shiftable load and scenario, the start of its moved run (None: not moved).
    scenario_starts: dict[str, list[int | None]] = field(default_factory=dict)


def with_bound(plans: ColumnPlans, bound: float) -> ColumnPlans:
    """The plans with the least proven bound known, and the gap to it."""
    value = plans.outcome.objective
    bound = max(bound, value)
    gap = (bound - value) / max(abs(bound), 1.0)
    outcome = replace(plans.outcome, bound=bound, relative_gap=gap, optimal=gap <= 1e-9)
    return replace(plans, outcome=outcome)


def candidates(
    master: Master, every: bool, choices: bool = True
) -> dict[tuple[int, int], list[tuple]]:
    """Candidate columns per (cluster, scenario) for the plan, as their (load, events) pairs.

    `every`: each column generated. Else the columns the last master used (weight > 0):
    with `choices`, all of them while at most SUPPORT_CHOICES_MAX (cluster, scenario) pairs
    mix columns (the plan picks one each by MIP), otherwise only the heaviest (an LP).
    """
    out: dict[tuple[int, int], list[tuple]] = defaultdict(list)
    if every:
        for column in master.columns:
            out[(column.cluster, column.scenario)].append(column.schedules)
        return dict(out)
    used: dict[tuple[int, int], list[tuple[float, Column]]] = defaultdict(list)
    for column in master.columns:
        weight = column.var.solution_value()
        if weight > 1e-6:
            used[(column.cluster, column.scenario)].append((weight, column))
    mixed = sum(len(columns) > 1 for columns in used.values())
    for key, columns in used.items():
        columns.sort(key=lambda pair: -pair[0])
        keep = columns if choices and mixed <= SUPPORT_CHOICES_MAX else columns[:1]
        out[key] = [column.schedules for _, column in keep]
    return dict(out)


def build_plan(*args, exhaustive: bool = False) -> ColumnPlans:
    """`_plan_once`, with every run moved whole or not at all.

    Runs' units are levels in [0, 1] like loads' (binaries only in the exhaustive MIP);
    when the plan holds a run unit part-way, the units are rounded (>= 0.5 moves) and
    the plan solved again with them fixed; if that has no plan, with no run moved.
    """
    plans, levels = _plan_once(*args, exhaustive=exhaustive)
    if all(v <= RUN_TOLERANCE or v >= 1 - RUN_TOLERANCE for v in levels):
        return plans
    for fixed in ([float(v >= 0.5) for v in levels], [0.0] * len(levels)):
        try:
            return _plan_once(*args, exhaustive=exhaustive, fixed=fixed)[0]
        except InfeasibleProblem:
            continue
    raise SolverFailed("column-generation", "no plan with every run where the park has it")


def _plan_once(
    problem,
    loads,
    clusters,
    blocks,
    bounds,
    rounds,
    columns,
    solver,
    schedules,
    bound,
    started,
    deadline,
    exhaustive=False,
    fixed: list[float] | None = None,
) -> tuple[ColumnPlans, list[float]]:
    """One schedule per (load, scenario) at chosen levels: the plan, and the level of each
    run unit (`fixed`: those levels, in order, instead of variables).

    `schedules` maps (cluster, scenario) to its candidate columns; with one candidate each
    the plan is an LP, with several a binary picks one (a MIP). A single load's events get
    a level each; a cluster's column is scaled as a whole (each member's events at one
    level, still its own event-feasible schedule).
    `exhaustive`: the candidates are every schedule each load may hold, so a MIP solved to
    optimality is the problem's optimum and proves its own bound.
    """
    S = len(problem.scenarios)
    limit = max(deadline - time.perf_counter(), 5.0)
    binaries = any(len(o) > 1 for o in schedules.values()) or any(b.followed for b in blocks)
    if binaries:  # pywraplp: switches and choices (bidding.switches needs it)
        make = create_mip_solver if solver == "HIGHS" else create_solver
        lp, name = make(solver, limit)
        if name == "HIGHS":  # a MIP proven optimal is proven to the fen, not to HiGHS's 0.01 %
            lp.SetSolverSpecificParametersAsString("output_flag=false\nmip_rel_gap=1e-9\n")
    else:  # an LP: MathOpt's HiGHS LP, which pywraplp's HiGHS (a MIP interface) solves slowly
        lp, name = MathOptLp(limit, solver), solver
    lp_model = base_model(problem, bounds, blocks, lp)
    prices, weight, draws = (
        scenario_prices(problem),
        scenario_weights(problem),
        draw_prices(problem),
    )
    events = []  # (n, s, window, level variable, profile)
    runs = []  # per run unit, in the order of `schedules`: its first entry in `events`
    for (_, s), options in schedules.items():
        pick = None
        if len(options) > 1:
            pick = lp.Constraint(-lp.infinity(), 1.0)
        for option in options:
            chosen = None
            if pick is not None:
                chosen = lp.BoolVar("")
                pick.SetCoefficient(chosen, 1.0)
            # One load: a level per event. A cluster's column: one level for all of it.
            units = [[(n, w)] for n, windows in option for w in windows]
            if len(option) > 1:
                units = [[(n, w) for n, windows in option for w in windows]]
            for unit in units:
                if unit[0][0] not in loads.runs:
                    var = lp.NumVar(0.0, 1.0, "")
                elif fixed is not None:
                    var = lp.NumVar(fixed[len(runs)], fixed[len(runs)], "")
                else:  # a run moves whole or stays: exact in the exhaustive MIP
                    var = lp.BoolVar("") if exhaustive and binaries else lp.NumVar(0.0, 1.0, "")
                if unit[0][0] in loads.runs:
                    runs.append(len(events))
                total, value = np.zeros(T), 0.0
                for n, window in unit:
                    profile, coefficient = column_terms(
                        loads, n, (window,), prices[s], draws[s], float(weight[s])
                    )
                    total += profile
                    value += coefficient
                    events.append((n, s, window, var, profile))
                lp.Objective().SetCoefficient(var, value)
                for t in np.flatnonzero(total):
                    lp_model.balance[s][t].SetCoefficient(var, -float(total[t]))
                if chosen is not None:
                    link = lp.Constraint(-lp.infinity(), 0.0)  # level <= chosen
                    link.SetCoefficient(var, 1.0)
                    link.SetCoefficient(chosen, -1.0)

    def read(outcome: LpOutcome) -> tuple:
        """The solution as it stands (read before the repair changes the model further)."""
        quantity = np.array([[q.solution_value() for q in row] for row in lp_model.quantity])
        short = np.array(
            [[g.solution_value() if g else 0.0 for g in row] for row in lp_model.shortfall]
        )
        levels = [var.solution_value() for _, _, _, var, _ in events]
        nets = [
            np.array(
                [
                    [d.solution_value() - c.solution_value() for d, c in zip(*dc, strict=True)]
                    for dc in per_scenario
                ]
            )
            for per_scenario in lp_model.batteries
        ]
        return outcome, quantity, short, levels, nets

    if binaries:
        outcome, quantity, short, levels, nets = solve_exclusive(
            lp,
            name,
            battery_days(blocks, lp_model.batteries),
            # the exact stage takes what is left, less a margin for reading the plan
            max(deadline - time.perf_counter() - FINISH_SHARE * (deadline - started), 1.0),
            "asset envelopes contradict each other",
            read,
            exact_seconds=EXACT_REPAIR_SHARE * (deadline - started),
        )
    else:
        solved = time.perf_counter()
        if lp.Solve() != OPTIMAL:
            raise SolverFailed(name, f"the plan LP was not solved to optimality: {lp.termination}")
        value = lp.Objective().Value()
        seconds = time.perf_counter() - solved
        outcome, quantity, short, levels, nets = read(
            LpOutcome(name, True, value, value, 0.0, seconds)
        )
    if exhaustive and outcome.optimal and all(len(c.members) == 1 for c in clusters):
        # Every schedule of every load and each battery exactly, proven optimal: no plan
        # can be worth more.
        bound = min(bound, outcome.objective)
    if short.max(initial=0.0) > SHORTFALL_TOLERANCE_KW and not problem.shortfall_allowed:
        worst = short.max(axis=0)
        interval = int(np.flatnonzero(worst > SHORTFALL_TOLERANCE_KW)[0])
        raise InfeasibleProblem(
            "commitment",
            interval,
            f"no plan within the assets' event rules, energy and SoC limits meets it "
            f"(short by {worst[interval]:.3f} kW in at least one price scenario)",
        )
    value = outcome.objective
    plans = {a.asset_id: np.zeros((S, T)) for a in problem.assets}
    scenario_windows = {
        problem.assets[k].asset_id: [() for _ in range(S)]
        for n, k in enumerate(loads.asset_index)
        if n not in loads.runs
    }
    starts = {a.asset_id: [None] * S for a in problem.assets if a.run is not None}
    for (n, s, window, _, profile), level in zip(events, levels, strict=True):
        asset_id = problem.assets[loads.asset_index[n]].asset_id
        if n in loads.runs:  # whole within RUN_TOLERANCE (`build_plan`): moved or not
            if level >= 0.5:
                plans[asset_id][s] += profile
                starts[asset_id][s] = int(loads.runs[n].start[window.index])
            continue
        if level <= 1e-9:
            continue
        plans[asset_id][s] += level * profile
        scenario_windows[asset_id][s] = tuple(sorted((*scenario_windows[asset_id][s], window)))
    for cluster, net in zip(clusters, nets, strict=True):
        member_weights = weights(problem.assets, cluster)
        for k, share in zip(cluster.members, member_weights / member_weights.sum(), strict=True):
            plans[problem.assets[k].asset_id] = share * net
    bound = max(bound, value)
    gap = (bound - value) / max(abs(bound), 1.0)
    seconds = time.perf_counter() - started
    union = {
        aid: tuple(sorted({w for ws in per for w in ws})) for aid, per in scenario_windows.items()
    }
    for asset in problem.assets:
        union.setdefault(asset.asset_id, ())
    name = f"{solver}/column-generation ({rounds} rounds, {columns:,} columns)"
    outcome = LpOutcome(name, gap <= 1e-9, value, bound, gap, seconds)
    return ColumnPlans(
        quantity,
        plans,
        outcome,
        union,
        scenario_windows,
        rounds,
        columns,
        "column-generation",
        starts,
    ), [float(levels[k]) for k in runs]  # as read with the plan, not after the repair
