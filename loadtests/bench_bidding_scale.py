"""Time build_bids on 1,000-10,000 mixed assets; check one LP against an independent highspy."""

from __future__ import annotations

import argparse
import os
import pickle
import subprocess
import sys
import time

import numpy as np

from bidding.intervals import INTERVAL_HOURS, INTERVALS_PER_DAY

# highspy and OR-Tools each bundle HiGHS and cannot share a process (whichever loads first
# wins the symbols), so the highspy solve runs in a child that never imports OR-Tools.
_FEN_PER_KW_INTERVAL = INTERVAL_HOURS / 1000
# --method -> build_bids' aggregate_above_assets ("auto" is replaced by its default).
_THRESHOLDS: dict[str, int | None] = {"auto": None, "monolithic": None, "aggregated": 0}


def portfolio(assets: int, scenarios: int, seed: int, battery_share: float):
    """Synthetic park: curtailable loads plus `battery_share` batteries (bench_bidding's kinds)."""
    from bidding.offer_model import BidProblem
    from bidding.offers import default_scenarios
    from loadtests.bench_bidding import MARKET_DAY, synthetic_batteries, synthetic_loads

    rng = np.random.default_rng(seed)
    batteries = round(assets * battery_share)
    parts = synthetic_loads(assets - batteries, rng) + synthetic_batteries(batteries, rng)
    return BidProblem(MARKET_DAY, parts, default_scenarios(MARKET_DAY, count=scenarios, seed=seed))


class _Triplets:
    """Columns and rows of an LP collected as arrays, handed to highspy in one call."""

    def __init__(self) -> None:
        self.cost: list[float] = []
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.row_lower: list[float] = []
        self.row_upper: list[float] = []
        self.entries: list[tuple[int, int, float]] = []

    def col(self, cost: float, lower: float, upper: float) -> int:
        self.cost.append(cost)
        self.lower.append(lower)
        self.upper.append(upper)
        return len(self.cost) - 1

    def row(self, lower: float, upper: float, terms: list[tuple[int, float]]) -> None:
        r = len(self.row_lower)
        self.row_lower.append(lower)
        self.row_upper.append(upper)
        self.entries.extend((r, c, v) for c, v in terms)


def _plain(problem, windows: dict) -> dict:
    """The problem and the loads' event windows as plain numbers for the highspy child."""
    return {
        "scenarios": [(s.probability, np.asarray(s.price_fen_per_mwh)) for s in problem.scenarios],
        "assets": [
            (
                type(a.spec).__name__,
                a.spec,
                a.envelope,
                [(w.start, w.length) for w in windows.get(a.asset_id, ())],
            )
            for a in problem.assets
        ],
    }


def _write_lp(plain: dict) -> _Triplets:
    """The bid LP with the loads' event windows fixed, written again from the problem's data."""
    lp, inf = _Triplets(), float("inf")
    nets: list[list[list[tuple[int, float]]]] = []
    for probability, price_row in plain["scenarios"]:
        price = np.asarray(price_row, dtype=float)
        w = probability * _FEN_PER_KW_INTERVAL
        net: list[list[tuple[int, float]]] = [[] for _ in range(INTERVALS_PER_DAY)]
        for kind, spec, env, windows in plain["assets"]:
            if kind != "BatterySpec":
                # One call fraction x in [0, 1] per event window: sheds x * up kW in the
                # window, draws x * rebound * shed energy back evenly over the next
                # `length` intervals.
                for start, length in windows:
                    profile = np.zeros(INTERVALS_PER_DAY)
                    profile[start : start + length] = env.up_kw[start : start + length]
                    shed_kw = profile.sum()
                    if spec.rebound_fraction > 0:
                        back = spec.rebound_fraction * shed_kw / length
                        profile[start + length : start + 2 * length] = -back
                    value = price @ profile - spec.curtailment_cost_fen_per_mwh * shed_kw
                    x = lp.col(w * value, 0.0, 1.0)
                    for t in np.flatnonzero(profile):
                        net[t].append((x, float(profile[t])))
                continue
            start = spec.initial_soc * spec.energy_capacity_kwh
            previous = None
            for t in range(INTERVALS_PER_DAY):
                d = lp.col(w * (price[t] - spec.degradation_cost_fen_per_mwh), 0, env.up_kw[t])
                c = lp.col(-w * price[t], 0.0, float(env.down_kw[t]))
                low = float(env.stored_energy_min_kwh[t])
                low = max(low, start) if t == INTERVALS_PER_DAY - 1 else low
                e = lp.col(0.0, low, float(env.stored_energy_max_kwh[t]))
                flows = [(e, 1.0), (c, -spec.charge_efficiency * INTERVAL_HOURS)]
                flows.append((d, INTERVAL_HOURS / spec.discharge_efficiency))
                rhs = start if previous is None else 0.0
                lp.row(rhs, rhs, flows + ([] if previous is None else [(previous, -1.0)]))
                net[t] += [(d, 1.0), (c, -1.0)]
                previous = e
        nets.append(net)  # Q[s,t] is the sum of net reductions; linking is written on it
    prices = np.rint([price for _, price in plain["scenarios"]])
    for t in range(INTERVALS_PER_DAY):
        order = np.argsort(prices[:, t], kind="stable")
        for low, high in zip(order, order[1:], strict=False):
            upper = 0.0 if prices[low, t] == prices[high, t] else inf
            terms = nets[high][t] + [(c, -v) for c, v in nets[low][t]]
            lp.row(0.0, upper, terms)
    return lp


