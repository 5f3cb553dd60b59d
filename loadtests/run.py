"""`python -m loadtests run`: find or start the services, seed the park, drive load, report.

Targets: `--addr service=host:port`, `--target host:port` (every service at one
address), a running `parkvpp up` found by `--data-dir` or PARKVPP_DATA_DIR (its
stack.json, as the client commands find it), the PARKVPP_<SERVICE>_ADDR variables, else
`parkvpp up`'s default ports; or
`--stack up` (start `parkvpp up` with free ports: one process per service, embedded
Valkey and broker) or `--stack inprocess` (all services in this process, LocalStack).
Tokens: `--token` (one bearer token for every call), else tokens per role signed with
PARKVPP_TOKEN_SECRET or the key in `--data-dir` of a running `parkvpp up`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from loadtests import report
from loadtests._stack import UNLIMITED
from loadtests.loadgen import (
    Context,
    Credentials,
    Mix,
    Recorder,
    open_channels,
    run_closed_loop,
    run_open_loop,
)
from loadtests.scenarios import HEAVY_RPCS, SCENARIOS, Park, parse_mix, seed
from services.runtime.settings import DEFAULT_GRPC_PORTS, SERVICE_NAMES


@dataclass
class Target:
    """Where the services are and how to sign tokens for them."""

    addrs: dict[str, str]
    description: str
    mint: Callable[[str], str] | None
    token: str = ""
    #: Processes serving the target (services, Valkey, broker) when started here.
    pids: tuple[int, ...] = ()
    #: Each service process's /metrics, when known (a `parkvpp up`).
    metrics_urls: dict[str, str] = field(default_factory=dict)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    load = parser.add_mutually_exclusive_group()
    load.add_argument("--rate", type=float, default=200.0, help="scenarios started per second")
    load.add_argument("--concurrency", type=int, help="closed loop: this many callers instead")
    parser.add_argument("--duration", type=float, default=30.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first")
    parser.add_argument("--mix", default="", help="scenario weights, e.g. bids=0,readings=20")
    parser.add_argument("--processes", type=int, default=1, help="client processes")
    parser.add_argument("--timeout", type=float, default=10.0, help="per-RPC deadline, s")
    parser.add_argument("--stack", choices=("up", "inprocess"), help="start the services")
    parser.add_argument("--addr", action="append", default=[], help="service=host:port")
    parser.add_argument("--target", default="", help="host:port serving every service")
    parser.add_argument("--token", default="", help="bearer token sent with every call")
    parser.add_argument(
        "--data-dir", default="", help="a running `parkvpp up`'s data dir (its stack.json)"
    )
    parser.add_argument("--ca-file", default="", help="CA of the servers (TLS)")
    parser.add_argument("--cert-file", default="", help="client certificate (mutual TLS)")
    parser.add_argument("--key-file", default="", help="client key (mutual TLS)")
    parser.add_argument("--no-seed", action="store_true", help="the park is seeded already")
    parser.add_argument("--json", default="", help="also write the report as JSON here")
    parser.add_argument("--seed", type=int, default=11, help="random seed of the callers")


def _addresses(args: argparse.Namespace, found: dict[str, str] | None = None) -> dict[str, str]:
    """Where each service is: `found` (a stack.json's), else PARKVPP_<SERVICE>_ADDR, else
    the default ports; --target, then each --addr, override."""
    addrs = found or {
        name: os.environ.get(f"PARKVPP_{name.upper()}_ADDR")
        or f"127.0.0.1:{DEFAULT_GRPC_PORTS[name]}"
        for name in SERVICE_NAMES
    }
    if args.target:
        addrs = dict.fromkeys(SERVICE_NAMES, args.target)
    for item in args.addr:
        name, sep, addr = item.partition("=")
        if not sep or name not in SERVICE_NAMES:
            raise SystemExit(f"--addr {item!r}: expected <service>=host:port")
        addrs[name] = addr
    return addrs


def _minter(secret: str) -> Callable[[str], str]:
    from services.runtime.auth import issue_token

    return lambda role: issue_token(secret, role, ttl_s=4 * 3600, subject="loadtest")


def _secret_from(args: argparse.Namespace) -> str:
    if os.environ.get("PARKVPP_TOKEN_SECRET"):
        return os.environ["PARKVPP_TOKEN_SECRET"]
    if args.data_dir:
        from services.launcher import token_secret_for
        from services.runtime.settings import load_settings

        settings = load_settings().with_overrides(data_dir=args.data_dir)
        return token_secret_for(settings, create=False)
    return ""


@contextlib.contextmanager
def target(args: argparse.Namespace) -> Iterator[Target]:
    """The services to load: started here (and stopped after) or found running."""
    if args.stack == "up":
        from services.launcher import Stack
        from services.runtime.settings import load_settings

        os.environ.update(UNLIMITED)  # the service processes inherit this environment
        with tempfile.TemporaryDirectory(prefix="parkvpp-loadtest-") as data_dir:
            stack = Stack(load_settings().with_overrides(data_dir=data_dir), free_ports=True)
            stack.start()
            try:
                yield Target(
                    dict(stack.grpc_addrs),
                    "parkvpp up (7 processes, embedded Valkey and broker)",
                    _minter(stack.token_secret),
                    pids=tuple(stack.pids),
                    metrics_urls=dict(stack.metrics_urls),
                )
            finally:
                stack.stop()
    elif args.stack == "inprocess":
        from services.runtime.local_stack import LocalStack

        stack = LocalStack(env=UNLIMITED).start()
        try:
            yield Target(stack.addrs, "LocalStack (all services in this process)", stack.token)
        finally:
            stack.stop()
    else:
        found = _running_up(args)
        if found is not None:
            yield found
            return
        secret = _secret_from(args)
        addrs = _addresses(args)
        yield Target(addrs, "running services", _minter(secret) if secret else None, args.token)


def _running_up(args: argparse.Namespace) -> Target | None:
    """The `parkvpp up` of --data-dir (or PARKVPP_DATA_DIR) found through its stack.json,
    as every client command finds it: its addresses (--addr/--target still override),
    its signing key and its pids (so server CPU is measured too); None when no data dir
    is named. Exits with the sentence of a named data dir that runs no stack."""
    if not (args.data_dir or os.environ.get("PARKVPP_DATA_DIR")):
        return None
    from services.stack_client import find_stack

    stack = find_stack(args.data_dir)
    if stack.info is None:
        raise SystemExit(f"loadtests: {stack.why_none()}")
    addrs = _addresses(args, dict(stack.info.grpc_addrs))
    secret = os.environ.get("PARKVPP_TOKEN_SECRET") or _secret_from(args)
    return Target(
        addrs,
        f"parkvpp up of {stack.data_dir} (pid {stack.info.up_pid})",
        _minter(secret) if secret else None,
        args.token,
        pids=tuple(stack.info.pids.values()),
        metrics_urls=dict(stack.info.metrics_urls),
    )


def wait_serving(target: Target, args: argparse.Namespace, timeout_s: float = 30.0) -> None:
    """Fail early, naming the address, when a service does not answer its health check."""
    from services.runtime.channels import open_channel

    for name, addr in target.addrs.items():
        with open_channel(addr, None, args.cert_file, args.key_file, args.ca_file) as channel:
            try:
                reply = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=timeout_s, wait_for_ready=True
                )
            except grpc.RpcError as exc:
                raise SystemExit(
                    f"{name} at {addr} does not answer ({exc.code().name}); start `parkvpp up` "
                    "and set PARKVPP_<SERVICE>_ADDR or --addr, or pass --stack up"
                ) from exc
            if reply.status != health_pb2.HealthCheckResponse.SERVING:
                raise SystemExit(f"{name} at {addr} is not SERVING")


def _process_name(pid: int) -> str:
    args = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    if "serve" in args:
        return args[args.index("serve") + 1]
    return "valkey" if "valkey" in args[0] else "broker" if "tansu" in args[0] else str(pid)


def relay_leaders(metrics_urls: dict[str, str]) -> list[str]:
    """The service processes whose outbox relay leads now (by their /metrics gauge): the
    leader publishes every process's events, so its CPU line carries that work too. A
    process that does not answer is left out."""
    from services.runtime.scrape import scrape, total

    leaders = []
    for name, url in sorted(metrics_urls.items()):
        try:
            if total(scrape(url, timeout_s=2.0), "parkvpp_outbox_relay_leader") > 0:
                leaders.append(name)
        except OSError:
            continue
    return leaders


def process_cpu_s(pids: tuple[int, ...]) -> dict[str, float] | None:
    """User + system CPU seconds used so far per process (Linux /proc); None if unreadable."""
    ticks = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    try:
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            out[_process_name(pid)] = (int(fields[11]) + int(fields[12])) / ticks
    except (OSError, IndexError, ValueError):
        return None
    return out


def _client(job: dict[str, Any]) -> dict[str, Any]:
    """One client process: run the loop and hand back the raw recordings."""
    return asyncio.run(_drive(job))


async def _drive(job: dict[str, Any]) -> dict[str, Any]:
    channels = open_channels(job["addrs"], *job["tls"])
    recorder = Recorder()
    tokens: dict[str, str] = job["tokens"]
    credentials = Credentials(job["token"], tokens.__getitem__ if tokens else None)
    ctx = Context(channels, credentials, recorder, job["seed"], job["timeout_s"])
    ctx.state["park"] = job["park"]
    cpu_started = time.process_time()
    try:
        selector = Mix(SCENARIOS, job["mix"])
        if job["concurrency"]:
            await run_closed_loop(
                ctx, selector, job["concurrency"], job["warmup_s"], job["duration_s"]
            )
        else:
            await run_open_loop(ctx, selector, job["rate"], job["warmup_s"], job["duration_s"])
    finally:
        for channel in set(channels.values()):
            await channel.close()
    return {
        "latencies_s": dict(recorder.latencies_s),
        "codes": {rpc: dict(c) for rpc, c in recorder.codes.items()},
        "skipped": recorder.skipped,
        "scenario_errors": dict(recorder.scenario_errors),
        "client_cpu_s": time.process_time() - cpu_started,
    }


def _merge(parts: list[dict[str, Any]]) -> Recorder:
    merged = Recorder()
    for part in parts:
        for rpc, values in part["latencies_s"].items():
            merged.latencies_s[rpc].extend(values)
        for rpc, codes in part["codes"].items():
            merged.codes[rpc].update(codes)
        merged.skipped += part["skipped"]
        merged.scenario_errors.update(Counter(part["scenario_errors"]))
    return merged


def _roles(park: Park) -> list[str]:
    return ["operator", "esco", "monitor", *(f"enterprise:{e}" for e in park.enterprises)]


def run_clients(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each job in its own process (one job: in this process)."""
    if len(jobs) == 1:
        return [_client(jobs[0])]
    with ProcessPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(_client, jobs))


