"""RSS of every `parkvpp up` process while meters stream through broker pauses (SIGSTOP).

Starts the stack as `parkvpp up` does (one process per service, embedded Valkey and broker
in a temporary folder, supervised), enrols `--assets` curtailable loads, and streams their
readings at `--rate` readings/s from a meter-gateway thread (one StreamReadings call per
interval of every asset, sent again after UNAVAILABLE or a deadline, as a gateway does).
After `--settle-s` it stops the embedded broker with SIGSTOP for `--pause-s`, lets it run
`--settle-s` again, `--pauses` times. The RSS (VmRSS) of every process is sampled each
`--sample-s`; the table shows it before, at the highest point during and after each pause,
the maximum, and the memory limit of its Kubernetes manifest. At the end it waits until
every accepted reading is rolled up and counts readings lost or rolled up twice.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import grpc
import yaml

from bidding.intervals import MARKET_TZ, locate_period_end
from loadtests._stack import UNLIMITED, curtailable_spec, enrol
from loadtests.soak import processes, rss_mb
from parkvpp.v1 import telemetry_pb2 as tpb
from parkvpp.v1 import telemetry_pb2_grpc
from services.launcher import Stack
from services.runtime.auth import issue_token
from services.runtime.channels import open_channel
from services.runtime.settings import load_settings
from services.runtime.store import connect
from services.supervisor import RESTARTS
from services.telemetry.rollups import Rollups

DEPLOY = Path(__file__).resolve().parent.parent / "deploy" / "k8s"
#: Manifest of each process's Kubernetes workload (the broker has none: Kafka is Strimzi's).
MANIFESTS = {"valkey": DEPLOY / "components" / "redis" / "redis.yaml"}


def memory_limit_mb(name: str) -> float | None:
    """The memory limit (MiB) of the first container in `name`'s manifest, None if none."""
    path = MANIFESTS.get(name, DEPLOY / "base" / f"{name}.yaml")
    if not path.exists():
        return None
    units = {"Ki": 1 / 1024, "Mi": 1.0, "Gi": 1024.0}
    for doc in yaml.safe_load_all(path.read_text()):
        if not doc or doc.get("kind") not in ("Deployment", "StatefulSet"):
            continue
        for container in doc["spec"]["template"]["spec"]["containers"]:
            limit = str(container.get("resources", {}).get("limits", {}).get("memory", ""))
            if limit[-2:] in units:
                return float(limit[:-2]) * units[limit[-2:]]
    return None


@dataclass
class Gateway:
    """A meter gateway on its own thread: every asset's reading per interval, oldest first."""

    channel: grpc.Channel
    owners: dict[str, str]
    rate_per_s: float
    start: datetime
    accepted: int = 0
    retried: dict[str, int] = field(default_factory=dict)
    intervals_sent: list[int] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        stub = telemetry_pb2_grpc.TelemetryServiceStub(self.channel)
        step_s = len(self.owners) / self.rate_per_s
        at = time.monotonic()
        n = 0
        while not self.stop.is_set():
            batch = self.batch(n)
            while not self.stop.is_set():
                try:
                    summary = stub.StreamReadings(iter([batch]), timeout=30)
                    self.accepted += summary.accepted
                    break
                except grpc.RpcError as exc:
                    code = exc.code().name
                    self.retried[code] = self.retried.get(code, 0) + 1
                    self.stop.wait(1.0)
            else:
                return
            self.intervals_sent.append(n)
            n += 1
            at += step_s
            self.stop.wait(max(0.0, at - time.monotonic()))

    def moment(self, n: int) -> datetime:
        """The timestamp of the n-th interval's readings (the end of its metering period)."""
        return self.start + timedelta(minutes=15 * n)

    def batch(self, n: int) -> tpb.ReadingBatch:
        """The readings of the n-th interval after `start`."""
        seconds = int(self.moment(n).timestamp())
        batch = tpb.ReadingBatch()
        for k, asset_id in enumerate(self.owners):
            reading = batch.readings.add(asset_id=asset_id, power_kw=300.0 + k % 50)
            reading.timestamp.seconds = seconds
        return batch


def rolled_up_counts(rollups: Rollups, gateway: Gateway) -> tuple[int, int, int]:
    """(readings rolled up, intervals of an asset with none, with more than one)."""
    sent = {locate_period_end(gateway.moment(n)) for n in gateway.intervals_sent}
    days = sorted({day for day, _ in sent})
    found = rollups.many_day_kw([(e, a) for a, e in gateway.owners.items()], days)
    total = missing = doubled = 0
    for per_day in found.values():
        for day, interval in sent:
            count = int(per_day[day][1][interval])
            total += count
            missing += count == 0
            doubled += count > 1
    return total, missing, doubled


