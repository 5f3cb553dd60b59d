"""Flexibility from columns: the portfolio's column envelopes and GetFlexibility's wire-built
reply equal a plain per-asset computation (history read asset by asset, the similar-day
forecast, each kind's envelope rule, messages built one by one)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from bidding.assets import (
    AvailabilityWindow,
    BatterySpec,
    CurtailableLoadSpec,
    GeneratorSpec,
    ShiftableLoadSpec,
)
from bidding.exceptions import InsufficientHistory, InvalidInput
from bidding.flexibility import AssetEnvelope, aggregate, aggregate_columns, asset_envelope
from bidding.forecast import similar_day_forecast
from bidding.intervals import INTERVALS_PER_DAY, days_before, interval_end
from bidding.shiftable import run_envelope, run_placements, shiftable_run
from loadtests.bench_flexibility import proto_spec
from parkvpp.v1 import enrollment_pb2 as epb
from parkvpp.v1 import vpp_pb2 as pb
from services.enrollment.registry import Registry
from services.telemetry.profiles import HISTORY_DAYS, complete_days
from services.telemetry.rollups import Rollups, power_reading
from services.vpp.flexibility_reply import flexibility_reply
from services.vpp.portfolio import Portfolio, PortfolioFlexibility

MARKET_DAY = date(2025, 7, 16)  # a Wednesday
LOAD = CurtailableLoadSpec(
    max_curtailment_kw=150.0,
    min_event_minutes=30,
    max_event_minutes=120,
    max_events_per_day=2,
    notification_lead_minutes=60,
    rebound_fraction=0.0,
    availability=(AvailabilityWindow((1, 2, 3, 4, 5), 40, 84),),
    curtailment_cost_fen_per_mwh=300_000,
)
ALWAYS = CurtailableLoadSpec(200.0, 30, 60, 1, 0, 0.1, (), 250_000)
BATTERY = BatterySpec(400.0, 100.0, 150.0, 0.95, 0.94, 0.1, 0.9, 0.5, 50_000)
SHIFTABLE = ShiftableLoadSpec(500.0, 60, 40, 90, 500.0)
PV = GeneratorSpec(300.0, "pv", "GRID-1")
#: How each load's history is metered (days before the market day): "full" every day,
#: "no_yesterday" all but the day before the market day (still being metered when the VPP
#: bids), "gappy" some days missing and some with a missing interval, "short" three days,
#: "none" nothing.
METERING = {
    "load-full": (LOAD, "full"),
    "load-no-yesterday": (ALWAYS, "no_yesterday"),
    "load-gappy": (LOAD, "gappy"),
    "load-short": (ALWAYS, "short"),
    "load-none": (LOAD, "none"),
    "shift-run": (SHIFTABLE, "full"),
    "shift-none": (SHIFTABLE, "none"),
}


def _metered_days(pattern: str, rng: np.random.Generator) -> list[tuple[date, int]]:
    """(day, interval left out or -1) of each day with readings."""
    days = days_before(MARKET_DAY, HISTORY_DAYS)
    if pattern == "none":
        return []
    if pattern == "short":
        days = days[-4:-1]
    elif pattern == "no_yesterday":
        days = days[:-1]
    elif pattern == "gappy":
        days = [d for n, d in enumerate(days) if n % 3 != 1]
    gaps = pattern == "gappy"
    return [(d, int(rng.integers(96)) if gaps and rng.random() < 0.4 else -1) for d in days]


def _day_kw(spec, rng: np.random.Generator) -> np.ndarray:
    if isinstance(spec, ShiftableLoadSpec):
        kw = np.full(INTERVALS_PER_DAY, 40.0)
        kw[72:76] += spec.power_kw  # a run at 18:00
        return kw + rng.normal(0.0, 2.0, INTERVALS_PER_DAY)
    return rng.normal(300.0, 60.0, INTERVALS_PER_DAY) - 20.0  # some intervals exporting


@pytest.fixture()
def park(redis_client) -> Portfolio:
    rng = np.random.default_rng(16)
    registry = Registry(redis_client)
    rollups = Rollups(redis_client)
    specs = {**METERING, "bat-1": (BATTERY, "none"), "pv-1": (PV, "none")}
    for n, (asset_id, (spec, pattern)) in enumerate(sorted(specs.items())):
        enterprise_id = f"ent-{n % 2}"
        asset = epb.Asset(
            asset_id=asset_id,
            enterprise_id=enterprise_id,
            status=epb.ASSET_STATUS_ACTIVE,
            spec=proto_spec(spec),
            version=1,
        )
        registry.put_asset(asset, epb.AssetChange(asset=asset))
        for day, gap in _metered_days(pattern, rng):
            readings = [
                power_reading(int(interval_end(day, i).timestamp()), kw)
                for i, kw in enumerate(_day_kw(spec, rng).tolist())
                if i != gap
            ]
            rollups.apply(f"e-{asset_id}-{day}", enterprise_id, asset_id, readings)
    return Portfolio(redis_client, registry, rollups)


def _reference(portfolio: Portfolio, asset: epb.Asset, spec) -> tuple[np.ndarray, AssetEnvelope]:
    """One asset the plain way: its days read alone, the similar-day forecast, its rule."""
    if not isinstance(spec, CurtailableLoadSpec | ShiftableLoadSpec):
        return np.zeros(96), asset_envelope(asset.asset_id, spec, MARKET_DAY)
    days = days_before(MARKET_DAY, HISTORY_DAYS)
    read = portfolio.rollups.day_kw(asset.enterprise_id, asset.asset_id, days)
    try:
        forecast = similar_day_forecast(complete_days(read), MARKET_DAY)
    except InsufficientHistory:
        forecast = np.zeros(INTERVALS_PER_DAY)
    if isinstance(spec, CurtailableLoadSpec):
        return forecast, asset_envelope(asset.asset_id, spec, MARKET_DAY, forecast)
    run = shiftable_run(spec, forecast)
    placements = run_placements(run) if run is not None else None
    return forecast, run_envelope(asset.asset_id, placements)


def test_column_envelopes_equal_each_assets_own_computation(park):
    flex = park.flexibility(MARKET_DAY)
    assert flex.asset_ids == sorted([*METERING, "bat-1", "pv-1"])
    references = []
    for n, (asset, spec) in enumerate(zip(flex.assets, flex.specs, strict=True)):
        forecast, expected = _reference(park, asset, spec)
        references.append(expected)
        np.testing.assert_array_equal(flex.baseline_kw[n], forecast, err_msg=asset.asset_id)
        got = flex.envelope(n)
        for field in ("up_kw", "down_kw", "stored_energy_min_kwh", "stored_energy_max_kwh"):
            np.testing.assert_array_equal(getattr(got, field), getattr(expected, field))
        assert got.max_daily_up_kwh == expected.max_daily_up_kwh
    total, expected_total = flex.aggregate(), aggregate(references)
    np.testing.assert_array_equal(total.up_kw, expected_total.up_kw)
    np.testing.assert_array_equal(total.down_kw, expected_total.down_kw)
    # What the cases are there for: forecasts from full and partial history, none without.
    by_id = dict(zip(flex.asset_ids, flex.baseline_kw, strict=True))
    assert by_id["load-no-yesterday"].any() and by_id["load-gappy"].any()
    assert by_id["load-short"].any() and not by_id["load-none"].any()
    assert set(flex.runs) == {flex.asset_ids.index("shift-run")}
    assert flex.envelope(flex.asset_ids.index("shift-run")).up_kw[72:76].all()


def test_portfolio_assets_are_the_rows_of_the_columns(park):
    flex = park.flexibility(MARKET_DAY)
    for n, p in enumerate(park.assets(MARKET_DAY)):
        assert p.asset == flex.assets[n] and p.spec is flex.specs[n]
        assert (p.forecast_kw is None) == (p.spec in (BATTERY, PV))
        np.testing.assert_array_equal(p.envelope.up_kw, flex.up_kw[n])
        assert (p.run is None) == (p.asset.asset_id != "shift-run")


def test_one_enterprise_is_its_assets_only(park):
    flex = park.flexibility(MARKET_DAY, "ent-1")
    assert flex.asset_ids and {a.enterprise_id for a in flex.assets} == {"ent-1"}


def _columns(rng: np.random.Generator, ids: list[str]) -> PortfolioFlexibility:
    """Random columns (up, down, baseline, energy bounds) with some zeros; asset 0 has
    -0.0 in places and as a whole column, 1 is load-like (no down kW, no energy bounds),
    2 battery-like (no baseline), 3 all zeros (a generator)."""
    rows = (len(ids), INTERVALS_PER_DAY)
    values = [rng.normal(0.0, 500.0, rows) * (rng.random(rows) < 0.7) for _ in range(5)]
    values[0][:1, :3] = -0.0
    values[3][:1] = -0.0
    for k in (1, 3, 4):
        values[k][1:2] = 0.0
    values[2][2:3] = 0.0
    for column in values:
        column[3:4] = 0.0
    assets = [epb.Asset(asset_id=a, enterprise_id=f"企业-{n % 3}") for n, a in enumerate(ids)]
    return PortfolioFlexibility(
        assets, [], values[2], np.ones(len(ids), bool), values[0], values[1], *values[3:],
        rng.random(len(ids)) * 1000 * (np.arange(len(ids)) % 2), {},
    )  # fmt: skip


def _plain_reply(day: str, flex: PortfolioFlexibility) -> pb.FlexibilityEnvelope:
    """The reply built message by message, as GetFlexibility built it before."""
    total = aggregate(flex.envelope(n) for n in range(len(flex.assets)))
    reply = pb.FlexibilityEnvelope(market_day=day)
    for i, (u, d) in enumerate(zip(total.up_kw.tolist(), total.down_kw.tolist(), strict=True)):
        reply.aggregate.add(interval=i, up_kw=u, down_kw=d)
    for n, asset in enumerate(flex.assets):
        row = reply.assets.add(
            asset_id=asset.asset_id,
            enterprise_id=asset.enterprise_id,
            max_daily_up_kwh=float(flex.max_daily_up_kwh[n]),
        )
        for i in range(INTERVALS_PER_DAY):
            row.intervals.add(
                interval=i,
                up_kw=float(flex.up_kw[n, i]),
                down_kw=float(flex.down_kw[n, i]),
                baseline_kw=float(flex.baseline_kw[n, i]),
                stored_energy_min_kwh=float(flex.stored_energy_min_kwh[n, i]),
                stored_energy_max_kwh=float(flex.stored_energy_max_kwh[n, i]),
            )
    return reply


@pytest.mark.parametrize("ids", [[], ["a"], ["load-1", "bat-2", "x" * 200, "资产-3"]])
def test_the_wire_built_reply_is_the_message_built_one_by_one(ids):
    flex = _columns(np.random.default_rng(len(ids)), ids)
    total = aggregate_columns(flex.asset_ids, flex.up_kw, flex.down_kw)
    reply = flexibility_reply("2025-07-16", total, flex)
    expected = _plain_reply("2025-07-16", flex)
    assert reply == expected
    assert reply.SerializeToString(deterministic=True) == expected.SerializeToString(
        deterministic=True
    )
    without = flexibility_reply("2025-07-16", total, None)
    assert not without.assets and without.aggregate == expected.aggregate


def test_column_sums_are_the_envelope_sums_in_asset_order():
    flex = _columns(np.random.default_rng(5), [f"a-{n}" for n in range(300)])
    flex.up_kw[::7] *= 1e8  # magnitudes far apart: the order of the additions shows
    total = aggregate_columns(flex.asset_ids, flex.up_kw, flex.down_kw)
    expected = aggregate(flex.envelope(n) for n in range(300))
    np.testing.assert_array_equal(total.up_kw, expected.up_kw)
    np.testing.assert_array_equal(total.down_kw, expected.down_kw)
    with pytest.raises(InvalidInput, match="a-1"):
        aggregate_columns(["a-0", "a-1", "a-1"], flex.up_kw[:3], flex.down_kw[:3])
