"""The model the bid's column generation is built on: the loads and runs as arrays, the
Q rows, linking and battery blocks, and what a column (a load's schedule, a run's
placement) adds to them. `bidding.column_generation` solves the master over it, and
`bidding.column_plan` turns the master's columns into a plan over the same model.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np

from bidding.assets import BatterySpec, CurtailableLoadSpec, ShiftableLoadSpec
from bidding.cluster_blocks import BatteryBlock
from bidding.cluster_lp import (
    SHORTFALL_PENALTY_FEN_PER_KW,
    add_battery_block,
)
from bidding.clusters import asset_features, initial_clusters
from bidding.event_windows import (
    EventRules,
    EventWindow,
    event_profiles,
    event_rules,
)
from bidding.intervals import INTERVALS_PER_DAY
from bidding.lp import link_monotone_in_price
from bidding.mathopt_lp import MathOptLp
from bidding.offer_model import FEN_PER_KW_INTERVAL, BidProblem
from bidding.shiftable import RunPlacements, run_placements

T = INTERVALS_PER_DAY


#: Cluster counts and thresholds (batteries and loads in `bidding.column_generation`, runs
#: here) are sized for this many scenarios: the master's size is blocks times scenarios,
#: so a problem with fewer scenarios (a dispatch has one) affords proportionally more
#: blocks and clusters, and one with more, fewer (`per_scenarios`).
REFERENCE_SCENARIOS = 10
#: Above this many shiftable runs they enter the master as groups of like runs (a group's
#: column moves each member to its own best placement, or none of them: `_run_clusters`).
RUN_CLUSTER_ABOVE = 100
RUN_CLUSTERS = 40


def per_scenarios(count: int, problem: BidProblem) -> int:
    """`count` (sized for REFERENCE_SCENARIOS) for the problem's number of scenarios."""
    return max(1, count * REFERENCE_SCENARIOS // max(1, len(problem.scenarios)))


class Placement(NamedTuple):
    """A shiftable run's schedule: placement `index` of its `RunPlacements`."""

    index: int


@dataclass
class Loads:
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
    def of(cls, problem: BidProblem, cluster_above: int, clusters: int) -> Loads:
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
    REFERENCE_SCENARIOS scenarios, `per_scenarios`)."""
    if len(runs) <= per_scenarios(RUN_CLUSTER_ABOVE, problem):
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
    parts = np.array_split(np.array(order), per_scenarios(RUN_CLUSTERS, problem))
    for g, part in enumerate(p for p in parts if len(p)):
        out[part] = g
    return out


@dataclass
class Column:
    """A cluster's loads in one scenario, each on its schedule (a single load: one schedule)."""

    cluster: int
    scenario: int
    schedules: tuple[tuple[int, tuple[EventWindow, ...]], ...]  # (load position, events)
    var: object


@dataclass
class Master:
    lp: MathOptLp
    balance: list[list[object]]
    quantity: list[list[object]]
    shortfall: list[list[object | None]]
    convexity: dict[tuple[int, int], object] = field(default_factory=dict)
    columns: list[Column] = field(default_factory=list)
    known: set[tuple] = field(default_factory=set)
    batteries: list[tuple] = field(default_factory=list)  # per block: per scenario (d, c)


def scenario_prices(problem: BidProblem) -> np.ndarray:
    return np.array([s.price_fen_per_mwh for s in problem.scenarios], dtype=float)


def draw_prices(problem: BidProblem) -> np.ndarray:
    """What a kWh drawn back (rebound, battery charging) costs in each scenario and interval.

    At least the scenarios' probability-weighted mean price of the interval, and never less
    than the scenario's own: a plan may not count on its scenario's cheap hours to refill
    (the offer's price then carries the recharge at what it is expected to cost), and a
    kWh drawn never costs less than one sold earns, so no plan buys and sells at once.
    """
    prices = scenario_prices(problem)
    mean = np.array([s.probability for s in problem.scenarios]) @ prices
    return np.maximum(prices, mean[None, :])


def scenario_weights(problem: BidProblem) -> np.ndarray:
    return np.array([s.probability for s in problem.scenarios]) * FEN_PER_KW_INTERVAL


def quantity_bounds(problem: BidProblem, loads: Loads) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


def curve_quantities(lp, problem: BidProblem, bounds, quantity: list[list]) -> list[list]:
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


def quantity_variable(lp, problem: BidProblem, bounds, s: int, t: int) -> tuple:
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


def base_model(
    problem: BidProblem, bounds: tuple[np.ndarray, np.ndarray], blocks: list[BatteryBlock], lp
) -> Master:
    """Q rows, commitments, linking and battery blocks in `lp`: all but the loads' columns.

    `lp` is a MathOptLp (the master: duals) or a pywraplp solver (the plan: binaries).
    """
    prices, weight, draws = (
        scenario_prices(problem),
        scenario_weights(problem),
        draw_prices(problem),
    )
    master = Master(lp, [], [], [])
    for s in range(len(problem.scenarios)):
        quantity, balance, short = [], [], []
        for t in range(T):
            q, gap = quantity_variable(lp, problem, bounds, s, t)
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
    curve = curve_quantities(lp, problem, bounds, master.quantity)
    link_monotone_in_price(lp, prices, curve, problem.offered())
    lp.Objective().SetMaximization()
    return master


def column_terms(
    loads: Loads,
    n: int,
    windows: tuple[EventWindow, ...],
    price: np.ndarray,
    draw: np.ndarray,
    weight: float,
) -> tuple[np.ndarray, float]:
    """A schedule's net profile (96 kW) and its objective coefficient (fen): shed kW at
    `price`, rebound at `draw` (`draw_prices`), less the curtailment cost."""
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
