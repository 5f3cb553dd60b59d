"""Settled is final: no dispatch change reaches a settled day; only the ESCO corrects it.

A two-enterprise park over real gRPC, Valkey and broker, with money that can be worked
out by hand. Both loads use 1,000 kW flat for four weeks (similar-day baseline exactly
1,000 kW). The VPP sells 200 kW at 300,000 fen/MWh in intervals 40-43 (10:00-11:00) of
the market day (a replay: cleared after it ended); north (at most 120 kW) and south (at
most 80 kW) are dispatched at their maximum. Both deliver in full, but south's meter
readings of the call arrive only after the day was settled.

Version 1 (south's call intervals missing, estimated, not paid): per interval awarded
200 kW x 0.25 h = 50,000 Wh, delivered 120 kW x 0.25 h = 30,000 Wh, response rate 0.6
(band 50-80 %, factor 1) -> 300,000 x 30,000 / 1e6 = 9,000 fen; gross 4 x 9,000 =
36,000; operator fee 10 % = 3,600; pool 32,400, all north's (south delivered 0 Wh).
Version 2 (the ESCO's correction, with south's readings): 50,000 Wh delivered per
interval -> 15,000 fen; gross 60,000; fee 6,000; pool 54,000 shared by delivered Wh
120:80 -> north 32,400, south 21,600. Adjustments: north 0, south +21,600, summing to
54,000 - 32,400 = 21,600.
"""

from __future__ import annotations

import dataclasses
import time
from datetime import timedelta

import grpc
import pytest

from bidding.intervals import INTERVALS_PER_DAY, days_before, interval_end
from parkvpp.v1 import enrollment_pb2 as epb
from parkvpp.v1 import settlement_pb2 as spb
from parkvpp.v1 import telemetry_pb2 as tpb
from parkvpp.v1 import vpp_pb2 as vpb
from services.demo.day import market_day_for
from services.demo.park import curtailable_spec
from services.runtime.rpc import to_ts
from services.vpp.plans import DaySettled, PlanStore
from tests.market_helpers import clear_demand_response

pytestmark = pytest.mark.timeout(600)

CALL = range(40, 44)
AWARD_KW = 200.0
PRICE_FEN_PER_MWH = 300_000
BASE_KW = 1000.0
#: enterprise -> (asset name, most it can curtail, kW); the service assigns the ids
PARK = {"ent-north": ("north-press", 120.0), "ent-south": ("south-kiln", 80.0)}
CORRECTION = "late meter readings of south-kiln for intervals 40-43"


def wait_until(what, check, timeout_s=120.0):
    deadline = time.monotonic() + timeout_s
    while not (value := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)
    return value


def readings(asset_id, day, kw_of, intervals=range(INTERVALS_PER_DAY)):
    return [
        tpb.Reading(asset_id=asset_id, timestamp=to_ts(interval_end(day, t)), power_kw=kw_of(t))
        for t in intervals
    ]


def stream(clients, items):
    for start in range(0, len(items), 500):
        batch = tpb.ReadingBatch(readings=items[start : start + 500])
        summary = clients.telemetry.StreamReadings(iter([batch]), timeout=120)
        assert not summary.rejected, summary


def measured(clients, asset_id, day) -> int:
    profile = clients.telemetry.GetLoadProfile(
        tpb.GetLoadProfileRequest(asset_id=asset_id, from_market_day=day.isoformat()), timeout=10
    )
    return sum(i.reading_count > 0 for i in profile.intervals)


def enrol(stack, clients) -> dict[str, str]:
    """Both enterprises and their loads (no rebound), approved; enterprise -> asset id."""
    assets = {}
    for enterprise_id, (asset_id, max_kw) in PARK.items():
        clients.enrollment.RegisterEnterprise(
            epb.RegisterEnterpriseRequest(
                enterprise_id=enterprise_id, name=enterprise_id, grid_area="CN-JS"
            ),
            timeout=10,
        )
        spec = curtailable_spec(max_kw)
        spec.curtailable_load.rebound_fraction = 0.0
        enrolled = clients.enrollment.EnrollAsset(
            epb.EnrollAssetRequest(
                request_id=f"enrol-{asset_id}",
                enterprise_id=enterprise_id,
                name=asset_id,
                spec=spec,
            ),
            metadata=stack.auth(f"enterprise:{enterprise_id}"),
            timeout=10,
        )
        clients.enrollment.ApproveAsset(
            epb.ApproveAssetRequest(asset_id=enrolled.asset_id), timeout=10
        )
        assets[enterprise_id] = enrolled.asset_id
    return assets


