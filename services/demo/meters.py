"""Demo meters: readings of the sample park, streaming them, waiting for their rollups."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import date, datetime, timedelta

from bidding.intervals import INTERVAL_HOURS, INTERVALS_PER_DAY, interval_end
from parkvpp.v1 import telemetry_pb2
from services.demo.clients import Clients
from services.demo.park import ASSETS, DemoAsset
from services.runtime.rpc import to_ts

BATCH = 500


class DemoError(RuntimeError):
    """A step of the demo day did not reach its expected state in time."""


def wait_for(what: str, check: Callable[[], bool], timeout_s: float = 120.0) -> None:
    """Poll `check` until true; DemoError naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise DemoError(f"timed out after {timeout_s:.0f}s waiting for {what}")
        time.sleep(0.25)


def readings_of(
    asset: DemoAsset, day: date, kw: list[float], skip: Collection[int] = ()
) -> Iterator[telemetry_pb2.Reading]:
    """Power readings of the day's intervals, leaving out those in `skip` (a meter gap)."""
    for interval in range(INTERVALS_PER_DAY):
        if interval in skip:
            continue
        yield telemetry_pb2.Reading(
            asset_id=asset.asset_id,
            timestamp=to_ts(interval_end(day, interval)),
            power_kw=float(kw[interval]),
        )


class EnergyRegister:
    """A cumulative kWh register meter (how the PV export meter reports), read each interval."""

    def __init__(self, asset: DemoAsset, start_kwh: float) -> None:
        self.asset = asset
        self.kwh = start_kwh

    def opening(self, day: date) -> telemetry_pb2.Reading:
        """The register at the start of `day` (end of the previous day's last interval)."""
        return self._reading(interval_end(day - timedelta(days=1), INTERVALS_PER_DAY - 1))

    def readings(self, day: date, kw: list[float]) -> Iterator[telemetry_pb2.Reading]:
        """Registers at each interval end of `day`, advancing by the interval's energy."""
        for interval in range(INTERVALS_PER_DAY):
            self.kwh = round(self.kwh + float(kw[interval]) * INTERVAL_HOURS, 3)
            yield self._reading(interval_end(day, interval))

    def _reading(self, at: datetime) -> telemetry_pb2.Reading:
        return telemetry_pb2.Reading(
            asset_id=self.asset.asset_id, timestamp=to_ts(at), energy_register_kwh=self.kwh
        )


def batches(readings: list[telemetry_pb2.Reading]) -> Iterator[telemetry_pb2.ReadingBatch]:
    for start in range(0, len(readings), BATCH):
        yield telemetry_pb2.ReadingBatch(readings=readings[start : start + BATCH])


def stream(clients: Clients, readings: list[telemetry_pb2.Reading]) -> telemetry_pb2.IngestSummary:
    return clients.telemetry.StreamReadings(batches(readings), timeout=300)


def rolled_up(
    clients: Clients, day: date, gaps: Mapping[str, Collection[int]] | None = None
) -> bool:
    """True when every demo asset has every interval of `day` measured but its `gaps`."""
    gaps = gaps or {}
    for asset in ASSETS:
        profile = clients.telemetry.GetLoadProfile(
            telemetry_pb2.GetLoadProfileRequest(
                asset_id=asset.asset_id, from_market_day=day.isoformat()
            ),
            timeout=10,
        )
        expected = INTERVALS_PER_DAY - len(gaps.get(asset.asset_id, ()))
        if sum(i.reading_count > 0 for i in profile.intervals) < expected:
            return False
    return True
