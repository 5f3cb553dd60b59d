"""Re-dispatch over real gRPC, Redis and Kafka: failure reports, not-following detection.

The sample park is enrolled with four weeks of meter history before the demo's market
day D. Awards are put on parkvpp.clearing.v1 directly (as the exchange would), so each
test picks its own day and award:
- D (cleared now, after it ended: a replay, nothing in it is past): the following check
  on hand-made telemetry;
- D-7 (a replay too): failure reports, idempotency, tenants, superseded instructions;
- D-14 (cleared the day before: live rules): only intervals not yet past move, with
  "now" injected into an in-process dispatcher on the same Redis and broker.
Every plan is checked by tests/unit/dispatch_checks.py, which never calls dispatch code.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import grpc
import numpy as np
import pytest
from kafka import KafkaConsumer
from prometheus_client import REGISTRY

from bidding.intervals import INTERVALS_PER_DAY, interval_end, interval_start
from parkvpp.v1 import events_pb2, market_pb2, telemetry_pb2
from parkvpp.v1 import vpp_pb2 as pb
from services.demo.day import MarketDay, market_day_for
from services.demo.meters import stream
from services.demo.park import ASSETS, meter_kw
from services.enrollment.convert import spec_from_proto
from services.enrollment.registry import Registry
from services.runtime.events import TOPIC_CLEARING, TOPIC_DISPATCH
from services.runtime.outbox import OutboxEvent
from services.runtime.rpc import to_ts
from services.settlement.inputs import gather
from services.telemetry.rollups import Rollups
from services.vpp.dispatch_store import DispatchStore
from services.vpp.dispatcher import Dispatcher
from services.vpp.following import FollowingCheck
from services.vpp.plans import PlanStore
from services.vpp.portfolio import Portfolio
from tests.unit.dispatch_checks import check_plan

pytestmark = pytest.mark.timeout(600)

CALL = range(72, 80)  # 18:00-20:00
AWARD_KW = 1100.0  # the chillers are needed beside the dryer (400 kW, moved for nothing)
SPECS = {a.asset_id: spec_from_proto(a.spec) for a in ASSETS}
OWNER = {a.asset_id: a.enterprise_id for a in ASSETS}


class _Asset:
    def __init__(self, asset_id, spec, up_kw):
        self.asset_id, self.spec = asset_id, spec
        self.envelope = type("Envelope", (), {"up_kw": np.asarray(up_kw)})


def wait_until(what, check, timeout_s=60.0):
    deadline = time.monotonic() + timeout_s
    while not (value := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
    return value


def clearing(stack, day, cleared_at, award_kw=AWARD_KW) -> market_pb2.ClearingResult:
    """The exchange's result awarding the VPP `award_kw` in each interval of the call."""
    participant = stack.settings.vpp_participant_id
    return market_pb2.ClearingResult(
        clearing_id=f"clearing-{day}",
        market_day=day.isoformat(),
        product=market_pb2.PRODUCT_DEMAND_RESPONSE,
        cleared_at=to_ts(cleared_at),
        intervals=[
            market_pb2.IntervalClearing(
                interval=t, clearing_price_fen_per_mwh=1_000_000, cleared_kw=award_kw
            )
            for t in CALL
        ],
        awards=[
            market_pb2.Award(
                award_id=f"award-{day}-{t}",
                participant_id=participant,
                market_day=day.isoformat(),
                interval=t,
                product=market_pb2.PRODUCT_DEMAND_RESPONSE,
                side=market_pb2.SIDE_SELL,
                awarded_kw=award_kw,
                price_fen_per_mwh=1_000_000,
            )
            for t in CALL
        ],
    )


def clear(stack, day, cleared_at):
    """Put the VPP's award for `day` on the clearing topic; wait for revision 1."""
    result = clearing(stack, day, cleared_at)
    event = OutboxEvent.of(TOPIC_CLEARING, day.isoformat(), events_pb2.MarketCleared(result=result))
    stack.runtime.append_events("market", [event])
    clients = stack.clients()
    try:
        wait_until(f"dispatch of {day}", lambda: listing(clients, day).revision >= 1)
    finally:
        clients.close()


def listing(clients, day) -> pb.ListDispatchResponse:
    return clients.vpp.ListDispatch(pb.ListDispatchRequest(market_day=day.isoformat()), timeout=10)


def effective(reply: pb.ListDispatchResponse) -> dict[str, np.ndarray]:
    """Setpoints in force per asset: the latest instruction of each asset and interval."""
    out: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(INTERVALS_PER_DAY))
    for item in sorted(reply.instructions, key=lambda i: (i.enterprise_id, i.sequence)):
        out[item.asset_id][item.interval] = item.reduction_kw
    return dict(out)


