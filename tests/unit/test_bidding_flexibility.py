"""Flexibility envelopes: windows, notice, forecast caps, battery energy bounds, aggregation."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from bidding.assets import (
    AvailabilityWindow,
    BatterySpec,
    CurtailableLoadSpec,
    GeneratorSpec,
    ShiftableLoadSpec,
)
from bidding.exceptions import InvalidInput
from bidding.flexibility import (
    aggregate,
    asset_envelope,
    battery_envelope,
    curtailable_envelope,
)
from bidding.intervals import interval_start

WEDNESDAY = date(2025, 7, 16)
SATURDAY = date(2025, 7, 19)
LOAD = CurtailableLoadSpec(
    max_curtailment_kw=100.0,
    min_event_minutes=30,
    max_event_minutes=120,
    max_events_per_day=2,
    notification_lead_minutes=60,
    rebound_fraction=0.0,
    availability=(AvailabilityWindow((1, 2, 3, 4, 5), 68, 84),),  # weekdays 17:00-21:00
    curtailment_cost_fen_per_mwh=300_000,
)
BATTERY = BatterySpec(200.0, 80.0, 120.0, 0.95, 0.95, 0.1, 0.9, 0.5, 50_000)
HEAVY_LOAD_KW = np.full(96, 500.0)


def test_curtailment_only_inside_the_availability_window() -> None:
    env = curtailable_envelope("load-1", LOAD, WEDNESDAY, HEAVY_LOAD_KW)
    assert env.up_kw[67] == 0
    assert env.up_kw[68] == 100.0
    assert env.up_kw[83] == 100.0
    assert env.up_kw[84] == 0
    assert env.up_kw.sum() == 16 * 100.0
    assert not env.down_kw.any()
    saturday = curtailable_envelope("load-1", LOAD, SATURDAY, HEAVY_LOAD_KW)
    assert not saturday.up_kw.any()


def test_a_load_cannot_shed_more_than_it_draws() -> None:
    forecast = HEAVY_LOAD_KW.copy()
    forecast[70] = 40.0
    forecast[71] = -5.0  # a bad forecast point counts as no load
    env = curtailable_envelope("load-1", LOAD, WEDNESDAY, forecast)
    assert env.up_kw[69] == 100.0
    assert env.up_kw[70] == 40.0
    assert env.up_kw[71] == 0.0


def test_notification_lead_time_blocks_early_intervals() -> None:
    # Decided exactly 60 min before 18:00 (interval 72): 72 is allowed, 71 is not.
    decided = interval_start(WEDNESDAY, 72) - timedelta(minutes=60)
    env = curtailable_envelope("load-1", LOAD, WEDNESDAY, HEAVY_LOAD_KW, decided)
    assert env.up_kw[71] == 0
    assert env.up_kw[72] == 100.0
    assert env.up_kw[68:72].sum() == 0
    with pytest.raises(InvalidInput) as caught:
        curtailable_envelope("load-1", LOAD, WEDNESDAY, HEAVY_LOAD_KW, datetime(2025, 7, 16, 9))
    assert caught.value.field == "decision_time"


def test_day_ahead_decision_leaves_whole_window_open() -> None:
    decided = datetime(2025, 7, 15, 2, 0, tzinfo=UTC)  # 10:00 local the day before
    env = curtailable_envelope("load-1", LOAD, WEDNESDAY, HEAVY_LOAD_KW, decided)
    assert env.up_kw.sum() == 16 * 100.0


def test_daily_energy_limit_from_event_rules() -> None:
    env = curtailable_envelope("load-1", LOAD, WEDNESDAY, HEAVY_LOAD_KW)
    assert env.max_daily_up_kwh == pytest.approx(2 * 2.0 * 100.0)  # 2 events x 2 h x 100 kW


def test_battery_envelope_power_and_energy_bounds() -> None:
    # 200 kWh, charge 80 kW at 95 %, discharge 120 kW at 95 %, SoC 0.1..0.9, starts at 0.5.
    env = battery_envelope("bess-1", BATTERY)
    gain, loss = 80.0 * 0.95 * 0.25, 120.0 / 0.95 * 0.25  # kWh per interval: 19 and 31.58
    np.testing.assert_allclose(env.stored_energy_max_kwh[:6], [119, 138, 157, 176, 180, 180])
    np.testing.assert_allclose(env.stored_energy_min_kwh[:3], [100 - loss, 100 - 2 * loss, 20])
    assert 100 + 4 * gain == 176.0
    # SoC limits hold all day: never below 0.1 x 200 or above 0.9 x 200 kWh.
    assert env.stored_energy_min_kwh.min() == 20.0 and env.stored_energy_max_kwh.max() == 180.0
    assert np.all(env.stored_energy_min_kwh <= env.stored_energy_max_kwh)
    assert np.all(env.up_kw == 120.0) and np.all(env.down_kw == 80.0)
    with pytest.raises(InvalidInput) as caught:
        battery_envelope("bess-1", replace(BATTERY, soc_min=0.95))
    assert caught.value.field == "battery.soc_min"


def test_an_empty_battery_cannot_discharge_until_it_could_have_charged() -> None:
    env = battery_envelope("bess-1", replace(BATTERY, initial_soc=0.1))
    assert env.up_kw[0] == 0.0  # starts at soc_min: nothing to give
    # After one interval of full charging it could hold 20 + 19 kWh: 19 x 0.95 / 0.25 kW out.
    assert env.up_kw[1] == pytest.approx(19.0 * 0.95 / 0.25)
    assert env.up_kw[5] == 120.0
    full = battery_envelope("bess-1", replace(BATTERY, initial_soc=0.9))
    assert full.down_kw[0] == 0.0 and full.up_kw[0] == 120.0


def test_generators_and_shiftable_loads_offer_nothing_yet() -> None:
    for spec in (GeneratorSpec(300.0, "pv", "GC-7"), ShiftableLoadSpec(40.0, 60, 0, 96, 40.0)):
        env = asset_envelope("x", spec, WEDNESDAY)
        assert not env.up_kw.any() and not env.down_kw.any()
        assert env.max_daily_up_kwh == 0


def test_curtailable_needs_a_forecast() -> None:
    with pytest.raises(InvalidInput) as caught:
        asset_envelope("load-1", LOAD, WEDNESDAY)
    assert caught.value.field == "forecast_load_kw"
    with pytest.raises(InvalidInput):
        curtailable_envelope("load-1", LOAD, WEDNESDAY, np.full(95, 10.0))


def test_aggregate_sums_the_portfolio() -> None:
    load = asset_envelope("load-1", LOAD, WEDNESDAY, HEAVY_LOAD_KW)
    bess = asset_envelope("bess-1", BATTERY, WEDNESDAY)
    total = aggregate([load, bess])
    assert total.asset_ids == ("load-1", "bess-1")
    assert total.up_kw[70] == 220.0
    assert total.up_kw[10] == 120.0
    assert total.down_kw[70] == 80.0
    with pytest.raises(InvalidInput):
        aggregate([load, load])
