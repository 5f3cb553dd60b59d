"""Time build_bids on 1,000-10,000 mixed assets: objective, proven bound and gap per size.

The bound is the column generation's Lagrangian bound (`bidding.column_generation`): no
plan within the assets' rules earns more, so the gap printed is proven, not estimated.
Each plan's value is also recomputed from its per-asset plans and the prices alone (the
"replayed" column), so the objective printed is what the plans are worth.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from bidding.intervals import INTERVAL_HOURS
from services.terminal import progress

_FEN_PER_KW_INTERVAL = INTERVAL_HOURS / 1000


def portfolio(
    assets: int, scenarios: int, seed: int, battery_share: float, shiftable_share: float = 0.0
):
    """Synthetic park: curtailable loads plus `battery_share` batteries and `shiftable_share`
    shiftable process runs (bench_bidding's kinds)."""
    from bidding.offer_model import BidProblem
    from bidding.offers import default_scenarios
    from loadtests.bench_bidding import (
        MARKET_DAY,
        synthetic_batteries,
        synthetic_loads,
        synthetic_runs,
    )

    rng = np.random.default_rng(seed)
    batteries = round(assets * battery_share)
    runs = round(assets * shiftable_share)
    parts = (
        synthetic_loads(assets - batteries - runs, rng)
        + synthetic_batteries(batteries, rng)
        + synthetic_runs(runs, rng)
    )
    return BidProblem(MARKET_DAY, parts, default_scenarios(MARKET_DAY, count=scenarios, seed=seed))


def replayed_value(problem, solution) -> float:
    """The plans' expected value from the prices and the assets' costs alone (fen).

    Reduction at the scenario's price; energy drawn back at the higher of that and the
    scenarios' mean price (the bid model's rule, `bidding.column_generation`); a moved run
    pays its move cost.
    """
    from bidding.assets import CurtailableLoadSpec
    from bidding.process_runs import move_cost_fen

    prices = np.array([s.price_fen_per_mwh for s in problem.scenarios], dtype=float)
    probabilities = np.array([s.probability for s in problem.scenarios])
    weight = probabilities[:, None] * _FEN_PER_KW_INTERVAL
    drawn = np.maximum(prices, (probabilities @ prices)[None, :])
    value = 0.0
    for asset in problem.assets:
        plan = solution.scenario_asset_reduction_kw[asset.asset_id]
        up, down = np.maximum(plan, 0.0), np.maximum(-plan, 0.0)
        if isinstance(asset.spec, CurtailableLoadSpec):
            cost = asset.spec.curtailment_cost_fen_per_mwh
            value += float((weight * ((prices - cost) * up - drawn * down)).sum())
        elif asset.run is not None:
            value += float((weight * (prices * up - drawn * down)).sum())
            for p, start in zip(
                probabilities, solution.scenario_starts[asset.asset_id], strict=True
            ):
                if start is not None:
                    value -= p * move_cost_fen(asset.run, asset.run.baseline_profile_index, start)
        else:
            wear = asset.spec.degradation_cost_fen_per_mwh
            value += float((weight * ((prices - wear) * up - drawn * down)).sum())
    return value


def _moved(solution) -> str:
    """Runs moved in at least one scenario, of all runs: "moved/runs"."""
    starts = solution.scenario_starts
    moved = sum(any(s is not None for s in per) for per in starts.values())
    return f"{moved}/{len(starts)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assets", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--scenarios", type=int, default=10)
    parser.add_argument("--battery-share", type=float, default=0.1)
    parser.add_argument(
        "--shiftable-share", type=float, default=0.1, help="share of shiftable process runs"
    )
    parser.add_argument("--time-limit", type=float, default=120.0, help="per size, seconds")
    parser.add_argument("--solver", default="HIGHS")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    from bidding.offers import build_bids

    print(
        f"{'assets':>7} {'scen':>5} {'seconds':>8} {'objective fen':>16} {'replayed fen':>16}"
        f" {'bound fen':>16} {'gap':>8} {'runs moved':>10}  {'solver':<40} {'cores':>5}"
    )
    with progress("sizes", len(args.assets)) as advance:
        for count in args.assets:
            problem = portfolio(
                count, args.scenarios, args.seed, args.battery_share, args.shiftable_share
            )
            started = time.perf_counter()
            solution = build_bids(problem, args.solver, args.time_limit)
            seconds = time.perf_counter() - started
            print(
                f"{count:>7} {args.scenarios:>5} {seconds:>8.1f} {solution.objective_fen:>16,.0f}"
                f" {replayed_value(problem, solution):>16,.0f} {solution.bound_fen:>16,.0f}"
                f" {solution.relative_gap:>8.3%} {_moved(solution):>10}"
                f"  {solution.solver:<40} {os.cpu_count():>5}",
                flush=True,
            )
            advance(1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
