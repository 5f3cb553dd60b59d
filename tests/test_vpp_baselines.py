"""Baselines and forecast accuracy through VppService, on history written as the rollups hold it.

The history is hand-made so the expected figures can be worked out by hand: the market day
is Wednesday 2026-11-18; the ten working days before it (most recent first) draw
110, 120, 90, 100, 130, then 100 kW five times, flat all day; one working day in between
was a dispatch event day at 500 kW (left out); weekends draw 50 kW (left out).
"""

from __future__ import annotations

from datetime import date, timedelta

import grpc
import pytest

from bidding.intervals import INTERVALS_PER_DAY, interval_end
from parkvpp.v1 import enrollment_pb2 as epb
from parkvpp.v1 import vpp_pb2 as pb
from services.telemetry.rollups import RollupReading, Rollups
from services.vpp.portfolio import event_days_key

MARKET_DAY = date(2026, 11, 18)
RECENT_WORKING_KW = [110.0, 120.0, 90.0, 100.0, 130.0] + [100.0] * 5
EVENT_DAY = date(2026, 11, 12)  # a Thursday between the 2nd and 3rd most recent working days


def write_day(rollups: Rollups, asset_id: str, day: date, kw: float, intervals=None) -> None:
    readings = [
        RollupReading(day, i, int(interval_end(day, i).timestamp()), kw)
        for i in (intervals if intervals is not None else range(INTERVALS_PER_DAY))
    ]
    rollups.apply(f"seed-{asset_id}-{day}-{kw}", "ent-b", asset_id, readings)


@pytest.fixture(scope="module")
def park(stack_factory):
    stack = stack_factory(db=8)
    clients = stack.clients()
    clients.enrollment.RegisterEnterprise(
        epb.RegisterEnterpriseRequest(enterprise_id="ent-b", name="B", grid_area="CN-JS")
    )
    for asset_id in ("load-b", "load-new"):
        clients.enrollment.EnrollAsset(
            epb.EnrollAssetRequest(
                request_id=f"r-{asset_id}",
                enterprise_id="ent-b",
                name=asset_id,
                asset_id=asset_id,
                spec=epb.AssetSpec(
                    curtailable_load=epb.CurtailableLoad(
                        max_curtailment_kw=50.0,
                        min_event_minutes=15,
                        max_event_minutes=120,
                        max_events_per_day=1,
                    )
                ),
            )
        )
        clients.enrollment.ApproveAsset(epb.ApproveAssetRequest(asset_id=asset_id))
    rollups = Rollups(stack.redis)
    working = iter(RECENT_WORKING_KW)
    for back in range(1, 40):
        day = MARKET_DAY - timedelta(days=back)
        if day == EVENT_DAY:
            kw = 500.0
        elif day.isoweekday() >= 6:
            kw = 50.0
        else:
            kw = next(working, 100.0)
        write_day(rollups, "load-b", day, kw)
    stack.redis.sadd(event_days_key("ent-b"), f"load-b/{EVENT_DAY.isoformat()}")
    # The market day's own meter, 3 h to 1 h before an 18:00 event: 115.5 kW.
    write_day(rollups, "load-b", MARKET_DAY, 115.5, range(56, 68))
    write_day(rollups, "load-new", MARKET_DAY - timedelta(days=1), 80.0)
    yield stack, clients
    clients.close()


def baseline(clients, method, **fields) -> pb.Baseline:
    request = pb.GetBaselineRequest(market_day=MARKET_DAY.isoformat(), method=method, **fields)
    return clients.vpp.GetBaseline(request)


def test_similar_day_is_the_mean_of_the_last_five_working_days(park):
    _, clients = park
    reply = baseline(clients, pb.BASELINE_METHOD_SIMILAR_DAY, asset_id="load-b")
    assert list(reply.baseline_kw) == pytest.approx([110.0] * 96)  # (110+120+90+100+130) / 5
    assert len(reply.days_used) == 5
    assert EVENT_DAY.isoformat() not in reply.days_used
    assert all(date.fromisoformat(d).isoweekday() <= 5 for d in reply.days_used)


