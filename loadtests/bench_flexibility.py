"""Time VppService.GetFlexibility for a large synthetic park with days of rollup history.

The park and its meter history come from `loadtests.synthetic_park` (seeded). Enrols
and approves the assets through EnrollmentService, writes the curtailable loads' history
straight into the rollups (the keys and values `Rollups.apply` writes, as the telemetry
consumer does, minus Kafka, in bulk), then calls GetFlexibility for tomorrow: aggregate
only, and with per-asset envelopes.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date, datetime, timedelta

import numpy as np
import redis
from redis.commands.core import Script

from bidding.assets import AssetSpec, BatterySpec, CurtailableLoadSpec, ShiftableLoadSpec
from bidding.intervals import INTERVALS_PER_DAY, MARKET_TZ
from loadtests._stack import UNLIMITED, enrol
from loadtests.synthetic_park import (
    KINDS,
    AssetMix,
    SyntheticAsset,
    SyntheticPark,
    build_park,
    history_days,
    interval_end_epoch_s,
)
from parkvpp.v1 import enrollment_pb2 as epb
from parkvpp.v1 import vpp_pb2 as vpb
from parkvpp.v1 import vpp_pb2_grpc
from services.enrollment.convert import TECHNOLOGY_ENUM
from services.runtime.channels import open_channel
from services.runtime.local_stack import LocalStack
from services.runtime.store import APPLIED_TTL_S, tenant_key
from services.telemetry.rollup_script import POWER_RECORD
from services.telemetry.rollups import Rollups
from services.terminal import progress
from services.vpp.portfolio import BULK_READ_DAYS, same_type_days

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


#: Loads whose history one script call writes (8 loads of 14 days: 10,752 readings).
LOADS_PER_CALL = 8

SEED_DAYS_LUA = """
-- KEYS: per day d of the call KEYS[2d - 1] its power readings and KEYS[2d] its rollup, then
-- the events' applied markers. ARGV[1]: marker ttl, then per day ARGV[2d] its power
-- readings (96 records, epoch second and kW, as the rollup step stores them) and
-- ARGV[2d + 1] its packed rollup (96 sums, 96 counts of 1).
local ttl, days = ARGV[1], (#ARGV - 1) / 2
for d = 1, days do
  redis.call('SET', KEYS[2 * d - 1], ARGV[2 * d])
  redis.call('SET', KEYS[2 * d], ARGV[2 * d + 1])
end
for k = 2 * days + 1, #KEYS do redis.call('SET', KEYS[k], '1', 'NX', 'EX', ttl) end
return days
"""


def seed_history(
    client: redis.Redis, park: SyntheticPark, days: list[date], deadline: float
) -> int:
    """The generator's readings of each curtailable load on `days`; returns readings written.

    Only curtailable loads: they are the assets GetFlexibility forecasts from history.
    Writes what `Rollups.apply` of one event per load (event id "seed-<asset>", kW
    rounded to 0.1) writes into a store without these keys, 8 loads a script call
    (tests/test_flexibility_seed.py holds the two equal). Raises TimeoutError when
    `deadline` (time.monotonic) passes first.
    """
    loads = park.of_kind("curtailable")
    by_enterprise: dict[str, list[SyntheticAsset]] = {}
    for load in loads:
        by_enterprise.setdefault(load.enterprise_id, []).append(load)
    script = client.register_script(SEED_DAYS_LUA)
    done = 0
    with progress("seeding history", len(loads)) as advance:
        for enterprise_id, members in by_enterprise.items():
            for first in range(0, len(members), LOADS_PER_CALL):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"history of {done}/{len(loads)} loads written in time")
                chunk = members[first : first + LOADS_PER_CALL]
                history = {a.asset_id: np.round(park.history(a, days), 1) for a in chunk}
                write_days(script, enterprise_id, history, days)
                done += len(chunk)
                advance(len(chunk))
    return done * len(days) * INTERVALS_PER_DAY


def write_days(
    script: Script, enterprise_id: str, history: dict[str, np.ndarray], days: list[date]
) -> None:
    """One call of SEED_DAYS_LUA: each asset's kW (shape (len(days), 96), one reading an
    interval) on `days`, all of `enterprise_id`. Raises ValueError for a value that is
    negative or not finite (the rollup's sum would not be the reading: -0.0 sums to 0.0).
    """
    ends = interval_end_epoch_s(days)
    isos = [d.isoformat() for d in days]
    ones = np.ones((len(days), INTERVALS_PER_DAY), dtype="<i4").view(np.uint8)
    keys: list[str] = []
    args: list[int | bytes] = [APPLIED_TTL_S]
    for asset_id, kw in history.items():
        if not (np.isfinite(kw).all() and not np.signbit(kw).any()):
            raise ValueError(f"history of {asset_id} holds a negative or non-finite kW")
        rollups = np.concatenate([kw.astype("<f8").view(np.uint8), ones], axis=1)
        powers = np.zeros(kw.shape, POWER_RECORD)
        powers["epoch"], powers["kw"] = ends, kw
        for n, iso in enumerate(isos):
            keys += [
                tenant_key(enterprise_id, "powers", asset_id, iso),
                tenant_key(enterprise_id, "rollup", asset_id, iso),
            ]
            args += [powers[n].tobytes(), rollups[n].tobytes()]
    keys += [tenant_key(enterprise_id, "applied", "telemetry", f"seed-{a}") for a in history]
    script(keys=keys, args=args)


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


def raw_read_s(
    client: redis.Redis, park: SyntheticPark, market_day: date, reads: int
) -> tuple[float, int, int]:
    """The raw limit of the forecasts' read: best seconds of `reads` bare reads of the days
    GetFlexibility reads first for every metered load (the most recent BULK_READ_DAYS of
    the market day's type, `Rollups.packed_days`: pipelined MGETs, nothing decoded), the
    days read and their bytes."""
    pairs = [
        (enterprise_id, asset_id)
        for asset_id, (enterprise_id, spec) in park.specs().items()
        if isinstance(spec, CurtailableLoadSpec | ShiftableLoadSpec)
    ]
    days = same_type_days(market_day)[:BULK_READ_DAYS]
    rollups, best, values = Rollups(client), float("inf"), []
    for _ in range(reads):
        started = time.perf_counter()
        values = rollups.packed_days(pairs, days)
        best = min(best, time.perf_counter() - started)
    return best, len(values), sum(len(v) for v in values if v)


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
        memory_before = stack.runtime.redis.info("memory")["used_memory"]
        written = seed_history(stack.runtime.redis, park, days, deadline)
        seed_s = time.perf_counter() - started
        history_bytes = stack.runtime.redis.info("memory")["used_memory"] - memory_before
        stub = vpp_pb2_grpc.VppServiceStub(channel)
        request = vpb.GetFlexibilityRequest(market_day=market_day.isoformat())
        aggregate_s, aggregate_bytes = time_calls(stub, request, args.calls, args.timeout)
        request.include_assets = True
        per_asset_s, per_asset_bytes = time_calls(stub, request, args.calls, args.timeout)
        raw_s, raw_days, raw_bytes = raw_read_s(stack.runtime.redis, park, market_day, args.calls)
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
    print(
        f"  history in Valkey         {history_bytes / 2**20:,.0f} MiB "
        f"({history_bytes / written:.1f} bytes a reading: kept readings and rollups)"
    )
    print(f"  aggregate only s/call     {_fmt(aggregate_s)} (reply {aggregate_bytes / 1e3:.0f} kB)")
    print(f"  include_assets s/call     {_fmt(per_asset_s)} (reply {per_asset_bytes / 1e6:.1f} MB)")
    print(f"  per asset ms (aggregate)  {1000 * min(aggregate_s) / len(assets):.2f}")
    print(
        f"  raw limit: Redis read s   {raw_s:.2f} best of {args.calls} (the forecasts' first "
        f"read: {raw_days:,} rollup days, {raw_bytes / 1e6:.0f} MB, pipelined MGETs, no decoding)"
    )
    print(f"  aggregate / raw read      {min(aggregate_s) / raw_s:.1f} (best call over best read)")
    return 0


def _fmt(seconds: list[float]) -> str:
    return f"min {min(seconds):.2f}  max {max(seconds):.2f}  ({len(seconds)} calls)"


if __name__ == "__main__":
    raise SystemExit(main())
