"""The demand-response bid by column generation over each load's event schedules, with a proof.

The problem (`bidding.offer_model`): for every price scenario s each curtailable load
follows one event schedule (at most `max_events_per_day` events of allowed length in
available intervals, each at a level in [0, 1], its rebound in the L intervals after an
event of L), batteries track their stored energy, and the portfolio quantity Q[s, t]
forms monotone curves (`bidding.lp.link_monotone_in_price`), stays within the sale cap
and meets the commitments. Schedules differ per scenario: a scenario's plan is whatever
that scenario's prices make worth doing (the curves then say which quantity is offered at
which price).

Method (Dantzig-Wolfe):

- master LP: one column per (load, scenario, schedule) with weight lambda in [0, 1],
  sum of weights per (load, scenario) <= 1, batteries as LP blocks
  (`bidding.cluster_blocks`: exact per battery for small portfolios, clusters above
  `BATTERY_CLUSTER_ABOVE` batteries), and the Q rows; solved by GLOP, warm-started between
  rounds;
- pricing: with the master's duals u[s, t] of the balance rows, each load's best
  schedule in each scenario is a small dynamic program over the day (vectorised over
  loads with the same event rules, `bidding.event_windows.best_schedules`), and each
  shiftable run's best placement is found by trying every start
  (`bidding.shiftable.best_placements`); columns worth more than their convexity dual
  enter the master;
- bound: for ANY u the Lagrangian L(u) = sum over loads and scenarios of the best
  schedule's value at u (or 0) + the best the batteries and Q can do at u alone
  (relaxed battery blocks) is an upper bound on every feasible plan's value; the bound
  reported is the least L(u) seen;
- plan: the master may mix a load's schedules within one scenario, which no load can
  run; so each (load, scenario) keeps its heaviest schedule, each of its events gets its
  own level, and one more LP over those fixed schedules gives the plan: every scenario's
  plan of every load is one event-feasible schedule, and every run moves whole or stays
  (`bidding.column_plan`). Its value is the plan's objective.

The model both share (loads and runs as arrays, Q rows, linking, battery blocks, what a
column adds) is `bidding.column_model`.

Rounds stop when (bound - plan) / bound <= gap target, when pricing finds nothing worth
adding (then the master's value equals the bound), or when the time is up. The gap
reported is therefore proven: no plan within the rules earns more than `bound`.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import replace

import numpy as np

from bidding.assets import BatterySpec
from bidding.cluster_blocks import (
    BatteryBlock,
    one_way_safe,
    relaxed_block,
    restricted_block,
)
from bidding.cluster_lp import add_battery_block
from bidding.clusters import Cluster, asset_features, initial_clusters, split
from bidding.column_model import (
    Column,
    Loads,
    Master,
    Placement,
    base_model,
    column_terms,
    curve_quantities,
    draw_prices,
    per_scenarios,
    quantity_bounds,
    quantity_variable,
    scenario_prices,
    scenario_weights,
)
from bidding.column_plan import ColumnPlans, build_plan, candidates, with_bound
from bidding.event_windows import (
    EventWindow,
    all_schedules,
    best_schedules,
)
from bidding.exceptions import SolverFailed
from bidding.intervals import INTERVALS_PER_DAY
from bidding.lp import link_monotone_in_price
from bidding.mathopt_lp import OPTIMAL, MathOptLp
from bidding.offer_model import FEN_PER_KW_INTERVAL, BidProblem
from bidding.shiftable import best_placements

T = INTERVALS_PER_DAY
LOG = logging.getLogger(__name__)
MASTER_SOLVER = "HIGHS"  # through MathOpt, which reports dual values (bidding.mathopt_lp)
DEFAULT_GAP_TARGET = 0.005
#: Above this many batteries they enter the master as clusters of like batteries (this and
#: the next three for `REFERENCE_SCENARIOS` scenarios, `bidding.column_model`).
BATTERY_CLUSTER_ABOVE = 50
BATTERY_CLUSTERS = 8
#: Above this many loads the master holds clusters of like loads (their columns sum the
#: members' own best schedules); the bound still prices every load on its own.
LOAD_CLUSTER_ABOVE = 1000
LOAD_CLUSTERS = 300
#: Up to this many columns in all, small portfolios get every schedule of every load as a
#: column, so the MIP is the problem's optimum and proves the bound.
EXHAUSTIVE_COLUMNS_MAX = 1500
#: Share of the time limit the MIP may take at most.
MIP_SHARE = 0.2
#: The plan may pick among a pair's columns by MIP (`bidding.column_plan.candidates`) only
#: while the master has at most this many (cluster, scenario) pairs.
SUPPORT_PAIRS_MAX = 2000
#: A schedule enters when it beats its convexity dual by this share of the value scale.
ENTER_TOLERANCE = 1e-9
#: Master solves' worth of time kept for the plan after the last round, and the next
#: round's expected length against the last one's.
PLAN_RESERVE = 1.0
ROUND_GROWTH = 1.2
#: Share of the time limit the plan may always take, even past the limit.
PLAN_MIN_SHARE = 0.25
#: Seconds the fallback plan (an LP that needs no repair) may always take.
SAFE_PLAN_SECONDS = 60.0


def _shape_key(spec: BatterySpec) -> tuple:
    """What makes batteries scaled copies of each other (all but size and wear cost)."""
    size = spec.energy_capacity_kwh
    return (
        spec.charge_efficiency,
        spec.discharge_efficiency,
        spec.soc_min,
        spec.soc_max,
        spec.initial_soc,
        round(spec.max_charge_kw / size, 9),
        round(spec.max_discharge_kw / size, 9),
    )


def _battery_clusters(problem: BidProblem, solver: str) -> list[Cluster]:
    """One block per battery, or above BATTERY_CLUSTER_ABOVE clusters of like batteries
    (both for REFERENCE_SCENARIOS scenarios, `per_scenarios`).

    Batteries that are scaled copies of each other (`_shape_key`) sum exactly to one
    battery except for their wear cost; each such group is cut into runs of like wear
    cost (at most BATTERY_CLUSTERS blocks in all), so the relaxed block (cheapest wear)
    and the restricted one (capacity-weighted wear) differ by little. Portfolios with
    more shapes than that fall back to clustering on all features.
    """
    members = [k for k, a in enumerate(problem.assets) if isinstance(a.spec, BatterySpec)]
    most = per_scenarios(BATTERY_CLUSTERS, problem)
    if len(members) <= per_scenarios(BATTERY_CLUSTER_ABOVE, problem):
        return [Cluster("battery", (k,)) for k in members]
    groups: dict[tuple, list[int]] = defaultdict(list)
    for k in members:
        groups[_shape_key(problem.assets[k].spec)].append(k)
    only = replace(problem, assets=[problem.assets[k] for k in members], commitments={})
    features = asset_features(only)
    if len(groups) > most:
        found = _holdable(only, features, initial_clusters(features, most), solver)
        return [Cluster("battery", tuple(members[i] for i in c.members)) for c in found]
    clusters = []
    for group in groups.values():
        runs = max(1, round(most * len(group) / len(members)))
        group.sort(key=lambda k: problem.assets[k].spec.degradation_cost_fen_per_mwh)
        for part in np.array_split(np.array(group), runs):
            if len(part):
                clusters.append(Cluster("battery", tuple(int(k) for k in part)))
    return clusters


def _holdable(problem, features, clusters: list[Cluster], solver: str) -> list[Cluster]:
    """Split battery clusters whose restricted block cannot hold its paths on its own."""
    out, pending = [], list(clusters)
    while pending:
        cluster = pending.pop()
        if len(cluster.members) == 1 or _block_feasible(
            restricted_block(problem.assets, cluster), solver
        ):
            out.append(cluster)
        else:
            pending.extend(split(features, cluster))
    return out[::-1]


def _block_feasible(block: BatteryBlock, solver: str) -> bool:
    """Whether a battery block can idle through the day (zero prices): its paths hold."""
    lp = MathOptLp(10.0, solver)
    rows = [lp.Constraint(-lp.infinity(), lp.infinity()) for _ in range(T)]
    add_battery_block(lp, block, rows, 0.0, np.zeros(T))
    return lp.Solve() in (OPTIMAL,)


def _add_column(master: Master, problem: BidProblem, loads: Loads, g: int, s: int, schedules):
    """Add cluster g's column in scenario s (schedules: (load, events) pairs) unless known."""
    key = (g, s, schedules)
    if key in master.known or not schedules:
        return False
    master.known.add(key)
    price, weight = scenario_prices(problem)[s], float(scenario_weights(problem)[s])
    draw = draw_prices(problem)[s]
    profile, coefficient = np.zeros(T), 0.0
    for n, windows in schedules:
        own, value = column_terms(loads, n, windows, price, draw, weight)
        profile += own
        coefficient += value
    lp = master.lp
    var = lp.NumVar(0.0, 1.0, "")
    lp.Objective().SetCoefficient(var, coefficient)
    for t in np.flatnonzero(profile):
        master.balance[s][t].SetCoefficient(var, -float(profile[t]))
    row = master.convexity.get((g, s))
    if row is None:
        row = master.convexity[(g, s)] = lp.Constraint(-lp.infinity(), 1.0)
    row.SetCoefficient(var, 1.0)
    master.columns.append(Column(g, s, schedules, var))
    return True


