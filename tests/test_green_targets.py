"""Green targets over real gRPC, Valkey and the broker: the bidder's plan, what is bought and
claimed, and GetGreenTarget saying met, or missed by how much and why; every number by hand.

The park: ent-buy draws a flat 100 kW (2,400 kWh a day); ent-sun's PV makes 50 kW from
10:00 to 14:00 local (four lots of 50,000 Wh, 200 kWh a day) and has no load or target,
so only the park's PV sells and it can sell all 200 kWh. Every day looks the same, so the
similar-day forecasts equal the meters exactly.
"""

from __future__ import annotations

from datetime import timedelta

import grpc
import pytest

from bidding.intervals import INTERVALS_PER_DAY, days_before, hour_of_interval, interval_end
from parkvpp.v1 import bidding_pb2 as bpb
from parkvpp.v1 import certificates_pb2 as cpb
from parkvpp.v1 import enrollment_pb2 as epb
from parkvpp.v1 import telemetry_pb2 as tpb
from services.certificates.metering import day_bounds
from services.demo.day import last_working_day, market_day_for
from services.demo.meters import stream, wait_for
from services.demo.park import curtailable_spec
from services.runtime.rpc import to_ts

pytestmark = pytest.mark.timeout(300)

DAY = market_day_for()
EARLIER = last_working_day(DAY)
LOAD_KW, PV_KW = 100.0, 50.0
R = bpb.GreenShortfallReason


def _kw(asset_id: str, interval: int) -> float:
    if asset_id == "buy-load":
        return LOAD_KW
    return PV_KW if 10 <= hour_of_interval(interval) < 14 else 0.0


def _enrol(clients) -> None:
    for enterprise_id in ("ent-buy", "ent-sun"):
        clients.enrollment.RegisterEnterprise(
            epb.RegisterEnterpriseRequest(
                enterprise_id=enterprise_id, name=enterprise_id, grid_area="CN-JS"
            )
        )
    pv = epb.AssetSpec(
        generator=epb.Generator(
            capacity_kw=100.0, technology=epb.GENERATOR_TECHNOLOGY_PV, grid_connection_id="G-1"
        )
    )
    for asset_id, owner, spec in (
        ("buy-load", "ent-buy", curtailable_spec(30.0)),
        ("sun-pv", "ent-sun", pv),
    ):
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


def _meter(clients) -> None:
    days = [*days_before(DAY, 20), DAY]
    readings = [
        tpb.Reading(
            asset_id=asset_id,
            timestamp=to_ts(interval_end(day, i)),
            power_kw=_kw(asset_id, i),
        )
        for day in days
        for asset_id in ("buy-load", "sun-pv")
        for i in range(INTERVALS_PER_DAY)
    ]
    assert stream(clients, readings).rejected == 0

    def rolled_up() -> bool:
        profile = clients.telemetry.GetLoadProfile(
            tpb.GetLoadProfileRequest(asset_id="sun-pv", from_market_day=DAY.isoformat())
        )
        return sum(i.reading_count > 0 for i in profile.intervals) == INTERVALS_PER_DAY

    wait_for("the market day's rollups", rolled_up)


@pytest.fixture(scope="module")
def park(stack_factory):
    stack = stack_factory(db=5)
    clients = stack.clients()
    _enrol(clients)
    _meter(clients)
    yield stack, clients
    clients.close()


def _plan(clients, day, share, **target):
    limits = dict(bundled_price_limit_fen_per_mwh=45_000, certificate_price_limit_fen_per_mwh=2_000)
    limits.update(target)
    return clients.bidding.PrepareBids(
        bpb.PrepareBidsRequest(
            market_day=day.isoformat(),
            green_targets=[bpb.GreenTarget(enterprise_id="ent-buy", share=share, **limits)],
            certificate_price_fen_per_mwh=500,
            green_supply_park_only=True,
        ),
        timeout=120,
    )


def _result(plan) -> bpb.GreenPowerResult:
    return next(r for r in plan.green_power_results if r.enterprise_id == "ent-buy")


