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
from services.runtime.events import TOPIC_TELEMETRY
from services.runtime.rpc import to_ts
from services.telemetry.rollups import RollupReading, Rollups
from tests.kafka_helpers import RawProducer


@pytest.fixture(scope="module")
def stack(stack_factory):
    stack = stack_factory(db=3)
    clients = stack.clients()
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
    publisher = RawProducer(test_stack.settings.kafka_bootstrap_servers)
    topic = test_stack.topic(TOPIC_TELEMETRY)
    for _ in range(3):  # the same event id three times, as a redelivery would
        publisher.publish(topic, "meter-load", message, "ent-t", event_id="evt-re")
    other = events_pb2.ReadingsAccepted(
        asset_id="meter-load", readings=[reading("meter-load", interval_end(day, 21), 2.0)]
    )
    publisher.publish(topic, "meter-load", other, "ent-t", event_id="evt-after")
    publisher.flush()
    publisher.close()
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


def enrol_load(clients, asset_id: str) -> None:
    clients.enrollment.EnrollAsset(
        epb.EnrollAssetRequest(
            request_id=f"r-{asset_id}",
            enterprise_id="ent-t",
            name=asset_id,
            asset_id=asset_id,
            spec=epb.AssetSpec(
                curtailable_load=epb.CurtailableLoad(
                    max_curtailment_kw=50.0,
                    min_event_minutes=15,
                    max_event_minutes=60,
                    max_events_per_day=1,
                )
            ),
        )
    )


def register(asset_id: str, moment: datetime, kwh: float) -> pb.Reading:
    return pb.Reading(asset_id=asset_id, timestamp=to_ts(moment), energy_register_kwh=kwh)


def stream(clients, readings: list[pb.Reading]) -> pb.IngestSummary:
    return clients.telemetry.StreamReadings(iter([pb.ReadingBatch(readings=readings)]))


def test_energy_registers_roll_up_as_interval_energy_in_any_order(stack):
    _, clients = stack
    enrol_load(clients, "meter-reg")
    day, _ = locate(datetime.now(UTC) - timedelta(days=2))
    # Registers at the ends of intervals 9..13: +2.5 kWh per interval is 10 kW, except a
    # fall between the ends of 12 and 13 (a replaced meter), which must not roll up.
    values = {9: 1000.0, 10: 1002.5, 11: 1005.0, 12: 1007.5, 13: 3.0}
    shuffled = [11, 9, 13, 12, 10]
    summary = stream(
        clients, [register("meter-reg", interval_end(day, i), values[i]) for i in shuffled]
    )
    assert (summary.accepted, summary.rejected) == (5, 0)
    off = stream(
        clients,
        [
            register("meter-reg", interval_end(day, 20) - timedelta(minutes=5), 1010.0),
            register("meter-reg", interval_end(day, 20), -1.0),
        ],
    )
    assert {r.reason: r.count for r in off.rejections} == {
        "register_off_interval": 1,
        "negative": 1,
    }
    wait_until(lambda: profile(clients, "meter-reg", day)[12].reading_count == 1)
    intervals = profile(clients, "meter-reg", day)
    for i in (10, 11, 12):
        assert intervals[i].quality == pb.READING_QUALITY_MEASURED
        assert intervals[i].average_kw == pytest.approx(10.0)
        assert intervals[i].energy_kwh == pytest.approx(2.5)
    # The first register has no earlier neighbour and the fall is an anomaly: no energy.
    assert intervals[9].reading_count == 0
    assert intervals[13].reading_count == 0


def test_gaps_are_filled_as_estimates_and_late_readings_replace_them(stack):
    _, clients = stack
    enrol_load(clients, "meter-gap")
    today, _ = locate(datetime.now(UTC))
    history_day, day = today - timedelta(days=3), today - timedelta(days=2)
    full = [reading("meter-gap", interval_end(history_day, i), 30.0) for i in range(96)]
    short_gap, long_gap = {20, 21}, set(range(40, 50))
    partial = [
        reading("meter-gap", interval_end(day, i), 10.0 + i)
        for i in range(96)
        if i not in short_gap | long_gap
    ]
    assert stream(clients, full + partial).accepted == 96 + 84
    wait_until(lambda: profile(clients, "meter-gap", day)[95].reading_count == 1)
    wait_until(lambda: profile(clients, "meter-gap", history_day)[95].reading_count == 1)
    report = clients.telemetry.GetLoadProfile(
        pb.GetLoadProfileRequest(asset_id="meter-gap", from_market_day=day.isoformat())
    )
    assert (report.measured_intervals, report.estimated_intervals, report.missing_intervals) == (
        84,
        12,
        0,
    )
    by = {i.interval: i for i in report.intervals}
    # Short gap: linear between 29 kW (interval 19) and 32 kW (interval 22).
    assert [by[i].average_kw for i in (20, 21)] == pytest.approx([30.0, 31.0])
    # Long gap: the similar-day profile, here the one complete earlier day at 30 kW.
    assert {by[i].average_kw for i in long_gap} == {30.0}
    for i in short_gap | long_gap:
        assert by[i].quality == pb.READING_QUALITY_ESTIMATED and by[i].reading_count == 0
    late = stream(
        clients,
        [
            reading("meter-gap", interval_end(day, 20), 50.0),
            reading("meter-gap", datetime.now(UTC) - timedelta(days=500), 1.0),
        ],
    )
    assert (late.accepted, {r.reason: r.count for r in late.rejections}) == (1, {"too_old": 1})
    wait_until(lambda: profile(clients, "meter-gap", day)[20].reading_count == 1)
    after = {i.interval: i for i in profile(clients, "meter-gap", day)}
    assert after[20].quality == pb.READING_QUALITY_MEASURED
    assert after[20].average_kw == pytest.approx(50.0)
    # Interval 21 is re-estimated between the late 50 kW and 32 kW.
    assert after[21].quality == pb.READING_QUALITY_ESTIMATED
    assert after[21].average_kw == pytest.approx(41.0)


def test_an_enterprise_profile_is_as_good_as_its_worst_asset(stack):
    _, clients = stack
    enrol_load(clients, "meter-e1")
    day, _ = locate(datetime.now(UTC) - timedelta(days=6))
    readings = [reading("meter-e1", interval_end(day, i), 5.0) for i in range(96)]
    stream(clients, readings)
    wait_until(lambda: profile(clients, "meter-e1", day)[95].reading_count == 1)
    total = clients.telemetry.GetLoadProfile(
        pb.GetLoadProfileRequest(enterprise_id="ent-t", from_market_day=day.isoformat())
    )
    # Other assets of ent-t have no readings that day and nothing to estimate from.
    assert total.missing_intervals == 96
    assert all(i.quality == pb.READING_QUALITY_MISSING for i in total.intervals)