def _cluster_columns(loads: Loads, best: dict) -> dict[tuple[int, int], tuple[tuple, float]]:
    """Per (cluster, scenario): its loads' best schedules worth more than nothing, and their sum."""
    out: dict[tuple[int, int], tuple[list, float]] = {}
    for (n, s), (windows, value) in sorted(best.items()):
        if value <= 0 or not windows:
            continue
        key = (int(loads.cluster_of[n]), s)
        schedules, total = out.get(key, ([], 0.0))
        schedules.append((n, windows))
        out[key] = (schedules, total + value)
    return {key: (tuple(schedules), total) for key, (schedules, total) in out.items()}


def _price(problem: BidProblem, loads: Loads, duals: np.ndarray):
    """Best schedule of every (load, scenario) at duals u: windows and value (fen) per row."""
    prices, weight = scenario_prices(problem), scenario_weights(problem)
    values = weight[:, None] * prices + duals  # (S, T): what a kW shed is worth per interval
    drawn = weight[:, None] * draw_prices(problem) + duals  # ... and a kW drawn back costs
    S = len(problem.scenarios)
    best: dict[tuple[int, int], tuple[tuple[EventWindow, ...], float]] = {}
    for rule, members in loads.groups.items():
        idx = np.repeat(np.array(members), S)
        scen = np.tile(np.arange(S), len(members))
        chosen, worth = best_schedules(
            rule,
            loads.up[idx],
            weight[scen] * loads.cost[idx],
            loads.rho[idx],
            values[scen],
            drawn[scen],
        )
        for n, s, windows, value in zip(idx, scen, chosen, worth, strict=True):
            best[(int(n), int(s))] = (windows, float(value))
    probability = weight / FEN_PER_KW_INTERVAL  # a move cost in fen, per scenario
    for n, run in loads.runs.items():
        chosen, worth = best_placements(run, values, drawn, probability)
        for s, (p, value) in enumerate(zip(chosen.tolist(), worth.tolist(), strict=True)):
            best[(n, s)] = ((Placement(p),), value) if value > 0 else ((), 0.0)
    return best


