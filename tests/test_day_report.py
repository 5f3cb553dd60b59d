"""Plan versus outcome (GetDayReport) of a settled day over real gRPC, Valkey and the broker
(the reasons and the day's split by hand, without services: tests/unit/test_day_report_logic.py).

The settled day (every number by hand). north-press (ent-north, up to 600 kW curtailable)
draws a flat 2,000 kW for four weeks, so its similar-day baseline (the settlement's) is
2,000 kW; on the market day it draws 2,100 kW, so its reference baseline (10-in-10, same-day
factor 2,100 / 2,000 over 14:00-17:00) is 2,100 kW. south-kiln (ent-south, up to 400 kW,
events from 15 minutes) draws 1,000 kW every day: both baselines are 1,000 kW. The grid
operator (the exchange's synthetic participant) calls 1,000 kW at up to 1,300,000 fen/MWh
from 18:00 to 20:00 (intervals 72-79). The plan (stored as the bidder stores it, sent by
the real SubmitBids) offers:

| interval | offer (kW @ fen/MWh)              | expected kW / fen | outcome                      |
| 60 15:00 | 300 @ 500,000                     | 300 / 37,500      | no buyer: NOT_CALLED         |
| 72 18:00 | 600 @ 800,000                     | 600 / 120,000     | cleared 600 @ 800,000        |
| 73 18:15 | 800 @ 900,000 + 400 @ 1,000,000   | 1,100 / 264,000   | cleared 1,000 @ 1,000,000    |
| 74 18:30 | 500 @ 1,400,000                   | 500 / 175,000     | above the cap: PRICE_ABOVE_CAP|
| 75-79    | nothing                           | 0                 | called: NOT_OFFERED          |

A curtailment event holds one level, so the only exact dispatch is north-press 600 kW in
72-73 and south-kiln 400 kW in 73. north-press cuts 600 kW from its 2,100 (metered 1,500),
south-kiln 200 of its 400 kW (metered 800). Settlement counts 2,000 - 1,500 = 500 kW in 72
(125 kWh, rate 5/6, 800,000 x 125,000 / 1e6 = 100,000 fen) and 500 + 200 = 700 kW in 73
(175 kWh, rate 0.7, 175,000 fen): gross 275,000 fen. Against the reference baselines the
cuts are 600 and 800 kW: 72 is BASELINE only, 73 PARTLY_CLEARED, UNDER_DELIVERY (800 of
1,000) and BASELINE (700 counted).

Expected 596,500 fen = 37,500 not called + 175,000 above the cap + 384,000 in the cleared
intervals, whose cleared value is 370,000 = 384,000 - 24,000 (73: 1,000 of 1,100 kW at the
expected 960,000 fen/MWh) + 10,000 (73: 250 kWh at 1,000,000 instead of 960,000); paid
275,000 = 370,000 - 95,000.
"""

from __future__ import annotations

import json
from datetime import date

import grpc
import pytest

from bidding.intervals import INTERVALS_PER_DAY, days_before, interval_end
from parkvpp.v1 import bidding_pb2 as bpb
from parkvpp.v1 import enrollment_pb2 as epb
from parkvpp.v1 import market_pb2 as mpb
from parkvpp.v1 import settlement_pb2 as spb
from parkvpp.v1 import telemetry_pb2 as tpb
from parkvpp.v1 import vpp_pb2 as vpb
from services.bidding.plan_store import latest_key, plan_key
from services.demo.day import market_day_for
from services.demo.meters import stream, wait_for
from services.demo.park import curtailable_spec
from services.runtime.rpc import to_ts
from tests.unit.test_day_report_logic import SUMMARY

pytestmark = pytest.mark.timeout(600)

DAY = market_day_for()
R = spb.DifferenceReason


# -- a settled day over gRPC ---------------------------------------------------------------

