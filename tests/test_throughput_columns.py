"""Columnar meter data: the same readings as rows or columns give the same summary,
rejections and rollups (real Valkey and broker), and malformed columns are refused by name."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import grpc
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bidding.intervals import interval_end, locate, locate_period_end
from parkvpp.v1 import enrollment_pb2 as epb
from parkvpp.v1 import telemetry_pb2 as pb
from services.runtime.store import tenant_key
from services.telemetry import columns
from services.telemetry.rollups import Rollups

FORMS = ("row", "col")
#: Asset roles of each form's enterprise; "nobody" is never enrolled.
ROLES = ("load", "bess", "gen", "nobody")
KINDS = {
    "power": pb.READING_VALUE_KIND_POWER_KW,
    "register": pb.READING_VALUE_KIND_ENERGY_REGISTER_KWH,
    "missing": pb.READING_VALUE_KIND_UNSPECIFIED,
}
BATTERY = epb.Battery(
    energy_capacity_kwh=10.0,
    max_charge_kw=5.0,
    max_discharge_kw=5.0,
    round_trip_efficiency=0.9,
    soc_min=0.1,
    soc_max=0.9,
    initial_soc=0.5,
)
LOAD = epb.CurtailableLoad(
    max_curtailment_kw=10.0, min_event_minutes=15, max_event_minutes=60, max_events_per_day=1
)
GENERATOR = epb.Generator(
    capacity_kw=100.0, technology=epb.GENERATOR_TECHNOLOGY_PV, grid_connection_id="gc-1"
)


def asset(form: str, role: str) -> str:
    return f"{form}-{role}"


@pytest.fixture(scope="module")
def stack(stack_factory):
    stack = stack_factory(db=14)
    clients = stack.clients()
    for form in FORMS:
        enterprise_id = f"ent-{form}"
        clients.enrollment.RegisterEnterprise(
            epb.RegisterEnterpriseRequest(enterprise_id=enterprise_id, name=form, grid_area="CN")
        )
        for role, spec in (
            ("load", epb.AssetSpec(curtailable_load=LOAD)),
            ("bess", epb.AssetSpec(battery=BATTERY)),
            ("gen", epb.AssetSpec(generator=GENERATOR)),
            ("marker", epb.AssetSpec(curtailable_load=LOAD)),
        ):
            clients.enrollment.EnrollAsset(
                epb.EnrollAssetRequest(
                    request_id=f"r-{form}-{role}",
                    enterprise_id=enterprise_id,
                    name=role,
                    spec=spec,
                    asset_id=asset(form, role),
                )
            )
    yield stack, clients
    clients.close()


#: One reading: asset role, value kind, where in the example's day (or a bad stamp), value.
READING = st.tuples(
    st.sampled_from(ROLES),
    st.sampled_from(tuple(KINDS)),
    st.one_of(
        st.integers(1, 96).map(lambda n: ("interval_end", n)),
        st.integers(1, 95 * 900).map(lambda s: ("seconds", s)),
        st.sampled_from((("zero", 0), ("future", 0), ("ancient", 0), ("year_9999", 0))),
    ),
    st.one_of(
        st.sampled_from((0.0, 1.5, -2.0, 40.0, float("nan"), float("inf"), 2e9, 5e11)),
        st.floats(-100, 1000, allow_nan=False),
    ),
)


def stamp(day: date, where: tuple[str, int], now: datetime) -> int:
    start = int(interval_end(day, 0).timestamp()) - 900
    kind, n = where
    return {
        "interval_end": start + 900 * n,
        "seconds": start + n,
        "zero": 0,
        "future": int((now + timedelta(hours=2)).timestamp()),
        "ancient": int((now - timedelta(days=500)).timestamp()),
        "year_9999": 253_402_300_799,
    }[kind]


def as_rows(form: str, readings, epochs) -> list[pb.Reading]:
    rows = []
    for (role, kind, _, value), epoch in zip(readings, epochs, strict=True):
        row = pb.Reading(asset_id=asset(form, role))
        row.timestamp.seconds = epoch
        if kind == "power":
            row.power_kw = value
        elif kind == "register":
            row.energy_register_kwh = value
        rows.append(row)
    return rows


def as_columns(form: str, readings, epochs) -> pb.ReadingColumns:
    table = [asset(form, role) for role in ROLES]
    return pb.ReadingColumns(
        asset_ids=table,
        asset_index=[ROLES.index(role) for role, *_ in readings],
        timestamp_seconds=epochs,
        values=[0.0 if kind == "missing" else value for _, kind, _, value in readings],
        kinds=[KINDS[kind] for _, kind, _, _ in readings],
    )


def wait_until(check, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def readings_kept(stack, form: str, role: str, day: date) -> dict[int, float]:
    """The power readings kept for the asset's day, and its register values by field."""
    enterprise_id, asset_id = f"ent-{form}", asset(form, role)
    [powers] = Rollups(stack.redis).stored_powers([(enterprise_id, asset_id, day)])
    key = tenant_key(enterprise_id, "readings", asset_id, day.isoformat())
    return {**powers, **{k: float(v) for k, v in stack.redis.hgetall(key).items()}}


