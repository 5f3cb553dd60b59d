"""Time the day-ahead bid LP (`bidding.offers.build_bids`) on a synthetic portfolio."""

from __future__ import annotations

import argparse
import os
import time
from datetime import date

import numpy as np

from bidding.assets import AvailabilityWindow, BatterySpec, CurtailableLoadSpec, ShiftableLoadSpec
from bidding.flexibility import battery_envelope, curtailable_envelope
from bidding.intervals import INTERVALS_PER_DAY
from bidding.lp import DEFAULT_SOLVER
from bidding.offer_model import BidAsset, BidProblem
from bidding.offers import build_bids, default_scenarios
from bidding.shiftable import run_envelope, run_placements, shiftable_run

MARKET_DAY = date(2025, 7, 15)  # a Tuesday: working-day availability windows apply


def synthetic_loads(count: int, rng: np.random.Generator) -> list[BidAsset]:
    """Curtailable loads of 100-800 kW, available on working days 08:00-22:00."""
    assets = []
    working_day = (AvailabilityWindow((1, 2, 3, 4, 5), 32, 88),)
    for n in range(count):
        draw_kw = float(rng.uniform(200.0, 1500.0))
        spec = CurtailableLoadSpec(
            max_curtailment_kw=round(draw_kw * float(rng.uniform(0.2, 0.6)), 1),
            min_event_minutes=30,
            max_event_minutes=int(rng.choice([60, 120, 180])),
            max_events_per_day=int(rng.integers(1, 4)),
            notification_lead_minutes=60,
            rebound_fraction=float(rng.uniform(0.0, 0.5)),
            availability=working_day,
            curtailment_cost_fen_per_mwh=int(rng.integers(50_000, 600_000)),
        )
        shape = 0.6 + 0.4 * np.sin(np.linspace(0.0, np.pi, INTERVALS_PER_DAY))
        forecast_kw = draw_kw * shape * rng.uniform(0.9, 1.1, INTERVALS_PER_DAY)
        asset_id = f"load-{n:05d}"
        envelope = curtailable_envelope(asset_id, spec, MARKET_DAY, forecast_kw)
        assets.append(BidAsset(asset_id, f"ent-{n % 20:03d}", spec, envelope))
    return assets


def synthetic_batteries(count: int, rng: np.random.Generator) -> list[BidAsset]:
    """Batteries of 0.5-4 MWh at 0.5C, 90% round trip, starting half full."""
    assets = []
    for n in range(count):
        capacity_kwh = float(rng.uniform(500.0, 4000.0))
        spec = BatterySpec.from_round_trip(
            energy_capacity_kwh=capacity_kwh,
            max_charge_kw=capacity_kwh / 2,
            max_discharge_kw=capacity_kwh / 2,
            round_trip_efficiency=0.9,
            soc_min=0.1,
            soc_max=0.95,
            initial_soc=0.5,
            degradation_cost_fen_per_mwh=int(rng.integers(20_000, 80_000)),
        )
        asset_id = f"battery-{n:04d}"
        assets.append(
            BidAsset(asset_id, f"ent-{n % 20:03d}", spec, battery_envelope(asset_id, spec))
        )
    return assets


def synthetic_runs(count: int, rng: np.random.Generator) -> list[BidAsset]:
    """Shiftable process runs of 30 min-3 h at 200-2,000 kW (furnace heats, mills, pumping),
    each run where its meter history has it (06:00-21:00) and movable 1-8 h either way
    within the day (`bidding.shiftable.shiftable_run` on a forecast with the run in it)."""
    assets = []
    for n in range(count):
        length = int(rng.integers(2, 13))
        kw = float(rng.uniform(200.0, 2000.0))
        baseline = int(rng.integers(24, 84 - length + 1))
        earliest = max(0, baseline - int(rng.integers(4, 33)))
        latest_end = min(INTERVALS_PER_DAY, baseline + length + int(rng.integers(4, 33)))
        spec = ShiftableLoadSpec(
            energy_per_run_kwh=round(kw * length / 4, 1),
            run_duration_minutes=15 * length,
            earliest_start_interval=earliest,
            latest_end_interval=latest_end,
            power_kw=round(kw, 1) + 0.1,
        )
        forecast_kw = np.full(INTERVALS_PER_DAY, 0.05 * kw)
        forecast_kw[baseline : baseline + length] += kw
        run = shiftable_run(spec, forecast_kw)
        asset_id = f"run-{n:05d}"
        envelope = run_envelope(asset_id, run_placements(run) if run else None)
        assets.append(BidAsset(asset_id, f"ent-{n % 20:03d}", spec, envelope, run))
    return assets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loads", type=int, default=50, help="curtailable loads")
    parser.add_argument("--batteries", type=int, default=10)
    parser.add_argument("--scenarios", type=int, default=10, help="price scenarios")
    parser.add_argument("--solver", default=DEFAULT_SOLVER, help="OR-Tools LP backend")
    parser.add_argument("--time-limit", type=float, default=60.0, help="solver limit, seconds")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.loads < 0 or args.batteries < 0 or args.loads + args.batteries == 0:
        parser.error("need at least one load or battery, and no negative counts")

    rng = np.random.default_rng(args.seed)
    assets = synthetic_loads(args.loads, rng) + synthetic_batteries(args.batteries, rng)
    scenarios = default_scenarios(MARKET_DAY, count=args.scenarios, seed=args.seed)
    problem = BidProblem(MARKET_DAY, assets, scenarios)

    started = time.perf_counter()
    solution = build_bids(problem, solver=args.solver, time_limit_seconds=args.time_limit)
    wall_s = time.perf_counter() - started

    offered = sum(len(steps) for steps in solution.curves.values())
    print("bench_bidding: build_bids on a synthetic portfolio")
    print(f"  cores              {os.cpu_count()}")
    print(f"  assets             {len(assets)} ({args.loads} loads, {args.batteries} batteries)")
    print(f"  scenarios          {args.scenarios}")
    print(f"  solver             {solution.solver}")
    print(f"  build+solve s      {wall_s:.3f}")
    print(f"  solve s            {solution.solve_seconds:.3f}")
    print(f"  objective fen      {solution.objective_fen:,.0f}")
    print(f"  bound fen          {solution.bound_fen:,.0f}")
    print(f"  relative gap       {solution.relative_gap:.2e}")
    print(f"  expected rev fen   {solution.expected_revenue_fen:,}")
    print(f"  offer steps        {offered} over {len(solution.curves)} intervals")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