def clear(stack, clients, day):
    """The VPP's 200 kW sale and a buyer's bid for it in each call interval, cleared."""
    participant = stack.settings.vpp_participant_id
    return clear_demand_response(clients, participant, day, CALL, AWARD_KW, PRICE_FEN_PER_MWH)


def listing(clients, day) -> vpb.ListDispatchResponse:
    return clients.vpp.ListDispatch(vpb.ListDispatchRequest(market_day=day.isoformat()), timeout=10)


def in_force(reply: vpb.ListDispatchResponse) -> dict[tuple[str, int], float]:
    out = {}
    for item in sorted(reply.instructions, key=lambda i: (i.enterprise_id, i.sequence)):
        out[(item.asset_id, item.interval)] = item.reduction_kw
    return out


@pytest.fixture(scope="module")
def park(stack_factory):
    """The park dispatched and metered (south's call readings held back), settled once."""
    stack = stack_factory(db=10)
    clients = stack.clients()
    day = market_day_for()
    assets = enrol(stack, clients)
    history = [
        r
        for asset_id in assets.values()
        for d in days_before(day, 28)
        for r in readings(asset_id, d, lambda t: BASE_KW)
    ]
    stream(clients, history)
    first = days_before(day, 28)[0]
    for asset_id in assets.values():
        wait_until(f"history of {asset_id}", lambda a=asset_id: measured(clients, a, first) == 96)
    result = clear(stack, clients, day)
    assert {i.clearing_price_fen_per_mwh for i in result.intervals} == {PRICE_FEN_PER_MWH}
    dispatched = wait_until("dispatch", lambda: (r := listing(clients, day)).revision and r)
    setpoints = in_force(dispatched)
    for enterprise_id, (_, max_kw) in PARK.items():
        for t in CALL:
            assert setpoints[(assets[enterprise_id], t)] == pytest.approx(max_kw, abs=1e-3)
    north, south = assets["ent-north"], assets["ent-south"]
    day_readings = readings(north, day, lambda t: BASE_KW - 120.0 * (t in CALL))
    day_readings += readings(
        south, day, lambda t: BASE_KW, [t for t in range(INTERVALS_PER_DAY) if t not in CALL]
    )
    stream(clients, day_readings)
    wait_until("north's day", lambda: measured(clients, north, day) == 96)
    wait_until("south's day", lambda: measured(clients, south, day) == 96 - len(CALL))
    esco = stack.auth("esco")
    v1 = clients.settlement.RunSettlement(
        spb.RunSettlementRequest(market_day=day.isoformat()), metadata=esco, timeout=120
    )
    yield stack, clients, day, assets, dispatched, v1
    clients.close()


def statement(stack, clients, day, enterprise_id, version=0) -> spb.Statement:
    return clients.settlement.GetStatement(
        spb.GetStatementRequest(
            enterprise_id=enterprise_id, market_day=day.isoformat(), version=version
        ),
        metadata=stack.auth(f"enterprise:{enterprise_id}"),
        timeout=30,
    )


def money(run: spb.SettlementRun) -> dict[str, int]:
    return {e.enterprise_id: e.amount_fen + e.energy_market_fen for e in run.enterprises}


def test_version_1_pays_what_was_worked_out_by_hand(park):
    stack, clients, day, _, _, v1 = park
    assert (v1.version, v1.run_id, v1.dispatch_revision) == (1, f"{day}-v1", 1)
    assert (v1.gross_payment_fen, v1.penalty_fen, v1.operator_fee_fen) == (36_000, 0, 3_600)
    assert v1.enterprise_pool_fen == 32_400
    assert money(v1) == {"ent-north": 32_400, "ent-south": 0}
    assert not v1.adjustments and not v1.corrects_version
    south = statement(stack, clients, day, "ent-south")
    assert south.includes_estimated and south.total_fen == 0


