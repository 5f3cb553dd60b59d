"""Flexibility from columns: the vectorised forecasts and envelopes equal the per-asset rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bidding.assets import AvailabilityWindow, CurtailableLoadSpec
from bidding.flexibility import curtailable_envelope, curtailable_envelopes
from bidding.forecast import similar_day_forecast
from bidding.intervals import INTERVALS_PER_DAY, days_before, interval_end
from parkvpp.v1 import enrollment_pb2 as epb
from services.enrollment.registry import Registry
from services.telemetry.rollups import Rollups, power_reading
from services.vpp.portfolio import Portfolio

WEDNESDAY = date(2025, 7, 16)
LOAD = CurtailableLoadSpec(
    max_curtailment_kw=100.0,
    min_event_minutes=30,
    max_event_minutes=120,
    max_events_per_day=2,
    notification_lead_minutes=60,
    rebound_fraction=0.0,
    availability=(AvailabilityWindow((1, 2, 3, 4, 5), 68, 84),),
    curtailment_cost_fen_per_mwh=300_000,
)
WINDOWS = st.sampled_from(
    (
        (),
        (AvailabilityWindow((1, 2, 3, 4, 5), 68, 84),),
        (AvailabilityWindow((), 0, 40), AvailabilityWindow((3,), 60, 96)),
        (AvailabilityWindow((6, 7), 10, 20),),
    )
)
SPECS = st.builds(
    lambda kw, lead, windows: replace(
        LOAD, max_curtailment_kw=kw, notification_lead_minutes=lead, availability=windows
    ),
    st.floats(1.0, 5000.0),
    st.sampled_from((0, 60, 600)),
    WINDOWS,
)


@given(
    specs=st.lists(SPECS, min_size=1, max_size=6),
    seed=st.integers(0, 2**16),
    hours_before=st.one_of(st.none(), st.integers(-30, 30)),
)
def test_envelopes_of_many_loads_equal_the_envelope_of_each(specs, seed, hours_before):
    forecasts = np.random.default_rng(seed).normal(200.0, 400.0, (len(specs), INTERVALS_PER_DAY))
    decided = (
        None
        if hours_before is None
        else datetime(2025, 7, 16, tzinfo=UTC) - timedelta(hours=hours_before)
    )
    ids = [f"load-{n}" for n in range(len(specs))]
    together = curtailable_envelopes(ids, specs, WEDNESDAY, forecasts, decided)
    for n, spec in enumerate(specs):
        alone = curtailable_envelope(ids[n], spec, WEDNESDAY, forecasts[n], decided)
        np.testing.assert_array_equal(together[n].up_kw, alone.up_kw)
        np.testing.assert_array_equal(together[n].down_kw, alone.down_kw)
        assert together[n].max_daily_up_kwh == alone.max_daily_up_kwh


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**16), loads=st.integers(2, 5), part=st.sampled_from([1, 2, 500]))
def test_bulk_forecasts_equal_the_similar_day_forecast_of_each_load(
    redis_client, seed, loads, part
):
    """Loads with full, gappy and no history; days missing at random; read and averaged
    `part` loads at a time (one, some parts with loads short of days and some not, all)."""
    redis_client.flushdb()
    rng = np.random.default_rng(seed)
    rollups = Rollups(redis_client)
    market_day = WEDNESDAY
    assets = [epb.Asset(asset_id=f"fl-{n}", enterprise_id=f"ent-{n % 2}") for n in range(loads)]
    for asset in assets:
        for day in days_before(market_day, 28):
            if rng.random() < 0.2:
                continue  # a day without readings
            gap = int(rng.integers(INTERVALS_PER_DAY)) if rng.random() < 0.15 else -1
            readings = [
                power_reading(int(interval_end(day, i).timestamp()), float(kw))
                for i, kw in enumerate(rng.normal(300.0, 50.0, INTERVALS_PER_DAY))
                if i != gap  # an interval without a reading: an incomplete day
            ]
            rollups.apply(
                f"e-{asset.asset_id}-{day}", asset.enterprise_id, asset.asset_id, readings
            )
    portfolio = Portfolio(redis_client, Registry(redis_client), rollups)
    bulk = portfolio.forecasts(assets, market_day, part_size=part)
    for n, asset in enumerate(assets):
        history = portfolio.forecast_histories([asset], market_day)[asset.asset_id]
        expected = similar_day_forecast(history, market_day) if history else np.zeros(96)
        np.testing.assert_array_equal(bulk[n], expected)
