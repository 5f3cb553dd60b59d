"""Meter readings through TelemetryService.StreamReadings -> Kafka -> Redis rollups, vs raw Kafka.

Starts every service in-process on embedded Valkey and broker (loopback only), enrols
curtailable loads, streams one reading per asset per 15-minute interval for the last
`--days` days (as packed columns, or `--form rows`), times (1) until the IngestSummary
returns (every accepted reading is in the Redis outbox, durable) and (2) until the
rollup consumer has written every reading to Redis. Then produces the same events
(same keys, same bytes) straight to a spare topic with kafka-python at acks=all: the
raw limit of this run (kafka-python's batch size, as the issue's first figures; then
again in the relay's larger batches), and the end-to-end rate's ratio to each.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import redis
from kafka import KafkaProducer

from bidding.intervals import INTERVALS_PER_DAY, MARKET_TZ, interval_end
from loadtests._chaos_checks import outbox_backlog
from loadtests._stack import UNLIMITED, curtailable_spec, enrol
from parkvpp.v1 import telemetry_pb2 as tpb
from parkvpp.v1 import telemetry_pb2_grpc
from services.runtime.channels import open_channel
from services.runtime.events import ensure_topics, envelope
from services.runtime.kafka_config import NO_CLIENT_METRICS, crc32c_implementation
from services.runtime.local_stack import LocalStack
from services.runtime.metrics import KAFKA_CONSUMED
from services.runtime.relay import BATCH_BYTES, LINGER_MS
from services.telemetry import columns
from services.telemetry.rollups import Rollups

RAW_TOPIC = "loadtests.raw.v1"
#: kafka-python's batch size: the raw limit's, as in the issue's first figures.
DEFAULT_BATCH_BYTES = 16 * 1024


def reading_batches(
    owners: dict[str, str], days: list[date], batch_size: int, form: str = "columns"
) -> Iterator[tpb.ReadingBatch]:
    """Time-major, as a meter gateway forwards them: every asset's reading for t, then t+1."""
    asset_ids = list(owners)
    epochs = np.array(
        [int(interval_end(d, i).timestamp()) for d in days for i in range(INTERVALS_PER_DAY)]
    )
    index = np.tile(np.arange(len(asset_ids)), len(epochs))
    stamps = np.repeat(epochs, len(asset_ids))
    values = 400.0 + index % 50
    for start in range(0, len(index), batch_size):
        part = slice(start, start + batch_size)
        if form == "rows":
            batch = tpb.ReadingBatch()
            for n, epoch, kw in zip(index[part], stamps[part], values[part], strict=True):
                reading = batch.readings.add(asset_id=asset_ids[n], power_kw=float(kw))
                reading.timestamp.seconds = int(epoch)
            yield batch
        else:
            yield tpb.ReadingBatch(
                columns=tpb.ReadingColumns(
                    asset_ids=asset_ids,
                    asset_index=index[part].tolist(),
                    timestamp_seconds=stamps[part].tolist(),
                    values=values[part].tolist(),
                )
            )


def same_events(
    owners: dict[str, str], batches: list[tpb.ReadingBatch]
) -> list[tuple[bytes, bytes]]:
    """(key, value) of the events the service publishes: one per enterprise per batch."""
    events = []
    for batch in batches:
        readings = columns.from_batch(batch).compact()
        table_owners = [owners[a] for a in readings.asset_ids]
        flags = [False] * len(readings.asset_ids)
        for enterprise_id, message in columns.accepted_events(
            readings.take(columns.first_of_each(readings)), table_owners, flags
        ).items():
            events.append((enterprise_id.encode(), envelope(message, enterprise_id)))
    return events


def rolled_up(rollups: Rollups, owners: dict[str, str], days: list[date]) -> int:
    """Readings counted in the rollups of every asset over `days` (one MGET per enterprise)."""
    _kw, counts = rollups.days_kw([(e, a) for a, e in owners.items()], days)
    return int(counts.sum())


def rollup_events_handled() -> int:
    """Telemetry events the rollup consumers of this process have handled (any outcome):
    a counter read, so polling it takes nothing from the pipeline being measured."""
    total = 0.0
    for metric in KAFKA_CONSUMED.collect():
        for sample in metric.samples:
            if sample.name.endswith("_total") and sample.labels["group"].endswith(
                "-telemetry-rollup"
            ):
                total += sample.value
    return int(total)


def wait_rolled_up(
    rollups: Rollups,
    owners: dict[str, str],
    days: list[date],
    want: int,
    handled: int,
    timeout_s: float,
) -> int:
    """Poll until `want` readings are rolled up or `timeout_s` passes; returns the last count.

    Waits for the consumers to have handled `handled` events in all (a cheap counter),
    then counts the readings in the rollups, and counts again every second until all are
    there (also if the counter stalls short of `handled`).
    """
    deadline = time.monotonic() + timeout_s
    seen, next_count, counter_reached = 0, time.monotonic() + 1.0, False
    while time.monotonic() < deadline:
        if not counter_reached and rollup_events_handled() >= handled:
            counter_reached, next_count = True, 0.0  # count now
        if time.monotonic() >= next_count:
            seen = rolled_up(rollups, owners, days)
            if seen >= want:
                break
            next_count = time.monotonic() + 1.0
        time.sleep(0.005)
    return seen