def main(args: argparse.Namespace) -> int:
    mix = parse_mix(args.mix)
    with target(args) as found:
        wait_serving(found, args)
        mint = found.mint or (lambda role: found.token)
        if args.no_seed:
            from services.demo.day import market_day_for

            park = Park.demo(market_day_for())
        else:
            park = seed(found.addrs, mint, log=lambda line: print(line, file=sys.stderr))
        job = {
            "addrs": found.addrs,
            "token": found.token,
            "tokens": {role: mint(role) for role in _roles(park)} if found.mint else {},
            "tls": (args.ca_file, args.cert_file, args.key_file),
            "park": park,
            "mix": mix,
            "rate": (args.rate or 0) / args.processes,
            "concurrency": (args.concurrency or 0) // args.processes,
            "warmup_s": args.warmup,
            "duration_s": args.duration,
            "timeout_s": args.timeout,
        }
        load_before, server_cpu_before = os.getloadavg(), process_cpu_s(found.pids)
        leaders_before = relay_leaders(found.metrics_urls)
        parts = run_clients([dict(job, seed=args.seed + n) for n in range(args.processes)])
        load_after, server_cpu_after = os.getloadavg(), process_cpu_s(found.pids)
        leaders_after = relay_leaders(found.metrics_urls)
        server_cpu_s = (
            {name: server_cpu_after[name] - server_cpu_before[name] for name in server_cpu_after}
            if found.pids and server_cpu_before and server_cpu_after
            else None
        )
        mode = (
            f"closed loop, {args.concurrency} callers"
            if args.concurrency
            else f"open loop at {args.rate:,.0f} scenarios/s"
        )
        config = {
            "mode": mode,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "target": found.description,
            "processes": args.processes,
            "mix": {k: v for k, v in mix.items() if v > 0},
            "client_cpu_s": sum(part["client_cpu_s"] for part in parts),
            "client_includes_servers": args.stack == "inprocess",
            "server_cpu_s": server_cpu_s,
            "relay_leaders_before_after": [leaders_before, leaders_after],
            "loadavg_1m_before_after": [load_before[0], load_after[0]],
        }
        result = report.summarise(_merge(parts), args.duration, HEAVY_RPCS, config)
    print(report.table(result))
    if args.json:
        Path(args.json).write_text(report.to_json(result) + "\n")
    return 0