def test_a_settled_day_refuses_a_failure_report_and_its_dispatch_stays(park):
    stack, clients, day, assets, dispatched, _ = park
    with pytest.raises(grpc.RpcError) as err:
        clients.vpp.ReportAssetUnavailable(
            vpb.ReportAssetUnavailableRequest(
                request_id="trip-after-settlement",
                asset_id=assets["ent-south"],
                market_day=day.isoformat(),
                from_interval=CALL[0],
                reason="kiln trip",
            ),
            metadata=stack.auth("enterprise:ent-south"),
            timeout=60,
        )
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    details = err.value.details()
    assert f"market day {day}" in details and "settlement version 1" in details, details
    after = listing(clients, day)
    assert after.revision == 1
    assert in_force(after) == in_force(dispatched)


def test_the_following_check_refuses_a_settled_day(park):
    stack, clients, day, _, dispatched, _ = park
    with pytest.raises(grpc.RpcError) as err:
        clients.vpp.CheckDispatchFollowing(
            vpb.CheckDispatchFollowingRequest(market_day=day.isoformat()), timeout=60
        )
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert f"market day {day} is settled" in err.value.details()
    assert listing(clients, day).revision == 1


@pytest.fixture(scope="module")
def late_data(park):
    """South's readings of the call arrive after settlement: it delivered 80 kW in full."""
    stack, clients, day, assets, _, v1 = park
    south = assets["ent-south"]
    stream(clients, readings(south, day, lambda t: BASE_KW - 80.0, CALL))
    wait_until("south's late readings", lambda: measured(clients, south, day) == 96)
    return park


def test_settling_again_returns_the_issued_version_whatever_changed(late_data):
    stack, clients, day, _, _, v1 = late_data
    for role, method in (("esco", 0), ("operator", vpb.BASELINE_METHOD_HIGH_4_OF_5)):
        again = clients.settlement.RunSettlement(
            spb.RunSettlementRequest(market_day=day.isoformat(), baseline_method=method),
            metadata=stack.auth(role),
            timeout=120,
        )
        assert again == v1, role
    assert statement(stack, clients, day, "ent-south").total_fen == 0


@pytest.mark.parametrize("role", ["enterprise:ent-south", "enterprise:ent-north", "operator"])
def test_only_the_esco_may_correct(late_data, role):
    stack, clients, day, _, _, v1 = late_data
    with pytest.raises(grpc.RpcError) as err:
        clients.settlement.CorrectSettlement(
            spb.CorrectSettlementRequest(market_day=day.isoformat(), reason=CORRECTION),
            metadata=stack.auth(role),
            timeout=120,
        )
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert statement(stack, clients, day, "ent-south").version == 1


@pytest.fixture(scope="module")
def corrected(late_data):
    stack, clients, day, *_ = late_data
    request = spb.CorrectSettlementRequest(market_day=day.isoformat(), reason=CORRECTION)
    v2 = clients.settlement.CorrectSettlement(request, metadata=stack.auth("esco"), timeout=120)
    return late_data, request, v2


def test_the_correction_is_version_2_with_adjustment_lines_to_the_fen(corrected):
    (stack, clients, day, _, _, v1), _, v2 = corrected
    assert (v2.version, v2.corrects_version, v2.correction_reason) == (2, 1, CORRECTION)
    assert v2.dispatch_revision == v1.dispatch_revision == 1
    assert (v2.gross_payment_fen, v2.operator_fee_fen, v2.enterprise_pool_fen) == (
        60_000,
        6_000,
        54_000,
    )
    assert money(v2) == {"ent-north": 32_400, "ent-south": 21_600}
    lines = {line.enterprise_id: line for line in v2.adjustments}
    assert set(lines) == {"ent-north", "ent-south"}
    north, south = lines["ent-north"], lines["ent-south"]
    assert (north.previous_total_fen, north.total_fen, north.adjustment_fen) == (32_400, 32_400, 0)
    assert (south.previous_total_fen, south.total_fen, south.adjustment_fen) == (0, 21_600, 21_600)
    difference = (v2.enterprise_pool_fen + v2.energy_market_fen) - (
        v1.enterprise_pool_fen + v1.energy_market_fen
    )
    assert sum(line.adjustment_fen for line in v2.adjustments) == difference == 21_600