#: asset -> (owner, most it curtails kW, shortest event minutes, history kW, market day kW)
PARK = {
    "north-press": ("ent-north", 600.0, 30, 2000.0, 2100.0),
    "south-kiln": ("ent-south", 400.0, 15, 1000.0, 1000.0),
}
#: interval -> (blocks (fen/MWh, kW), expected kW, expected fen) of the plan
PLAN = {
    60: (((500_000, 300.0),), 300.0, 37_500),
    72: (((800_000, 600.0),), 600.0, 120_000),
    73: (((900_000, 800.0), (1_000_000, 400.0)), 1100.0, 264_000),
    74: (((1_400_000, 500.0),), 500.0, 175_000),
}
#: (asset, interval) -> what it cuts on the market day.
CUT_KW = {("north-press", 72): 600.0, ("north-press", 73): 600.0, ("south-kiln", 73): 200.0}


def seeded_plan(day: date) -> bpb.BidPlan:
    """The plan as PrepareBids would store it (hand-made offers and expectations)."""
    plan = bpb.BidPlan(
        plan_id=f"plan-{day.isoformat()}-report",
        market_day=day.isoformat(),
        status=bpb.BID_PLAN_STATUS_PREPARED,
        expected_revenue_fen=595_000,
    )
    for interval, (blocks, expected_kw, expected_fen) in PLAN.items():
        curve = plan.demand_response_offers.add(
            interval=interval, product=mpb.PRODUCT_DEMAND_RESPONSE, side=mpb.SIDE_SELL
        )
        for price, kw in blocks:
            curve.steps.add(price_fen_per_mwh=price, quantity_kw=kw)
        plan.interval_plans.add(
            interval=interval,
            offered_kw=sum(kw for _, kw in blocks),
            expected_kw=expected_kw,
            expected_revenue_fen=expected_fen,
        )
    return plan


def day_readings(asset_id: str, day: date, kw_of) -> list[tpb.Reading]:
    return [
        tpb.Reading(asset_id=asset_id, timestamp=to_ts(interval_end(day, t)), power_kw=kw_of(t))
        for t in range(INTERVALS_PER_DAY)
    ]


def measured_intervals(clients, day: date) -> int:
    """Intervals of `day` measured on every meter of the park (the fewest)."""
    counts = []
    for asset_id in PARK:
        profile = clients.telemetry.GetLoadProfile(
            tpb.GetLoadProfileRequest(asset_id=asset_id, from_market_day=day.isoformat()),
            timeout=10,
        )
        counts.append(sum(i.reading_count > 0 for i in profile.intervals))
    return min(counts)


def instructed_kw(clients, day: date) -> dict[int, float]:
    """The dispatched kW per interval (all assets)."""
    reply = clients.vpp.ListDispatch(vpb.ListDispatchRequest(market_day=day.isoformat()))
    out: dict[int, float] = {}
    for item in reply.instructions:
        out[item.interval] = out.get(item.interval, 0.0) + item.reduction_kw
    return out


def enrol(clients) -> None:
    """Both loads (no rebound), approved, under their readable ids."""
    for asset_id, (owner, max_kw, min_event_minutes, _, _) in PARK.items():
        clients.enrollment.RegisterEnterprise(
            epb.RegisterEnterpriseRequest(enterprise_id=owner, name=owner, grid_area="CN-JS")
        )
        spec = curtailable_spec(max_kw)
        spec.curtailable_load.rebound_fraction = 0.0
        spec.curtailable_load.min_event_minutes = min_event_minutes
        clients.enrollment.EnrollAsset(
            epb.EnrollAssetRequest(
                request_id=f"enrol-{asset_id}",
                enterprise_id=owner,
                name=asset_id,
                spec=spec,
                asset_id=asset_id,
            )
        )
        clients.enrollment.ApproveAsset(epb.ApproveAssetRequest(asset_id=asset_id))


#: The exchange of the module docstring: the grid's 18:00-20:00 call for 1,000 kW at up to
#: 13,000 CNY/MWh and no other seller (the built-in default has competitors).
GRID_CALL_ONLY = {
    "participants": [
        {
            "participant_id": "grid-operator",
            "product": "DEMAND_RESPONSE",
            "side": "BUY",
            "from": "18:00",
            "to": "20:00",
            "blocks": [{"price_fen_per_mwh": 1_300_000, "quantity_kw": 1000}],
        }
    ]
}


