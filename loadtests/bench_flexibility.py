"""Time VppService.GetFlexibility for a large synthetic park with days of rollup history.

The park and its meter history come from `loadtests.synthetic_park` (seeded). Enrols
and approves the assets through EnrollmentService, writes the curtailable loads' history
straight into the rollups with `Rollups.apply` (what the telemetry consumer does, minus
Kafka), then calls GetFlexibility for tomorrow: aggregate only, and with per-asset envelopes.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date, datetime, timedelta

import numpy as np

from bidding.assets import AssetSpec, BatterySpec, CurtailableLoadSpec, ShiftableLoadSpec
from bidding.intervals import MARKET_TZ
from loadtests._stack import UNLIMITED, enrol
from loadtests.synthetic_park import KINDS, AssetMix, SyntheticPark, build_park, history_days
from parkvpp.v1 import enrollment_pb2 as epb
from parkvpp.v1 import vpp_pb2 as vpb
from parkvpp.v1 import vpp_pb2_grpc
from services.enrollment.convert import TECHNOLOGY_ENUM
from services.runtime.channels import open_channel
from services.runtime.local_stack import LocalStack
from services.telemetry.rollups import RollupReading, Rollups
from services.terminal import progress

#: Per-asset envelopes of 10,000 assets are tens of MB; the default client limit is 4 MB.
MAX_MESSAGE_BYTES = 512 * 1024 * 1024


def proto_spec(spec: AssetSpec) -> epb.AssetSpec:
    """The enrollment.proto form of a domain spec (the inverse of `spec_from_proto`)."""
    if isinstance(spec, CurtailableLoadSpec):
        windows = [epb.AvailabilityWindow(**vars(w)) for w in spec.availability]
        fields = {**vars(spec), "availability": windows}
        return epb.AssetSpec(curtailable_load=epb.CurtailableLoad(**fields))
    if isinstance(spec, ShiftableLoadSpec):
        return epb.AssetSpec(shiftable_load=epb.ShiftableLoad(**vars(spec)))
    if isinstance(spec, BatterySpec):
        return epb.AssetSpec(battery=epb.Battery(**vars(spec)))
    fields = {**vars(spec), "technology": TECHNOLOGY_ENUM[spec.technology]}
    return epb.AssetSpec(generator=epb.Generator(**fields))


def seed_history(rollups: Rollups, park: SyntheticPark, days: list[date], deadline: float) -> int:
    """The generator's readings of each curtailable load on `days`; returns readings written.

    Only curtailable loads: they are the assets GetFlexibility forecasts from history.
    Raises TimeoutError when `deadline` (time.monotonic) passes first.
    """
    loads = park.of_kind("curtailable")
    written = 0
    with progress("seeding history", len(loads)) as advance:
        for n, block in enumerate(park.iter_readings(days, kinds=("curtailable",))):
            written += _seed_block(rollups, block, n, len(loads), deadline)
            advance(1)
    return written


def _seed_block(rollups: Rollups, block, n: int, loads: int, deadline: float) -> int:
    """Readings written for one load's block (the n-th of `loads`)."""
    if time.monotonic() > deadline:
        raise TimeoutError(f"history of {n}/{loads} loads written before the deadline")
    readings = [
        RollupReading(day, interval, epoch_s, kw)
        for day, interval, epoch_s, kw in zip(
            block.day.tolist(),
            block.interval.tolist(),
            block.epoch_s.tolist(),
            np.round(block.kw, 1).tolist(),
            strict=True,
        )
    ]
    event_id = f"seed-{block.asset_id}"
    return max(0, rollups.apply(event_id, block.enterprise_id, block.asset_id, readings))


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
    parser.add_argument("--pv-share", type=float, default=0.0)
    parser.add_argument("--shiftable-share", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic park")
    parser.add_argument("--enterprises", type=int, default=100)
    parser.add_argument("--days", type=int, default=14, help="days of history per load")
    parser.add_argument("--calls", type=int, default=2, help="timed calls of each kind")
    parser.add_argument("--timeout", type=float, default=900.0, help="bound of each phase, s")
    args = parser.parse_args(argv)
    if not (args.assets >= 1 and args.enterprises >= 1 and 1 <= args.days <= 45):
        parser.error("need --assets >= 1, --enterprises >= 1, --days in 1..45")
    shares = (args.battery_share, args.pv_share, args.shiftable_share)
    if not (min(shares) >= 0 and sum(shares) <= 1 and args.calls >= 1 and args.seed >= 0):
        parser.error("need shares >= 0 summing to <= 1, --calls >= 1, --seed >= 0")

    mix = AssetMix(1 - sum(shares), args.shiftable_share, args.battery_share, args.pv_share)
    park = build_park(args.seed, args.enterprises, args.assets, mix)
    assets = {a: (e, proto_spec(spec)) for a, (e, spec) in park.specs().items()}
    kinds = {kind: len(park.of_kind(kind)) for kind in KINDS}
    today = datetime.now(MARKET_TZ).date()
    market_day = today + timedelta(days=1)
    days = history_days(today, args.days)
    options = [("grpc.max_receive_message_length", MAX_MESSAGE_BYTES)]
    stack = LocalStack(env=UNLIMITED).start()
    channel = open_channel(stack.addr, token=stack.token("operator"), options=options)
    try:
        started = time.perf_counter()
        enrol(channel, assets, approve=True, timeout_s=args.timeout)
        enrol_s = time.perf_counter() - started
        started = time.perf_counter()
        deadline = time.monotonic() + args.timeout
        written = seed_history(Rollups(stack.runtime.redis), park, days, deadline)
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
        f"  assets                    {len(assets)} ({kinds['curtailable']} loads, "
        f"{kinds['battery']} batteries, {kinds['pv']} PV, {kinds['shiftable']} shiftable, "
        f"{args.enterprises} enterprises, seed {args.seed})"
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