_examples = iter(range(2, 300))


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(readings=st.lists(READING, min_size=1, max_size=25), split=st.integers(0, 25))
def test_rows_and_columns_give_the_same_summary_and_rollups(stack, readings, split):
    test_stack, clients = stack
    now = datetime.now(UTC)
    day, _ = locate(now - timedelta(days=next(_examples)))
    epochs = [stamp(day, where, now) for _, _, where, _ in readings]
    split = min(split, len(readings))
    summaries = {}
    for form in FORMS:
        parts = [(readings[:split], epochs[:split]), (readings[split:], epochs[split:])]
        if form == "row":
            batches = [pb.ReadingBatch(readings=as_rows(form, r, e)) for r, e in parts]
        else:
            batches = [pb.ReadingBatch(columns=as_columns(form, r, e)) for r, e in parts]
        summaries[form] = clients.telemetry.StreamReadings(iter(batches))
        marker = pb.Reading(asset_id=asset(form, "marker"), power_kw=1.0)
        marker.timestamp.FromDatetime(interval_end(day, 40))
        clients.telemetry.StreamReadings(iter([pb.ReadingBatch(readings=[marker])]))
    assert summaries["row"] == summaries["col"]
    assert summaries["row"].accepted + summaries["row"].rejected == len(readings)

    rollups = Rollups(test_stack.redis)
    for form in FORMS:  # the marker follows the form's events in its partition
        wait_until(
            lambda form=form: (
                rollups.day_kw(f"ent-{form}", asset(form, "marker"), [day])[day][1][40] == 1
            )
        )
    days = [day - timedelta(days=1), day, day + timedelta(days=1)]
    for role in ("load", "bess", "gen"):
        row = rollups.day_kw("ent-row", asset("row", role), days)
        col = rollups.day_kw("ent-col", asset("col", role), days)
        for d in days:
            np.testing.assert_array_equal(row[d][0], col[d][0])
            np.testing.assert_array_equal(row[d][1], col[d][1])
            assert readings_kept(test_stack, "row", role, d) == readings_kept(
                test_stack, "col", role, d
            )


@pytest.mark.parametrize(
    ("columns_", "field"),
    [
        (
            pb.ReadingColumns(
                asset_ids=["a"], asset_index=[0], timestamp_seconds=[1, 2], values=[1]
            ),
            "columns.asset_index",
        ),
        (
            pb.ReadingColumns(asset_ids=["a"], asset_index=[0], timestamp_seconds=[1], values=[]),
            "columns.values",
        ),
        (
            pb.ReadingColumns(asset_ids=["a"], asset_index=[1], timestamp_seconds=[1], values=[1]),
            "columns.asset_index",
        ),
        (
            pb.ReadingColumns(
                asset_ids=["a"], asset_index=[0], timestamp_seconds=[1], values=[1], kinds=[1, 1]
            ),
            "columns.kinds",
        ),
        (
            pb.ReadingColumns(
                asset_ids=["a"], asset_index=[0], timestamp_seconds=[1], values=[1], kinds=[7]
            ),
            "columns.kinds",
        ),
    ],
)
def test_malformed_columns_are_invalid_argument_naming_the_column(stack, columns_, field):
    _, clients = stack
    with pytest.raises(grpc.RpcError) as err:
        clients.telemetry.StreamReadings(iter([pb.ReadingBatch(columns=columns_)]))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.details().startswith(field)


@given(st.integers(columns.MIN_EPOCH_S, columns.MAX_EPOCH_S))
def test_vectorised_location_agrees_with_the_interval_helper(epoch_s):
    day, interval = columns.locate_period_ends(np.array([epoch_s]))
    expected = locate_period_end(datetime.fromtimestamp(epoch_s, UTC))
    assert (columns.day_of(int(day[0])), int(interval[0])) == expected
