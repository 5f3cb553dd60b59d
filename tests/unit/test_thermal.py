"""Dispatchable generators: start costs and min load decide runs, ramps hold, optimum = DP."""

from __future__ import annotations

import random
from dataclasses import replace
from fractions import Fraction

import pytest

from bidding.exceptions import InvalidInput
from bidding.thermal import (
    Commitment,
    ThermalUnitSpec,
    commit,
    dr_headroom,
    fuel_cost_fen_per_mwh,
    price_per_fuel_unit,
    validate_thermal_spec,
)
from certificates.factors import FUELS

# A 1 MW gas engine burning 250 m3 of natural gas per MWh at 300 fen/m3: 75,000 fen/MWh.
GAS_PRICE = 300
ENGINE = ThermalUnitSpec(
    capacity_kw=1000,
    min_load_kw=400,
    ramp_up_kw_per_interval=1000,
    ramp_down_kw_per_interval=1000,
    start_cost_fen=0,
    fuel="natural_gas",
    fuel_units_per_mwh=250,
)
LOW, HIGH = 50_000, 115_000
# Intervals 2..5 pay 40,000 fen/MWh over fuel cost; the rest 25,000 below it.
WINDOW = [LOW, LOW, HIGH, HIGH, HIGH, HIGH, LOW, LOW]


def _commit(spec: ThermalUnitSpec, values, price=GAS_PRICE) -> Commitment:
    return commit(spec, values, len(values), fuel_price_fen_per_unit=price)


# --- an independent checker of the unit rules, written from the module docstring ---------


def _violations(spec: ThermalUnitSpec, output_kw) -> list[str]:
    found = []
    for t, kw in enumerate(output_kw):
        if kw != 0 and not spec.min_load_kw <= kw <= spec.capacity_kw:
            found.append(f"{t}: {kw} kW outside min load..capacity")
    path = [spec.initial_output_kw, *output_kw]
    for t in range(len(output_kw)):
        before, now = path[t], path[t + 1]
        if before and now and not -spec.ramp_down_kw_per_interval <= now - before:
            found.append(f"{t}: ramp down {before}->{now}")
        if before and now and now - before > spec.ramp_up_kw_per_interval:
            found.append(f"{t}: ramp up {before}->{now}")
        if not before and now > spec.startup_limit_kw:
            found.append(f"{t}: starts at {now}")
        if before and not now and before > spec.shutdown_limit_kw:
            found.append(f"{t}: stops from {before}")
    found += _run_violations(spec, output_kw)
    return found


def _run_violations(spec: ThermalUnitSpec, output_kw) -> list[str]:
    """Runs of on (off) that end inside the horizon must last min_up (min_down); the
    initial run counts its intervals before 0 when they are known."""
    states = [kw > 0 for kw in output_kw]
    known = spec.initial_intervals_in_state
    runs, state, length, start = [], spec.initial_on, known or 10**6, -1
    for t, now in enumerate(states):
        if now == state:
            length += 1
            continue
        runs.append((state, length, start))
        state, length, start = now, 1, t
    found = []
    for was_on, length, start in runs:
        need = spec.min_up_intervals if was_on else spec.min_down_intervals
        if length < need:
            found.append(f"run from {start} of {length} < {need}")
    return found


def _margin(spec, values, cost, output_kw) -> Fraction:
    before = [spec.initial_output_kw, *output_kw[:-1]]
    starts = sum(1 for b, a in zip(before, output_kw, strict=True) if a and not b)
    energy = sum((Fraction(v) - cost) * kw for v, kw in zip(values, output_kw, strict=True))
    energy /= 4000
    return energy - spec.start_cost_fen * starts


# --- brute force: DP over (on, output on the data's grid, run length) --------------------


def _dp_optimum(spec: ThermalUnitSpec, values, cost: Fraction, grid_kw: int) -> Fraction:
    """Best margin over every schedule whose outputs are multiples of grid_kw. When every
    kW figure of the spec is a multiple of grid_kw, the best schedule lies on that grid: for
    fixed on/off the constraints are bounds on outputs and on their differences, so the
    LP's vertices are multiples of grid_kw."""
    cap_run = max(spec.min_up_intervals, spec.min_down_intervals)
    levels = [0, *range(spec.min_load_kw, spec.capacity_kw + 1, grid_kw)]
    run = min(cap_run, spec.initial_intervals_in_state or cap_run)
    best = {(spec.initial_output_kw, run): Fraction(0)}
    for value in values:
        nxt: dict[tuple[int, int], Fraction] = {}
        for (before, length), margin in best.items():
            for now in levels:
                if _violations(
                    replace(
                        spec,
                        initial_output_kw=before,
                        initial_on=before > 0,
                        initial_intervals_in_state=None,
                    ),
                    [now],
                ):
                    continue
                switched = (before > 0) != (now > 0)
                if switched and length < (
                    spec.min_up_intervals if before else spec.min_down_intervals
                ):
                    continue
                gain = (Fraction(value) - cost) * now / 4000
                gain -= spec.start_cost_fen if now and not before else 0
                key = (now, 1 if switched else min(cap_run, length + 1))
                if key not in nxt or nxt[key] < margin + gain:
                    nxt[key] = margin + gain
        best = nxt
    return max(best.values())


