"""Asset specs: the validation rules an operator hits when enrolling, and availability windows."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date

import pytest

from bidding.assets import (
    AvailabilityWindow,
    BatterySpec,
    CurtailableLoadSpec,
    GeneratorSpec,
    ShiftableLoadSpec,
    is_available,
    validate_spec,
)
from bidding.exceptions import InvalidInput

WEDNESDAY = date(2025, 7, 16)
SATURDAY = date(2025, 7, 19)

LOAD = CurtailableLoadSpec(
    max_curtailment_kw=100.0,
    min_event_minutes=30,
    max_event_minutes=120,
    max_events_per_day=2,
    notification_lead_minutes=60,
    rebound_fraction=0.2,
    availability=(AvailabilityWindow((1, 2, 3, 4, 5), 68, 84),),
    curtailment_cost_fen_per_mwh=300_000,
)
BATTERY = BatterySpec(200.0, 100.0, 100.0, 0.95, 0.95, 0.1, 0.9, 0.5, 50_000)
SHIFTABLE = ShiftableLoadSpec(50.0, 60, 0, 96, 50.0)
GENERATOR = GeneratorSpec(500.0, "pv", "GC-001")


def _rejects(spec, prefix: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        validate_spec(spec, prefix)
    return caught.value


def test_valid_specs_pass() -> None:
    for spec, prefix in [
        (LOAD, "curtailable_load"),
        (BATTERY, "battery"),
        (SHIFTABLE, "shiftable_load"),
        (GENERATOR, "generator"),
    ]:
        validate_spec(spec, prefix)


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"soc_min": 0.95}, "battery.soc_min", "must be <= soc_max"),
        ({"initial_soc": 0.05}, "battery.initial_soc", "must be within [soc_min, soc_max]"),
        ({"soc_max": 1.2}, "battery.soc_max", "must be in [0, 1]"),
        ({"charge_efficiency": 0.0}, "battery.charge_efficiency", "must be in (0, 1]"),
        ({"discharge_efficiency": 1.01}, "battery.discharge_efficiency", "must be in (0, 1]"),
        ({"max_charge_kw": -1.0}, "battery.max_charge_kw", "must be >= 0"),
        ({"energy_capacity_kwh": 0.0}, "battery.energy_capacity_kwh", "must be > 0"),
        ({"energy_capacity_kwh": math.nan}, "battery.energy_capacity_kwh", "finite"),
        ({"max_discharge_kw": math.inf}, "battery.max_discharge_kw", "finite"),
        ({"degradation_cost_fen_per_mwh": 1.5}, "battery.degradation_cost_fen_per_mwh", "whole"),
    ],
)
def test_battery_rules_name_field_and_rule(changes: dict, field: str, rule: str) -> None:
    error = _rejects(replace(BATTERY, **changes), "battery")
    assert error.field == field
    assert rule in error.rule


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"max_curtailment_kw": 0.0}, "load.max_curtailment_kw"),
        ({"min_event_minutes": 180}, "load.min_event_minutes"),
        ({"rebound_fraction": 1.5}, "load.rebound_fraction"),
        ({"rebound_fraction": math.nan}, "load.rebound_fraction"),
        ({"max_events_per_day": 0}, "load.max_events_per_day"),
        ({"notification_lead_minutes": -5}, "load.notification_lead_minutes"),
        ({"curtailment_cost_fen_per_mwh": -1}, "load.curtailment_cost_fen_per_mwh"),
        ({"availability": (AvailabilityWindow((8,), 0, 96),)}, "load.availability[0].weekdays[0]"),
        (
            {"availability": (AvailabilityWindow((), 50, 40),)},
            "load.availability[0].start_interval",
        ),
        ({"availability": (AvailabilityWindow((), 0, 97),)}, "load.availability[0].end_interval"),
        ({"availability": (AvailabilityWindow((), -1, 4),)}, "load.availability[0].start_interval"),
    ],
)
def test_curtailable_rules(changes: dict, field: str) -> None:
    assert _rejects(replace(LOAD, **changes), "load").field == field


def test_shiftable_and_generator_rules() -> None:
    too_long = replace(SHIFTABLE, earliest_start_interval=90, latest_end_interval=92)
    assert _rejects(too_long, "s").field == "s.run_duration_minutes"
    assert _rejects(replace(SHIFTABLE, energy_per_run_kwh=80.0), "s").field == (
        "s.energy_per_run_kwh"
    )  # 50 kW for an hour cannot use 80 kWh
    assert _rejects(replace(GENERATOR, grid_connection_id="  "), "g").field == (
        "g.grid_connection_id"
    )
    assert _rejects(replace(GENERATOR, technology="coal"), "g").field == "g.technology"
    assert _rejects(replace(GENERATOR, capacity_kw=0.0), "g").field == "g.capacity_kw"


def test_unknown_kind_is_rejected() -> None:
    assert _rejects("battery", "spec").field == "spec"


def _round_trip_kwargs(rte: float) -> dict:
    return {
        "energy_capacity_kwh": 100.0,
        "max_charge_kw": 50.0,
        "max_discharge_kw": 50.0,
        "round_trip_efficiency": rte,
        "soc_min": 0.1,
        "soc_max": 0.9,
        "initial_soc": 0.5,
        "degradation_cost_fen_per_mwh": 0,
    }


def test_round_trip_efficiency_splits_evenly() -> None:
    spec = BatterySpec.from_round_trip(**_round_trip_kwargs(0.81))
    assert spec.charge_efficiency == pytest.approx(0.9)
    assert spec.discharge_efficiency == pytest.approx(0.9)
    for bad in (0.0, 1.1, math.nan):
        with pytest.raises(InvalidInput) as caught:
            BatterySpec.from_round_trip(**_round_trip_kwargs(bad))
        assert caught.value.field == "battery.round_trip_efficiency"


def test_availability_follows_weekday_and_window() -> None:
    # Weekdays 17:00-21:00 local: intervals 68..83.
    assert not is_available(LOAD, WEDNESDAY, 67)
    assert is_available(LOAD, WEDNESDAY, 68)
    assert is_available(LOAD, WEDNESDAY, 83)
    assert not is_available(LOAD, WEDNESDAY, 84)
    assert not is_available(LOAD, SATURDAY, 70)
    always = replace(LOAD, availability=())
    assert is_available(always, SATURDAY, 0)
    every_day = replace(LOAD, availability=(AvailabilityWindow((), 0, 4),))
    assert is_available(every_day, SATURDAY, 3)
    with pytest.raises(InvalidInput):
        is_available(LOAD, WEDNESDAY, 96)


@pytest.mark.parametrize(
    ("spec", "field", "rule"),
    [
        (replace(LOAD, min_event_minutes=0), "x.min_event_minutes", "must be > 0"),
        (
            replace(LOAD, min_event_minutes=200, max_event_minutes=120),
            "x.min_event_minutes",
            "<= max_event_minutes",
        ),
        (
            replace(LOAD, min_event_minutes=60, max_event_minutes=1500),
            "x.max_event_minutes",
            "must be <= 1440",
        ),
        (replace(LOAD, max_curtailment_kw=2e9), "x.max_curtailment_kw", "at most"),
        (
            replace(LOAD, availability=(AvailabilityWindow((True,), 0, 4),)),
            "x.availability[0].weekdays[0]",
            "ISO weekday",
        ),
        (replace(SHIFTABLE, energy_per_run_kwh=0.0), "x.energy_per_run_kwh", "must be > 0"),
        (replace(SHIFTABLE, power_kw=0.0), "x.power_kw", "must be > 0"),
        (replace(SHIFTABLE, run_duration_minutes=0), "x.run_duration_minutes", "must be > 0"),
        (replace(SHIFTABLE, earliest_start_interval=96), "x.earliest_start_interval", "0..95"),
        (replace(SHIFTABLE, latest_end_interval=97), "x.latest_end_interval", "1..96"),
        (
            replace(SHIFTABLE, earliest_start_interval=40, latest_end_interval=40),
            "x.earliest_start_interval",
            "< latest_end_interval",
        ),
        (replace(SHIFTABLE, power_kw=math.inf), "x.power_kw", "finite"),
        (replace(BATTERY, max_discharge_kw=-1.0), "x.max_discharge_kw", "must be >= 0"),
        (replace(BATTERY, soc_min=-0.1), "x.soc_min", "must be in [0, 1]"),
        (replace(BATTERY, initial_soc=1.5), "x.initial_soc", "must be in [0, 1]"),
        (
            replace(BATTERY, degradation_cost_fen_per_mwh=-1),
            "x.degradation_cost_fen_per_mwh",
            "must be >= 0",
        ),
        (replace(GENERATOR, capacity_kw=math.nan), "x.capacity_kw", "finite"),
    ],
)
def test_every_remaining_rule_names_its_field(spec, field: str, rule: str) -> None:
    error = _rejects(spec, "x")
    assert (error.field, rule in error.rule) == (field, True), error.rule
