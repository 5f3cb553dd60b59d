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
  loads with the same event rules, `bidding.event_windows.best_schedules`); schedules
  worth more than their convexity dual enter the master;
- bound: for ANY u the Lagrangian L(u) = sum over loads and scenarios of the best
  schedule's value at u (or 0) + the best the batteries and Q can do at u alone
  (relaxed battery blocks) is an upper bound on every feasible plan's value; the bound
  reported is the least L(u) seen;
- plan: the master may mix a load's schedules within one scenario, which no load can
  run; so each (load, scenario) keeps its heaviest schedule, each of its events gets its
  own level, and one more LP over those fixed schedules gives the plan: every scenario's
  plan of every load is one event-feasible schedule. Its value is the plan's objective.

Rounds stop when (bound - plan) / bound <= gap target, when pricing finds nothing worth
adding (then the master's value equals the bound), or when the time is up. The gap
reported is therefore proven: no plan within the rules earns more than `bound`.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np

from bidding.assets import BatterySpec, CurtailableLoadSpec, ShiftableLoadSpec
from bidding.cluster_blocks import (
    BatteryBlock,
    one_way_safe,
    relaxed_block,
    restricted_block,
    weights,
)
from bidding.cluster_lp import (
    SHORTFALL_PENALTY_FEN_PER_KW,
    SHORTFALL_TOLERANCE_KW,
    add_battery_block,
    battery_days,
)
from bidding.clusters import Cluster, asset_features, initial_clusters, split
from bidding.event_windows import (
    EventRules,
    EventWindow,
    all_schedules,
    best_schedules,
    event_profiles,
    event_rules,
)
from bidding.exceptions import InfeasibleProblem, SolverFailed
from bidding.intervals import INTERVALS_PER_DAY
from bidding.lp import LpOutcome, create_solver, link_monotone_in_price
from bidding.mathopt_lp import OPTIMAL, MathOptLp
from bidding.offer_model import FEN_PER_KW_INTERVAL, BidProblem
from bidding.shiftable import RunPlacements, best_placements, run_placements
from bidding.switches import create_mip_solver, solve_exclusive

T = INTERVALS_PER_DAY
LOG = logging.getLogger(__name__)
MASTER_SOLVER = "HIGHS"  # through MathOpt, which reports dual values (bidding.mathopt_lp)
DEFAULT_GAP_TARGET = 0.005
#: Above this many batteries they enter the master as clusters of like batteries.
BATTERY_CLUSTER_ABOVE = 50
BATTERY_CLUSTERS = 8
#: Above this many loads the master holds clusters of like loads (their columns sum the
#: members' own best schedules); the bound still prices every load on its own.
LOAD_CLUSTER_ABOVE = 1000
LOAD_CLUSTERS = 300
#: Above this many shiftable runs they enter the master as groups of like runs (a group's
#: column moves each member to its own best placement, or none of them: `_run_clusters`).
RUN_CLUSTER_ABOVE = 100
RUN_CLUSTERS = 40
#: The four figures above are for this many scenarios: the master's size is blocks times
#: scenarios, so a problem with fewer scenarios (a dispatch has one) affords
#: proportionally more blocks and clusters, and one with more, fewer (`_per_scenarios`).
REFERENCE_SCENARIOS = 10
#: Up to this many columns in all, small portfolios get every schedule of every load as a
#: column, so the MIP is the problem's optimum and proves the bound.
EXHAUSTIVE_COLUMNS_MAX = 1500
#: Share of the time limit the MIP may take at most.
MIP_SHARE = 0.2
#: Up to this many (cluster, scenario) pairs whose master mixes columns, the plan picks
#: one of those columns for each by MIP; above, each keeps its heaviest (an LP).
SUPPORT_CHOICES_MAX = 300
#: ... and only while the master has at most this many (cluster, scenario) pairs.
SUPPORT_PAIRS_MAX = 2000
#: A schedule enters when it beats its convexity dual by this share of the value scale.
ENTER_TOLERANCE = 1e-9
#: Master solves' worth of time kept for the plan after the last round, and the next
#: round's expected length against the last one's.
PLAN_RESERVE = 1.0
ROUND_GROWTH = 1.2
#: Share of the time limit the plan may always take, even past the limit.
PLAN_MIN_SHARE = 0.25
#: Share of the time limit the batteries' exact repair (binary switches) may take; past it
#: the first one-way plan stands.
EXACT_REPAIR_SHARE = 0.15
#: Share of the time limit kept after the plan's solves for reading it out.
FINISH_SHARE = 0.05
#: Seconds the fallback plan (an LP that needs no repair) may always take.
SAFE_PLAN_SECONDS = 60.0
#: A run unit's level this close to 0 or 1 is whole; else the plan rounds it (`_plan`).
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


class Placement(NamedTuple):
    """A shiftable run's schedule: placement `index` of its `RunPlacements`."""

    index: int


@dataclass
class _Loads:
    """The loads as arrays, grouped by event rules (rows of one group price together), then
    the shiftable runs (positions in `runs`; no rule group, no rebound, no curtailment cost)."""

    asset_index: list[int]
    up: np.ndarray  # (loads, T)
    cost: np.ndarray  # fen/MWh
    rho: np.ndarray
    groups: dict[EventRules, list[int]]  # rule -> positions in the arrays above
    cluster_of: np.ndarray  # (loads,): the master cluster each load's columns belong to
    runs: dict[int, RunPlacements] = field(default_factory=dict)
    #: (load, events) -> (net profile kW, curtailment cost x shed kW): reused across rounds
    profiles: dict = field(default_factory=dict)

    @classmethod
    def of(cls, problem: BidProblem, cluster_above: int, clusters: int) -> _Loads:
        index = [
            k
            for k, a in enumerate(problem.assets)
            if isinstance(a.spec, CurtailableLoadSpec) and a.envelope.up_kw.max() > 0
        ]
        assets = [problem.assets[k] for k in index]
        groups: dict[EventRules, list[int]] = defaultdict(list)
        for n, asset in enumerate(assets):
            rule = event_rules([asset.spec])
            if rule is not None:
                groups[rule].append(n)
        up = np.array([a.envelope.up_kw for a in assets]).reshape(len(assets), T)
        cost = np.array([a.spec.curtailment_cost_fen_per_mwh for a in assets], dtype=float)
        rho = np.array([a.spec.rebound_fraction for a in assets], dtype=float)
        cluster_of = np.arange(len(assets))
        if len(assets) > cluster_above:
            only = replace(problem, assets=assets, commitments={})
            found = initial_clusters(asset_features(only), clusters)
            for g, cluster in enumerate(found):
                cluster_of[list(cluster.members)] = g
        runs = {}
        for k, asset in enumerate(problem.assets):
            if isinstance(asset.spec, ShiftableLoadSpec) and asset.run is not None:
                placements = run_placements(asset.run, f"assets[{k}].run")
                if placements.movable:
                    runs[len(index)] = placements
                    index.append(k)
        first = int(cluster_of.max(initial=-1)) + 1
        run_of = _run_clusters(list(runs.values()), problem)
        return cls(
            index,
            np.vstack(
                [
                    up.reshape(-1, T),
                    *(
                        p.reduction_kw.max(axis=0, initial=0.0).clip(min=0)[None, :]
                        for p in runs.values()
                    ),
                ]
            ),
            np.concatenate([cost, np.zeros(len(runs))]),
            np.concatenate([rho, np.zeros(len(runs))]),
            groups,
            np.concatenate([cluster_of, first + run_of]).astype(int),
            runs,
        )


def _run_clusters(runs: list[RunPlacements], problem: BidProblem) -> np.ndarray:
    """The master group of each run: its own up to RUN_CLUSTER_ABOVE runs, else one of
    RUN_CLUSTERS groups of runs alike in window, baseline placement and size (both for
    REFERENCE_SCENARIOS scenarios, `_per_scenarios`)."""
    if len(runs) <= _per_scenarios(RUN_CLUSTER_ABOVE, problem):
        return np.arange(len(runs))
    keys = [
        (
            p.run.earliest_start_interval,
            p.run.deadline_interval,
            p.run.baseline_start_interval,
            float(p.reduction_kw.max()),
        )
        for p in runs
    ]
    order = sorted(range(len(runs)), key=keys.__getitem__)
    out = np.zeros(len(runs), dtype=int)
    parts = np.array_split(np.array(order), _per_scenarios(RUN_CLUSTERS, problem))
    for g, part in enumerate(p for p in parts if len(p)):
        out[part] = g
    return out


@dataclass
class _Column:
    """A cluster's loads in one scenario, each on its schedule (a single load: one schedule)."""

    cluster: int
    scenario: int
    schedules: tuple[tuple[int, tuple[EventWindow, ...]], ...]  # (load position, events)
    var: object


@dataclass
class _Master:
    lp: MathOptLp
    balance: list[list[object]]
    quantity: list[list[object]]
    shortfall: list[list[object | None]]
    convexity: dict[tuple[int, int], object] = field(default_factory=dict)
    columns: list[_Column] = field(default_factory=list)
    known: set[tuple] = field(default_factory=set)
    batteries: list[tuple] = field(default_factory=list)  # per block: per scenario (d, c)


def _prices(problem: BidProblem) -> np.ndarray:
    return np.array([s.price_fen_per_mwh for s in problem.scenarios], dtype=float)


def _draw_prices(problem: BidProblem) -> np.ndarray:
    """What a kWh drawn back (rebound, battery charging) costs in each scenario and interval.

    At least the scenarios' probability-weighted mean price of the interval, and never less
    than the scenario's own: a plan may not count on its scenario's cheap hours to refill
    (the offer's price then carries the recharge at what it is expected to cost), and a
    kWh drawn never costs less than one sold earns, so no plan buys and sells at once.
    """
    prices = _prices(problem)
    mean = np.array([s.probability for s in problem.scenarios]) @ prices
    return np.maximum(prices, mean[None, :])


def _weights(problem: BidProblem) -> np.ndarray:
    return np.array([s.probability for s in problem.scenarios]) * FEN_PER_KW_INTERVAL


def _quantity_bounds(
    problem: BidProblem, loads: _Loads
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bounds every feasible plan's Q[s, t] keeps (so adding them changes no optimum):
    the lowest (96), the highest per scenario (S x 96) and the highest of any offer (96)."""
    up = loads.up.sum(axis=0) if len(loads.asset_index) else np.zeros(T)
    back = float((loads.rho * loads.up.max(axis=1, initial=0.0)).sum()) if len(loads.rho) else 0.0
    back += sum(float(-p.reduction_kw.min(initial=0.0)) for p in loads.runs.values())
    for asset in problem.assets:
        if isinstance(asset.spec, BatterySpec):
            up = up + asset.envelope.up_kw
            back += float(asset.envelope.down_kw.max())
    high = np.minimum(up, problem.sale_cap_kw())
    clearable = problem.clearable_kw()
    per_scenario = np.tile(high, (len(problem.scenarios), 1))
    if clearable is not None:
        per_scenario = np.minimum(per_scenario, clearable)
    low = np.full(T, -back)
    return low, per_scenario, high


def _curve_quantities(lp, problem: BidProblem, bounds, quantity: list[list]) -> list[list]:
    """The quantities the offer curve links: Q itself, or where the market accepts less
    than the curve offers in some scenario (`PriceScenario.clearable_kw`), an offer
    O[s, t] >= Q[s, t] per scenario (Q then clears min(O, what is clearable))."""
    if problem.clearable_kw() is None:
        return quantity
    low, high = bounds[0], bounds[2]
    offers = []
    for row in quantity:
        offer_row = []
        for t, q in enumerate(row):
            o = lp.NumVar(float(min(low[t], high[t])), float(high[t]), "")
            within = lp.Constraint(-lp.infinity(), 0.0)  # Q <= O
            within.SetCoefficient(q, 1.0)
            within.SetCoefficient(o, -1.0)
            offer_row.append(o)
        offers.append(offer_row)
    return offers


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


def _per_scenarios(count: int, problem: BidProblem) -> int:
    """`count` (sized for REFERENCE_SCENARIOS) for the problem's number of scenarios."""
    return max(1, count * REFERENCE_SCENARIOS // max(1, len(problem.scenarios)))


def _battery_clusters(problem: BidProblem, solver: str) -> list[Cluster]:
    """One block per battery, or above BATTERY_CLUSTER_ABOVE clusters of like batteries
    (both for REFERENCE_SCENARIOS scenarios, `_per_scenarios`).

    Batteries that are scaled copies of each other (`_shape_key`) sum exactly to one
    battery except for their wear cost; each such group is cut into runs of like wear
    cost (at most BATTERY_CLUSTERS blocks in all), so the relaxed block (cheapest wear)
    and the restricted one (capacity-weighted wear) differ by little. Portfolios with
    more shapes than that fall back to clustering on all features.
    """
    members = [k for k, a in enumerate(problem.assets) if isinstance(a.spec, BatterySpec)]
    most = _per_scenarios(BATTERY_CLUSTERS, problem)
    if len(members) <= _per_scenarios(BATTERY_CLUSTER_ABOVE, problem):
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


def _quantity(lp, problem: BidProblem, bounds, s: int, t: int) -> tuple:
    """Q[s, t] within its bounds, and its elastic commitment: a shortfall variable that
    costs SHORTFALL_PENALTY_FEN_PER_KW per kW (None where nothing is committed)."""
    low, high = bounds[0], bounds[1][s]
    q = lp.NumVar(float(min(low[t], high[t])), float(high[t]), "")
    committed = problem.commitments.get(t, 0.0)
    if committed <= 0:
        return q, None
    gap = lp.NumVar(0.0, committed, "")
    floor = lp.Constraint(committed, lp.infinity())
    floor.SetCoefficient(q, 1.0)
    floor.SetCoefficient(gap, 1.0)
    lp.Objective().SetCoefficient(gap, -SHORTFALL_PENALTY_FEN_PER_KW)
    return q, gap


def _base_model(
    problem: BidProblem, bounds: tuple[np.ndarray, np.ndarray], blocks: list[BatteryBlock], lp
) -> _Master:
    """Q rows, commitments, linking and battery blocks in `lp`: all but the loads' columns.

    `lp` is a MathOptLp (the master: duals) or a pywraplp solver (the plan: binaries).
    """
    prices, weight, draws = _prices(problem), _weights(problem), _draw_prices(problem)
    master = _Master(lp, [], [], [])
    for s in range(len(problem.scenarios)):
        quantity, balance, short = [], [], []
        for t in range(T):
            q, gap = _quantity(lp, problem, bounds, s, t)
            row = lp.Constraint(0.0, 0.0)
            row.SetCoefficient(q, 1.0)
            quantity.append(q)
            balance.append(row)
            short.append(gap)
        master.quantity.append(quantity)
        master.balance.append(balance)
        master.shortfall.append(short)
    for block in blocks:
        master.batteries.append(
            [
                add_battery_block(lp, block, master.balance[s], weight[s], prices[s], draws[s])
                for s in range(len(problem.scenarios))
            ]
        )
    curve = _curve_quantities(lp, problem, bounds, master.quantity)
    link_monotone_in_price(lp, prices, curve, problem.offered())
    lp.Objective().SetMaximization()
    return master


def _column_terms(
    loads: _Loads,
    n: int,
    windows: tuple[EventWindow, ...],
    price: np.ndarray,
    draw: np.ndarray,
    weight: float,
) -> tuple[np.ndarray, float]:
    """A schedule's net profile (96 kW) and its objective coefficient (fen): shed kW at
    `price`, rebound at `draw` (`_draw_prices`), less the curtailment cost."""
    key = (n, windows)
    known = loads.profiles.get(key)
    if known is None and n in loads.runs:
        (placement,) = windows
        run = loads.runs[n]
        moving = float(run.move_cost_fen[placement.index]) / FEN_PER_KW_INTERVAL
        known = loads.profiles[key] = (run.reduction_kw[placement.index], moving)
    elif known is None:
        profile = event_profiles(loads.up[n], float(loads.rho[n]), windows).sum(axis=0)
        shed = sum(float(loads.up[n, w.start : w.end].sum()) for w in windows)
        known = loads.profiles[key] = (profile, float(loads.cost[n]) * shed)
    profile, shed_cost = known
    worth = float(price @ np.maximum(profile, 0.0) + draw @ np.minimum(profile, 0.0))
    return profile, weight * (worth - shed_cost)


def _add_column(master: _Master, problem: BidProblem, loads: _Loads, g: int, s: int, schedules):
    """Add cluster g's column in scenario s (schedules: (load, events) pairs) unless known."""
    key = (g, s, schedules)
    if key in master.known or not schedules:
        return False
    master.known.add(key)
    price, weight = _prices(problem)[s], float(_weights(problem)[s])
    draw = _draw_prices(problem)[s]
    profile, coefficient = np.zeros(T), 0.0
    for n, windows in schedules:
        own, value = _column_terms(loads, n, windows, price, draw, weight)
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
    master.columns.append(_Column(g, s, schedules, var))
    return True


def _cluster_columns(loads: _Loads, best: dict) -> dict[tuple[int, int], tuple[tuple, float]]:
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


def _price(problem: BidProblem, loads: _Loads, duals: np.ndarray):
    """Best schedule of every (load, scenario) at duals u: windows and value (fen) per row."""
    prices, weight = _prices(problem), _weights(problem)
    values = weight[:, None] * prices + duals  # (S, T): what a kW shed is worth per interval
    drawn = weight[:, None] * _draw_prices(problem) + duals  # ... and a kW drawn back costs
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
    prices, weight, draws = _prices(problem), _weights(problem), _draw_prices(problem)
    quantity = []
    for s in range(len(problem.scenarios)):
        row_q = []
        free = [lp.Constraint(-lp.infinity(), lp.infinity()) for _ in range(T)]
        for t in range(T):
            q, _ = _quantity(lp, problem, bounds, s, t)
            lp.Objective().SetCoefficient(q, -float(duals[s, t]))
            row_q.append(q)
        quantity.append(row_q)
        shift = duals[s] / weight[s] if weight[s] > 0 else 0.0
        for block in blocks:
            add_battery_block(lp, block, free, weight[s], prices[s] + shift, draws[s] + shift)
    link_monotone_in_price(
        lp, prices, _curve_quantities(lp, problem, bounds, quantity), problem.offered()
    )
    lp.Objective().SetMaximization()
    if lp.Solve() != OPTIMAL:
        return None
    return lp.Objective().Value()


def _duals(master: _Master) -> np.ndarray:
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
    loads = _Loads.of(
        problem,
        _per_scenarios(LOAD_CLUSTER_ABOVE, problem),
        _per_scenarios(LOAD_CLUSTERS, problem),
    )
    S = len(problem.scenarios)
    bounds = _quantity_bounds(problem, loads)
    clusters = _battery_clusters(problem, solver)
    restricted = [restricted_block(problem.assets, c) for c in clusters]
    relaxed = [relaxed_block(problem.assets, c) for c in clusters]
    master = _base_model(problem, bounds, restricted, MathOptLp(time_limit_seconds, solver))
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
    support = _candidates(master, every=False, choices=len(master.convexity) <= SUPPORT_PAIRS_MAX)
    # The plan gets at least PLAN_MIN_SHARE of the limit, even past it: a bid a little late
    # beats none.
    plan_deadline = max(deadline, time.perf_counter() + PLAN_MIN_SHARE * time_limit_seconds)
    try:
        plan = _plan(*context, support, bound, started, plan_deadline)
    except SolverFailed:
        # Out of time in the MIP or the batteries' exact repair: the heaviest columns as an
        # LP, batteries kept one-way by a safe path instead (`one_way_safe`).
        heaviest = _candidates(master, every=False, choices=False)
        safe = (*context[:3], [one_way_safe(b) for b in restricted], *context[4:])
        fallback = max(PLAN_MIN_SHARE * time_limit_seconds, SAFE_PLAN_SECONDS)
        plan = _plan(*safe, heaviest, bound, started, time.perf_counter() + fallback)
    left = deadline - time.perf_counter()
    exhaustive = solver == "HIGHS" and _add_every_schedule(master, problem, loads)
    if exhaustive and left > 1:
        mip_deadline = time.perf_counter() + min(left, MIP_SHARE * time_limit_seconds)
        try:
            picked = _plan(
                *context,
                _candidates(master, every=True),
                bound,
                started,
                mip_deadline,
                exhaustive=exhaustive,
            )
        except SolverFailed:
            picked = plan
        better = picked if picked.outcome.objective > plan.outcome.objective else plan
        plan = _with_bound(better, min(plan.outcome.bound, picked.outcome.bound))
    return plan


def _with_bound(plans: ColumnPlans, bound: float) -> ColumnPlans:
    """The plans with the least proven bound known, and the gap to it."""
    value = plans.outcome.objective
    bound = max(bound, value)
    gap = (bound - value) / max(abs(bound), 1.0)
    outcome = replace(plans.outcome, bound=bound, relative_gap=gap, optimal=gap <= 1e-9)
    return replace(plans, outcome=outcome)


def _add_every_schedule(master: _Master, problem: BidProblem, loads: _Loads) -> bool:
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


def _candidates(
    master: _Master, every: bool, choices: bool = True
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
    used: dict[tuple[int, int], list[tuple[float, _Column]]] = defaultdict(list)
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


def _plan(*args, exhaustive: bool = False) -> ColumnPlans:
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
    raise SolverFailed(MASTER_SOLVER, "no plan with every run left where the park has it")


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
    lp_model = _base_model(problem, bounds, blocks, lp)
    prices, weight, draws = _prices(problem), _weights(problem), _draw_prices(problem)
    events = []  # (n, s, window, level variable, profile)
    runs = []  # the level of each run unit, in the order of `schedules`
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
                    runs.append(var)
                total, value = np.zeros(T), 0.0
                for n, window in unit:
                    profile, coefficient = _column_terms(
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
        if level <= 1e-9:
            continue
        asset_id = problem.assets[loads.asset_index[n]].asset_id
        if n in loads.runs:  # 0 or 1 (`_plan`)
            plans[asset_id][s] += profile
            starts[asset_id][s] = int(loads.runs[n].start[window.index])
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
    ), [float(var.solution_value()) for var in runs]
