"""A shiftable load through the real services (gRPC, Redis, Kafka): enrolled, metered with
its run at 18:00 every day, it shows where the run can move (GetFlexibility), the bid moves
it out of the evening peak (BidPlan.run_moves), and an award at 18:00 is dispatched by
moving the run: instructions take it off at 18:00 and put it where it now runs.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from bidding.intervals import INTERVALS_PER_DAY, interval_end
from parkvpp.v1 import bidding_pb2, telemetry_pb2
from parkvpp.v1 import enrollment_pb2 as epb
from parkvpp.v1 import settlement_pb2 as spb
from parkvpp.v1 import vpp_pb2 as pb
from services.demo.meters import batches, wait_for
from services.runtime.rpc import to_ts
from tests.market_helpers import clear_demand_response

pytestmark = pytest.mark.timeout(600)

DAY = date(2026, 11, 24)  # a Tuesday
RUN = range(72, 76)  # the heat: 18:00-19:00 at 1,000 kW
BASE_KW = 50.0
ASSET = "foundry-melt"


def _day_kw() -> list[float]:
    kw = np.full(INTERVALS_PER_DAY, BASE_KW)
    kw[list(RUN)] += 1000.0
    return kw.tolist()


@pytest.fixture(scope="module")
def park(stack_factory):
    stack = stack_factory(db=3)
    clients = stack.clients()
    clients.enrollment.RegisterEnterprise(
        epb.RegisterEnterpriseRequest(
            enterprise_id="ent-foundry", name="Foundry", grid_area="CN-JS"
        )
    )
    spec = epb.AssetSpec(
        shiftable_load=epb.ShiftableLoad(
            energy_per_run_kwh=1000.0,
            run_duration_minutes=60,
            earliest_start_interval=40,  # 10:00
            latest_end_interval=90,  # 22:30
            power_kw=1000.0,
        )
    )
    enrolled = clients.enrollment.EnrollAsset(
        epb.EnrollAssetRequest(
            request_id="enrol-melt",
            enterprise_id="ent-foundry",
            name="melting line",
            spec=spec,
            asset_id=ASSET,
        )
    )
    clients.enrollment.ApproveAsset(epb.ApproveAssetRequest(asset_id=enrolled.asset_id))
    readings = [
        telemetry_pb2.Reading(
            asset_id=ASSET, timestamp=to_ts(interval_end(day, t)), power_kw=float(kw)
        )
        for day in (DAY - timedelta(days=n) for n in range(1, 29))
        for t, kw in enumerate(_day_kw())
    ]
    clients.telemetry.StreamReadings(batches(readings), timeout=120)

    def rolled_up() -> bool:
        request = telemetry_pb2.GetLoadProfileRequest(
            asset_id=ASSET, from_market_day=(DAY - timedelta(days=1)).isoformat()
        )
        profile = clients.telemetry.GetLoadProfile(request, timeout=10)
        return sum(i.reading_count > 0 for i in profile.intervals) == INTERVALS_PER_DAY

    wait_for("the last day's rollup", rolled_up)
    yield stack, clients
    clients.close()


def test_the_envelope_says_where_the_run_can_move(park):
    _, clients = park
    flex = clients.vpp.GetFlexibility(
        pb.GetFlexibilityRequest(market_day=DAY.isoformat(), include_assets=True), timeout=30
    )
    (asset,) = [a for a in flex.assets if a.asset_id == ASSET]
    up = np.array([i.up_kw for i in asset.intervals])
    down = np.array([i.down_kw for i in asset.intervals])
    assert up[list(RUN)].tolist() == pytest.approx([1000.0] * 4)
    assert up.sum() == pytest.approx(4000.0)  # nowhere else to take it off
    assert down[40:72].tolist() == pytest.approx([1000.0] * 32)  # 10:00-18:00
    assert down[76:90].tolist() == pytest.approx([1000.0] * 14)  # 19:00-22:30
    assert down[:40].sum() == 0 and down[90:].sum() == 0  # outside its window


def test_the_bid_moves_the_run_out_of_the_evening_peak(park):
    _, clients = park
    # Decided the morning before the day (the grid's call closes at noon the day before).
    decided = datetime.combine(DAY - timedelta(days=1), datetime.min.time(), UTC)
    request = bidding_pb2.PrepareBidsRequest(market_day=DAY.isoformat(), decided_at=to_ts(decided))
    plan = clients.bidding.PrepareBids(request, timeout=300)
    (move,) = [m for m in plan.run_moves if m.asset_id == ASSET]
    assert (move.baseline_start_interval, move.run_intervals) == (72, 4)
    assert move.enterprise_id == "ent-foundry"
    moved = [s for s in move.scenario_start_intervals if s >= 0]
    assert moved and move.move_probability > 0
    for start in moved:  # never onto its own hour, always inside its window
        assert 40 <= start <= 86 and not (68 < start < 76)
    offered = {c.interval: sum(s.quantity_kw for s in c.steps) for c in plan.demand_response_offers}
    assert max(offered.get(t, 0.0) for t in RUN) == pytest.approx(1000.0)


def test_an_award_at_the_runs_hour_is_dispatched_by_moving_the_run(park):
    stack, clients = park
    participant = stack.settings.vpp_participant_id
    clear_demand_response(clients, participant, DAY, RUN, 1000.0, 1_000_000)
    request = pb.ListDispatchRequest(market_day=DAY.isoformat())
    wait_for("the dispatch", lambda: clients.vpp.ListDispatch(request, timeout=10).revision >= 1)
    reply = clients.vpp.ListDispatch(request, timeout=10)
    setpoints = np.zeros(INTERVALS_PER_DAY)
    for item in reply.instructions:
        assert item.asset_id == ASSET
        setpoints[item.interval] = item.reduction_kw
    assert setpoints[list(RUN)].tolist() == pytest.approx([1000.0] * 4)
    added = np.flatnonzero(setpoints < 0)
    assert len(added) == 4 and added[-1] - added[0] == 3  # the whole heat, in one piece
    assert 40 <= added[0] and added[-1] < 90 and not set(added) & set(RUN)
    assert setpoints[added].tolist() == pytest.approx([-1000.0] * 4)
    assert sum(row.shortfall_kw for row in reply.shortfall) == pytest.approx(0.0, abs=1e-6)


def test_the_moved_run_is_settled_against_its_baseline(park):
    """Metered as instructed (the heat an hour earlier or later): the baseline, which has the
    heat at 18:00 like every other day, shows 1,000 kW delivered in each awarded interval."""
    stack, clients = park
    reply = clients.vpp.ListDispatch(pb.ListDispatchRequest(market_day=DAY.isoformat()))
    assert reply.revision >= 1, "runs after the dispatch test"
    setpoints = np.zeros(INTERVALS_PER_DAY)
    for item in reply.instructions:
        setpoints[item.interval] = item.reduction_kw
    metered = np.array(_day_kw()) - setpoints
    readings = [
        telemetry_pb2.Reading(asset_id=ASSET, timestamp=to_ts(interval_end(DAY, t)), power_kw=kw)
        for t, kw in enumerate(metered.tolist())
    ]
    clients.telemetry.StreamReadings(batches(readings), timeout=120)

    def measured() -> bool:
        request = telemetry_pb2.GetLoadProfileRequest(
            asset_id=ASSET, from_market_day=DAY.isoformat()
        )
        profile = clients.telemetry.GetLoadProfile(request, timeout=10)
        return sum(i.reading_count > 0 for i in profile.intervals) == INTERVALS_PER_DAY

    wait_for("the day's rollup", measured)
    run = clients.settlement.RunSettlement(
        spb.RunSettlementRequest(market_day=DAY.isoformat()),
        metadata=stack.auth("esco"),
        timeout=120,
    )
    # 4 intervals x 1,000 kW x 0.25 h, at 1,000,000 fen/MWh.
    assert run.awarded_kwh == pytest.approx(1000.0)
    assert run.delivered_kwh == pytest.approx(1000.0)
    assert run.gross_payment_fen == 1_000_000
    assert run.penalty_fen == 0
    (foundry,) = run.enterprises
    assert foundry.enterprise_id == "ent-foundry"
    assert foundry.delivered_kwh == pytest.approx(1000.0)