def _random_case(seed: int) -> tuple[ThermalUnitSpec, list[int], int]:
    rng = random.Random(seed)
    grid = rng.choice([10, 25, 50])
    cap = grid * rng.randint(3, 8)
    low = grid * rng.randint(1, cap // grid)
    on = rng.random() < 0.5
    spec = ThermalUnitSpec(
        capacity_kw=cap,
        min_load_kw=low,
        ramp_up_kw_per_interval=grid * rng.randint(1, cap // grid),
        ramp_down_kw_per_interval=grid * rng.randint(1, cap // grid),
        start_cost_fen=rng.choice([0, 300, 1500, 6000]),
        fuel=rng.choice(["natural_gas", "diesel"]),
        fuel_units_per_mwh=Fraction(rng.randint(2000, 3000), 10),
        initial_on=on,
        initial_output_kw=grid * rng.randint(low // grid, cap // grid) if on else 0,
        initial_intervals_in_state=rng.choice([None, 1, 2]),
        min_up_intervals=rng.randint(1, 3),
        min_down_intervals=rng.randint(1, 3),
        startup_kw=rng.choice([None, low]),
        shutdown_kw=rng.choice([None, cap]),
    )
    values = [rng.randint(-20_000, 200_000) for _ in range(rng.randint(6, 8))]
    return spec, values, grid


# --- tests ----------------------------------------------------------------------------


def test_fuel_cost_is_heat_rate_times_the_reported_price_exactly():
    # 231.55 m3/MWh x 347 fen/m3 = 80,347.85 fen/MWh, kept as a Fraction.
    spec = replace(ENGINE, fuel_units_per_mwh=Fraction(4631, 20))
    assert fuel_cost_fen_per_mwh(spec, 347) == Fraction(8034785, 100)
    assert fuel_cost_fen_per_mwh(replace(ENGINE, fuel_units_per_mwh=231.55), 347) == Fraction(
        8034785, 100
    )
    # Diesel at 8,500 yuan/t = 850,000 fen/t is 850 fen/kg; gas per 10^4 m3 likewise.
    assert price_per_fuel_unit("diesel", 850_000, "t") == 850
    assert price_per_fuel_unit("natural_gas", 3_470_000, "10^4 m3") == 347
    turbine = replace(ENGINE, fuel=None, fuel_units_per_mwh=0)
    assert fuel_cost_fen_per_mwh(turbine, None) == 0


def test_start_cost_below_the_window_margin_runs_the_engine():
    # Full power through the window: 40,000 fen/MWh x 1,000 kW x 4 x 0.25 h = 40,000 fen.
    # Running outside it at min load would lose 25,000 x 400 x 0.25 / 1000 = 2,500 fen each.
    result = _commit(replace(ENGINE, start_cost_fen=39_999), WINDOW)
    assert result.output_kw == (0, 0, 1000, 1000, 1000, 1000, 0, 0)
    assert result.start_intervals == (2,)
    assert result.margin_fen == 1  # 40,000 - 39,999
    assert result.start_costs_fen == 39_999


def test_start_cost_above_the_window_margin_keeps_the_engine_off():
    result = _commit(replace(ENGINE, start_cost_fen=40_001), WINDOW)
    assert result.output_kw == (0,) * 8
    assert result.margin_fen == 0 and result.start_intervals == ()
    assert result.fuel_burned == 0 and result.emissions_kg_co2 == 0


def test_a_window_too_short_for_min_load_and_min_up_is_skipped():
    # 76,000 fen/MWh in intervals 2-3 is 1,000 over cost; 40,000 elsewhere is 35,000 under.
    # min_load 600, startup/shutdown limit 600: two intervals at 600 kW earn
    # 1,000 x 600 x 2 / 4,000 = 300 fen.
    spec = replace(
        ENGINE, min_load_kw=600, ramp_up_kw_per_interval=200, ramp_down_kw_per_interval=200
    )
    values = [40_000, 40_000, 76_000, 76_000, 40_000, 40_000]
    short = _commit(spec, values)
    assert short.output_kw == (0, 0, 600, 600, 0, 0)
    assert short.margin_exact_fen == 300
    # Held on for 4 intervals, two of them lose 35,000 x 600 / 4,000 = 5,250 fen each: off.
    assert _commit(replace(spec, min_up_intervals=4), values).output_kw == (0,) * 6


def test_a_window_too_cheap_for_the_start_is_skipped():
    # 76,000 for one interval at up to 1,000 kW earns 1,000 x 1,000 / 4,000 = 250 fen < 251.
    values = [40_000, 76_000, 40_000]
    assert _commit(replace(ENGINE, start_cost_fen=251), values).output_kw == (0, 0, 0)
    assert _commit(replace(ENGINE, start_cost_fen=249), values).output_kw == (0, 1000, 0)


def test_initial_state_carries_min_up_and_min_down_into_the_day():
    # Off for 1 interval with min_down 3: may not start before interval 2.
    off = replace(ENGINE, initial_intervals_in_state=1, min_down_intervals=3)
    assert _commit(off, [HIGH] * 4).output_kw == (0, 0, 1000, 1000)
    # On at 1,000 kW for 1 interval with min_up 2 must stay on at 0 though it loses:
    # 2 fen/MWh under cost x 1,000 kW / 4,000 = -0.5 fen, rounded half up to 0.
    on = replace(
        ENGINE,
        min_load_kw=1000,
        initial_on=True,
        initial_output_kw=1000,
        initial_intervals_in_state=1,
        min_up_intervals=2,
    )
    forced = _commit(on, [74_998])
    assert forced.output_kw == (1000,)
    assert forced.margin_exact_fen == Fraction(-1, 2) and forced.margin_fen == 0
    assert _commit(replace(on, initial_intervals_in_state=2), [74_998]).output_kw == (0,)


def test_margin_rounds_half_fen_up():
    # 2 fen/MWh over cost x 1,000 kW / 4,000 = 0.5 fen -> 1.
    result = _commit(ENGINE, [75_002])
    assert result.margin_exact_fen == Fraction(1, 2) and result.margin_fen == 1


def test_emissions_are_fuel_burned_times_the_certificates_factor():
    # 1,000 kW x 4 intervals = 1,000 kWh = 1 MWh; 250 m3/MWh -> 250 m3 of natural gas.
    # Factor: 1.2143 kgce/m3 x 56,100 kgCO2/TJ x 29.3076 GJ/tce = 1.2143 x 1.64415636
    # = 1.972987632 + 0.023511435948 = 1.996499067948 kgCO2/m3; x 250 m3 = 499.124766987 kg.
    result = _commit(replace(ENGINE, start_cost_fen=1000), WINDOW)
    assert result.energy_kwh == 1000
    assert result.fuel == "natural_gas" and result.fuel_unit == "m3"
    assert result.fuel_burned == 250
    assert result.emissions_kg_co2 == pytest.approx(499.124766987, rel=1e-12)
    assert FUELS["natural_gas"].kg_co2_per_unit == pytest.approx(1.996499067948, rel=1e-12)


def test_a_waste_heat_turbine_burns_no_fuel_and_emits_nothing_here():
    turbine = replace(ENGINE, fuel=None, fuel_units_per_mwh=0, start_cost_fen=2000)
    # Value 10,000 fen/MWh x 1,000 kW x 8 intervals / 4,000 = 20,000 fen, less one start.
    result = commit(turbine, [10_000] * 8, 8)
    assert result.output_kw == (1000,) * 8 and result.margin_fen == 18_000
    assert result.fuel_burned == 0 and result.emissions_kg_co2 == 0 and result.fuel_unit is None


@pytest.mark.parametrize("seed", range(20))
def test_commit_equals_brute_force_and_obeys_every_rule(seed):
    spec, values, grid = _random_case(seed)
    result = _commit(spec, values, price=347)
    cost = Fraction(347) * spec.fuel_units_per_mwh
    assert _violations(spec, result.output_kw) == []
    assert result.on == tuple(kw > 0 for kw in result.output_kw)
    assert result.margin_exact_fen == _margin(spec, values, cost, result.output_kw)
    assert result.margin_exact_fen == _dp_optimum(spec, values, cost, grid)


def test_full_day_schedules_respect_ramps():
    rng = random.Random(96)
    for _ in range(4):
        spec = replace(
            ENGINE,
            capacity_kw=4400,
            min_load_kw=1800,
            ramp_up_kw_per_interval=rng.choice([300, 900]),
            ramp_down_kw_per_interval=rng.choice([400, 1200]),
            start_cost_fen=rng.choice([20_000, 200_000]),
            min_up_intervals=rng.choice([1, 8]),
            min_down_intervals=rng.choice([1, 4]),
        )
        values = [rng.randint(20_000, 150_000) for _ in range(96)]
        result = commit(spec, values, fuel_price_fen_per_unit=Fraction(6941, 20))
        assert len(result.output_kw) == 96
        assert _violations(spec, result.output_kw) == []


def _path(output_kw) -> Commitment:
    base = _commit(ENGINE, [LOW] * len(output_kw))
    return replace(base, output_kw=tuple(output_kw), on=tuple(kw > 0 for kw in output_kw))


def test_dr_headroom_by_hand():
    # Ramps +200/-300, min load 400, start and stop limits max(400, ramp) = 400.
    spec = replace(ENGINE, ramp_up_kw_per_interval=200, ramp_down_kw_per_interval=300)
    # t1 start: min(400, 500 + 300) - 400 = 0; t2: min(400 + 200, 500 + 300) - 500 = 100;
    # t3: min(500 + 200, 400 + 300) - 500 = 200; t4 before a stop: 400 - 400 = 0; off: 0.
    assert dr_headroom(spec, _path([0, 400, 500, 500, 400, 0])) == (0, 0, 100, 200, 0, 0)
    # On at 700 kW at interval -1, open end: t0: min(700 + 200, 900 + 300) - 700 = 200;
    # t1: 700 + 200 - 900 = 0; t2 capacity-bound: min(1000, 900 + 200) - 950 = 50.
    on = replace(spec, initial_on=True, initial_output_kw=700)
    assert dr_headroom(on, _path([700, 900, 950])) == (200, 0, 50)


@pytest.mark.parametrize("seed", range(8))
def test_dr_headroom_is_callable_all_at_once_and_no_more(seed):
    spec, values, _ = _random_case(100 + seed)
    result = _commit(spec, values, price=347)
    headroom = dr_headroom(spec, result)
    raised = [kw + extra for kw, extra in zip(result.output_kw, headroom, strict=True)]
    assert _violations(spec, raised) == []
    for t, kw in enumerate(result.output_kw):
        if kw:
            more = list(result.output_kw)
            more[t] += headroom[t] + 1
            assert _violations(spec, more) != []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"min_load_kw": 1001}, "generators[0].min_load_kw"),
        ({"min_load_kw": 0}, "generators[0].min_load_kw"),
        ({"capacity_kw": 1000.5}, "generators[0].capacity_kw"),
        ({"ramp_up_kw_per_interval": 0}, "generators[0].ramp_up_kw_per_interval"),
        ({"start_cost_fen": -1}, "generators[0].start_cost_fen"),
        ({"fuel": "hydrogen"}, "generators[0].fuel"),
        ({"fuel_units_per_mwh": float("nan")}, "generators[0].fuel_units_per_mwh"),
        ({"fuel": None}, "generators[0].fuel_units_per_mwh"),
        ({"initial_output_kw": 300}, "generators[0].initial_output_kw"),
        ({"initial_on": True}, "generators[0].initial_output_kw"),
        ({"startup_kw": 200}, "generators[0].startup_kw"),
        ({"min_up_intervals": 0}, "generators[0].min_up_intervals"),
    ],
)
def test_invalid_specs_name_the_field(change, field):
    with pytest.raises(InvalidInput) as caught:
        validate_thermal_spec(replace(ENGINE, **change), "generators[0]")
    assert caught.value.field == field
    with pytest.raises(InvalidInput) as caught:
        commit(
            replace(ENGINE, **change), [LOW] * 96, fuel_price_fen_per_unit=1, prefix="generators[0]"
        )
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("values", "horizon", "price", "field"),
    [
        ([LOW] * 95, 96, GAS_PRICE, "value_fen_per_mwh_by_interval"),
        ([LOW, float("inf")], 2, GAS_PRICE, "value_fen_per_mwh_by_interval[1]"),
        ([LOW] * 97, 97, GAS_PRICE, "horizon"),
        ([LOW], 1, None, "fuel_price_fen_per_unit"),
        ([LOW], 1, 3.47, "fuel_price_fen_per_unit"),
        ([LOW], 1, -1, "fuel_price_fen_per_unit"),
        ([Fraction(1, 10**18 + 9)], 1, GAS_PRICE, "value_fen_per_mwh_by_interval"),
    ],
)
def test_invalid_commit_inputs_name_the_field(values, horizon, price, field):
    with pytest.raises(InvalidInput) as caught:
        commit(ENGINE, values, horizon, fuel_price_fen_per_unit=price)
    assert caught.value.field == field


def test_dr_headroom_rejects_a_commitment_whose_on_off_disagrees_with_output():
    with pytest.raises(InvalidInput) as caught:
        dr_headroom(ENGINE, replace(_path([0, 400]), on=(True, True)))
    assert caught.value.field == "commitment"
