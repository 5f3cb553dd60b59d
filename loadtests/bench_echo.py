"""The raw limit of a unary RPC on this machine: a bare gRPC echo, no service behind it.

A server that returns the request's bytes (no protobuf, no Redis, no token, no metrics)
runs in its own process, as grpc.aio (`aio`) or as the thread-pool server the ParkVPP
services use (`sync`, 16 workers like PARKVPP_GRPC_WORKERS). The load generator's
open-loop engine (`loadtests.loadgen`, the one `python -m loadtests` uses) calls it at
`--rate` per second for `--duration` seconds with `--bytes` of payload, from this process
on the same machine. Per server it prints calls/s, p50/p99/max latency, the server's
CPU-ms per RPC and the client's: the floor the services' figures
(`python -m loadtests --stack up`) stand against.

    python -m loadtests.bench_echo --rate 1000 --duration 30
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from concurrent import futures

import grpc
from grpc import aio

from loadtests.loadgen import Context, Credentials, Mix, Recorder, run_open_loop
from loadtests.report import latency_row
from loadtests.run import process_cpu_s

METHOD = "/parkvpp.bench.Echo/Echo"
SYNC_WORKERS = 16


def _handlers(echo) -> tuple[grpc.GenericRpcHandler, ...]:
    """The echo method on raw bytes (no (de)serializers: the payload passes as it is)."""
    method = grpc.unary_unary_rpc_method_handler(echo)
    return (grpc.method_handlers_generic_handler("parkvpp.bench.Echo", {"Echo": method}),)


async def _serve_aio() -> None:
    async def echo(request: bytes, context) -> bytes:
        return request

    server = aio.server()
    server.add_generic_rpc_handlers(_handlers(echo))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    print(port, flush=True)
    await server.wait_for_termination()


def _serve_sync() -> None:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=SYNC_WORKERS))
    server.add_generic_rpc_handlers(_handlers(lambda request, context: request))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    server.wait_for_termination()


def serve(kind: str) -> None:
    """Run one echo server (`aio` or `sync`) until killed; prints its port first."""
    if kind == "aio":
        asyncio.run(_serve_aio())
    else:
        _serve_sync()


async def _drive(addr: str, payload: bytes, rate: float, warmup_s: float, duration_s: float):
    channel = aio.insecure_channel(addr)
    call = channel.unary_unary(METHOD)
    recorder = Recorder()
    ctx = Context({"echo": channel}, Credentials(), recorder, seed=1, timeout_s=10.0)

    async def scenario(ctx: Context) -> None:
        await ctx.call("Echo", call(payload, timeout=ctx.timeout_s))

    try:
        await run_open_loop(ctx, Mix({"echo": scenario}, {"echo": 1.0}), rate, warmup_s, duration_s)
    finally:
        await channel.close()
    return recorder


def measure(kind: str, payload: bytes, rate: float, warmup_s: float, duration_s: float) -> dict:
    """One server of `kind` under the open-loop echo: the report row plus CPU per RPC."""
    server = subprocess.Popen(
        [sys.executable, "-m", "loadtests.bench_echo", "--serve", kind],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        port = int(server.stdout.readline())
        before, client_before = process_cpu_s((server.pid,)), time.process_time()
        recorder = asyncio.run(_drive(f"127.0.0.1:{port}", payload, rate, warmup_s, duration_s))
        after, client_s = process_cpu_s((server.pid,)), time.process_time() - client_before
    finally:
        server.kill()
        server.wait()
    row = latency_row(recorder.latencies_s["Echo"], recorder.codes["Echo"], duration_s)
    calls = max(1, sum(recorder.codes["Echo"].values()))
    server_s = sum(after.values()) - sum(before.values()) if before and after else float("nan")
    # CPU counts warm-up calls too: divide by every call made, not only the recorded ones.
    made = calls * (warmup_s + duration_s) / duration_s
    return dict(row, server_cpu_ms=1000 * server_s / made, client_cpu_ms=1000 * client_s / made)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--servers", nargs="+", choices=("aio", "sync"), default=["aio", "sync"])
    parser.add_argument("--rate", type=float, default=1000.0, help="calls per second")
    parser.add_argument("--duration", type=float, default=30.0, help="recorded seconds")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--bytes", type=int, default=300, help="payload each way")
    parser.add_argument("--serve", choices=("aio", "sync"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve)
        return 0
    payload = os.urandom(args.bytes)
    print(
        f"{'server':>6} {'rate/s':>8} {'calls/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}"
        f" {'server CPU-ms/RPC':>18} {'client CPU-ms/RPC':>18} {'cores':>5}"
    )
    for kind in args.servers:
        r = measure(kind, payload, args.rate, args.warmup, args.duration)
        print(
            f"{kind:>6} {args.rate:>8,.0f} {r['per_s']:>8,.0f} {r['p50_ms']:>8.2f}"
            f" {r['p99_ms']:>8.2f} {r['max_ms']:>8.2f} {r['server_cpu_ms']:>18.3f}"
            f" {r['client_cpu_ms']:>18.3f} {os.cpu_count():>5}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
