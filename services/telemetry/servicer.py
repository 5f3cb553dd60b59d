"""TelemetryService request handling: check readings, record them, serve load profiles."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

from bidding.gapfill import Quality
from bidding.intervals import INTERVAL, INTERVAL_HOURS, INTERVALS_PER_DAY, days_between
from parkvpp.v1 import enrollment_pb2 as epb
from parkvpp.v1 import events_pb2, telemetry_pb2_grpc
from parkvpp.v1 import telemetry_pb2 as pb
from services.enrollment.registry import Registry
from services.runtime.auth import current_caller, may_see
from services.runtime.context import Runtime
from services.runtime.errors import DeadlineExceeded, InvalidArgument, Unavailable
from services.runtime.events import TOPIC_TELEMETRY
from services.runtime.metrics import READINGS
from services.runtime.outbox import OutboxEvent, stream_key
from services.runtime.rpc import market_day, require_id
from services.runtime.streams import IdleLimited
from services.telemetry.profiles import Profiles, combine
from services.telemetry.rollups import Rollups

#: Readings stamped further ahead than this are refused as clock errors.
MAX_FUTURE = timedelta(minutes=5)
#: Readings older than this are refused as late (settlement of that period is closed).
MAX_AGE = timedelta(days=400)
MAX_PROFILE_DAYS = 366
#: Readings one ReadingBatch may carry (10 times the demo's batches): a batch's event per
#: asset stays under ~0.5 MB, below the broker's 1 MB message limit.
MAX_BATCH_READINGS = 5_000
QUALITY = {
    Quality.MEASURED: pb.READING_QUALITY_MEASURED,
    Quality.ESTIMATED: pb.READING_QUALITY_ESTIMATED,
    Quality.MISSING: pb.READING_QUALITY_MISSING,
}
#: Timestamps outside 2000-01-01 .. 2100-01-01 are refused before any date arithmetic.
MIN_EPOCH_S = 946_684_800
MAX_EPOCH_S = 4_102_444_800
#: Largest value a meter of a park asset can report, per reading kind: beyond is a bad value
#: (1 TW of power; a register of 1e12 kWh, a century of a 1 GW plant's output).
MAX_VALUE = {"power_kw": 1e9, "energy_register_kwh": 1e12}
INTERVAL_SECONDS = int(INTERVAL.total_seconds())


class TelemetryServicer(telemetry_pb2_grpc.TelemetryServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.registry = Registry(runtime.redis)
        self.rollups = Rollups(runtime.redis)
        self.profiles = Profiles(self.rollups)

    def _check(
        self, reading: pb.Reading, assets: dict[str, epb.Asset | None], now: datetime
    ) -> str | None:
        """The reason a reading is refused, or None when it is accepted."""
        if reading.asset_id not in assets:
            assets[reading.asset_id] = self.registry.find_asset(reading.asset_id)
        asset = assets[reading.asset_id]
        if (
            asset is None
            or asset.status == epb.ASSET_STATUS_WITHDRAWN
            or not may_see(asset.enterprise_id)
        ):
            return "unknown_asset"
        kind = reading.WhichOneof("value")
        if kind is None:
            return "missing_value"
        value = getattr(reading, kind)
        if not math.isfinite(value):
            return "not_finite"
        if abs(value) > MAX_VALUE[kind]:
            return "out_of_range"
        if value < 0 and (kind == "energy_register_kwh" or asset.kind != epb.ASSET_KIND_BATTERY):
            return "negative"
        if reading.timestamp.seconds == 0:
            return "missing_timestamp"
        if not MIN_EPOCH_S <= reading.timestamp.seconds <= MAX_EPOCH_S:
            return "too_old" if reading.timestamp.seconds < MIN_EPOCH_S else "future_timestamp"
        stamp = datetime.fromtimestamp(reading.timestamp.seconds, UTC)
        if stamp > now + MAX_FUTURE:
            return "future_timestamp"
        if stamp < now - MAX_AGE:
            return "too_old"
        if kind == "energy_register_kwh" and reading.timestamp.seconds % INTERVAL_SECONDS:
            return "register_off_interval"
        return None

    def StreamReadings(self, request_iterator, context):  # noqa: N802
        # Each open stream holds a server thread: bounded per tenant and per server, and a
        # meter that goes silent is let go; what it sent before is kept and acknowledged.
        idle_s = self.runtime.settings.stream_idle_timeout_s
        with (
            self.runtime.streams.hold("meter"),
            IdleLimited(request_iterator, idle_s, "ReadingBatch") as batches,
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
        caller = current_caller()
        for batch in request_iterator:
            if len(batch.readings) > MAX_BATCH_READINGS:
                raise InvalidArgument("readings", f"at most {MAX_BATCH_READINGS} per batch")
            if caller is not None:
                self.runtime.limiter.charge(caller, "ingest", len(batch.readings))
            batches += 1
            now = datetime.now(UTC)
            by_asset: dict[str, list[pb.Reading]] = defaultdict(list)
            for reading in batch.readings:
                reason = self._check(reading, assets, now)
                if reason is None:
                    by_asset[reading.asset_id].append(reading)
                else:
                    rejections[reason] += 1
            accepted += self._record(by_asset, assets)
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

    def _record(
        self, by_asset: dict[str, list[pb.Reading]], assets: dict[str, epb.Asset | None]
    ) -> int:
        """Write one batch's accepted readings to the outbox, an event per asset; returns
        how many. Once this returns they are in Redis: the relay takes them to Kafka."""
        events: dict[str, list[OutboxEvent]] = defaultdict(list)
        for asset_id, readings in by_asset.items():
            asset = assets[asset_id]
            assert asset is not None
            message = events_pb2.ReadingsAccepted(
                asset_id=asset_id,
                readings=readings,
                bidirectional=asset.kind == epb.ASSET_KIND_BATTERY,
            )
            events[asset.enterprise_id].append(
                OutboxEvent.of(TOPIC_TELEMETRY, asset_id, message, asset.enterprise_id)
            )
        if events:
            self._check_backlog(list(events))
            # Each event stands alone (a repeat adds no reading twice), so one pipeline
            # without a transaction writes them all in one round trip.
            pipe = self.runtime.redis.pipeline(transaction=False)
            for enterprise_id, items in events.items():
                self.runtime.outbox.add_to(pipe, enterprise_id, items)
            pipe.execute()
            self.runtime.events_written()
        return sum(len(readings) for readings in by_asset.values())

    def _check_backlog(self, enterprise_ids: list[str]) -> None:
        """Raises Unavailable while an enterprise's outbox holds more unpublished events than
        PARKVPP_OUTBOX_MAX_BACKLOG (the broker is away): meters slow down instead of filling
        Redis, and retry what was not acknowledged."""
        limit = self.runtime.settings.outbox_max_backlog
        pipe = self.runtime.redis.pipeline(transaction=False)
        for enterprise_id in enterprise_ids:
            pipe.xlen(stream_key(enterprise_id))
        for enterprise_id, waiting in zip(enterprise_ids, pipe.execute(), strict=True):
            if int(waiting) >= limit:
                raise Unavailable(
                    f"{waiting} events of {enterprise_id} wait for the broker "
                    f"(PARKVPP_OUTBOX_MAX_BACKLOG={limit}); retry the readings later"
                )

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
            asset = self.registry.get_asset(require_id("asset_id", request.asset_id))
            assets = [asset]
            enterprise_id = asset.enterprise_id
        elif subject == "enterprise_id":
            enterprise_id = require_id("enterprise_id", request.enterprise_id)
            self.registry.get_enterprise(enterprise_id)
            assets = [
                a
                for a in self.registry.iter_assets(enterprise_id)
                if a.kind != epb.ASSET_KIND_GENERATOR
            ]
        else:
            raise InvalidArgument("subject", "asset_id or enterprise_id is required")
        profile = pb.LoadProfile(
            asset_id=request.asset_id if subject == "asset_id" else "",
            enterprise_id=enterprise_id,
        )
        if not assets:
            return profile
        now = datetime.now(UTC)
        per_asset = [self.profiles.asset_days(enterprise_id, a.asset_id, days, now) for a in assets]
        for day in days:
            total = combine([p[day] for p in per_asset])
            for interval in range(INTERVALS_PER_DAY):
                quality = Quality(int(total.quality[interval]))
                kw = 0.0 if quality == Quality.MISSING else float(total.kw[interval])
                profile.intervals.add(
                    market_day=day.isoformat(),
                    interval=interval,
                    average_kw=kw,
                    energy_kwh=kw * INTERVAL_HOURS,
                    quality=QUALITY[quality],
                    reading_count=int(total.counts[interval]),
                )
        qualities = Counter(i.quality for i in profile.intervals)
        profile.measured_intervals = qualities[pb.READING_QUALITY_MEASURED]
        profile.estimated_intervals = qualities[pb.READING_QUALITY_ESTIMATED]
        profile.missing_intervals = qualities[pb.READING_QUALITY_MISSING]
        return profile