def wait_applied(client: redis.Redis, timeout_s: float) -> None:
    """Wait until the outbox is published and the retained log empty (every group applied
    every event); TimeoutError after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while outbox_backlog(client)[:2] != (0, 0):
        if time.monotonic() > deadline:
            raise TimeoutError(f"events not applied within {timeout_s:.0f}s")
        time.sleep(0.05)


def cpu_s(pids: dict[str, int]) -> dict[str, float]:
    """User + system CPU seconds used so far by each named process (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    out = {}
    for name, pid in pids.items():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        out[name] = (int(fields[11]) + int(fields[12])) / ticks
    return out


def command_usec(
    client: redis.Redis, before: dict[str, tuple[int, int]] | None = None
) -> dict[str, tuple[int, int]]:
    """Valkey's (calls, microseconds) per command from INFO commandstats, less `before`."""
    stats = {}
    for stat, fields in client.info("commandstats").items():
        name = stat.removeprefix("cmdstat_")
        was = (before or {}).get(name, (0, 0))
        stats[name] = (int(fields["calls"]) - was[0], int(fields["usec"]) - was[1])
    return {k: v for k, v in stats.items() if v[0]} if before is not None else stats


def raw_produce(
    bootstrap: str, events: list[tuple[bytes, bytes]], timeout_s: float, batch_bytes: int
) -> float:
    """Seconds to send `events` with acks=all (the relay's linger) in record batches of up
    to `batch_bytes` and flush them."""
    ensure_topics(bootstrap, 3, [RAW_TOPIC])
    producer = KafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        linger_ms=LINGER_MS,
        batch_size=batch_bytes,
        **NO_CLIENT_METRICS,  # as the relay's producer
    )
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
    parser.add_argument("--form", choices=("columns", "rows"), default="columns")
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
        # The enrolment's own events (one per asset, read by several groups) must not be
        # consumed inside the measured window: wait until every group applied them.
        wait_applied(stack.runtime.redis, args.timeout)
        settle_s = time.perf_counter() - started - enrol_s
        batches = list(reading_batches(owners, days, args.batch, args.form))
        readings = sum(len(b.readings) + len(b.columns.timestamp_seconds) for b in batches)
        events = same_events(owners, batches)
        megabytes = sum(len(k) + len(v) for k, v in events) / 1e6
        rollups = Rollups(stack.runtime.redis)
        stub = telemetry_pb2_grpc.TelemetryServiceStub(channel)

        handled = rollup_events_handled() + len(events)
        pids = {"python (services, client)": os.getpid()}
        pids.update((s.name, s.pid) for s in stack._embedded if s.pid is not None)
        cpu_before = cpu_s(pids)
        valkey_before = command_usec(stack.runtime.redis)
        started = time.perf_counter()
        summary = stub.StreamReadings(iter(batches), timeout=args.timeout)
        acked_s = time.perf_counter() - started
        seen = wait_rolled_up(rollups, owners, days, summary.accepted, handled, args.timeout)
        rolled_s = time.perf_counter() - started
        cpu_used = {name: used - cpu_before[name] for name, used in cpu_s(pids).items()}
        valkey_used = command_usec(stack.runtime.redis, valkey_before)
        bootstrap = stack.settings.kafka_bootstrap_servers
        raw_s = raw_produce(bootstrap, events, args.timeout, DEFAULT_BATCH_BYTES)
        raw_relay_s = raw_produce(bootstrap, events, args.timeout, BATCH_BYTES)
    finally:
        channel.close()
        stack.stop()

    raw_rate = readings / raw_s
    print("bench_ingest: StreamReadings -> Kafka -> Redis rollups (in-process, embedded)")
    print(f"  cores                     {os.cpu_count()}")
    print(f"  kafka-python CRC-32C      {crc32c_implementation()}")
    print(f"  assets / enterprises      {args.assets} / {args.enterprises}")
    print(f"  days / batch size / form  {args.days} / {args.batch} / {args.form}")
    print(f"  readings sent             {readings} in {len(batches)} batches")
    print(f"  accepted / rejected       {summary.accepted} / {summary.rejected}")
    print(
        f"  kafka events (same bytes) {len(events)} ({megabytes:.2f} MB, "
        f"{readings / len(events):,.0f} readings an event)"
    )
    print(f"  events per reading        {len(events) / readings:.4f}")
    print(f"  enrolment s               {enrol_s:.2f} (+{settle_s:.2f} until its events applied)")
    print(f"  until acknowledged s      {acked_s:.2f} (every reading durable in the outbox)")
    print(f"    readings/s              {readings / acked_s:,.0f}")
    print(f"  until rolled up s         {rolled_s:.2f} ({seen}/{summary.accepted} readings)")
    print(f"    readings/s end to end   {seen / rolled_s:,.0f}")
    for name, used in cpu_used.items():
        print(f"    CPU s {name:<19} {used:.2f}")
    print("    Valkey s by command (scripts' commands also inside their script's figure)")
    for name, (calls, usec) in sorted(valkey_used.items(), key=lambda kv: -kv[1][1])[:8]:
        print(f"      {name:<22} {usec / 1e6:6.3f} s in {calls:,} calls")
    print(
        f"  raw limit: KafkaProducer  {raw_s:.2f} s for the same events (acks=all, linger "
        f"{LINGER_MS} ms, batches up to {DEFAULT_BATCH_BYTES // 1024} KB: kafka-python's default)"
    )
    print(f"    msgs/s, MB/s            {len(events) / raw_s:,.0f}, {megabytes / raw_s:.2f}")
    print(f"    readings/s              {raw_rate:,.0f}")
    relay_kb = BATCH_BYTES // 1024
    print(f"    same, relay's batches   {readings / raw_relay_s:,.0f} (up to {relay_kb} KB)")
    end_to_end = seen / rolled_s
    print(
        f"  end to end / raw limit    {end_to_end / raw_rate:.2f} (goal >= 0.5); "
        f"{end_to_end * raw_relay_s / readings:.2f} against the relay's batches"
    )
    if seen < summary.accepted:
        print(f"  NOT ALL ROLLED UP within {args.timeout:.0f}s")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
