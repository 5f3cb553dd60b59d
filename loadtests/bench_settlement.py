"""Time settlement (settlement.rules.settle_day) of a large synthetic portfolio over many days.

The issue's goal: 10,000 assets x 96 intervals x 30 days settled in <= 10 s. Each day
gets a seeded set of metered rows (baseline, metered, instruction; some estimated) for
every asset and interval, built as columns (MeteredColumns, one numpy array per field),
an award with a clearing price in each awarded interval, and is settled by the pure rules
exactly as SettlementService does (minus Redis and gRPC). Building the inputs is timed
apart from settling them. Prints figures; asserts only that every day's money adds up to
the fen.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import date, timedelta

import numpy as np

from settlement.performance import MeteredColumns
from settlement.program import DEFAULT_PROGRAM
from settlement.rules import IntervalAward, settle_day

FIRST_DAY = date(2026, 3, 2)


def day_inputs(
    seed: int, assets: int, enterprises: int, awarded: int
) -> tuple[MeteredColumns, dict[int, IntervalAward]]:
    """Rows of every asset in all 96 intervals, instructed in the last `awarded` ones.

    Built as columns (MeteredColumns), one array per field, as a large caller would.
    """
    rng = np.random.default_rng(seed)
    first_awarded = 96 - awarded
    baseline = rng.uniform(50.0, 2_000.0, size=(assets, 96))
    instructed = np.where(
        np.arange(96) >= first_awarded, baseline * rng.uniform(0.05, 0.3, (assets, 1)), 0.0
    )
    compliance = rng.uniform(0.3, 1.3, size=(assets, 96))
    metered = baseline - instructed * compliance + rng.normal(0.0, 5.0, size=(assets, 96))
    estimated = rng.random((assets, 96)) < 0.002
    rows = MeteredColumns(
        asset_ids=[f"asset-{a:05d}" for a in range(assets)],
        enterprise_ids=[f"ent-{a % enterprises:04d}" for a in range(assets)],
        asset_index=np.repeat(np.arange(assets), 96),
        interval=np.tile(np.arange(96), assets),
        baseline_kw=baseline.ravel(),
        metered_kw=metered.ravel(),
        instructed_kw=instructed.ravel(),
        estimated=estimated.ravel(),
    )
    total_kw = instructed.sum(axis=0)
    prices = rng.integers(200_000, 1_500_000, size=96)
    awards = {
        i: IntervalAward(i, float(total_kw[i]), int(prices[i])) for i in range(first_awarded, 96)
    }
    return rows, awards


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--enterprises", type=int, default=500)
    parser.add_argument(
        "--awarded-intervals", type=int, default=96, help="instructed intervals per day (1..96)"
    )
    args = parser.parse_args(argv)
    print(
        f"bench_settlement on {os.cpu_count()} cores ({platform.machine()}): {args.assets:,} "
        f"assets x 96 intervals x {args.days} days, {args.enterprises} enterprises, "
        f"{args.awarded_intervals} awarded intervals a day",
        flush=True,
    )
    build_s = settle_s = 0.0
    rows_total = 0
    for n in range(args.days):
        day = FIRST_DAY + timedelta(days=n)
        started = time.perf_counter()
        rows, awards = day_inputs(n, args.assets, args.enterprises, args.awarded_intervals)
        built = time.perf_counter()
        settled = settle_day(day, rows, awards, DEFAULT_PROGRAM)
        done = time.perf_counter()
        shares = sum(e.amount_fen for e in settled.enterprises)
        assert shares + settled.operator_fee_fen == settled.net_pool_fen, "money does not add up"
        assert int(settled.lines["amount_fen"].sum()) == shares, "lines do not add up"
        build_s += built - started
        settle_s += done - built
        rows_total += len(rows)
        print(
            f"  {day}: {len(rows):,} rows settled in {done - built:6.2f} s "
            f"(gross {settled.gross_payment_fen:,} fen, {len(settled.enterprises)} enterprises)",
            flush=True,
        )
    print(
        f"settled {rows_total:,} rows in {settle_s:.1f} s ({rows_total / settle_s:,.0f} rows/s, "
        f"{settle_s / args.days:.2f} s a day); building the inputs took {build_s:.1f} s; "
        f"goal for 10,000 x 96 x 30: <= 10 s",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