@pytest.fixture(scope="module")
def settled(stack_factory, tmp_path_factory):
    """The day of the module docstring: planned, submitted, cleared, dispatched, metered,
    settled; the report fetched as the operator."""
    participants = tmp_path_factory.mktemp("exchange") / "participants.json"
    participants.write_text(json.dumps(GRID_CALL_ONLY))
    stack = stack_factory(db=11, env={"PARKVPP_MARKET_PARTICIPANTS_FILE": str(participants)})
    clients = stack.clients()
    enrol(clients)
    history = [
        r
        for asset_id, (_, _, _, history_kw, _) in PARK.items()
        for d in days_before(DAY, 28)
        for r in day_readings(asset_id, d, lambda t, kw=history_kw: kw)
    ]
    assert not stream(clients, history).rejected
    first = days_before(DAY, 28)[0]
    wait_for("history", lambda: measured_intervals(clients, first) == INTERVALS_PER_DAY)
    plan = seeded_plan(DAY)
    stack.redis.set(plan_key(plan.plan_id), plan.SerializeToString())
    stack.redis.set(latest_key(DAY.isoformat()), plan.plan_id)
    sent = clients.bidding.SubmitBids(bpb.SubmitBidsRequest(plan_id=plan.plan_id), timeout=60)
    assert sent.orders_submitted == len(PLAN)
    clients.market.ClearMarket(
        mpb.ClearMarketRequest(
            market_day=DAY.isoformat(),
            product=mpb.PRODUCT_DEMAND_RESPONSE,
            include_synthetic_participants=True,
        ),
        timeout=60,
    )
    wait_for("dispatch", lambda: instructed_kw(clients, DAY) == {72: 600.0, 73: 1000.0})
    metered = [
        r
        for asset_id, (_, _, _, _, day_kw) in PARK.items()
        for r in day_readings(
            asset_id, DAY, lambda t, a=asset_id, kw=day_kw: kw - CUT_KW.get((a, t), 0.0)
        )
    ]
    assert not stream(clients, metered).rejected
    wait_for("the day's meters", lambda: measured_intervals(clients, DAY) == INTERVALS_PER_DAY)
    request = spb.GetDayReportRequest(market_day=DAY.isoformat())
    with pytest.raises(grpc.RpcError) as unsettled:
        clients.settlement.GetDayReport(request, timeout=60)
    run = clients.settlement.RunSettlement(
        spb.RunSettlementRequest(market_day=DAY.isoformat()), metadata=stack.auth("esco")
    )
    report = clients.settlement.GetDayReport(request, timeout=120)
    yield stack, clients, run, report, unsettled.value
    clients.close()


def test_settled_money_is_as_worked_out_by_hand(settled):
    _, _, run, report, _ = settled
    assert (run.gross_payment_fen, run.penalty_fen, run.capacity_payment_fen) == (275_000, 0, 0)
    assert (report.run_id, report.settlement_version) == (run.run_id, 1)
    assert report.plan_id == f"plan-{DAY.isoformat()}-report"