def _highspy_child() -> int:
    """Read a plain problem on stdin, solve it with highspy, print objective and seconds."""
    try:
        import highspy
    except ImportError:
        print("missing")
        return 0
    started = time.perf_counter()
    lp = _write_lp(pickle.load(sys.stdin.buffer))
    rows, cols, vals = (np.array(x) for x in zip(*lp.entries, strict=True))
    order = np.lexsort((rows, cols))
    model = highspy.HighsLp()
    model.num_col_, model.num_row_ = len(lp.cost), len(lp.row_lower)
    model.col_cost_, model.col_lower_, model.col_upper_ = lp.cost, lp.lower, lp.upper
    model.row_lower_, model.row_upper_ = lp.row_lower, lp.row_upper
    model.sense_ = highspy.ObjSense.kMaximize
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = np.searchsorted(cols[order], np.arange(len(lp.cost) + 1))
    model.a_matrix_.index_, model.a_matrix_.value_ = rows[order], vals[order]
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.passModel(model)
    highs.run()
    objective = highs.getInfo().objective_function_value
    print(objective, time.perf_counter() - started, highs.version())
    return 0


def highspy_check(problem, solver: str) -> str:
    """OR-Tools (build_bids, monolithic) vs highspy on the same problem: objectives, time ratio."""
    from bidding.offers import build_bids

    started = time.perf_counter()
    ours = build_bids(problem, solver=solver, time_limit_seconds=600, aggregate_above_assets=None)
    ours_s = time.perf_counter() - started
    child = subprocess.run(
        [sys.executable, "-m", "loadtests.bench_bidding_scale", "--highspy-child"],
        input=pickle.dumps(_plain(problem, ours.windows)),
        capture_output=True,
        check=True,
    )
    words = child.stdout.decode().split()
    if words[:1] == ["missing"]:
        return "highspy not installed (pip install highspy; benchmark-only, not a dependency)"
    theirs, theirs_s = float(words[0]), float(words[1])
    diff = abs(ours.objective_fen - theirs) / max(1.0, abs(theirs))
    return (
        f"{len(problem.assets)} assets, event-window LP: OR-Tools {ours.solver} "
        f"{ours.objective_fen:,.0f} fen in {ours_s:.2f} s (build+solve) | highspy {words[2]} "
        f"{theirs:,.0f} fen in {theirs_s:.2f} s (build+solve) | relative difference {diff:.1e} | "
        f"time ratio OR-Tools/highspy {ours_s / theirs_s:.2f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assets", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--scenarios", type=int, default=10)
    parser.add_argument("--battery-share", type=float, default=0.1)
    parser.add_argument("--time-limit", type=float, default=120.0, help="per size, seconds")
    parser.add_argument("--check-assets", type=int, default=200, help="highspy check size")
    parser.add_argument("--solver", default="HIGHS")
    parser.add_argument(
        "--method",
        choices=sorted(_THRESHOLDS),
        default="auto",
        help="auto: build_bids' default size threshold; or force one method",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--highspy-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.highspy_child:
        return _highspy_child()
    from bidding.offers import DEFAULT_AGGREGATE_ABOVE_ASSETS, build_bids

    threshold = _THRESHOLDS[args.method]
    if args.method == "auto":
        threshold = DEFAULT_AGGREGATE_ABOVE_ASSETS
    print(
        f"{'assets':>7} {'scen':>5} {'seconds':>8} {'objective fen':>16} {'bound fen':>16}"
        f" {'gap':>8} {'method':<11} {'solver':<32} {'cores':>5}"
    )
    for count in args.assets:
        problem = portfolio(count, args.scenarios, args.seed, args.battery_share)
        started = time.perf_counter()
        solution = build_bids(problem, args.solver, args.time_limit, threshold)
        seconds = time.perf_counter() - started
        method = "aggregated" if "aggregated" in solution.solver else "per-asset"
        print(
            f"{count:>7} {args.scenarios:>5} {seconds:>8.1f} {solution.objective_fen:>16,.0f}"
            f" {solution.bound_fen:>16,.0f} {solution.relative_gap:>8.2%}"
            f" {method:<11} {solution.solver:<32} {os.cpu_count():>5}",
            flush=True,
        )
    check = portfolio(args.check_assets, args.scenarios, args.seed, args.battery_share)
    print("highspy check:", highspy_check(check, args.solver))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