def test_each_enterprise_reads_both_versions(corrected):
    (stack, clients, day, *_), _, _ = corrected
    latest = statement(stack, clients, day, "ent-south")
    assert (latest.version, latest.run_id, latest.total_fen) == (2, f"{day}-v2", 21_600)
    assert latest.adjustment.adjustment_fen == 21_600
    assert latest.correction_reason == CORRECTION
    assert sum(line.amount_fen for line in latest.lines) == latest.amount_fen == 21_600
    first = statement(stack, clients, day, "ent-south", version=1)
    assert (first.version, first.run_id, first.total_fen) == (1, f"{day}-v1", 0)
    assert not first.HasField("adjustment")
    north = statement(stack, clients, day, "ent-north", version=1)
    assert north.total_fen == 32_400


def test_a_repeated_correction_returns_it_and_settling_returns_the_latest(corrected):
    (stack, clients, day, *_), request, v2 = corrected
    esco = stack.auth("esco")
    assert clients.settlement.CorrectSettlement(request, metadata=esco, timeout=120) == v2
    run = spb.RunSettlementRequest(market_day=day.isoformat())
    assert clients.settlement.RunSettlement(run, metadata=esco, timeout=120) == v2
    with pytest.raises(grpc.RpcError) as err:
        clients.settlement.CorrectSettlement(
            spb.CorrectSettlementRequest(market_day=day.isoformat(), reason="again"),
            metadata=esco,
            timeout=120,
        )
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "unchanged since version 2" in err.value.details()


def test_a_corrected_day_still_refuses_re_dispatch_naming_its_latest_version(corrected):
    (stack, clients, day, assets, dispatched, _), _, _ = corrected
    with pytest.raises(grpc.RpcError) as err:
        clients.vpp.ReportAssetUnavailable(
            vpb.ReportAssetUnavailableRequest(
                request_id="trip-after-correction",
                asset_id=assets["ent-north"],
                market_day=day.isoformat(),
                from_interval=CALL[1],
                reason="press jam",
            ),
            metadata=stack.auth("enterprise:ent-north"),
            timeout=60,
        )
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "settlement version 2" in err.value.details()
    assert in_force(listing(clients, day)) == in_force(dispatched)


@pytest.mark.parametrize(
    "request_, field",
    [
        (spb.CorrectSettlementRequest(reason=CORRECTION), "market_day"),
        (spb.CorrectSettlementRequest(market_day="2026-01-05"), "reason"),
        (spb.CorrectSettlementRequest(market_day="2026-01-05", reason="x" * 501), "reason"),
        (
            spb.CorrectSettlementRequest(market_day="2026-01-05", reason="r", baseline_method=99),
            "baseline_method",
        ),
    ],
)
def test_a_bad_correction_names_the_field(park, request_, field):
    stack, clients, *_ = park
    with pytest.raises(grpc.RpcError) as err:
        clients.settlement.CorrectSettlement(request_, metadata=stack.auth("esco"), timeout=30)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.details().startswith(field)


def test_correcting_a_day_never_settled_is_refused(park):
    stack, clients, day, *_ = park
    other = (day - timedelta(days=1)).isoformat()
    with pytest.raises(grpc.RpcError) as err:
        clients.settlement.CorrectSettlement(
            spb.CorrectSettlementRequest(market_day=other, reason=CORRECTION),
            metadata=stack.auth("esco"),
            timeout=30,
        )
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "not settled" in err.value.details()


def test_a_re_dispatch_and_a_settlement_racing_cannot_both_win(park):
    """The seal is compare-and-set on the revision settlement computed from, and the
    commit refuses a sealed day, both inside Redis: whichever lands first, the other
    sees it (a settlement computes again; a re-dispatch is refused)."""
    stack, _, day, *_ = park
    plans = PlanStore(stack.redis)
    record = plans.current(day.isoformat())
    other = (day - timedelta(days=14)).isoformat()
    assert plans.commit(dataclasses.replace(record, market_day=other, revision=1))
    # A re-dispatch commits revision 2 while settlement computes from revision 1.
    assert plans.commit(dataclasses.replace(record, market_day=other, revision=2))
    assert plans.seal(other, 1) == 0, "a seal on a revision no longer current must fail"
    assert plans.seal(other, 2) == 2
    # Now the re-dispatch loses: nothing is written, the refusal names the day.
    with pytest.raises(DaySettled) as err:
        plans.commit(dataclasses.replace(record, market_day=other, revision=3))
    assert "is being settled at dispatch revision 2" in str(err.value)
    assert plans.current(other).revision == 2
    plans.record_settled_version(other, 1)
    assert plans.settled(other) == (2, 1)
    assert plans.seal(other, 3) == 2, "an earlier seal stands"
