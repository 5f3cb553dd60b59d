"""Bids for large portfolios: cluster LPs that bound the optimum from both sides, refined."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from bidding.assets import CurtailableLoadSpec
from bidding.cluster_blocks import relaxed_block, restricted_block, weights
from bidding.cluster_lp import SHORTFALL_TOLERANCE_KW, ClusterLpResult, solve_blocks
from bidding.clusters import (
    DEFAULT_CLUSTER_COUNT,
    AssetFeatures,
    Cluster,
    asset_features,
    initial_clusters,
    singleton_clusters,
    split,
)
from bidding.event_windows import (
    EventRules,
    EventWindow,
    choose_windows,
    event_profiles,
    event_rules,
)
from bidding.exceptions import InfeasibleProblem, SolverFailed
from bidding.intervals import INTERVALS_PER_DAY
from bidding.lp import LpOutcome
from bidding.offer_model import BidProblem, PriceScenario

DEFAULT_GAP_TARGET = 0.02
REFINE_GAP_SHARE = 0.8  # split the clusters that carry this share of the gap
#: Stop refining when a round raised the best plan's value by less than this share of the
#: bound: the rest of the gap is then the event windows' (which splitting cannot close).
MIN_ROUND_GAIN = 0.002
#: Up to this many load clusters, single loads' rebound is also placed in time in the
#: relaxation (a tighter bound; above it the LP would grow by ~5 x 96 rows per load).
TIMED_REBOUND_MAX_LOADS = 10
ITERATION_GROWTH = 1.5  # the next, finer round is assumed to take this much longer


@dataclass(frozen=True)
class AggregatedPlans:
    """Portfolio quantities and per-asset plans of the best restricted LP, and its verdict.

    `windows` are the event windows each curtailable load was held to.
    """

    quantity_kw: np.ndarray
    scenario_asset_reduction_kw: dict[str, np.ndarray]
    outcome: LpOutcome
    windows: dict[str, tuple[EventWindow, ...]]


@dataclass
class _Best:
    upper_fen: float = np.inf
    lower: ClusterLpResult | None = None
    clusters: list[Cluster] | None = None
    short: ClusterLpResult | None = None  # a restricted plan that missed a commitment
    windows: list[tuple[EventWindow, ...]] | None = None  # of `clusters`


def cluster_windows(problem: BidProblem, clusters: list[Cluster]) -> list[tuple[EventWindow, ...]]:
    """Event windows of each cluster (empty for batteries): its loads are called together.

    A load cluster's windows obey every member's event rules and availability; they are
    chosen on the members' summed up kW at their size-weighted cost and rebound.
    """
    rules: list[EventRules | None] = []
    up, cost, rebound = [], [], []
    for cluster in clusters:
        members = [problem.assets[i] for i in cluster.members]
        if cluster.kind != "load":
            rules.append(None)
            up.append(np.zeros(INTERVALS_PER_DAY))
            cost.append(0.0)
            rebound.append(0.0)
            continue
        specs: list[CurtailableLoadSpec] = [m.spec for m in members]  # type: ignore[misc]
        ups = np.array([m.envelope.up_kw for m in members])
        size = ups.max(axis=1)
        share = size / size.sum() if size.sum() > 0 else np.full(len(members), 1 / len(members))
        rules.append(event_rules(specs))
        up.append(np.where(np.all(ups > 0, axis=0), ups.sum(axis=0), 0.0))
        cost.append(float(share @ [s.curtailment_cost_fen_per_mwh for s in specs]))
        rebound.append(float(share @ [s.rebound_fraction for s in specs]))
    return choose_windows(
        rules,
        np.array(up),
        np.array(cost),
        np.array(rebound),
        np.array([s.price_fen_per_mwh for s in problem.scenarios], dtype=float),
        np.array([s.probability for s in problem.scenarios]),
        problem.commitments,
    )


def _first_shortfall(result: ClusterLpResult) -> tuple[int, float]:
    """The first interval where a scenario misses a commitment, and by how much (kW)."""
    worst = result.shortfall_kw.max(axis=0)
    interval = int(np.flatnonzero(worst > SHORTFALL_TOLERANCE_KW)[0])
    return interval, float(worst[interval])


def solve_aggregated(
    problem: BidProblem,
    solver: str,
    time_limit_seconds: float,
    cluster_count: int = DEFAULT_CLUSTER_COUNT,
    gap_target: float = DEFAULT_GAP_TARGET,
    singletons: bool = False,
    min_round_gain: float = MIN_ROUND_GAIN,
) -> AggregatedPlans:
    """Solve a validated problem through clusters, with a proven gap.

    Each round splits battery clusters that cannot hold their SoC paths (`_holdable`),
    gives every load cluster event windows (`cluster_windows`) and solves the
    relaxed cluster LP (no windows; its optimum is an upper bound on the optimum of any
    event-feasible plan, because every member-level plan sums to a relaxed plan worth at
    least as much) and the restricted one (loads are called together in their cluster's
    windows, batteries follow shares of one cluster plan, so its solution disaggregates
    to an event-feasible plan of exactly its value: a lower bound); see
    `bidding.cluster_blocks` for why each holds. With
    `singletons` every asset is its own cluster from the start (one round: the exact
    asset model against its relaxation). Rounds continue, splitting the clusters whose
    relaxed value exceeds their restricted one the most, until the relative gap
    (UB - LB) / max(|UB|, 1) is at most `gap_target`, every cluster is a single asset,
    a round raised the plan's value by less than MIN_ROUND_GAIN of the bound (with
    `min_round_gain`), or the next round would not fit in `time_limit_seconds`.

    Raises InfeasibleProblem("commitment", t, ...) when even the relaxation cannot meet a
    commitment (so no plan can), naming the first such interval, or when no restricted
    plan met it (the event windows cannot cover it); SolverFailed when no restricted LP
    found a plan in time or the first relaxed LP is not solved to optimality.
    `solve_seconds` of the outcome is the wall time of all rounds, model building included.
    """
    started = time.perf_counter()
    deadline = started + time_limit_seconds
    features = asset_features(problem)
    if singletons:
        clusters = singleton_clusters(features)
    else:
        clusters = initial_clusters(features, cluster_count)
    best = _Best()
    while True:
        round_started = time.perf_counter()
        clusters = _holdable(problem, features, clusters, solver)
        before = _value(best)
        timed = sum(c.kind == "load" for c in clusters) <= TIMED_REBOUND_MAX_LOADS
        relaxed = [relaxed_block(problem.assets, c, timed) for c in clusters]
        upper = _solve_or_none(problem, relaxed, solver, deadline, best.upper_fen < np.inf)
        if upper is None or not upper.outcome.optimal:  # only an optimum is a proven bound
            if best.upper_fen == np.inf:
                raise SolverFailed(solver, "relaxed cluster LP not solved to optimality in time")
            break
        if not upper.meets_commitments:
            interval, kw = _first_shortfall(upper)
            raise InfeasibleProblem(
                "commitment",
                interval,
                f"no plan within the assets' energy and SoC limits meets it "
                f"(short by {kw:.3f} kW in at least one price scenario)",
            )
        best.upper_fen = min(best.upper_fen, upper.outcome.bound)
        windows = cluster_windows(problem, clusters)
        restricted = [
            restricted_block(problem.assets, c, w) for c, w in zip(clusters, windows, strict=True)
        ]
        try:
            lower = _solve_or_none(problem, restricted, solver, deadline, True)
        except InfeasibleProblem:  # e.g. a battery cluster's worst-case path cannot hold
            lower = None
        if lower is not None and not lower.meets_commitments:
            best.short, lower = lower, None
        if lower is not None and (best.lower is None or _better(lower, best.lower)):
            best.lower, best.clusters, best.windows = lower, clusters, windows
        gap = _gap(best)
        finest = all(len(c.members) == 1 for c in clusters)
        elapsed = time.perf_counter() - round_started
        gain = (_value(best) - before) / max(abs(best.upper_fen), 1.0)
        if (
            gap <= gap_target
            or finest
            or gain < min_round_gain
            or deadline - time.perf_counter() < ITERATION_GROWTH * elapsed
        ):
            break
        refined = _refine(features, clusters, upper, lower)
        if len(refined) == len(clusters):
            break  # only single assets carry the gap: finer clusters cannot help
        clusters = refined
    return _plans(problem, best, solver, time.perf_counter() - started)


def _holdable(
    problem: BidProblem, features: AssetFeatures, clusters: list[Cluster], solver: str
) -> list[Cluster]:
    """Split battery clusters until each one's restricted block can hold its SoC paths.

    A restricted battery block follows worst- and best-case stored-energy paths of its
    members; members too unlike (e.g. very different initial SoC) leave no plan at all,
    which would make every restricted LP infeasible. Each block is tried alone, on a day
    of zero prices (feasibility does not depend on prices), and split while it fails.
    """
    empty = BidProblem(
        problem.market_day, problem.assets, [PriceScenario(1.0, np.zeros(INTERVALS_PER_DAY))]
    )
    out: list[Cluster] = []
    pending = list(clusters)
    while pending:
        cluster = pending.pop()
        if cluster.kind != "battery" or len(cluster.members) == 1:
            out.append(cluster)
            continue
        try:
            solve_blocks(empty, [restricted_block(problem.assets, cluster)], solver, 10.0)
            out.append(cluster)
        except (InfeasibleProblem, SolverFailed):
            pending.extend(split(features, cluster))
    return out[::-1]


def _solve_or_none(problem, blocks, solver, deadline, may_fail) -> ClusterLpResult | None:
    """Solve within the time left; None when out of time and an earlier round may stand."""
    left = deadline - time.perf_counter()
    if left <= 0 and may_fail:
        return None
    try:
        return solve_blocks(problem, blocks, solver, max(left, 1.0))
    except SolverFailed:
        if may_fail:
            return None
        raise


def _better(candidate: ClusterLpResult, incumbent: ClusterLpResult) -> bool:
    return candidate.outcome.objective > incumbent.outcome.objective


def _value(best: _Best) -> float:
    return -np.inf if best.lower is None else best.lower.outcome.objective


def _gap(best: _Best) -> float:
    if best.lower is None:
        return np.inf
    lower = best.lower.outcome.objective
    return max(best.upper_fen - lower, 0.0) / max(abs(best.upper_fen), 1.0)


def _refine(
    features: AssetFeatures,
    clusters: list[Cluster],
    upper: ClusterLpResult,
    lower: ClusterLpResult | None,
) -> list[Cluster]:
    """Split the clusters carrying most of the gap (all of them when no restriction solved)."""
    if lower is None:
        excess = np.ones(len(clusters))
    else:
        excess = np.maximum(upper.block_value_fen - lower.block_value_fen, 0.0)
    excess[[len(c.members) < 2 for c in clusters]] = 0.0
    order = np.argsort(-excess)
    covered = np.cumsum(excess[order]) <= REFINE_GAP_SHARE * excess.sum()
    chosen = set(order[: int(covered.sum()) + 1].tolist())
    refined: list[Cluster] = []
    for k, cluster in enumerate(clusters):
        refined.extend(split(features, cluster) if k in chosen else [cluster])
    return refined


def _plans(problem: BidProblem, best: _Best, solver: str, seconds: float) -> AggregatedPlans:
    """Disaggregate the best restricted solution.

    A load follows its cluster's call fractions with its own event profile; a battery
    takes its share (energy capacity over the cluster's) of the cluster's plan.
    """
    if best.lower is None and best.short is not None:
        interval, kw = _first_shortfall(best.short)
        raise InfeasibleProblem(
            "commitment",
            interval,
            f"the loads' event windows and the batteries cover it only to {kw:.3f} kW short "
            f"in at least one price scenario (min/max event duration and events per day)",
        )
    if best.lower is None or best.clusters is None or best.windows is None:
        raise SolverFailed(f"{solver}/aggregated", "no restricted plan within the time limit")
    shape = (len(problem.scenarios), INTERVALS_PER_DAY)
    plans = {asset.asset_id: np.zeros(shape) for asset in problem.assets}
    by_id: dict[str, tuple[EventWindow, ...]] = {a.asset_id: () for a in problem.assets}
    solved = zip(
        best.clusters, best.windows, best.lower.block_net_kw, best.lower.block_calls, strict=True
    )
    for cluster, own, net, calls in solved:
        if calls is not None:
            for index in cluster.members:
                by_id[problem.assets[index].asset_id] = own
                asset = problem.assets[index]
                profiles = event_profiles(asset.envelope.up_kw, asset.spec.rebound_fraction, own)
                plans[asset.asset_id] = calls @ profiles
            continue
        member_weights = weights(problem.assets, cluster)
        shares = member_weights / member_weights.sum()
        for index, share in zip(cluster.members, shares, strict=True):
            plans[problem.assets[index].asset_id] = share * net
    lower = best.lower.outcome.objective
    upper = max(best.upper_fen, lower)
    if all(len(c.members) == 1 for c in best.clusters):
        name = f"{best.lower.outcome.solver}/event-windows"
    else:
        name = f"{best.lower.outcome.solver}/aggregated({len(best.clusters)} clusters)"
    gap = (upper - lower) / max(abs(upper), 1.0)
    outcome = LpOutcome(name, gap == 0.0, lower, upper, gap, seconds)
    return AggregatedPlans(best.lower.quantity_kw, plans, outcome, by_id)
