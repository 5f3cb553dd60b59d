"""Telemetry over real gRPC and Kafka: bad readings counted by reason, rollups exactly once."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf import timestamp_pb2

from bidding.intervals import interval_end, locate
from parkvpp.v1 import enrollment_pb2 as epb
from parkvpp.v1 import events_pb2
from parkvpp.v1 import telemetry_pb2 as pb
from services.demo.clients import Clients
from services.runtime.events import TOPIC_TELEMETRY
from services.runtime.rpc import to_ts
from services.telemetry.rollups import RollupReading, Rollups


@pytest.fixture(scope="module")
def stack(stack_factory):
    stack = stack_factory(db=3)
    clients = Clients.connect(stack.addrs)
    clients.enrollment.RegisterEnterprise(
        epb.RegisterEnterpriseRequest(enterprise_id="ent-t", name="T", grid_area="CN-JS")
    )
    for asset_id, spec in (
        (
            "meter-load",
            epb.AssetSpec(
                curtailable_load=epb.CurtailableLoad(
                    max_curtailment_kw=10.0,
                    min_event_minutes=15,
                    max_event_minutes=60,
                    max_events_per_day=1,
                )
            ),
        ),
        (
            "meter-bess",
            epb.AssetSpec(
                battery=epb.Battery(
                    energy_capacity_kwh=10.0,
                    max_charge_kw=5.0,
                    max_discharge_kw=5.0,
                    round_trip_efficiency=0.9,
                    soc_min=0.1,
                    soc_max=0.9,
                    initial_soc=0.5,
                )
            ),
        ),
    ):
        clients.enrollment.EnrollAsset(
            epb.EnrollAssetRequest(
                request_id=f"r-{asset_id}",
                enterprise_id="ent-t",
                name=asset_id,
                spec=spec,
                asset_id=asset_id,
            )
        )
    yield stack, clients
    clients.close()


def reading(asset_id: str, moment: datetime, kw: float) -> pb.Reading:
    return pb.Reading(asset_id=asset_id, timestamp=to_ts(moment), power_kw=kw)


def profile(clients, asset_id: str, day) -> list[pb.IntervalEnergy]:
    return list(
        clients.telemetry.GetLoadProfile(
            pb.GetLoadProfileRequest(asset_id=asset_id, from_market_day=day.isoformat())
        ).intervals
    )


def wait_until(check, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.1)


def test_bad_readings_are_counted_by_reason_and_good_ones_roll_up(stack):
    _, clients = stack
    now = datetime.now(UTC)
    day, _ = locate(now - timedelta(days=2))
    good_at = interval_end(day, 10)
    batch = pb.ReadingBatch(
        readings=[
            reading("meter-load", good_at, 40.0),
            reading("meter-load", good_at - timedelta(minutes=5), 20.0),
            reading("meter-load", good_at, math.nan),
            reading("meter-load", good_at, -3.0),
            reading("meter-bess", good_at, -3.0),
            reading("meter-load", now + timedelta(hours=1), 1.0),
            reading("nobody", good_at, 1.0),
            pb.Reading(asset_id="meter-load", timestamp=to_ts(good_at)),
            pb.Reading(
                asset_id="meter-load",
                power_kw=1.0,
                timestamp=timestamp_pb2.Timestamp(seconds=253_402_300_799),  # year 9999
            ),
            reading("meter-load", good_at, 1e12),
        ]
    )
    summary = clients.telemetry.StreamReadings(iter([batch]))
    assert (summary.accepted, summary.rejected, summary.batches) == (3, 7, 1)
    assert {r.reason: r.count for r in summary.rejections} == {
        "not_finite": 1,
        "negative": 1,
        "future_timestamp": 2,
        "unknown_asset": 1,
        "missing_value": 1,
        "out_of_range": 1,
    }
    wait_until(lambda: profile(clients, "meter-load", day)[10].reading_count == 2)
    interval = profile(clients, "meter-load", day)[10]
    assert interval.average_kw == pytest.approx(30.0)
    assert interval.energy_kwh == pytest.approx(7.5)
    assert interval.quality == pb.READING_QUALITY_MEASURED
    assert profile(clients, "meter-load", day)[11].quality == pb.READING_QUALITY_MISSING
    wait_until(lambda: profile(clients, "meter-bess", day)[10].reading_count == 1)
    assert profile(clients, "meter-bess", day)[10].average_kw == pytest.approx(-3.0)


def test_a_resent_reading_changes_nothing(stack):
    _, clients = stack
    day, _ = locate(datetime.now(UTC) - timedelta(days=3))
    at = interval_end(day, 50)
    for _ in range(2):
        clients.telemetry.StreamReadings(
            iter([pb.ReadingBatch(readings=[reading("meter-load", at, 12.0)])])
        )
    marker = reading("meter-load", interval_end(day, 51), 1.0)
    clients.telemetry.StreamReadings(iter([pb.ReadingBatch(readings=[marker])]))
    wait_until(lambda: profile(clients, "meter-load", day)[51].reading_count == 1)
    assert profile(clients, "meter-load", day)[50].reading_count == 1
    assert profile(clients, "meter-load", day)[50].average_kw == pytest.approx(12.0)


def test_the_same_event_applied_twice_changes_nothing(stack):
    test_stack, _ = stack
    rollups = Rollups(test_stack.redis)
    day, _ = locate(datetime.now(UTC) - timedelta(days=4))
    readings = [RollupReading(day, 7, 1_700_000_000 + n, 10.0 + n) for n in range(3)]
    assert rollups.apply("evt-1", "ent-t", "meter-x", readings) == 3
    before = rollups.day_kw("ent-t", "meter-x", [day])[day]
    assert rollups.apply("evt-1", "ent-t", "meter-x", readings) == -1
    after = rollups.day_kw("ent-t", "meter-x", [day])[day]
    assert after[1][7] == before[1][7] == 3
    assert after[0][7] == pytest.approx(11.0)


def test_a_redelivered_kafka_event_is_applied_once(stack):
    test_stack, clients = stack
    day, _ = locate(datetime.now(UTC) - timedelta(days=5))
    message = events_pb2.ReadingsAccepted(
        asset_id="meter-load", readings=[reading("meter-load", interval_end(day, 20), 8.0)]
    )
    publisher = test_stack.runtime.publisher
    for _ in range(3):  # the same event id three times, as a redelivery would
        publisher.publish(TOPIC_TELEMETRY, "meter-load", message, "ent-t", event_id="evt-re")
    other = events_pb2.ReadingsAccepted(
        asset_id="meter-load", readings=[reading("meter-load", interval_end(day, 21), 2.0)]
    )
    publisher.publish(TOPIC_TELEMETRY, "meter-load", other, "ent-t", event_id="evt-after")
    publisher.flush()
    wait_until(lambda: profile(clients, "meter-load", day)[21].reading_count == 1)
    assert profile(clients, "meter-load", day)[20].reading_count == 1


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (
            pb.GetLoadProfileRequest(asset_id="meter-load", from_market_day="2026-13-01"),
            "from_market_day",
        ),
        (pb.GetLoadProfileRequest(from_market_day="2026-01-01"), "subject"),
        (
            pb.GetLoadProfileRequest(
                asset_id="meter-load", from_market_day="2026-01-02", to_market_day="2026-01-01"
            ),
            "to_market_day",
        ),
    ],
)
def test_bad_profile_requests_name_the_field(stack, request_, field):
    _, clients = stack
    with pytest.raises(grpc.RpcError) as err:
        clients.telemetry.GetLoadProfile(request_)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.details().startswith(field)
