"""Chaos runner: kill -9 the processes of `parkvpp up` at seeded moments under load, count losses.

Starts the stack as `parkvpp up` does (one process per service, embedded Valkey with AOF
and the embedded memory-only broker, supervised) in a data folder, sets up a small park
(loads, batteries, a PV generator, certificates of one metered PV day) and runs workers
that stream past meter readings, enrol and approve assets, clear future demand-response
days and settle green-power trades, each call repeated until it is acknowledged. Meanwhile
a seeded plan kills (SIGKILL) one process after another among the seven services, Valkey
and the broker (each kind in turn, shuffled), each after a seeded pause, and waits until
the supervisor has it back and every service is SERVING before the next pause.

After the last kill the workers stop, the runner waits until the stack has converged
(outbox and retained log drained, readings rolled up, cleared days dispatched) and then
counts, per kind, what was acknowledged and is missing (lost) or counted twice or other
than acknowledged (diverged); see loadtests/_chaos_checks.py.

    python -m loadtests.chaos --kills 100 --seed 7
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import redis

from loadtests._chaos_checks import KINDS, Findings, verdict, wait_converged
from loadtests._chaos_park import Park
from services.launcher import Stack
from services.runtime.outbox import BROKER_EPOCH_KEY
from services.runtime.settings import SERVICE_NAMES, load_settings
from services.runtime.store import connect

PROCESSES = (*SERVICE_NAMES, "valkey", "broker")


@dataclass(frozen=True)
class Kill:
    process: str
    #: Pause before the kill, after the previous one recovered.
    after_s: float


def kill_plan(kills: int, seed: int, min_gap_s: float, max_gap_s: float) -> list[Kill]:
    """`kills` kills: every process once per round of len(PROCESSES), shuffled, seeded."""
    rng = random.Random(seed)
    order: list[str] = []
    while len(order) < kills:
        round_ = list(PROCESSES)
        rng.shuffle(round_)
        order.extend(round_)
    return [Kill(p, round(rng.uniform(min_gap_s, max_gap_s), 2)) for p in order[:kills]]


@dataclass
class ChaosReport:
    """What a chaos run did and found; `lost_total` and `diverged_total` must be 0."""

    seed: int
    kills: Counter[str] = field(default_factory=Counter)
    recovery_s: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    findings: Findings = field(default_factory=Findings)
    converged: bool = False
    #: Phase -> seconds: setup, chaos, convergence, checks, and the whole run.
    seconds: dict[str, float] = field(default_factory=dict)
    #: (method, status) of attempts that failed and were sent again by the workers, and
    #: UNAVAILABLE answers the client's interceptor waited out, per method.
    failed_calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    unavailable_retried: Counter[str] = field(default_factory=Counter)
    refused: list[str] = field(default_factory=list)
    cores: int = os.cpu_count() or 1

    @property
    def lost_total(self) -> int:
        return sum(self.findings.lost.values())

    @property
    def diverged_total(self) -> int:
        return sum(self.findings.diverged.values())

    def table(self) -> str:
        s = self.seconds
        lines = [
            f"chaos run: {sum(self.kills.values())} kills, seed {self.seed}, {self.cores} cores, "
            f"wall {s.get('total', 0):.1f} s (setup {s.get('setup', 0):.1f}, chaos "
            f"{s.get('chaos', 0):.1f}, convergence {s.get('convergence', 0):.1f}, checks "
            f"{s.get('checks', 0):.1f})",
            "",
            f"{'process':<14}{'kills':>6}{'back after s (mean)':>21}{'max':>8}",
        ]
        for name in PROCESSES:
            back = self.recovery_s.get(name, [])
            mean = sum(back) / len(back) if back else 0.0
            lines.append(
                f"{name:<14}{self.kills[name]:>6}{mean:>21.1f}{max(back, default=0):>8.1f}"
            )
        f = self.findings
        lines += ["", f"{'kind':<14}{'acknowledged':>13}{'lost':>7}{'diverged':>10}"]
        for kind in KINDS:
            lines.append(
                f"{kind:<14}{f.acknowledged[kind]:>13}{f.lost[kind]:>7}{f.diverged[kind]:>10}"
            )
        lines.append(f"{'total':<14}{'':>13}{self.lost_total:>7}{self.diverged_total:>10}")
        lines.append("")
        lines.append(f"converged: {'yes' if self.converged else 'NO (deadline passed)'}")
        failed = ", ".join(f"{m} {c} x{n}" for (m, c), n in sorted(self.failed_calls.items()))
        lines.append(f"failed attempts sent again: {failed or 'none'}")
        waited = ", ".join(
            f"{m.rsplit('/', 1)[-1]} x{n}" for m, n in sorted(self.unavailable_retried.items())
        )
        lines.append(f"UNAVAILABLE answers waited out by the client: {waited or 'none'}")
        lines.append(f"refused for good: {len(self.refused)}")
        lines += [f"  {line}" for line in self.refused[:5]]
        if f.details:
            lines.append("first problems:")
            lines += [f"  {line}" for line in f.details]
        return "\n".join(lines)


def pids(stack: Stack) -> dict[str, int]:
    """Name -> pid of every process of the stack, as the supervisor last started it."""
    with stack.lock:
        found = {name: child.pid for name, child in stack._children.items()}
        for server in stack._embedded:
            if server.pid is not None:
                found[server.name] = server.pid
    return found


def _epoch(client: redis.Redis, deadline: float) -> int:
    while True:
        try:
            return int(client.get(BROKER_EPOCH_KEY) or 0)
        except redis.RedisError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def kill_and_wait(stack: Stack, client: redis.Redis, process: str, timeout_s: float) -> float:
    """SIGKILL `process`; seconds until the supervisor has it back and every service serves.

    Raises TimeoutError naming the process when that takes longer than `timeout_s`.
    """
    deadline = time.monotonic() + timeout_s
    epoch = _epoch(client, deadline) if process == "broker" else 0
    before = pids(stack)[process]
    os.kill(before, signal.SIGKILL)
    killed_at = time.monotonic()
    while pids(stack)[process] == before:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{process} not restarted within {timeout_s:.0f} s")
        time.sleep(0.1)
    while process == "broker" and _epoch(client, deadline) <= epoch:
        if time.monotonic() > deadline:
            raise TimeoutError(f"broker epoch not bumped within {timeout_s:.0f} s")
        time.sleep(0.1)
    stack.wait_healthy(max(1.0, deadline - time.monotonic()))
    return time.monotonic() - killed_at


def run_chaos(
    kills: int,
    seed: int,
    data_dir: str | Path,
    *,
    min_gap_s: float = 1.0,
    max_gap_s: float = 4.0,
    recover_s: float = 120.0,
    converge_s: float = 180.0,
    pace: float = 1.0,
    progress: Callable[[str], None] = lambda line: None,
) -> ChaosReport:
    """Run `kills` seeded kills on a fresh supervised stack in `data_dir`; the report.

    `pace` scales the workers' pauses between calls; `progress` gets a line per phase and
    kill. Raises TimeoutError when a killed process is not back within `recover_s`, and
    SetupError when the park cannot be set up; the stack is stopped either way.
    """
    report = ChaosReport(seed)
    started = time.monotonic()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS")}
    settings = load_settings(env).with_overrides(data_dir=str(data_dir))
    stack = Stack(settings, free_ports=True, supervise=True)
    stack.start()
    client = connect(stack.redis_url)
    park = Park(stack.grpc_addrs, stack.token_secret, stack.settings, seed)
    try:
        progress(f"stack up in {time.monotonic() - started:.1f} s; setting up the park")
        park.set_up()
        report.seconds["setup"] = time.monotonic() - started
        progress(f"park set up after {report.seconds['setup']:.1f} s; workers and kills start")
        workers = list(park.threads(pace))
        for worker in workers:
            worker.start()
        chaos_started = time.monotonic()
        try:
            for kill in kill_plan(kills, seed, min_gap_s, max_gap_s):
                park.stop.wait(kill.after_s)
                back_s = kill_and_wait(stack, client, kill.process, recover_s)
                report.kills[kill.process] += 1
                report.recovery_s[kill.process].append(back_s)
                done = sum(report.kills.values())
                progress(f"kill {done}/{kills}: {kill.process} back after {back_s:.1f} s")
        finally:
            park.stop.set()
            for worker in workers:
                worker.join(timeout=120)
        report.seconds["chaos"] = time.monotonic() - chaos_started
        progress(f"workers stopped; waiting for convergence (at most {converge_s:.0f} s)")
        report.converged, report.seconds["convergence"] = wait_converged(
            park, client, converge_s, progress
        )
        checks_started = time.monotonic()
        report.findings = verdict(park, client)
        report.seconds["checks"] = time.monotonic() - checks_started
        report.failed_calls = Counter(park.acks.failed)
        if park.clients.retry is not None:
            report.unavailable_retried = Counter(park.clients.retry.retried)
        report.refused = list(park.acks.refused)
    finally:
        park.close()
        client.close()
        stack.stop(grace_s=5)
    report.seconds["total"] = time.monotonic() - started
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m loadtests.chaos",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data-dir", default="", help="kept after the run (default: a temp dir)")
    parser.add_argument("--min-gap-s", type=float, default=1.0)
    parser.add_argument("--max-gap-s", type=float, default=4.0)
    parser.add_argument("--converge-s", type=float, default=180.0)
    parser.add_argument("--pace", type=float, default=1.0, help="scales the workers' pauses")
    args = parser.parse_args(argv)
    options = dict(
        min_gap_s=args.min_gap_s,
        max_gap_s=args.max_gap_s,
        converge_s=args.converge_s,
        pace=args.pace,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )
    if args.data_dir:
        report = run_chaos(args.kills, args.seed, args.data_dir, **options)  # type: ignore[arg-type]
    else:
        with tempfile.TemporaryDirectory(prefix="parkvpp-chaos-") as data_dir:
            report = run_chaos(args.kills, args.seed, data_dir, **options)  # type: ignore[arg-type]
    print(report.table(), flush=True)
    return 1 if report.lost_total or report.diverged_total or not report.converged else 0


if __name__ == "__main__":
    raise SystemExit(main())