def _status(stack, clients, day) -> cpb.GreenTargetStatus:
    return clients.certificates.GetGreenTarget(
        cpb.GetGreenTargetRequest(enterprise_id="ent-buy", market_day=day.isoformat()),
        metadata=stack.auth("enterprise:ent-buy"),
        timeout=30,
    )


def _issue(stack, clients, day) -> list[cpb.Lot]:
    start, end = day_bounds(day, day)
    issued = clients.certificates.IssueCertificates(
        cpb.IssueCertificatesRequest(
            request_id=f"issue-{day}",
            generator_asset_id="sun-pv",
            period_start=to_ts(start),
            period_end=to_ts(end),
        ),
        metadata=stack.auth("registry"),
    )
    return sorted(issued.lots, key=lambda lot: lot.production_hour_start.seconds)


def _buy(stack, clients, day, lots) -> list[cpb.Lot]:
    bought = []
    for lot in lots:
        trade_id = f"t-{lot.lot_id}"
        clients.certificates.ProposeGreenTrade(
            cpb.ProposeGreenTradeRequest(
                request_id=f"p-{trade_id}",
                trade_id=trade_id,
                lot_id=lot.lot_id,
                buyer_enterprise_id="ent-buy",
                energy_wh=lot.energy_wh,
                price_fen_per_mwh=500,
            ),
            metadata=stack.auth("enterprise:ent-sun"),
        )
        clients.certificates.AcceptGreenTrade(
            cpb.AcceptGreenTradeRequest(request_id=f"a-{trade_id}", trade_id=trade_id),
            metadata=stack.auth("enterprise:ent-buy"),
        )
        trade = clients.certificates.SettleGreenTrade(
            cpb.SettleGreenTradeRequest(request_id=f"s-{trade_id}", trade_id=trade_id),
            metadata=stack.auth("esco"),
        )
        bought.append(trade.bought)
    return bought


def _retire(stack, clients, day, lots) -> None:
    start, end = day_bounds(day, day)
    for lot in lots:
        clients.certificates.Retire(
            cpb.RetireRequest(
                request_id=f"r-{lot.lot_id}",
                lot_id=lot.lot_id,
                owner_enterprise_id="ent-buy",
                beneficiary_enterprise_id="ent-buy",
                consumption_period_start=to_ts(start),
                consumption_period_end=to_ts(end),
            ),
            metadata=stack.auth("enterprise:ent-buy"),
        )


def test_a_target_the_park_can_supply_is_planned_bought_claimed_and_met(park):
    stack, clients = park
    # 1/16 of 2,400 kWh = 150 kWh: certificates (5 CNY/MWh) beat bundled power's premium.
    result = _result(_plan(clients, DAY, 0.0625))
    assert (result.target_kwh, result.certificate_wh, result.bundled_wh) == (150.0, 150_000, 0)
    assert (result.shortfall_kwh, result.shortfall_reason) == (
        0.0,
        R.GREEN_SHORTFALL_REASON_UNSPECIFIED,
    )
    assert (result.target_share, result.hourly_matched) == (0.0625, False)

    # Planned, nothing issued yet: missed by all 150,000 Wh, 6.25 points, for want of supply.
    before = _status(stack, clients, DAY)
    assert (before.consumption_wh, before.target_wh, before.planned_wh) == (
        2_400_000,
        150_000,
        150_000,
    )
    assert (before.met, before.shortfall_wh, before.shortfall_points) == (False, 150_000, 6.25)
    assert before.reason == R.GREEN_SHORTFALL_REASON_SUPPLY
    assert before.reason_detail == (
        "the park's generators issued only 0 Wh in the period for the 150,000 Wh planned; "
        "0 Wh bought"
    )
    lots = _issue(stack, clients, DAY)
    assert [lot.energy_wh for lot in lots] == [50_000] * 4
    unoffered = _status(stack, clients, DAY)
    assert (unoffered.park_issued_wh, unoffered.shortfall_wh) == (200_000, 150_000)
    assert unoffered.reason == R.GREEN_SHORTFALL_REASON_NO_OFFER
    assert unoffered.reason_detail == (
        "no seller proposed a trade of the period's certificates; 150,000 Wh planned"
    )

    # Three of the four lots bought (what the plan says), not yet retired.
    bought = _buy(stack, clients, DAY, lots[:3])
    unretired = _status(stack, clients, DAY)
    assert (unretired.bought_wh, unretired.claimed_wh, unretired.park_issued_wh) == (
        150_000,
        0,
        200_000,
    )
    assert unretired.reason == R.GREEN_SHORTFALL_REASON_NOT_RETIRED
    assert unretired.reason_detail == "only 0 of the 150,000 Wh planned were retired for the period"

    _retire(stack, clients, DAY, bought)
    met = _status(stack, clients, DAY)
    assert (met.bought_wh, met.claimed_wh, met.achieved_share) == (150_000, 150_000, 0.0625)
    assert (met.met, met.shortfall_wh, met.shortfall_points) == (True, 0, 0.0)
    assert (met.reason, met.reason_detail) == (R.GREEN_SHORTFALL_REASON_UNSPECIFIED, "")
    assert met.plan_id.startswith(f"plan-{DAY.isoformat()}-")


