"""Bids for large portfolios: cluster LPs that bound the optimum from both sides, refined."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from bidding.cluster_blocks import relaxed_block, restricted_block, weights
from bidding.cluster_lp import ClusterLpResult, solve_blocks
from bidding.clusters import (
    DEFAULT_CLUSTER_COUNT,
    AssetFeatures,
    Cluster,
    asset_features,
    initial_clusters,
    split,
)
from bidding.exceptions import InfeasibleProblem, SolverFailed
from bidding.intervals import INTERVALS_PER_DAY
from bidding.lp import LpOutcome
from bidding.offer_model import BidProblem

DEFAULT_GAP_TARGET = 0.02
REFINE_GAP_SHARE = 0.8  # split the clusters that carry this share of the gap
ITERATION_GROWTH = 1.5  # the next, finer round is assumed to take this much longer


@dataclass(frozen=True)
class AggregatedPlans:
    """Portfolio quantities and per-asset plans of the best restricted LP, and its verdict."""

    quantity_kw: np.ndarray
    scenario_asset_reduction_kw: dict[str, np.ndarray]
    outcome: LpOutcome


@dataclass
class _Best:
    upper_fen: float = np.inf
    lower: ClusterLpResult | None = None
    clusters: list[Cluster] | None = None


def solve_aggregated(
    problem: BidProblem,
    solver: str,
    time_limit_seconds: float,
    cluster_count: int = DEFAULT_CLUSTER_COUNT,
    gap_target: float = DEFAULT_GAP_TARGET,
) -> AggregatedPlans:
    """Solve a validated problem through clusters, with a proven gap.

    Each round solves the relaxed cluster LP (its optimum is an upper bound on the true
    optimum, because every member-level plan sums to a relaxed plan worth at least as
    much) and the restricted one (members follow shares of one cluster plan, so its
    solution disaggregates to a feasible plan of exactly its value: a lower bound);
    see `bidding.cluster_blocks` for why each holds. Rounds continue, splitting the
    clusters whose relaxed value exceeds their restricted one the most, until the
    relative gap (UB - LB) / max(|UB|, 1) is at most `gap_target`, every cluster is a
    single asset, or the next round would not fit in `time_limit_seconds`.

    Raises InfeasibleProblem when the relaxed LP is infeasible (so the problem is);
    SolverFailed when no restricted LP found a plan in time (e.g. commitments only the
    finest clusters can meet) or the first relaxed LP is not solved to optimality.
    `solve_seconds` of the outcome is the wall time of all rounds, model building included.
    """
    started = time.perf_counter()
    deadline = started + time_limit_seconds
    features = asset_features(problem)
    clusters = initial_clusters(features, cluster_count)
    prices = np.array([s.price_fen_per_mwh for s in problem.scenarios], dtype=float)
    mean_prices = prices.mean(axis=1)
    best = _Best()
    while True:
        round_started = time.perf_counter()
        relaxed = [relaxed_block(problem.assets, c, mean_prices) for c in clusters]
        upper = _solve_or_none(problem, relaxed, solver, deadline, best.upper_fen < np.inf)
        if upper is None or not upper.outcome.optimal:  # only an optimum is a proven bound
            if best.upper_fen == np.inf:
                raise SolverFailed(solver, "relaxed cluster LP not solved to optimality in time")
            break
        best.upper_fen = min(best.upper_fen, upper.outcome.bound)
        restricted = [restricted_block(problem.assets, c, mean_prices) for c in clusters]
        try:
            lower = _solve_or_none(problem, restricted, solver, deadline, True)
        except InfeasibleProblem:
            lower = None
        if lower is not None and (best.lower is None or _better(lower, best.lower)):
            best.lower, best.clusters = lower, clusters
        gap = _gap(best)
        finest = all(len(c.members) == 1 for c in clusters)
        elapsed = time.perf_counter() - round_started
        if (
            gap <= gap_target
            or finest
            or deadline - time.perf_counter() < ITERATION_GROWTH * elapsed
        ):
            break
        refined = _refine(features, clusters, upper, lower)
        if len(refined) == len(clusters):
            break  # only single assets carry the gap: finer clusters cannot help
        clusters = refined
    return _plans(problem, best, solver, time.perf_counter() - started)


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
    """Disaggregate the best restricted solution: member plan = share x cluster plan."""
    if best.lower is None or best.clusters is None:
        raise SolverFailed(f"{solver}/aggregated", "no restricted plan within the time limit")
    shape = (len(problem.scenarios), INTERVALS_PER_DAY)
    plans = {asset.asset_id: np.zeros(shape) for asset in problem.assets}
    for cluster, net in zip(best.clusters, best.lower.block_net_kw, strict=True):
        member_weights = weights(problem.assets, cluster)
        shares = member_weights / member_weights.sum()
        for index, share in zip(cluster.members, shares, strict=True):
            plans[problem.assets[index].asset_id] = share * net
    lower = best.lower.outcome.objective
    upper = max(best.upper_fen, lower)
    name = f"{best.lower.outcome.solver}/aggregated({len(best.clusters)} clusters)"
    gap = (upper - lower) / max(abs(upper), 1.0)
    outcome = LpOutcome(name, gap == 0.0, lower, upper, gap, seconds)
    return AggregatedPlans(best.lower.quantity_kw, plans, outcome)
