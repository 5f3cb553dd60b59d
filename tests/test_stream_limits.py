"""Fair limits on long-lived streams over a real server: caps per tenant and per server,
the idle timeout of meter streams, health and unary calls answering while every stream
slot is held, and a client's cancel counted as CANCELLED, not INTERNAL.

One stack with 8 server threads, 2 of them kept from streams (6 stream slots), 2 streams
of a kind per tenant and a 2-second idle limit.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from parkvpp.v1 import enrollment_pb2 as epb
from parkvpp.v1 import telemetry_pb2 as tpb
from parkvpp.v1 import vpp_pb2 as vpb
from services.runtime.local_stack import LocalStack
from services.runtime.metrics import handled_total
from services.runtime.rpc import to_ts
from services.runtime.settings import SettingsError, load_settings

STREAM_READINGS = "/parkvpp.v1.TelemetryService/StreamReadings"
SUBSCRIBE_DISPATCH = "/parkvpp.v1.VppService/SubscribeDispatch"
TENANTS = ("ent-a", "ent-b", "ent-c", "ent-d")
ENV = {
    "PARKVPP_GRPC_WORKERS": "8",
    "PARKVPP_GRPC_RESERVED_WORKERS": "2",
    "PARKVPP_STREAMS_PER_TENANT": "2",
    "PARKVPP_STREAM_IDLE_TIMEOUT_S": "2",
}


@pytest.fixture(scope="module")
def park(redis_url, kafka_bootstrap):
    stack = LocalStack(redis_url, kafka_bootstrap, db=10, env=ENV, topic_prefix="limits.").start()
    operator = stack.clients()
    for enterprise_id in TENANTS:
        operator.enrollment.RegisterEnterprise(
            epb.RegisterEnterpriseRequest(
                enterprise_id=enterprise_id, name=enterprise_id, grid_area="CN-JS"
            )
        )
    operator.enrollment.EnrollAsset(
        epb.EnrollAssetRequest(
            request_id="r-idle-pv",
            enterprise_id="ent-c",
            name="PV meter",
            asset_id="idle-pv",
            spec=epb.AssetSpec(
                generator=epb.Generator(
                    capacity_kw=10.0,
                    technology=epb.GENERATOR_TECHNOLOGY_PV,
                    grid_connection_id="GC-1",
                )
            ),
        )
    )
    tenants = {e: stack.clients(f"enterprise:{e}") for e in TENANTS}
    yield stack, operator, tenants
    for clients in (operator, *tenants.values()):
        clients.close()
    stack.stop()


def wait_until(check, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def count(method: str, code: str) -> float:
    return handled_total(method, code)


def dispatch_stream(clients, enterprise_id: str):
    """An open dispatch stream (nothing to send yet), live once its metadata arrived."""
    request = vpb.SubscribeDispatchRequest(enterprise_id=enterprise_id, after_sequence=10**6)
    return clients.vpp.SubscribeDispatch(request, timeout=60)


def keep_sending(stop: threading.Event) -> Iterator[tpb.ReadingBatch]:
    """A meter that sends an empty batch every 0.1 s until `stop`: never idle."""
    while not stop.is_set():
        yield tpb.ReadingBatch()
        stop.wait(0.1)


def then_silent(batches: list[tpb.ReadingBatch], stop: threading.Event):
    """A meter that sends `batches`, then nothing until `stop` (it never half-closes)."""
    yield from batches
    stop.wait()


def meter_stream(clients, batches: Iterator[tpb.ReadingBatch]):
    return clients.telemetry.StreamReadings.future(batches, timeout=60)


@pytest.fixture()
def stop() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()


@pytest.fixture()
def opened(park) -> Iterator[list]:
    """Calls a test opens; cancelled after it, and the server has let all of them go."""
    stack = park[0]
    calls: list = []
    yield calls
    for call in calls:
        call.cancel()
    wait_until(lambda: stack.runtime.streams.open_count() == 0)


def refused(call_result) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as err:
        call_result()
    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    return err.value


def test_a_tenant_at_its_dispatch_cap_is_refused_naming_the_limit_and_others_are_not(park, opened):
    stack, _, tenants = park
    for _ in range(2):
        opened.append(dispatch_stream(tenants["ent-a"], "ent-a"))
        opened[-1].initial_metadata()  # live: the server holds the slot
    third = dispatch_stream(tenants["ent-a"], "ent-a")
    error = refused(lambda: next(third))
    assert "enterprise ent-a" in error.details()
    assert "PARKVPP_STREAMS_PER_TENANT=2" in error.details()
    opened.append(dispatch_stream(tenants["ent-b"], "ent-b"))
    opened[-1].initial_metadata()  # another tenant is unaffected
    opened[0].cancel()  # a closed stream gives its slot back
    wait_until(lambda: stack.runtime.streams.open_count("dispatch") == 2)
    opened.append(dispatch_stream(tenants["ent-a"], "ent-a"))
    opened[-1].initial_metadata()


def test_a_tenant_at_its_meter_cap_is_refused_and_others_still_stream(park, stop, opened):
    stack, _, tenants = park
    for _ in range(2):
        opened.append(meter_stream(tenants["ent-a"], keep_sending(stop)))
    wait_until(lambda: stack.runtime.streams.open_count("meter") == 2)
    error = refused(meter_stream(tenants["ent-a"], keep_sending(stop)).result)
    assert "PARKVPP_STREAMS_PER_TENANT=2" in error.details()
    other = meter_stream(tenants["ent-b"], keep_sending(stop))
    wait_until(lambda: stack.runtime.streams.open_count("meter") == 3)
    stop.set()
    assert other.result().batches >= 1
    assert all(call.result().batches >= 1 for call in opened)


def test_health_and_unary_calls_answer_while_every_stream_slot_is_held(park, stop, opened):
    stack, operator, tenants = park
    assert stack.runtime.streams.total == 6
    for enterprise_id in ("ent-a", "ent-b"):
        for _ in range(2):
            opened.append(dispatch_stream(tenants[enterprise_id], enterprise_id))
            opened[-1].initial_metadata()
    for _ in range(2):
        opened.append(meter_stream(tenants["ent-c"], keep_sending(stop)))
    wait_until(lambda: stack.runtime.streams.open_count() == 6)
    error = refused(lambda: next(dispatch_stream(tenants["ent-d"], "ent-d")))
    assert "PARKVPP_GRPC_WORKERS=8" in error.details()
    assert "PARKVPP_GRPC_RESERVED_WORKERS=2" in error.details()
    refused(meter_stream(tenants["ent-d"], keep_sending(stop)).result)
    with grpc.insecure_channel(stack.addr) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        reply = health.Check(health_pb2.HealthCheckRequest(service=""), timeout=10)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
    listed = operator.vpp.ListDispatch(vpb.ListDispatchRequest(market_day="2026-11-20"), timeout=10)
    assert len(listed.instructions) == 0
    enterprise = operator.enrollment.GetEnterprise(
        epb.GetEnterpriseRequest(enterprise_id="ent-d"), timeout=10
    )
    assert enterprise.enterprise_id == "ent-d"


def test_a_silent_meter_stream_ends_naming_the_idle_limit_and_its_readings_are_kept(park, stop):
    stack, operator, tenants = park
    start = (datetime.now(UTC) - timedelta(days=2)).replace(hour=0, minute=0, second=0)
    batch = tpb.ReadingBatch(
        readings=[
            tpb.Reading(
                asset_id="idle-pv", timestamp=to_ts(start + timedelta(minutes=m)), power_kw=4.0
            )
            for m in (0, 5)
        ]
    )
    before = count(STREAM_READINGS, "DEADLINE_EXCEEDED")
    call = meter_stream(tenants["ent-c"], then_silent([batch], stop))
    with pytest.raises(grpc.RpcError) as err:
        call.result()
    assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    details = err.value.details()
    assert "PARKVPP_STREAM_IDLE_TIMEOUT_S" in details and "no ReadingBatch for 2 s" in details
    assert "after 1 ReadingBatch;" in details and "2 readings accepted" in details
    assert count(STREAM_READINGS, "DEADLINE_EXCEEDED") == before + 1
    wait_until(lambda: stack.runtime.streams.open_count("meter") == 0)
    wait_until(lambda: not any(t.name == "stream-reader" for t in threading.enumerate()))

    def rolled_up() -> int:
        profile = operator.telemetry.GetLoadProfile(
            tpb.GetLoadProfileRequest(asset_id="idle-pv", from_market_day=start.date().isoformat())
        )
        return sum(i.reading_count for i in profile.intervals)

    wait_until(lambda: rolled_up() == 2)


def test_a_stream_whose_deadline_comes_first_is_read_without_a_watch_and_ends_at_it(park, stop):
    """A call due to end (its deadline) within the idle limit needs no idle watch: no
    reader thread is started, the client's deadline ends it, the slot is given back and
    what it sent is kept."""
    stack, operator, tenants = park
    start = (datetime.now(UTC) - timedelta(days=3)).replace(hour=0, minute=0, second=0)
    batch = tpb.ReadingBatch(
        readings=[tpb.Reading(asset_id="idle-pv", timestamp=to_ts(start), power_kw=3.0)]
    )
    received = threading.Event()

    def sent_then_silent() -> Iterator[tpb.ReadingBatch]:
        yield batch
        received.set()
        stop.wait()

    call = tenants["ent-c"].telemetry.StreamReadings.future(sent_then_silent(), timeout=1.5)
    assert received.wait(10)
    wait_until(lambda: stack.runtime.streams.open_count("meter") == 1)
    assert not any(t.name == "stream-reader" for t in threading.enumerate())
    with pytest.raises(grpc.RpcError) as err:
        call.result()
    assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    wait_until(lambda: stack.runtime.streams.open_count("meter") == 0)

    def rolled_up() -> int:
        profile = operator.telemetry.GetLoadProfile(
            tpb.GetLoadProfileRequest(asset_id="idle-pv", from_market_day=start.date().isoformat())
        )
        return sum(i.reading_count for i in profile.intervals)

    wait_until(lambda: rolled_up() == 1)


@pytest.mark.parametrize("method", [STREAM_READINGS, SUBSCRIBE_DISPATCH])
def test_a_client_that_cancels_is_counted_and_logged_as_cancelled_not_internal(
    park, stop, method, caplog
):
    stack, _, tenants = park
    caplog.set_level(logging.INFO, logger="services.runtime.interceptors")
    cancelled, internal = count(method, "CANCELLED"), count(method, "INTERNAL")
    if method == STREAM_READINGS:
        call = meter_stream(tenants["ent-b"], keep_sending(stop))
        wait_until(lambda: stack.runtime.streams.open_count("meter") == 1)
    else:
        call = dispatch_stream(tenants["ent-b"], "ent-b")
        call.initial_metadata()
    call.cancel()
    wait_until(lambda: count(method, "CANCELLED") >= cancelled + 1)
    wait_until(lambda: stack.runtime.streams.open_count() == 0)
    assert count(method, "INTERNAL") == internal
    messages = [r.getMessage() for r in caplog.records]
    assert "call ended by the client: CANCELLED" in messages
    assert not any("unhandled error" in m or "Exception" in m for m in messages)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"PARKVPP_GRPC_WORKERS": "4"}, "PARKVPP_GRPC_RESERVED_WORKERS"),
        ({"PARKVPP_STREAMS_PER_TENANT": "0"}, "PARKVPP_STREAMS_PER_TENANT"),
        ({"PARKVPP_STREAM_IDLE_TIMEOUT_S": "soon"}, "PARKVPP_STREAM_IDLE_TIMEOUT_S"),
    ],
)
def test_bad_stream_limits_stop_start_up_naming_the_variable(env, variable):
    with pytest.raises(SettingsError) as err:
        load_settings(env)
    assert str(err.value).startswith(variable)


def test_stream_limits_default_to_a_parks_needs():
    settings = load_settings({})
    assert (settings.streams_per_tenant, settings.stream_idle_timeout_s) == (4, 60.0)
    assert settings.grpc_workers - settings.grpc_reserved_workers == 12
