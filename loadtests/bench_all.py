"""`python -m loadtests bench`: every benchmark in turn, each printing its figures.

Runs each benchmark module in its own process (so one's memory and threads do not
colour the next), echoes its output, and ends with a summary of wall times and exit
codes, all headed by the machine's core count. `--quick` uses small sizes (a few
minutes in all on 2 cores); without it each runs at the sizes its README line states.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time

#: (name, arguments at stated sizes, arguments with --quick)
BENCHMARKS: tuple[tuple[str, list[str], list[str]], ...] = (
    (
        "bench_bidding",
        ["--loads", "50", "--batteries", "10", "--scenarios", "10"],
        ["--loads", "20", "--batteries", "4", "--scenarios", "5"],
    ),
    (
        "bench_bidding_scale",
        ["--assets", "1000", "5000", "10000"],
        ["--assets", "200", "--time-limit", "30"],
    ),
    (
        "bench_dispatch_scale",
        ["--assets", "1000", "10000"],
        ["--assets", "200", "--time-limit", "30"],
    ),
    (
        "bench_ingest",
        ["--assets", "200", "--days", "2", "--batch", "500"],
        ["--assets", "50", "--days", "1", "--batch", "500"],
    ),
    (
        "bench_echo",
        ["--rate", "1000", "--duration", "30"],
        ["--rate", "500", "--duration", "5"],
    ),
    (
        "bench_flexibility",
        ["--assets", "10000", "--days", "14"],
        ["--assets", "1000", "--days", "3"],
    ),
    (
        "bench_settlement",
        ["--assets", "10000", "--days", "30"],
        ["--assets", "1000", "--days", "2"],
    ),
    (
        "bench_ledger",
        ["--clients", "4"],
        ["--clients", "2", "--rounds", "500"],
    ),
    (
        "bench_rss_pauses",
        ["--pauses", "2", "--pause-s", "30"],
        ["--pauses", "1", "--pause-s", "10", "--settle-s", "10", "--assets", "100"],
    ),
    (
        "chaos",
        ["--kills", "100"],
        ["--kills", "9"],
    ),
    (
        "loadgen",
        ["run", "--stack", "up", "--rate", "1000", "--duration", "60", "--processes", "2"],
        ["run", "--stack", "up", "--rate", "200", "--duration", "15"],
    ),
)


def _command(name: str, args: list[str]) -> list[str]:
    if name == "loadgen":
        return [sys.executable, "-m", "loadtests", *args]
    return [sys.executable, "-m", f"loadtests.{name}", *args]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtests bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, a few minutes")
    parser.add_argument("--only", nargs="+", choices=[b[0] for b in BENCHMARKS], default=[])
    args = parser.parse_args(argv)
    print(
        f"ParkVPP benchmarks on {os.cpu_count()} cores, {platform.machine()}, "
        f"Python {platform.python_version()} ({'quick' if args.quick else 'stated'} sizes)",
        flush=True,
    )
    results = []
    for name, stated, quick in BENCHMARKS:
        if args.only and name not in args.only:
            continue
        command = _command(name, quick if args.quick else stated)
        print(f"\n=== {name}: {' '.join(command[2:])}", flush=True)
        started = time.perf_counter()
        code = subprocess.run(command, check=False).returncode
        results.append((name, code, time.perf_counter() - started))
    print(f"\n=== summary ({os.cpu_count()} cores)")
    for name, code, seconds in results:
        print(f"  {name:<22} {'ok' if code == 0 else f'exit {code}':<8} {seconds:8.1f} s")
    return max((code for _, code, _ in results), default=0)


if __name__ == "__main__":
    raise SystemExit(main())