def test_each_interval_joins_plan_invitation_clearing_dispatch_and_settlement(settled):
    report = settled[3]
    rows = {row.interval: row for row in report.intervals}
    assert len(report.intervals) == INTERVALS_PER_DAY
    r72, r73 = rows[72], rows[73]
    assert r72.time_label == "18:00-18:15" and rows[60].time_label == "15:00-15:15"
    assert (r72.offered_kw, r72.lowest_offer_fen_per_mwh, r72.expected_kw) == (
        600.0,
        800_000,
        600.0,
    )
    assert (r72.called_kw, r72.price_cap_fen_per_mwh) == (1000.0, 1_300_000)
    assert r72.event_id.startswith(f"ev-{DAY.isoformat()}-")
    assert (r72.cleared_kw, r72.clearing_price_fen_per_mwh, r72.cleared_value_fen) == (
        600.0,
        800_000,
        120_000,
    )
    assert (r72.dispatched_kw, r72.baseline_kw, r72.metered_kw) == (600.0, 2000.0, 1500.0)
    assert (r73.dispatched_kw, r73.baseline_kw, r73.metered_kw) == (1000.0, 3000.0, 2300.0)
    assert r72.delivered_kw == pytest.approx(500.0)
    assert r72.reference_delivered_kw == pytest.approx(600.0)
    assert (r72.paid_fen, r73.paid_fen) == (100_000, 175_000)
    assert (r73.offered_kw, r73.lowest_offer_fen_per_mwh, r73.cleared_kw) == (
        1200.0,
        900_000,
        1000.0,
    )
    assert r73.clearing_price_fen_per_mwh == 1_000_000
    assert r73.delivered_kw == pytest.approx(700.0)
    assert r73.reference_delivered_kw == pytest.approx(800.0)
    assert (rows[60].called_kw, rows[60].cleared_kw, rows[74].cleared_kw) == (0.0, 0.0, 0.0)


def test_each_interval_says_why_its_figures_differ(settled):
    report = settled[3]
    why = {
        row.interval: [R.Name(r.reason).removeprefix("DIFFERENCE_REASON_") for r in row.reasons]
        for row in report.intervals
        if row.reasons
    }
    assert why == {
        60: ["NOT_CALLED"],
        72: ["BASELINE"],
        73: ["PARTLY_CLEARED", "UNDER_DELIVERY", "BASELINE"],
        74: ["PRICE_ABOVE_CAP"],
        **{t: ["NOT_OFFERED"] for t in range(75, 80)},
    }
    under = report.intervals[73].reasons[1].detail
    assert under == (
        "the assets cut 800 of 1,000 kW dispatched against the day's own load (80%); "
        "paid 1,750.00 CNY against 2,500.00 CNY cleared"
    )


def test_the_day_adds_up_from_expected_to_paid_and_says_so(settled):
    report = settled[3]
    assert (report.expected_revenue_fen, report.cleared_value_fen, report.paid_fen) == (
        596_500,
        370_000,
        275_000,
    )
    assert (report.not_called_fen, report.price_above_cap_fen, report.not_offered_fen) == (
        37_500,
        175_000,
        0,
    )
    assert (report.market_quantity_fen, report.market_price_fen) == (-24_000, 10_000)
    assert report.delivery_difference_fen == -95_000
    assert report.plan_expected_revenue_fen == 595_000
    assert (report.offered_kwh, report.cleared_kwh, report.dispatched_kwh) == (650.0, 400.0, 400.0)
    assert report.delivered_kwh == pytest.approx(300.0)
    assert report.summary == SUMMARY


def test_the_report_waits_for_settlement_and_refuses_bad_input_naming_the_field(settled):
    _, clients, _, _, unsettled = settled
    assert unsettled.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert (
        unsettled.details() == f"{DAY.isoformat()} is not settled: RunSettlement settles it first"
    )
    for request, field in (
        (spb.GetDayReportRequest(market_day="2026-13-01"), "market_day"),
        (spb.GetDayReportRequest(), "market_day"),
        (
            spb.GetDayReportRequest(market_day=DAY.isoformat(), product=mpb.PRODUCT_ENERGY),
            "product",
        ),
    ):
        with pytest.raises(grpc.RpcError) as err:
            clients.settlement.GetDayReport(request, timeout=30)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert err.value.details().startswith(field), err.value.details()


def test_the_operator_esco_and_monitor_read_it_an_enterprise_may_not(settled):
    stack, clients, _, report, _ = settled
    request = spb.GetDayReportRequest(market_day=DAY.isoformat())
    for role in ("esco", "monitor"):
        seen = clients.settlement.GetDayReport(request, metadata=stack.auth(role), timeout=120)
        assert seen.summary == report.summary
    with pytest.raises(grpc.RpcError) as err:
        clients.settlement.GetDayReport(
            request, metadata=stack.auth("enterprise:ent-north"), timeout=30
        )
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