def _rest_bound(
    problem: BidProblem,
    bounds,
    blocks: list[BatteryBlock],
    duals: np.ndarray,
    time_s: float,
    solver: str,
) -> float | None:
    """max over batteries and Q alone of their Lagrangian terms at duals u (None: not solved).

    Batteries earn w p (d - c) - wear + u (d - c); Q pays u Q under linking, caps and the
    commitments (with the same shortfall penalty as the master).
    """
    lp = MathOptLp(max(time_s, 1.0), solver)
    prices, weight, draws = (
        scenario_prices(problem),
        scenario_weights(problem),
        draw_prices(problem),
    )
    quantity = []
    for s in range(len(problem.scenarios)):
        row_q = []
        free = [lp.Constraint(-lp.infinity(), lp.infinity()) for _ in range(T)]
        for t in range(T):
            q, _ = quantity_variable(lp, problem, bounds, s, t)
            lp.Objective().SetCoefficient(q, -float(duals[s, t]))
            row_q.append(q)
        quantity.append(row_q)
        shift = duals[s] / weight[s] if weight[s] > 0 else 0.0
        for block in blocks:
            add_battery_block(lp, block, free, weight[s], prices[s] + shift, draws[s] + shift)
    link_monotone_in_price(
        lp, prices, curve_quantities(lp, problem, bounds, quantity), problem.offered()
    )
    lp.Objective().SetMaximization()
    if lp.Solve() != OPTIMAL:
        return None
    return lp.Objective().Value()


def _duals(master: Master) -> np.ndarray:
    return np.array([[row.dual_value() for row in rows] for rows in master.balance])


