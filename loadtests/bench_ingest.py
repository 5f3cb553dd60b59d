"""Meter readings through TelemetryService.StreamReadings -> Kafka -> Redis rollups, vs raw Kafka.

Starts every service in-process on embedded Valkey and broker (loopback only), enrols
curtailable loads, streams one reading per asset per 15-minute interval for the last
`--days` days, times (1) until the IngestSummary returns — the service has flushed
every event with acks=all — and (2) until the rollup consumer has written every reading
to Redis. Then produces the same events (same keys, same bytes) straight to a spare
topic with kafka-python at acks=all, to show what the gRPC path costs on top of Kafka.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from kafka import KafkaProducer

from bidding.intervals import INTERVALS_PER_DAY, MARKET_TZ, interval_end
from loadtests._stack import UNLIMITED, curtailable_spec, enrol
from parkvpp.v1 import events_pb2, telemetry_pb2_grpc
from parkvpp.v1 import telemetry_pb2 as tpb
from services.runtime.channels import open_channel
from services.runtime.events import ensure_topics, envelope
from services.runtime.local_stack import LocalStack
from services.telemetry.rollups import Rollups

RAW_TOPIC = "loadtests.raw.v1"


def reading_batches(
    owners: dict[str, str], days: list[date], batch_size: int
) -> Iterator[tpb.ReadingBatch]:
    """Time-major, as a meter gateway forwards them: every asset's reading for t, then t+1."""
    batch = tpb.ReadingBatch()
    for day in days:
        for interval in range(INTERVALS_PER_DAY):
            seconds = int(interval_end(day, interval).timestamp())
            for n, asset_id in enumerate(owners):
                reading = batch.readings.add(asset_id=asset_id, power_kw=400.0 + n % 50)
                reading.timestamp.seconds = seconds
                if len(batch.readings) >= batch_size:
                    yield batch
                    batch = tpb.ReadingBatch()
    if batch.readings:
        yield batch


def same_events(
    owners: dict[str, str], batches: list[tpb.ReadingBatch]
) -> list[tuple[bytes, bytes]]:
    """(key, value) of the events the service publishes: one per asset per batch."""
    events = []
    for batch in batches:
        by_asset: dict[str, list[tpb.Reading]] = defaultdict(list)
        for reading in batch.readings:
            by_asset[reading.asset_id].append(reading)
        for asset_id, readings in by_asset.items():
            message = events_pb2.ReadingsAccepted(asset_id=asset_id, readings=readings)
            events.append((asset_id.encode(), envelope(message, owners[asset_id])))
    return events


def rolled_up(rollups: Rollups, owners: dict[str, str], days: list[date]) -> int:
    """Readings counted in the rollups of every asset over `days`."""
    total = 0
    for asset_id, enterprise_id in owners.items():
        for _kw, counts in rollups.day_kw(enterprise_id, asset_id, days).values():
            total += int(counts.sum())
    return total


def wait_rolled_up(
    rollups: Rollups, owners: dict[str, str], days: list[date], want: int, timeout_s: float
) -> int:
    """Poll until `want` readings are rolled up or `timeout_s` passes; returns the last count."""
    deadline = time.monotonic() + timeout_s
    seen = rolled_up(rollups, owners, days)
    while seen < want and time.monotonic() < deadline:
        time.sleep(0.1)
        seen = rolled_up(rollups, owners, days)
    return seen


def raw_produce(bootstrap: str, events: list[tuple[bytes, bytes]], timeout_s: float) -> float:
    """Seconds to send `events` with acks=all (same linger as the service) and flush them."""
    ensure_topics(bootstrap, 3, [RAW_TOPIC])
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    try:
        producer.send(RAW_TOPIC, key=b"warm-up", value=b"x").get(timeout=timeout_s)
        started = time.perf_counter()
        for key, value in events:
            producer.send(RAW_TOPIC, key=key, value=value)
        producer.flush(timeout=timeout_s)
        return time.perf_counter() - started
    finally:
        producer.close(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=200, help="curtailable loads")
    parser.add_argument("--enterprises", type=int, default=10)
    parser.add_argument("--days", type=int, default=2, help="days of 96 readings per asset")
    parser.add_argument("--batch", type=int, default=500, help="readings per ReadingBatch")
    parser.add_argument("--timeout", type=float, default=600.0, help="bound of each phase, s")
    args = parser.parse_args(argv)
    if not (args.assets >= 1 and args.enterprises >= 1 and 1 <= args.days <= 365):
        parser.error("need --assets >= 1, --enterprises >= 1 and --days in 1..365")
    if args.batch < 1:
        parser.error("--batch must be >= 1")

    owners = {f"meter-{n:06d}": f"ent-{n % args.enterprises:04d}" for n in range(args.assets)}
    today = datetime.now(MARKET_TZ).date()
    days = [today - timedelta(days=k) for k in range(args.days, 0, -1)]
    stack = LocalStack(env=UNLIMITED).start()
    channel = open_channel(stack.addr, token=stack.token("operator"))
    try:
        started = time.perf_counter()
        enrol(
            channel,
            {a: (e, curtailable_spec(300.0)) for a, e in owners.items()},
            approve=False,
            timeout_s=args.timeout,
        )
        enrol_s = time.perf_counter() - started
        batches = list(reading_batches(owners, days, args.batch))
        readings = sum(len(b.readings) for b in batches)
        events = same_events(owners, batches)
        megabytes = sum(len(k) + len(v) for k, v in events) / 1e6
        rollups = Rollups(stack.runtime.redis)
        stub = telemetry_pb2_grpc.TelemetryServiceStub(channel)

        started = time.perf_counter()
        summary = stub.StreamReadings(iter(batches), timeout=args.timeout)
        acked_s = time.perf_counter() - started
        seen = wait_rolled_up(rollups, owners, days, summary.accepted, args.timeout)
        rolled_s = time.perf_counter() - started
        raw_s = raw_produce(stack.settings.kafka_bootstrap_servers, events, args.timeout)
    finally:
        channel.close()
        stack.stop()

    print("bench_ingest: StreamReadings -> Kafka -> Redis rollups (in-process, embedded)")
    print(f"  cores                     {os.cpu_count()}")
    print(f"  assets / enterprises      {args.assets} / {args.enterprises}")
    print(f"  days / batch size         {args.days} / {args.batch}")
    print(f"  readings sent             {readings} in {len(batches)} batches")
    print(f"  accepted / rejected       {summary.accepted} / {summary.rejected}")
    print(f"  kafka events (same bytes) {len(events)} ({megabytes:.2f} MB)")
    print(f"  enrolment s               {enrol_s:.2f}")
    print(f"  gRPC->Kafka (acked) s     {acked_s:.2f}")
    print(f"    readings/s              {readings / acked_s:,.0f}")
    print(f"    events/s, MB/s          {len(events) / acked_s:,.0f}, {megabytes / acked_s:.2f}")
    print(f"  until rolled up s         {rolled_s:.2f} ({seen}/{summary.accepted} readings)")
    print(f"    readings/s              {seen / rolled_s:,.0f}")
    print(f"  raw KafkaProducer s       {raw_s:.2f} (acks=all, linger 5 ms)")
    print(f"    msgs/s, MB/s            {len(events) / raw_s:,.0f}, {megabytes / raw_s:.2f}")
    print(f"  raw / gRPC path           {acked_s / raw_s:.1f}x faster")
    if seen < summary.accepted:
        print(f"  NOT ALL ROLLED UP within {args.timeout:.0f}s")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
