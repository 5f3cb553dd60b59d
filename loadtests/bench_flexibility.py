"""Time VppService.GetFlexibility for a large synthetic park with days of rollup history.

Enrols and approves the assets through EnrollmentService, writes their history straight
into the rollups with `Rollups.apply` (what the telemetry consumer does, minus Kafka),
then calls GetFlexibility for tomorrow: aggregate only, and with per-asset envelopes.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date, datetime, timedelta

import grpc
import numpy as np

from bidding.intervals import INTERVALS_PER_DAY, MARKET_TZ, interval_end
from loadtests._stack import battery_spec, curtailable_spec, enrol
from parkvpp.v1 import vpp_pb2 as vpb
from parkvpp.v1 import vpp_pb2_grpc
from services.runtime.local_stack import LocalStack
from services.telemetry.rollups import RollupReading, Rollups

#: Per-asset envelopes of 10,000 assets are tens of MB; the default client limit is 4 MB.
MAX_MESSAGE_BYTES = 512 * 1024 * 1024


def park(assets: int, battery_share: float, enterprises: int) -> dict[str, tuple[str, object]]:
    """asset_id -> (enterprise_id, spec): curtailable loads and a share of batteries."""
    batteries = round(assets * battery_share)
    out: dict[str, tuple[str, object]] = {}
    for n in range(assets):
        enterprise_id = f"ent-{n % enterprises:04d}"
        if n < batteries:
            out[f"bat-{n:06d}"] = (enterprise_id, battery_spec(1000.0 + n % 7 * 500))
        else:
            out[f"load-{n:06d}"] = (enterprise_id, curtailable_spec(100.0 + n % 40 * 20))
    return out


def seed_history(rollups: Rollups, loads: dict[str, str], days: list[date], deadline: float) -> int:
    """One reading per interval per day for each load; returns readings written.

    Raises TimeoutError when `deadline` (time.monotonic) passes first.
    """
    shape_kw = 600.0 + 300.0 * np.sin(np.linspace(0.0, np.pi, INTERVALS_PER_DAY))
    stamps = {
        d: [int(interval_end(d, i).timestamp()) for i in range(INTERVALS_PER_DAY)] for d in days
    }
    written = 0
    for n, (asset_id, enterprise_id) in enumerate(loads.items()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"history of {n}/{len(loads)} loads written before the deadline")
        scale = 0.5 + (n % 10) / 10
        readings = [
            RollupReading(day, i, stamps[day][i], round(float(shape_kw[i]) * scale, 1))
            for day in days
            for i in range(INTERVALS_PER_DAY)
        ]
        written += max(0, rollups.apply(f"seed-{asset_id}", enterprise_id, asset_id, readings))
    return written


def time_calls(
    stub: vpp_pb2_grpc.VppServiceStub,
    request: vpb.GetFlexibilityRequest,
    calls: int,
    timeout_s: float,
) -> tuple[list[float], int]:
    """Seconds of each call and the size of the last reply in bytes."""
    seconds, size = [], 0
    for _ in range(calls):
        started = time.perf_counter()
        reply = stub.GetFlexibility(request, timeout=timeout_s)
        seconds.append(time.perf_counter() - started)
        size = reply.ByteSize()
    return seconds, size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--battery-share", type=float, default=0.05)
    parser.add_argument("--enterprises", type=int, default=100)
    parser.add_argument("--days", type=int, default=14, help="days of history per load")
    parser.add_argument("--calls", type=int, default=2, help="timed calls of each kind")
    parser.add_argument("--timeout", type=float, default=900.0, help="bound of each phase, s")
    args = parser.parse_args(argv)
    if not (args.assets >= 1 and args.enterprises >= 1 and 1 <= args.days <= 45):
        parser.error("need --assets >= 1, --enterprises >= 1, --days in 1..45")
    if not (0 <= args.battery_share <= 1 and args.calls >= 1):
        parser.error("need --battery-share in [0, 1] and --calls >= 1")

    assets = park(args.assets, args.battery_share, args.enterprises)
    loads = {a: e for a, (e, _s) in assets.items() if a.startswith("load-")}
    today = datetime.now(MARKET_TZ).date()
    market_day = today + timedelta(days=1)
    history_days = [today - timedelta(days=k) for k in range(args.days, 0, -1)]
    options = [("grpc.max_receive_message_length", MAX_MESSAGE_BYTES)]
    stack = LocalStack().start()
    channel = grpc.insecure_channel(stack.addr, options=options)
    try:
        started = time.perf_counter()
        enrol(channel, assets, approve=True, timeout_s=args.timeout)  # type: ignore[arg-type]
        enrol_s = time.perf_counter() - started
        started = time.perf_counter()
        deadline = time.monotonic() + args.timeout
        written = seed_history(Rollups(stack.runtime.redis), loads, history_days, deadline)
        seed_s = time.perf_counter() - started
        stub = vpp_pb2_grpc.VppServiceStub(channel)
        request = vpb.GetFlexibilityRequest(market_day=market_day.isoformat())
        aggregate_s, aggregate_bytes = time_calls(stub, request, args.calls, args.timeout)
        request.include_assets = True
        per_asset_s, per_asset_bytes = time_calls(stub, request, args.calls, args.timeout)
    finally:
        channel.close()
        stack.stop()

    print("bench_flexibility: VppService.GetFlexibility (in-process, embedded Valkey)")
    print(f"  cores                     {os.cpu_count()}")
    print(
        f"  assets                    {len(assets)} ({len(loads)} loads, "
        f"{len(assets) - len(loads)} batteries, {args.enterprises} enterprises)"
    )
    print(f"  history                   {args.days} days, {written:,} readings")
    print(f"  market day                {market_day.isoformat()}")
    print(f"  enrol+approve s           {enrol_s:.1f} ({2 * len(assets) / enrol_s:,.0f} RPC/s)")
    print(f"  history seeding s         {seed_s:.1f} ({written / seed_s:,.0f} readings/s)")
    print(f"  aggregate only s/call     {_fmt(aggregate_s)} (reply {aggregate_bytes / 1e3:.0f} kB)")
    print(f"  include_assets s/call     {_fmt(per_asset_s)} (reply {per_asset_bytes / 1e6:.1f} MB)")
    print(f"  per asset ms (aggregate)  {1000 * min(aggregate_s) / len(assets):.2f}")
    return 0


def _fmt(seconds: list[float]) -> str:
    return f"min {min(seconds):.2f}  max {max(seconds):.2f}  ({len(seconds)} calls)"


if __name__ == "__main__":
    raise SystemExit(main())