class Sampler:
    """RSS (MB) of each process every `every_s`, each sample tagged with the current phase."""

    def __init__(self, stack: Stack, every_s: float) -> None:
        self.stack = stack
        self.every_s = every_s
        self.phase = "start"
        self.samples: list[tuple[str, dict[str, float]]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while True:
            self.take()
            if self.stop.wait(self.every_s):
                return

    def take(self) -> None:
        # Pids come from the stack each time: the supervisor may have restarted a child.
        self.samples.append((self.phase, {n: rss_mb(p) for n, p in processes(self.stack).items()}))

    def table(self, phases: list[str]) -> None:
        names = list(self.samples[0][1])
        columns = []
        for phase in phases:
            rows = [s for p, s in self.samples if p == phase]
            if phase.startswith("pause"):
                columns.append((f"{phase} max", {n: max(r[n] for r in rows) for n in names}))
            else:
                columns.append((phase, rows[-1]))
        columns.append(("max", {n: max(s[n] for _, s in self.samples) for n in names}))
        width = max(len(label) for label, _ in columns) + 1
        print("RSS (MB)      " + "".join(f"{label:>{width}}" for label, _ in columns) + "   limit")
        for name in names:
            limit = memory_limit_mb(name)
            cells = "".join(f"{values[name]:>{width}.1f}" for _, values in columns)
            share = f"{limit:6.0f} ({columns[-1][1][name] / limit:4.0%})" if limit else "     -"
            print(f"  {name:<12}{cells}  {share}")


def run(args: argparse.Namespace, stack: Stack) -> int:
    owners = {f"rss-meter-{n:05d}": f"ent-rss-{n % 10:02d}" for n in range(args.assets)}
    operator = issue_token(stack.token_secret, "operator", 86_400)
    channel = open_channel(stack.grpc_addrs["enrollment"], token=operator)
    enrol(channel, {a: (e, curtailable_spec(300.0)) for a, e in owners.items()}, approve=False)
    channel.close()
    # Far enough back that the stream never reaches the present (future readings are refused).
    seconds = args.pauses * (args.pause_s + args.settle_s) + args.settle_s + 600
    intervals = int(seconds * args.rate / args.assets) + 96
    start = datetime.now(MARKET_TZ).replace(minute=0, second=0, microsecond=0)
    start -= timedelta(minutes=15 * intervals)
    channel = open_channel(stack.grpc_addrs["telemetry"], token=operator)
    gateway = Gateway(channel, owners, args.rate, start)
    sampler = Sampler(stack, args.sample_s)
    broker = next(s for s in stack._embedded if s.name == "broker")
    streamer = threading.Thread(target=gateway.run, name="gateway", daemon=True)
    sampler.take()  # idle, enrolled
    sampler.phase = "before"
    sampler.thread.start()
    streamer.start()
    phases = ["start", "before"]
    try:
        time.sleep(args.settle_s)
        for k in range(1, args.pauses + 1):
            print(f"   pause {k}: broker (pid {broker.pid}) stopped for {args.pause_s:.0f} s")
            sampler.phase = f"pause {k}"
            os.kill(broker.pid, signal.SIGSTOP)
            try:
                time.sleep(args.pause_s)
            finally:
                os.kill(broker.pid, signal.SIGCONT)
            sampler.phase = f"after {k}"
            phases += [f"pause {k}", f"after {k}"]
            time.sleep(args.settle_s)
    finally:
        gateway.stop.set()
        streamer.join(60)
        sampler.stop.set()
        sampler.thread.join(10)
        channel.close()
    rollups = Rollups(connect(stack.redis_url))
    deadline = time.monotonic() + args.timeout
    rolled = rolled_up_counts(rollups, gateway)
    while rolled[0] < gateway.accepted and time.monotonic() < deadline:
        time.sleep(1.0)
        rolled = rolled_up_counts(rollups, gateway)
    print(f"bench_rss_pauses: `parkvpp up`, {os.cpu_count()} cores")
    print(
        f"  {args.assets} meters at {args.rate:g} readings/s; {args.pauses} broker pauses of "
        f"{args.pause_s:g} s, {args.settle_s:g} s before and after each; RSS every "
        f"{args.sample_s:g} s"
    )
    print(
        f"  readings accepted {gateway.accepted}, rolled up {rolled[0]}, asset-intervals with "
        f"none {rolled[1]}, twice or more {rolled[2]}; calls retried {gateway.retried or 0}"
    )
    restarts = {
        s.labels["process"]: s.value
        for m in RESTARTS.collect()
        for s in m.samples
        if s.name.endswith("_total")
    }
    print(f"  children restarted by the supervisor: {restarts or 'none'}")
    sampler.table(phases)
    return 0 if rolled[0] >= gateway.accepted and not rolled[1] else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=500, help="meters streaming")
    parser.add_argument("--rate", type=float, default=1000.0, help="readings per second")
    parser.add_argument("--pauses", type=int, default=2, help="broker pauses")
    parser.add_argument("--pause-s", type=float, default=30.0, help="length of each pause")
    parser.add_argument("--settle-s", type=float, default=30.0, help="running before/after")
    parser.add_argument("--sample-s", type=float, default=1.0, help="RSS sampling period")
    parser.add_argument("--timeout", type=float, default=300.0, help="bound of the roll-up wait")
    parser.add_argument("--data-dir", default="", help="keep data and service logs here")
    args = parser.parse_args(argv)
    if args.assets < 1 or args.rate <= 0 or args.pauses < 0:
        parser.error("need --assets >= 1, --rate > 0, --pauses >= 0")
    os.environ.update(UNLIMITED)  # the service processes inherit this environment
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS")}
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="parkvpp-rss-")
    stack = Stack(
        load_settings(env).with_overrides(data_dir=data_dir), free_ports=True, supervise=True
    )
    stack.start()
    code = 1
    try:
        code = run(args, stack)
        return code
    finally:
        stack.stop()
        if code == 0 and not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
        elif code:
            print(f"   service logs kept in {data_dir}/logs")


if __name__ == "__main__":
    raise SystemExit(main())