def solve_by_columns(
    problem: BidProblem,
    time_limit_seconds: float,
    gap_target: float = DEFAULT_GAP_TARGET,
    solver: str = MASTER_SOLVER,
) -> ColumnPlans:
    """Plan and proven bound by column generation (module docstring); problem validated.

    Raises InfeasibleProblem("commitment", t, ...) when no plan meets a commitment,
    SolverFailed when the first master is not solved in time.
    """
    started = time.perf_counter()
    deadline = started + time_limit_seconds
    loads = Loads.of(
        problem,
        per_scenarios(LOAD_CLUSTER_ABOVE, problem),
        per_scenarios(LOAD_CLUSTERS, problem),
    )
    S = len(problem.scenarios)
    bounds = quantity_bounds(problem, loads)
    clusters = _battery_clusters(problem, solver)
    restricted = [restricted_block(problem.assets, c) for c in clusters]
    relaxed = [relaxed_block(problem.assets, c) for c in clusters]
    master = base_model(problem, bounds, restricted, MathOptLp(time_limit_seconds, solver))
    # Start from each scenario's own best schedules (perfect foresight per scenario).
    start = _cluster_columns(loads, _price(problem, loads, np.zeros((S, T))))
    for (g, s), (schedules, _) in start.items():
        _add_column(master, problem, loads, g, s, schedules)
    bound = np.inf
    rounds = 0
    while True:
        rounds += 1
        round_started = time.perf_counter()
        master.lp.SetTimeLimit(max(1, int((deadline - time.perf_counter()) * 1000)))
        solve_started = time.perf_counter()
        status = master.lp.Solve()
        solve_seconds = time.perf_counter() - solve_started
        if status != OPTIMAL:
            if rounds == 1:
                raise SolverFailed(MASTER_SOLVER, "master LP not solved to optimality in time")
            break
        value = master.lp.Objective().Value()
        duals = _duals(master)
        mus = {key: row.dual_value() for key, row in master.convexity.items()}
        best = _price(problem, loads, duals)
        rest = _rest_bound(problem, bounds, relaxed, duals, deadline - time.perf_counter(), solver)
        if rest is not None:
            loads_part = sum(max(v, 0.0) for _, v in best.values())
            bound = min(bound, rest + loads_part)
        gap = (bound - value) / max(abs(bound), 1.0)
        LOG.debug(
            "round %d: master %.0f, bound %.0f (gap %.3f%%), %d columns, %.1f s",
            rounds,
            value,
            bound,
            100 * gap,
            len(master.columns),
            time.perf_counter() - started,
        )
        # Another round only if it and the plan (a few master solves) fit before the deadline.
        round_seconds = time.perf_counter() - round_started
        need = ROUND_GROWTH * round_seconds + PLAN_RESERVE * solve_seconds
        if gap <= gap_target / 2 or deadline - time.perf_counter() < need:
            break
        added = 0
        for (g, s), (schedules, reduced) in _cluster_columns(loads, best).items():
            if reduced > mus.get((g, s), 0.0) + ENTER_TOLERANCE * max(1.0, abs(value)):
                added += _add_column(master, problem, loads, g, s, schedules)
        if added == 0:
            break
    context = (problem, loads, clusters, restricted, bounds, rounds, len(master.columns), solver)
    support = candidates(master, every=False, choices=len(master.convexity) <= SUPPORT_PAIRS_MAX)
    # The plan gets at least PLAN_MIN_SHARE of the limit, even past it: a bid a little late
    # beats none.
    plan_deadline = max(deadline, time.perf_counter() + PLAN_MIN_SHARE * time_limit_seconds)
    try:
        plan = build_plan(*context, support, bound, started, plan_deadline)
    except SolverFailed:
        # Out of time in the MIP or the batteries' exact repair: the heaviest columns as an
        # LP, batteries kept one-way by a safe path instead (`one_way_safe`).
        heaviest = candidates(master, every=False, choices=False)
        safe = (*context[:3], [one_way_safe(b) for b in restricted], *context[4:])
        fallback = max(PLAN_MIN_SHARE * time_limit_seconds, SAFE_PLAN_SECONDS)
        plan = build_plan(*safe, heaviest, bound, started, time.perf_counter() + fallback)
    left = deadline - time.perf_counter()
    exhaustive = solver == "HIGHS" and _add_every_schedule(master, problem, loads)
    if exhaustive and left > 1:
        mip_deadline = time.perf_counter() + min(left, MIP_SHARE * time_limit_seconds)
        try:
            picked = build_plan(
                *context,
                candidates(master, every=True),
                bound,
                started,
                mip_deadline,
                exhaustive=exhaustive,
            )
        except SolverFailed:
            picked = plan
        better = picked if picked.outcome.objective > plan.outcome.objective else plan
        plan = with_bound(better, min(plan.outcome.bound, picked.outcome.bound))
    return plan


def _add_every_schedule(master: Master, problem: BidProblem, loads: Loads) -> bool:
    """Add every schedule of every (load, scenario) as a column when they are few (loads
    on their own, at most EXHAUSTIVE_COLUMNS_MAX columns in all); True when added."""
    if len(set(loads.cluster_of.tolist())) != len(loads.cluster_of):
        return False
    every: dict[int, list] = {}
    for rule, members in loads.groups.items():
        for n in members:
            found = all_schedules(rule, loads.up[n], loads.rho[n] > 0, EXHAUSTIVE_COLUMNS_MAX)
            if found is None:
                return False
            every[n] = found
    for n, run in loads.runs.items():
        every[n] = [(Placement(p),) for p in range(len(run.start)) if p != run.baseline]
    S = len(problem.scenarios)
    if sum(len(v) for v in every.values()) * S + len(master.columns) > EXHAUSTIVE_COLUMNS_MAX:
        return False
    for n, schedules in every.items():
        for s in range(S):
            for windows in schedules:
                _add_column(master, problem, loads, int(loads.cluster_of[n]), s, ((n, windows),))
    return True