def check_listing(clients, day, failed=()) -> dict[str, np.ndarray]:
    """The day's instructions obey every asset rule and add up to award - shortfall."""
    reply = listing(clients, day)
    setpoints = effective(reply)
    flex = clients.vpp.GetFlexibility(
        pb.GetFlexibilityRequest(market_day=day.isoformat(), include_assets=True), timeout=30
    )
    ups = {a.asset_id: [i.up_kw for i in a.intervals] for a in flex.assets}
    award = np.zeros(INTERVALS_PER_DAY)
    award[list(CALL)] = AWARD_KW
    shortfall = np.zeros(INTERVALS_PER_DAY)
    for row in reply.shortfall:
        shortfall[row.interval] = row.shortfall_kw
    # What a failed asset was instructed before it failed counts as covering the award.
    covered = sum((setpoints[a].clip(min=0) for a in failed if a in setpoints), np.zeros(96))
    assets = [_Asset(a, SPECS[a], ups[a]) for a in setpoints if a not in failed]
    kept = {a: v for a, v in setpoints.items() if a not in failed}
    check_plan(assets, award - covered, kept, shortfall)
    return setpoints


@pytest.fixture(scope="module")
def park(stack_factory):
    stack = stack_factory(db=9)
    clients = stack.clients()
    day = market_day_for()
    demo = MarketDay(clients, day, lambda line: None, stack.token)
    demo.enrol()
    demo.history()
    yield stack, clients, day
    clients.close()


def report(clients, stack, day, asset_id, from_interval, request_id, role=None):
    role = role or f"enterprise:{OWNER.get(asset_id, 'ent-chem')}"
    return clients.vpp.ReportAssetUnavailable(
        pb.ReportAssetUnavailableRequest(
            request_id=request_id,
            asset_id=asset_id,
            market_day=day.isoformat(),
            from_interval=from_interval,
            reason="compressor trip",
        ),
        metadata=stack.auth(role),
        timeout=60,
    )


@pytest.fixture(scope="module")
def reported(park):
    """D-7 dispatched, then ent-chem reports its chillers unavailable from interval 75."""
    stack, clients, d = park
    day = d - timedelta(days=7)
    clear(stack, day, datetime.now(UTC))
    before = listing(clients, day)
    reply = report(clients, stack, day, "chem-chillers", 75, "trip-1")
    return stack, clients, day, before, reply


def test_the_first_dispatch_meets_the_award_within_every_asset_rule(reported):
    _, clients, day, before, _ = reported
    assert before.revision == 1 and not before.shortfall
    setpoints = effective(before)
    assert setpoints["chem-chillers"][75] > 0, "the chillers were dispatched in the call"


def test_a_failure_report_moves_the_remaining_intervals_to_other_assets(reported):
    stack, clients, day, before, reply = reported
    assert (reply.revision, reply.from_interval) == (2, 75)
    assert list(reply.failed_asset_ids) == ["chem-chillers"]
    # The reporting enterprise sees only its own new instructions: the chillers at zero.
    assert {i.enterprise_id for i in reply.instructions} == {"ent-chem"}
    after = check_listing(clients, day, failed=("chem-chillers",))
    old = effective(before)
    np.testing.assert_allclose(after["chem-chillers"][75:], 0.0)
    for asset_id, values in old.items():  # nothing before interval 75 changes
        np.testing.assert_allclose(after[asset_id][:75], values[:75])
    took = {a: after[a][75:80].sum() - old.get(a, np.zeros(96))[75:80].sum() for a in after}
    assert max(took.values()) > 0, f"nobody took over: {took}"
    total = sum(after.values())
    shortfall = {r.interval: r.shortfall_kw for r in listing(clients, day).shortfall}
    for t in CALL:
        assert total[t] + shortfall.get(t, 0.0) == pytest.approx(AWARD_KW, abs=0.01)
    assert (
        REGISTRY.get_sample_value("parkvpp_dispatch_redispatches_total", {"reason": "reported"})
        >= 1
    )
    assert REGISTRY.get_sample_value("parkvpp_dispatch_shortfall_watts") is not None


def test_old_instructions_are_superseded_and_the_stream_sends_only_the_new(reported):
    stack, clients, day, _, _ = reported
    items = listing(clients, day).instructions
    old = {i.instruction_id: i for i in items if i.revision == 1}
    new = [i for i in items if i.revision == 2]
    assert new and all(i.supersedes or i.reduction_kw != 0 for i in new)
    for item in new:
        if item.supersedes:
            replaced = old[item.supersedes]
            assert replaced.status == pb.DISPATCH_STATUS_SUPERSEDED
            assert replaced.superseded_by == item.instruction_id
            assert (replaced.asset_id, replaced.interval) == (item.asset_id, item.interval)
    chem = [i for i in new if i.enterprise_id == "ent-chem"]
    streamed = list(
        clients.vpp.SubscribeDispatch(
            pb.SubscribeDispatchRequest(enterprise_id="ent-chem", until_caught_up=True),
            metadata=stack.auth("enterprise:ent-chem"),
            timeout=10,
        )
    )
    ids = {i.instruction_id for i in streamed}
    assert {i.instruction_id for i in chem} <= ids
    assert not ids & {i for i, o in old.items() if o.status == pb.DISPATCH_STATUS_SUPERSEDED}