def test_a_target_beyond_the_park_supply_is_planned_short_and_missed_with_the_reason(park):
    stack, clients = park
    # Certificates allowed at no more than 4 CNY/MWh and bundled power at 0: nothing fits.
    priced_out = _result(
        _plan(
            clients,
            EARLIER,
            0.125,
            certificate_price_limit_fen_per_mwh=400,
            bundled_price_limit_fen_per_mwh=0,
        )
    )
    assert (priced_out.certificate_wh, priced_out.shortfall_kwh) == (0, 300.0)
    assert priced_out.shortfall_reason == R.GREEN_SHORTFALL_REASON_PRICE_ABOVE_LIMIT
    assert priced_out.shortfall_detail == (
        "certificates forecast at 500 fen/MWh, above the limit of 400; bundled power forecast "
        "above the limit of 0 fen/MWh in 24 of 24 hours"
    )
    status = _status(stack, clients, EARLIER)
    assert (status.shortfall_wh, status.shortfall_points) == (300_000, 12.5)
    assert status.reason == R.GREEN_SHORTFALL_REASON_PRICE_ABOVE_LIMIT

    # Within the limits: 1/8 of 2,400 kWh = 300 kWh, but the park's PV offers only 200.
    result = _result(_plan(clients, EARLIER, 0.125))
    assert (result.target_kwh, result.certificate_wh, result.shortfall_kwh) == (
        300.0,
        200_000,
        100.0,
    )
    assert result.shortfall_reason == R.GREEN_SHORTFALL_REASON_SUPPLY
    supply = (
        "the park's generators are forecast to offer only 200 kWh of certificates in the period"
    )
    assert result.shortfall_detail == supply

    _retire(stack, clients, EARLIER, _buy(stack, clients, EARLIER, _issue(stack, clients, EARLIER)))
    missed = _status(stack, clients, EARLIER)
    assert (missed.target_wh, missed.planned_wh, missed.bought_wh, missed.claimed_wh) == (
        300_000,
        200_000,
        200_000,
        200_000,
    )
    assert missed.achieved_share == pytest.approx(200_000 / 2_400_000, abs=0)
    assert (missed.met, missed.shortfall_wh) == (False, 100_000)
    assert missed.shortfall_points == pytest.approx((0.125 - 200_000 / 2_400_000) * 100, abs=0)
    assert missed.reason == R.GREEN_SHORTFALL_REASON_SUPPLY
    assert missed.reason_detail == f"the plan covers only 200 of the target's 300 kWh: {supply}"


def test_a_day_without_a_plan_target_is_not_found(park):
    stack, clients = park
    with pytest.raises(grpc.RpcError) as err:
        _status(stack, clients, DAY - timedelta(days=30))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert "sets a green target for ent-buy" in err.value.details()
