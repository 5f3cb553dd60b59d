"""TelemetryService request handling: check readings, record them, serve load profiles."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from bidding.gapfill import Quality
from bidding.intervals import INTERVAL_HOURS, days_between
from parkvpp.v1 import enrollment_pb2 as epb
from parkvpp.v1 import telemetry_pb2 as pb
from parkvpp.v1 import telemetry_pb2_grpc
from services.enrollment.registry import AssetOwners, Registry
from services.runtime.auth import current_caller, may_see
from services.runtime.context import Runtime
from services.runtime.errors import DeadlineExceeded, InvalidArgument, NotFound
from services.runtime.events import TOPIC_TELEMETRY
from services.runtime.metrics import READINGS
from services.runtime.outbox import OutboxEvent
from services.runtime.rpc import market_day, require_id
from services.runtime.streams import IdleLimited
from services.telemetry import columns
from services.telemetry.intake import CheckedOutbox
from services.telemetry.profiles import Profiles, combine
from services.telemetry.rollups import Rollups

MAX_PROFILE_DAYS = 366
#: Readings one ReadingBatch may carry, rows and columns together (10 times the demo's
#: batches): an enterprise's event of a batch stays under ~0.1 MB as columns (~0.5 MB
#: as rows), below the broker's 1 MB message limit.
MAX_BATCH_READINGS = 5_000
QUALITY = {
    Quality.MEASURED: pb.READING_QUALITY_MEASURED,
    Quality.ESTIMATED: pb.READING_QUALITY_ESTIMATED,
    Quality.MISSING: pb.READING_QUALITY_MISSING,
}
#: QUALITY as an array indexed by the Quality code.
QUALITY_CODES = np.zeros(max(QUALITY) + 1, dtype=np.int64)
QUALITY_CODES[list(QUALITY)] = list(QUALITY.values())
#: Names of the refusal codes of columns.refusals, code 1 first.
REFUSAL_NAMES = columns.reason_names()


@dataclass(frozen=True)
class _Table:
    """A stream's facts about the entries of an asset table (only known, visible assets'
    readings are accepted, so only their owners matter)."""

    asset_ids: tuple[str, ...]
    facts: columns.AssetFacts
    owners: columns.Owners


class TelemetryServicer(telemetry_pb2_grpc.TelemetryServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.registry = Registry(runtime.redis)
        self.owners = AssetOwners(self.registry)
        self.rollups = Rollups(runtime.redis)
        self.profiles = Profiles(self.rollups)
        self.intake = CheckedOutbox(runtime.redis, runtime.outbox)

    def StreamReadings(self, request_iterator, context):  # noqa: N802
        # Each open stream holds a server thread: bounded per tenant and per server, and a
        # meter that goes silent is let go; what it sent before is kept and acknowledged.
        idle_s = self.runtime.settings.stream_idle_timeout_s
        with (
            self.runtime.streams.hold("meter"),
            IdleLimited(
                request_iterator, idle_s, "ReadingBatch", context.time_remaining()
            ) as batches,
        ):
            summary = self._ingest(batches)
        if batches.timed_out:
            raise DeadlineExceeded(
                f"{batches.idle_details()}; {summary.accepted} readings accepted, "
                f"{summary.rejected} rejected; send further readings on a new stream"
            )
        return summary

    def _ingest(self, request_iterator) -> pb.IngestSummary:
        """Check and record every batch of the stream; returns the stream's summary."""
        rejections: Counter[str] = Counter()
        accepted = batches = 0
        assets: dict[str, epb.Asset | None] = {}
        table: _Table | None = None
        caller = current_caller()
        for batch in request_iterator:
            size = len(batch.readings) + len(batch.columns.timestamp_seconds)
            if size > MAX_BATCH_READINGS:
                field = "readings" if batch.readings else "columns.timestamp_seconds"
                raise InvalidArgument(field, f"at most {MAX_BATCH_READINGS} per batch")
            readings = columns.from_batch(batch)
            if caller is not None:
                self.runtime.limiter.charge(caller, "ingest", size)
            batches += 1
            if table is None or table.asset_ids != readings.asset_ids:  # a gateway's batches
                table = self._table(readings.asset_ids, assets)  # mostly share their table
            codes = columns.refusals(readings, table.facts, datetime.now(UTC))
            found = np.bincount(codes, minlength=len(REFUSAL_NAMES) + 1)
            for name, count in zip(REFUSAL_NAMES, found[1:].tolist(), strict=True):
                if count:
                    rejections[name] += count
            kept = readings.take(codes == 0)
            accepted += len(kept)
            self._record(kept.take(columns.first_of_each(kept)), table)
        READINGS.labels("accepted").inc(accepted)
        READINGS.labels("rejected").inc(sum(rejections.values()))
        return pb.IngestSummary(
            accepted=accepted,
            rejected=sum(rejections.values()),
            rejections=[
                pb.RejectionCount(reason=r, count=n) for r, n in sorted(rejections.items())
            ],
            batches=batches,
        )

    def _table(self, asset_ids: tuple[str, ...], assets: dict[str, epb.Asset | None]) -> _Table:
        """What the checks and the events need of each asset of a batch's table (each asset
        looked up once a stream)."""
        unknown = [a for a in dict.fromkeys(asset_ids) if a not in assets]
        if unknown:  # one round trip for the new assets of a batch
            found_now = {a.asset_id: a for a in self.registry.get_assets(unknown)}
            for asset_id in unknown:
                assets[asset_id] = found_now.get(asset_id)
        found = [assets[a] for a in asset_ids]
        visible = [
            a is not None and a.status != epb.ASSET_STATUS_WITHDRAWN and may_see(a.enterprise_id)
            for a in found
        ]
        battery = [a is not None and a.kind == epb.ASSET_KIND_BATTERY for a in found]
        return _Table(
            asset_ids,
            columns.AssetFacts(np.array(visible, dtype=bool), np.array(battery, dtype=bool)),
            columns.Owners.of(["" if a is None else a.enterprise_id for a in found]),
        )

    def _record(self, readings: columns.Columns, table: _Table) -> None:
        """Write one batch's accepted readings to the outbox, one event per enterprise (its
        partition key), in one round trip; Unavailable while the broker is behind (see
        CheckedOutbox). Once this returns they are in Redis: the relay takes them to Kafka."""
        if not len(readings):
            return
        events = {
            enterprise_id: OutboxEvent.of(TOPIC_TELEMETRY, enterprise_id, message, enterprise_id)
            for enterprise_id, message in columns.accepted_events(
                readings, table.owners, table.facts.battery
            ).items()
        }
        try:
            self.intake.append(events, self.runtime.settings.outbox_max_backlog)
        finally:
            self.runtime.events_written()  # also what was written before a refusal

    def GetLoadProfile(self, request, context):  # noqa: N802
        first = market_day("from_market_day", request.from_market_day)
        last = market_day("to_market_day", request.to_market_day or request.from_market_day)
        days = days_between(first, last)
        if not days or len(days) > MAX_PROFILE_DAYS:
            raise InvalidArgument(
                "to_market_day", f"must be 0..{MAX_PROFILE_DAYS} days after from_market_day"
            )
        subject = request.WhichOneof("subject")
        if subject == "asset_id":
            asset_ids = [require_id("asset_id", request.asset_id)]
            owner = self.owners(asset_ids[0])
            if owner is None:
                raise NotFound(f"asset {asset_ids[0]} not found")
            enterprise_id = owner
        elif subject == "enterprise_id":
            enterprise_id = require_id("enterprise_id", request.enterprise_id)
            self.registry.get_enterprise(enterprise_id)
            asset_ids = [
                a.asset_id
                for a in self.registry.iter_assets(enterprise_id)
                if a.kind != epb.ASSET_KIND_GENERATOR
            ]
        else:
            raise InvalidArgument("subject", "asset_id or enterprise_id is required")
        profile = pb.LoadProfile(
            asset_id=request.asset_id if subject == "asset_id" else "",
            enterprise_id=enterprise_id,
        )
        if not asset_ids:
            return profile
        now = datetime.now(UTC)
        per_asset = [self.profiles.asset_days(enterprise_id, a, days, now) for a in asset_ids]
        found = np.zeros(len(QUALITY_CODES), dtype=np.int64)
        add = profile.intervals.add  # one bound method: a profile is 96 rows a day
        for day in days:
            total = combine([p[day] for p in per_asset])
            quality = total.quality.astype(np.int64)
            kw = np.where(quality == Quality.MISSING, 0.0, total.kw)
            found += np.bincount(quality, minlength=len(QUALITY_CODES))
            iso = day.isoformat()
            for interval, average_kw, energy_kwh, code, count in zip(
                range(len(kw)),
                kw.tolist(),
                (kw * INTERVAL_HOURS).tolist(),
                QUALITY_CODES[quality].tolist(),
                total.counts.astype(np.int64).tolist(),
                strict=True,
            ):
                add(
                    market_day=iso,
                    interval=interval,
                    average_kw=average_kw,
                    energy_kwh=energy_kwh,
                    quality=code,
                    reading_count=count,
                )
        profile.measured_intervals = int(found[Quality.MEASURED])
        profile.estimated_intervals = int(found[Quality.ESTIMATED])
        profile.missing_intervals = int(found[Quality.MISSING])
        return profile