def test_redispatch_instructions_are_published_on_the_dispatch_topic(reported):
    stack, _, day, _, _ = reported
    consumer = KafkaConsumer(
        stack.topic(TOPIC_DISPATCH),
        bootstrap_servers=stack.settings.kafka_bootstrap_servers,
        group_id=f"test-redispatch-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    seen: set[str] = set()
    deadline = time.monotonic() + 60
    try:
        while "ent-chem" not in seen and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    event = events_pb2.EventEnvelope.FromString(record.value)
                    issued = events_pb2.DispatchIssued()
                    event.payload.Unpack(issued)
                    if issued.market_day == day.isoformat() and any(
                        i.revision == 2 for i in issued.instructions
                    ):
                        seen.add(event.enterprise_id)
    finally:
        consumer.close()
    assert "ent-chem" in seen


def test_settlement_reads_the_instructions_in_force(reported):
    stack, clients, day, _, _ = reported
    registry = Registry(stack.redis)
    inputs = gather(
        day,
        clearing(stack, day, datetime.now(UTC)),
        stack.settings.vpp_participant_id,
        registry,
        Portfolio(stack.redis, registry, Rollups(stack.redis)),
        PlanStore(stack.redis).current(day.isoformat()).in_force,
        "similar_day",
    )
    in_force = effective(listing(clients, day))
    instructed = {(r.asset_id, r.interval): r.instructed_kw for r in inputs.rows}
    assert set(instructed) == {(a, t) for a in in_force for t in range(INTERVALS_PER_DAY)}
    for (asset_id, t), kw in instructed.items():
        assert kw == pytest.approx(max(0.0, in_force[asset_id][t])), (asset_id, t)
    assert [instructed[("chem-chillers", t)] for t in range(75, 80)] == [0.0] * 5


def test_a_repeated_report_changes_nothing_and_a_reused_id_is_refused(reported):
    stack, clients, day, _, reply = reported
    count = len(listing(clients, day).instructions)
    again = report(clients, stack, day, "chem-chillers", 75, "trip-1")
    assert again == reply
    assert len(listing(clients, day).instructions) == count
    later = report(clients, stack, day, "chem-chillers", 77, "trip-2")
    assert later.revision == 2 and "already treated as failed" in later.note
    with pytest.raises(grpc.RpcError) as err:
        report(clients, stack, day, "chem-chillers", 76, "trip-1")
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert listing(clients, day).revision == 2


def test_an_enterprise_cannot_report_another_enterprises_asset(reported):
    stack, clients, day, _, _ = reported
    errors = []
    for asset_id in ("foundry-furnace-1", "no-such-asset"):
        with pytest.raises(grpc.RpcError) as err:
            report(clients, stack, day, asset_id, 76, "probe", role="enterprise:ent-chem")
        errors.append((err.value.code(), err.value.details().replace(asset_id, "X")))
    assert errors[0] == errors[1] == (grpc.StatusCode.NOT_FOUND, "asset X not found")
    assert listing(clients, day).revision == 2


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("request_id", {"request_id": ""}),
        ("from_interval", {"from_interval": 96}),
        ("reason", {"reason": ""}),
        ("market_day", {"market_day": "2026-13-01"}),
    ],
)
def test_bad_reports_name_the_field(reported, field, change):
    stack, clients, day, _, _ = reported
    values = dict(
        request_id="bad",
        asset_id="chem-battery",
        market_day=day.isoformat(),
        from_interval=76,
        reason="x",
    )
    values.update(change)
    with pytest.raises(grpc.RpcError) as err:
        clients.vpp.ReportAssetUnavailable(pb.ReportAssetUnavailableRequest(**values))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.details().startswith(field)


