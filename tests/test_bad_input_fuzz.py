"""Adversarial requests never crash a service: the answer is OK or a client error."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import timestamp_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parkvpp.v1 import enrollment_pb2 as epb
from parkvpp.v1 import market_pb2 as mpb
from parkvpp.v1 import telemetry_pb2 as tpb

CLIENT_ERRORS = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.ALREADY_EXISTS,
}
FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e-300, 1e300, -1.0, 0.5, 1.0]),
)
ints32 = st.integers(-(2**31), 2**31 - 1)
ints64 = st.integers(-(2**63), 2**63 - 1)
texts = st.one_of(st.text(max_size=80), st.sampled_from(["", "{x}", "a:b", "é" * 70, "x" * 5000]))


@pytest.fixture(scope="module")
def clients(stack_factory):
    stack = stack_factory(db=6)
    c = stack.clients()
    c.enrollment.RegisterEnterprise(
        epb.RegisterEnterpriseRequest(enterprise_id="ent-f", name="F", grid_area="CN-JS")
    )
    yield c
    c.close()


def answered(call, request) -> None:
    try:
        call(request, timeout=30)
    except grpc.RpcError as err:
        assert err.code() in CLIENT_ERRORS, (err.code(), err.details())


batteries = st.builds(
    epb.Battery,
    energy_capacity_kwh=floats,
    max_charge_kw=floats,
    max_discharge_kw=floats,
    round_trip_efficiency=floats,
    charge_efficiency=floats,
    discharge_efficiency=floats,
    soc_min=floats,
    soc_max=floats,
    initial_soc=floats,
    degradation_cost_fen_per_mwh=ints64,
)
windows = st.builds(
    epb.AvailabilityWindow,
    weekdays=st.lists(ints32, max_size=3),
    start_interval=ints32,
    end_interval=ints32,
)
loads = st.builds(
    epb.CurtailableLoad,
    max_curtailment_kw=floats,
    min_event_minutes=ints32,
    max_event_minutes=ints32,
    max_events_per_day=ints32,
    notification_lead_minutes=ints32,
    rebound_fraction=floats,
    availability=st.lists(windows, max_size=2),
    curtailment_cost_fen_per_mwh=ints64,
)
generators = st.builds(
    epb.Generator, capacity_kw=floats, technology=st.integers(0, 5), grid_connection_id=texts
)
specs = st.one_of(
    st.builds(lambda b: epb.AssetSpec(battery=b), batteries),
    st.builds(lambda c: epb.AssetSpec(curtailable_load=c), loads),
    st.builds(lambda g: epb.AssetSpec(generator=g), generators),
    st.just(epb.AssetSpec()),
)


@FUZZ
@given(
    request_id=texts,
    enterprise_id=st.sampled_from(["ent-f", "ghost", "", "{ent-f}"]),
    name=texts,
    spec=specs,
)
def test_enrol_asset(clients, request_id, enterprise_id, name, spec):
    answered(
        clients.enrollment.EnrollAsset,
        epb.EnrollAssetRequest(
            request_id=request_id, enterprise_id=enterprise_id, name=name, spec=spec
        ),
    )


steps = st.lists(st.builds(mpb.PriceStep, price_fen_per_mwh=ints64, quantity_kw=floats), max_size=3)
orders = st.builds(
    mpb.Order,
    order_id=texts,
    participant_id=texts,
    market_day=texts,
    interval=ints32,
    product=st.integers(0, 4),
    side=st.integers(0, 4),
    steps=steps,
)


@FUZZ
@given(
    batch_id=texts,
    market_day=st.one_of(texts, st.just("2026-02-02")),
    orders=st.lists(orders, max_size=3),
)
def test_submit_orders(clients, batch_id, market_day, orders):
    answered(
        clients.market.SubmitOrders,
        mpb.SubmitOrdersRequest(batch_id=batch_id, market_day=market_day, orders=orders),
    )


timestamps = st.builds(
    timestamp_pb2.Timestamp, seconds=st.integers(-(2**40), 2**40), nanos=st.integers(0, 999_999_999)
)
readings = st.builds(tpb.Reading, asset_id=texts, timestamp=timestamps, power_kw=floats)


@FUZZ
@given(batches=st.lists(st.lists(readings, max_size=5), max_size=3))
def test_stream_readings(clients, batches):
    answered(
        clients.telemetry.StreamReadings, iter([tpb.ReadingBatch(readings=b) for b in batches])
    )


@FUZZ
@given(first=texts, last=texts, asset_id=texts)
def test_load_profile(clients, first, last, asset_id):
    answered(
        clients.telemetry.GetLoadProfile,
        tpb.GetLoadProfileRequest(asset_id=asset_id, from_market_day=first, to_market_day=last),
    )
