"""Dispatch of an award over 1,000-10,000 assets: seconds, cost, proven bound, gap, shortfall.

The award is what a park could have been called for: 80% of the portfolio-wide total of
a random plan that keeps every asset rule (each load one event in 16:00-21:00 at a
random level with its rebound, each battery discharging evenly over the evening), so
a plan without shortfall exists; each shiftable run (`--shiftable-share`, default 10%)
moved to a random start of its window. Column generation by default; `--method auto` is what
the VPP service does (the MILP, falling back to columns when it finds no plan in its
time limit) and `--method milp` the MILP alone (which finds no plan at 100 assets).

    python -m loadtests.bench_dispatch_scale --assets 1000 10000
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from bidding.assets import CurtailableLoadSpec
from bidding.dispatch_plan import event_intervals
from bidding.shiftable import run_placements
from services.terminal import progress

EVENING = (64, 84)  # 16:00-21:00
AWARD_SHARE = 0.8


def portfolio(assets: int, seed: int, battery_share: float, shiftable_share: float = 0.0):
    """bench_bidding's synthetic loads, batteries and shiftable runs."""
    from loadtests.bench_bidding import synthetic_batteries, synthetic_loads, synthetic_runs

    rng = np.random.default_rng(seed)
    batteries = round(assets * battery_share)
    runs = round(assets * shiftable_share)
    return (
        synthetic_loads(assets - batteries - runs, rng)
        + synthetic_batteries(batteries, rng)
        + synthetic_runs(runs, rng)
    )


def feasible_award(assets, seed: int) -> np.ndarray:
    """AWARD_SHARE of a random rule-keeping plan's total net reduction (kW, 96)."""
    rng = np.random.default_rng(seed + 1)
    total = np.zeros(96)
    for asset in assets:
        spec, up = asset.spec, asset.envelope.up_kw
        if asset.run is not None:
            placements = run_placements(asset.run)
            total += placements.reduction_kw[int(rng.integers(len(placements.start)))]
        elif isinstance(spec, CurtailableLoadSpec):
            shortest, longest = event_intervals(spec.min_event_minutes, spec.max_event_minutes)
            length = int(rng.integers(shortest, longest + 1))
            start = int(rng.integers(EVENING[0], EVENING[1] - length + 1))
            if start + 2 * length > 96 or not (up[start : start + length] > 0).all():
                continue
            shed = up[start : start + length] * float(rng.uniform(0.2, 1.0))
            total[start : start + length] += shed
            rebound = spec.rebound_fraction * float(shed.sum()) / length
            total[start + length : start + 2 * length] -= rebound
        else:
            hours = (EVENING[1] - EVENING[0]) / 4
            usable = (spec.initial_soc - spec.soc_min) * spec.energy_capacity_kwh
            kw = min(spec.max_discharge_kw, usable * spec.discharge_efficiency / hours)
            total[EVENING[0] : EVENING[1]] += kw
    return np.where(total > 0, np.round(total * AWARD_SHARE, 3), 0.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assets", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--battery-share", type=float, default=0.1)
    parser.add_argument("--shiftable-share", type=float, default=0.1)
    parser.add_argument("--time-limit", type=float, default=120.0, help="per size, seconds")
    parser.add_argument("--method", choices=("auto", "milp", "columns"), default="columns")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    from bidding.dispatch import disaggregate

    print(
        f"{'assets':>7} {'method':>8} {'seconds':>8} {'awarded MWh':>12} {'cost CNY':>12}"
        f" {'bound CNY':>12} {'gap':>8} {'short kWh':>10} {'runs moved':>10} {'cores':>5}"
    )
    with progress("sizes", len(args.assets)) as advance:
        for count in args.assets:
            assets = portfolio(count, args.seed, args.battery_share, args.shiftable_share)
            award = feasible_award(assets, args.seed)
            awarded = {int(t): float(award[t]) for t in np.flatnonzero(award)}
            started = time.perf_counter()
            plan = disaggregate(
                awarded, assets, time_limit_seconds=args.time_limit, method=args.method
            )
            seconds = time.perf_counter() - started
            bound = plan.cost_fen / (1 + plan.relative_gap)
            print(
                f"{count:>7} {plan.method:>8} {seconds:>8.1f} {award.sum() / 4000:>12,.1f}"
                f" {plan.cost_fen / 100:>12,.2f} {bound / 100:>12,.2f}"
                f" {100 * plan.relative_gap:>7.3f}% {plan.shortfall_kwh:>10,.1f}"
                f" {len(plan.run_starts):>10,} {os.cpu_count():>5}",
                flush=True,
            )
            advance(1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