def test_a_live_day_moves_only_intervals_not_yet_past(park):
    stack, clients, d = park
    day = d - timedelta(days=14)
    clear(stack, day, interval_start(day, 0) - timedelta(hours=12))
    before = effective(listing(clients, day))
    now = interval_start(day, 70) + timedelta(minutes=1)
    registry = Registry(stack.redis)
    dispatcher = Dispatcher(
        stack.runtime,
        Portfolio(stack.redis, registry, Rollups(stack.redis)),
        DispatchStore(stack.redis),
        clock=lambda: now,
    )
    outcome = dispatcher.redispatch(day, {"chem-chillers": 60}, "reported")
    assert outcome is not None and outcome.created
    assert outcome.record.from_interval == 71  # 17:30-17:45 is under way
    after = check_listing(clients, day, failed=("chem-chillers",))
    for asset_id, values in before.items():
        np.testing.assert_allclose(after[asset_id][:71], values[:71])
    np.testing.assert_allclose(after["chem-chillers"][71:], 0.0)
    # The furnace needs an hour's notice: no event of it before 18:45 (interval 75).
    assert after["foundry-furnace-1"][:75].max() <= 0.0
    shortfall = {r.interval: r.shortfall_kw for r in listing(clients, day).shortfall}
    assert shortfall, "the chillers' 300 kW cannot be replaced before 18:45"
    assert min(shortfall) >= 72
    # Over gRPC (the real clock) every interval of that day has passed.
    with pytest.raises(grpc.RpcError) as err:
        report(clients, stack, day, "logistics-cold-store", 76, "late")
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "passed" in err.value.details()


def _meter(stack, clients, day, delivered):
    """Readings of the call's intervals: usual load minus what each asset delivered."""
    readings = []
    for asset in ASSETS:
        if asset.asset_id not in delivered:
            continue
        usual = meter_kw(asset, day)
        for t in range(70, 80):
            readings.append(
                telemetry_pb2.Reading(
                    asset_id=asset.asset_id,
                    timestamp=to_ts(interval_end(day, t)),
                    power_kw=float(usual[t] - delivered[asset.asset_id][t]),
                )
            )
    summary = stream(clients, readings)
    assert summary.accepted == len(readings)
    wait_until(
        "rollups of the call",
        lambda: all(
            clients.telemetry.GetLoadProfile(
                telemetry_pb2.GetLoadProfileRequest(asset_id=a, from_market_day=day.isoformat()),
                timeout=10,
            ).measured_intervals
            >= 10
            for a in delivered
        ),
    )


def test_an_asset_not_following_is_found_and_its_remaining_intervals_moved(park):
    stack, clients, day = park
    clear(stack, day, datetime.now(UTC))
    instructed = effective(listing(clients, day))
    assert instructed["logistics-cold-store"][72] > 0
    delivered = {a: v.copy() for a, v in instructed.items()}
    delivered["logistics-cold-store"][:] = 0.0  # ignores its instructions
    _meter(stack, clients, day, delivered)
    # "now" injected: at the end of 18:15 only one interval of the call has ended, too few.
    registry = Registry(stack.redis)
    dispatcher = Dispatcher(
        stack.runtime,
        Portfolio(stack.redis, registry, Rollups(stack.redis)),
        DispatchStore(stack.redis),
    )
    early = FollowingCheck(stack.runtime, dispatcher, registry).check(day, interval_end(day, 72))
    assert not early.not_following and early.redispatch is None
    assert early.intervals_checked == sum(1 for v in instructed.values() if v[72] > 0)
    reply = clients.vpp.CheckDispatchFollowing(
        pb.CheckDispatchFollowingRequest(market_day=day.isoformat()), timeout=120
    )
    laggards = {n.asset_id: n for n in reply.not_following}
    assert set(laggards) == {"logistics-cold-store"}, reply
    assert list(laggards["logistics-cold-store"].intervals) == [72, 73]
    assert laggards["logistics-cold-store"].failed_from_interval == 74
    assert reply.redispatch.revision == 2 and reply.redispatch.from_interval == 74
    after = check_listing(clients, day, failed=("logistics-cold-store",))
    np.testing.assert_allclose(after["logistics-cold-store"][74:], 0.0)
    for asset_id, values in instructed.items():
        np.testing.assert_allclose(after[asset_id][:74], values[:74])
    assert reply.intervals_checked >= 2 * len(CALL)
    again = clients.vpp.CheckDispatchFollowing(
        pb.CheckDispatchFollowingRequest(market_day=day.isoformat()), timeout=120
    )
    assert not again.not_following and not again.HasField("redispatch")
    assert listing(clients, day).revision == 2


def test_a_day_without_dispatch_has_nothing_to_report(park):
    stack, clients, d = park
    with pytest.raises(grpc.RpcError) as err:
        report(clients, stack, d - timedelta(days=21), "chem-chillers", 76, "nothing")
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "has no dispatch" in err.value.details()


def test_a_revision_computed_from_a_stale_plan_is_not_written(reported):
    stack, _, day, _, _ = reported
    plans = PlanStore(stack.redis)
    current = plans.current(day.isoformat())
    stale = plans.get(day.isoformat(), current.revision - 1)
    stale.revision = current.revision  # made on top of the previous revision: lost the race
    assert not plans.commit(stale)
    assert plans.current(day.isoformat()).to_json() == current.to_json()