def test_ten_in_ten_scales_by_the_same_day_load_before_the_event(park):
    _, clients = park
    unadjusted = baseline(clients, pb.BASELINE_METHOD_TEN_IN_TEN_ADJUSTED, asset_id="load-b")
    assert list(unadjusted.baseline_kw) == pytest.approx([105.0] * 96)  # (550 + 5 x 100) / 10
    assert unadjusted.adjustment == 1.0 and unadjusted.note
    adjusted = baseline(
        clients,
        pb.BASELINE_METHOD_TEN_IN_TEN_ADJUSTED,
        asset_id="load-b",
        event_start_interval=72,
    )
    # Window 14:00-17:00 metered 115.5 kW against 105 kW: factor 1.1, inside the 20 % cap.
    assert adjusted.adjustment == pytest.approx(1.1)
    assert list(adjusted.baseline_kw) == pytest.approx([115.5] * 96)
    assert len(adjusted.days_used) == 10


def test_high_4_of_5_drops_the_lowest_of_the_five(park):
    _, clients = park
    reply = baseline(
        clients, pb.BASELINE_METHOD_HIGH_4_OF_5, asset_id="load-b", event_intervals=[72, 73]
    )
    assert list(reply.baseline_kw) == pytest.approx([115.0] * 96)  # (110+120+100+130) / 4
    assert len(reply.days_used) == 4 and len(reply.days_considered) == 5
    dropped = set(reply.days_considered) - set(reply.days_used)
    assert dropped == {"2026-11-13"}  # the 90 kW Friday


def test_too_little_history_is_a_clear_error_not_a_zero(park):
    _, clients = park
    with pytest.raises(grpc.RpcError) as err:
        baseline(clients, pb.BASELINE_METHOD_SIMILAR_DAY, asset_id="load-new")
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "needs 5" in err.value.details()


def test_bad_event_options_name_the_field(park):
    _, clients = park
    with pytest.raises(grpc.RpcError) as err:
        baseline(
            clients,
            pb.BASELINE_METHOD_TEN_IN_TEN_ADJUSTED,
            asset_id="load-b",
            event_start_interval=96,
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.details().startswith("event_start_interval")


def test_forecast_accuracy_on_a_held_out_day(park):
    _, clients = park
    reply = clients.vpp.GetForecastAccuracy(
        pb.GetForecastAccuracyRequest(
            market_day=MARKET_DAY.isoformat(), enterprise_id="ent-b", holdout_days=1
        )
    )
    by = {a.asset_id: a for a in reply.assets}
    # Held out: Tuesday at 110 kW, forecast from the five working days before it (a
    # forecast keeps event days: it predicts the meter, not a baseline): 120, 90, 500,
    # 100, 130 kW, mean 188 kW, error 78 / 110 = 70.909 %.
    assert by["load-b"].days_evaluated == 1
    assert by["load-b"].wape_pct == pytest.approx(78 / 110 * 100)
    assert by["load-b"].mape_pct == pytest.approx(78 / 110 * 100)
    assert by["load-new"].days_evaluated == 0 and by["load-new"].note
    assert reply.wape_pct == pytest.approx(78 / 110 * 100)
    with pytest.raises(grpc.RpcError) as err:
        clients.vpp.GetForecastAccuracy(
            pb.GetForecastAccuracyRequest(
                market_day=MARKET_DAY.isoformat(), asset_id="load-b", holdout_days=61
            )
        )
    assert err.value.details().startswith("holdout_days")


def test_the_short_forecast_read_gives_the_forecast_of_the_whole_lookback(park):
    from bidding.forecast import similar_day_forecast_detail
    from services.enrollment.registry import Registry
    from services.vpp.portfolio import Portfolio

    stack, _ = park
    portfolio = Portfolio(stack.redis, Registry(stack.redis), Rollups(stack.redis))
    assets = [portfolio.registry.get_asset(a) for a in ("load-b", "load-new")]
    for day in (MARKET_DAY, MARKET_DAY + timedelta(days=3)):  # a Wednesday and a Saturday
        short = portfolio.forecast_histories(assets, day)
        full = portfolio.histories(assets, day)
        for asset in assets:
            a = similar_day_forecast_detail(short[asset.asset_id], day)
            b = similar_day_forecast_detail(full[asset.asset_id], day)
            assert (a.days_used, a.same_day_type) == (b.days_used, b.same_day_type)
            assert list(a.forecast_kw) == list(b.forecast_kw)
