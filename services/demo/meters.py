"""Demo meters: readings of the sample park, streaming them, waiting for their rollups."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import date

from bidding.intervals import INTERVALS_PER_DAY, interval_end
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


def readings_of(asset: DemoAsset, day: date, kw: list[float]) -> Iterator[telemetry_pb2.Reading]:
    for interval in range(INTERVALS_PER_DAY):
        yield telemetry_pb2.Reading(
            asset_id=asset.asset_id,
            timestamp=to_ts(interval_end(day, interval)),
            power_kw=float(kw[interval]),
        )


def batches(readings: list[telemetry_pb2.Reading]) -> Iterator[telemetry_pb2.ReadingBatch]:
    for start in range(0, len(readings), BATCH):
        yield telemetry_pb2.ReadingBatch(readings=readings[start : start + BATCH])


def stream(clients: Clients, readings: list[telemetry_pb2.Reading]) -> telemetry_pb2.IngestSummary:
    return clients.telemetry.StreamReadings(batches(readings), timeout=300)


def rolled_up(clients: Clients, day: date) -> bool:
    """True when every demo asset has all 96 intervals of `day` measured."""
    for asset in ASSETS:
        profile = clients.telemetry.GetLoadProfile(
            telemetry_pb2.GetLoadProfileRequest(
                asset_id=asset.asset_id, from_market_day=day.isoformat()
            ),
            timeout=10,
        )
        if sum(i.reading_count > 0 for i in profile.intervals) < INTERVALS_PER_DAY:
            return False
    return True
