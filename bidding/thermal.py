"""On-site dispatchable generators: self-commitment, fuel cost, emissions and DR headroom.

Gas engines, diesel backup and steam turbines on waste heat (`fuel=None`: no fuel is
bought and no CO2 is counted here, the heat's emissions belong to the process that made
it). Fuel kinds, units and CO2 factors come from `certificates.factors.FUELS`.

Power is whole kW, money whole fen or exact Fractions of fen. Rules of the unit model:
- on: min_load_kw <= output <= capacity_kw; off: output 0;
- while on in t-1 and t: output may rise by ramp_up and fall by ramp_down kW;
- start-up: in the first interval on, output <= startup_kw (default
  min(capacity, max(min_load, ramp_up))), so a unit always starts at min load or above;
- shut-down: in the last interval on, output <= shutdown_kw (default
  min(capacity, max(min_load, ramp_down))); the interval after it produces 0;
- min up/down: a start (stop) at t keeps the unit on (off) through t + min_up - 1
  (t + min_down - 1) or the end of the horizon; the initial state's own run counts too
  when `initial_intervals_in_state` is given. Nothing is enforced beyond the horizon.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from ortools.sat.python import cp_model

from bidding.exceptions import InvalidInput, SolverFailed
from bidding.intervals import INTERVAL_MINUTES, INTERVALS_PER_DAY
from certificates.factors import FUELS, Fuel

#: kW x intervals in one MWh: 1000 kW x (60 / 15) intervals.
KW_INTERVALS_PER_MWH = 1000 * 60 // INTERVAL_MINUTES
#: CP-SAT needs every sum in the model to fit a signed 64-bit integer; we keep a margin.
_MAX_OBJECTIVE = 2**62
MAX_CAPACITY_KW = 10**7

Exact = int | Fraction


@dataclass(frozen=True)
class ThermalUnitSpec:
    """A dispatchable generator. `fuel_units_per_mwh` is its heat rate in the fuel's own
    unit (FUELS[fuel].unit: kg or m3) per MWh electric, an int, Fraction or decimal float;
    0 and `fuel=None` for a waste-heat turbine. The initial state is interval -1's."""

    capacity_kw: int
    min_load_kw: int
    ramp_up_kw_per_interval: int
    ramp_down_kw_per_interval: int
    start_cost_fen: int
    fuel: str | None
    fuel_units_per_mwh: Exact | float
    initial_on: bool = False
    initial_output_kw: int = 0
    initial_intervals_in_state: int | None = None
    min_up_intervals: int = 1
    min_down_intervals: int = 1
    startup_kw: int | None = None
    shutdown_kw: int | None = None

    @property
    def startup_limit_kw(self) -> int:
        if self.startup_kw is not None:
            return self.startup_kw
        return min(self.capacity_kw, max(self.min_load_kw, self.ramp_up_kw_per_interval))

    @property
    def shutdown_limit_kw(self) -> int:
        if self.shutdown_kw is not None:
            return self.shutdown_kw
        return min(self.capacity_kw, max(self.min_load_kw, self.ramp_down_kw_per_interval))


@dataclass(frozen=True)
class Commitment:
    """A self-schedule over `len(output_kw)` intervals. margin_fen is margin_exact_fen
    rounded to the nearest fen, halves towards +infinity; fuel_burned is in fuel_unit."""

    on: tuple[bool, ...]
    output_kw: tuple[int, ...]
    start_intervals: tuple[int, ...]
    fuel_cost_fen_per_mwh: Fraction
    margin_exact_fen: Fraction
    margin_fen: int
    start_costs_fen: int
    energy_kwh: Fraction
    fuel: str | None
    fuel_unit: str | None
    fuel_burned: Fraction
    emissions_kg_co2: float


def _exact(value: object, field: str) -> Fraction:
    """An int, Fraction or finite float as an exact Fraction (a float as the decimal it
    prints as: 0.1 -> 1/10); raises InvalidInput naming `field` otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidInput(field, f"must be a number, got {value!r}")
    if isinstance(value, numbers.Rational):
        return Fraction(int(value.numerator), int(value.denominator))
    if not math.isfinite(value):
        raise InvalidInput(field, f"must be finite, got {value!r}")
    return Fraction(str(float(value)))


def _whole(value: object, field: str, low: int, high: int = MAX_CAPACITY_KW) -> int:
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not ok or not low <= int(value) <= high:  # type: ignore[call-overload]
        raise InvalidInput(field, f"must be a whole number in {low}..{high}, got {value!r}")
    return int(value)  # type: ignore[call-overload]


def validate_thermal_spec(
    spec: ThermalUnitSpec, prefix: str = "generator", fuels: Mapping[str, Fuel] = FUELS
) -> None:
    """Reject a spec no schedule could follow. Raises InvalidInput whose field is `prefix`
    + "." + the field (e.g. "generators[0].min_load_kw") and whose rule says what it must be."""
    p = prefix
    cap = _whole(spec.capacity_kw, f"{p}.capacity_kw", 1)
    low = _whole(spec.min_load_kw, f"{p}.min_load_kw", 1, cap)
    _whole(spec.ramp_up_kw_per_interval, f"{p}.ramp_up_kw_per_interval", 1)
    _whole(spec.ramp_down_kw_per_interval, f"{p}.ramp_down_kw_per_interval", 1)
    _whole(spec.start_cost_fen, f"{p}.start_cost_fen", 0, 10**12)
    _whole(spec.min_up_intervals, f"{p}.min_up_intervals", 1, INTERVALS_PER_DAY)
    _whole(spec.min_down_intervals, f"{p}.min_down_intervals", 1, INTERVALS_PER_DAY)
    for name in ("startup_kw", "shutdown_kw"):
        if getattr(spec, name) is not None:
            _whole(getattr(spec, name), f"{p}.{name}", low, cap)
    heat_rate = _exact(spec.fuel_units_per_mwh, f"{p}.fuel_units_per_mwh")
    if spec.fuel is None:
        if heat_rate != 0:
            raise InvalidInput(f"{p}.fuel_units_per_mwh", "must be 0 without a fuel")
    elif spec.fuel not in fuels:
        raise InvalidInput(f"{p}.fuel", f"unknown fuel {spec.fuel!r}; known: {sorted(fuels)}")
    elif not 0 < heat_rate <= 10**6:
        raise InvalidInput(f"{p}.fuel_units_per_mwh", "must be in (0, 1e6]")
    if not isinstance(spec.initial_on, bool):
        raise InvalidInput(f"{p}.initial_on", "must be True or False")
    if spec.initial_on:
        _whole(spec.initial_output_kw, f"{p}.initial_output_kw", low, cap)
    elif spec.initial_output_kw != 0:
        raise InvalidInput(f"{p}.initial_output_kw", "must be 0 when initial_on is False")
    if spec.initial_intervals_in_state is not None:
        _whole(spec.initial_intervals_in_state, f"{p}.initial_intervals_in_state", 1, 10**6)


def price_per_fuel_unit(
    fuel: str, price_fen: Exact, per_unit: str, fuels: Mapping[str, Fuel] = FUELS
) -> Fraction:
    """A price quoted per `per_unit` (e.g. fen per "t" of diesel, per "10^4 m3" of gas) as
    fen per the fuel's own unit, exactly. Raises InvalidInput naming "fuel" or "unit"."""
    if fuel not in fuels:
        raise InvalidInput("fuel", f"unknown fuel {fuel!r}; known: {sorted(fuels)}")
    units = fuels[fuel].units or {fuels[fuel].unit: 1}
    if per_unit not in units:
        raise InvalidInput("unit", f"{fuel} is priced per one of {sorted(units)}")
    return _money(price_fen, "fuel_price_fen") / units[per_unit]


def _money(value: object, field: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, int | Fraction) or value < 0:
        raise InvalidInput(field, f"must be an int or Fraction of fen >= 0, got {value!r}")
    return Fraction(value)


def fuel_cost_fen_per_mwh(spec: ThermalUnitSpec, fuel_price_fen_per_unit: Exact | None) -> Fraction:
    """Fuel cost of one MWh electric: heat rate x the park's reported fuel price (fen per
    the fuel's own unit, int or Fraction), exactly; 0 for a unit without fuel. Raises
    InvalidInput("fuel_price_fen_per_unit") when the price is missing, negative or a float."""
    if spec.fuel is None:
        return Fraction(0)
    price = _money(fuel_price_fen_per_unit, "fuel_price_fen_per_unit")
    return price * _exact(spec.fuel_units_per_mwh, "fuel_units_per_mwh")


def _values(values: Sequence[object], horizon: int) -> list[Fraction]:
    field = "value_fen_per_mwh_by_interval"
    _whole(horizon, "horizon", 1, INTERVALS_PER_DAY)
    if len(values) != horizon:
        raise InvalidInput(field, f"must have {horizon} values, got {len(values)}")
    return [_exact(v, f"{field}[{t}]") for t, v in enumerate(values)]


def _forced_intervals(spec: ThermalUnitSpec) -> tuple[int, int]:
    """(intervals forced on, intervals forced off) at the start by the initial run."""
    if spec.initial_intervals_in_state is None:
        return 0, 0
    if spec.initial_on:
        return max(0, spec.min_up_intervals - spec.initial_intervals_in_state), 0
    return 0, max(0, spec.min_down_intervals - spec.initial_intervals_in_state)


def _scaled_objective(
    spec: ThermalUnitSpec, values: list[Fraction], cost: Fraction
) -> tuple[list[int], int]:
    """Integer objective coefficients (per kW of each interval, per start): the margin in
    fen times KW_INTERVALS_PER_MWH times the common denominator, so the optimum is exact."""
    scale = math.lcm(*(v.denominator for v in values), cost.denominator)
    per_kw = [int((v - cost) * scale) for v in values]
    per_start = spec.start_cost_fen * KW_INTERVALS_PER_MWH * scale
    bound = sum(abs(c) for c in per_kw) * spec.capacity_kw + per_start * len(values)
    if bound >= _MAX_OBJECTIVE:
        raise InvalidInput(
            "value_fen_per_mwh_by_interval",
            "the exact margin exceeds 64-bit integers: round values and fuel price to "
            "fewer decimals (whole fen/MWh always fits)",
        )
    return per_kw, per_start


def _build(
    spec: ThermalUnitSpec, per_kw: list[int], per_start: int
) -> tuple[cp_model.CpModel, list, list, list]:
    horizon, cap, low = len(per_kw), spec.capacity_kw, spec.min_load_kw
    model = cp_model.CpModel()
    on = [model.new_bool_var(f"on{t}") for t in range(horizon)]
    start = [model.new_bool_var(f"start{t}") for t in range(horizon)]
    stop = [model.new_bool_var(f"stop{t}") for t in range(horizon)]
    out = [model.new_int_var(0, cap, f"p{t}") for t in range(horizon)]
    forced_on, forced_off = _forced_intervals(spec)
    up, down = spec.min_up_intervals, spec.min_down_intervals
    for t in range(horizon):
        prev_on = on[t - 1] if t else int(spec.initial_on)
        prev_out = out[t - 1] if t else spec.initial_output_kw
        model.add(out[t] >= low * on[t])
        model.add(out[t] <= cap * on[t])
        model.add(on[t] - prev_on == start[t] - stop[t])
        model.add(start[t] + stop[t] <= 1)
        model.add(
            out[t] - prev_out
            <= spec.ramp_up_kw_per_interval * prev_on + spec.startup_limit_kw * start[t]
        )
        model.add(
            prev_out - out[t]
            <= spec.ramp_down_kw_per_interval * on[t] + spec.shutdown_limit_kw * stop[t]
        )
        model.add(sum(start[max(0, t - up + 1) : t + 1]) <= on[t])
        model.add(sum(stop[max(0, t - down + 1) : t + 1]) <= 1 - on[t])
        if t < forced_on:
            model.add(on[t] == 1)
        if t < forced_off:
            model.add(on[t] == 0)
    model.maximize(sum(c * x for c, x in zip(per_kw, out, strict=True)) - per_start * sum(start))
    return model, on, start, out


def _margin_exact_fen(
    spec: ThermalUnitSpec, values: Sequence[Fraction], cost: Fraction, output_kw: Sequence[int]
) -> Fraction:
    """sum_t (value[t] - cost) x output[t] x 0.25 h - start cost x starts, exactly."""
    energy_value = sum(
        ((v - cost) * p for v, p in zip(values, output_kw, strict=True)), Fraction(0)
    )
    return energy_value / KW_INTERVALS_PER_MWH - spec.start_cost_fen * len(_starts(spec, output_kw))


def _starts(spec: ThermalUnitSpec, output_kw: Sequence[int]) -> list[int]:
    was_on = spec.initial_on
    starts = []
    for t, p in enumerate(output_kw):
        if p > 0 and not was_on:
            starts.append(t)
        was_on = p > 0
    return starts


def commit(
    spec: ThermalUnitSpec,
    value_fen_per_mwh_by_interval: Sequence[object],
    horizon: int = INTERVALS_PER_DAY,
    *,
    fuel_price_fen_per_unit: Exact | None = None,
    fuels: Mapping[str, Fuel] = FUELS,
    prefix: str = "generator",
    time_limit_s: float = 20.0,
) -> Commitment:
    """The self-schedule of greatest margin against a value per interval (a price or a
    dual-adjusted value, fen/MWh), solved exactly by CP-SAT over whole kW: values and fuel
    cost are exact Fractions and the objective is scaled to integers, so the optimum is
    the exact one (ties broken by the solver); margin_fen rounds it only afterwards.

    Raises InvalidInput naming the field (spec fields under `prefix`, the values, the
    horizon 1..96, the fuel price), SolverFailed when CP-SAT proves no optimum in time."""
    validate_thermal_spec(spec, prefix, fuels)
    values = _values(value_fen_per_mwh_by_interval, horizon)
    cost = fuel_cost_fen_per_mwh(spec, fuel_price_fen_per_unit)
    per_kw, per_start = _scaled_objective(spec, values, cost)
    model, on, _, out = _build(spec, per_kw, per_start)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = time_limit_s
    status = solver.solve(model)
    if status != cp_model.OPTIMAL:
        raise SolverFailed("CP-SAT", solver.status_name(status))
    output_kw = tuple(int(solver.value(p)) for p in out)
    margin = _margin_exact_fen(spec, values, cost, output_kw)
    energy_kwh = Fraction(sum(output_kw), KW_INTERVALS_PER_MWH // 1000)
    fuel_burned = _exact(spec.fuel_units_per_mwh, "fuel_units_per_mwh") * energy_kwh / 1000
    starts = tuple(_starts(spec, output_kw))
    return Commitment(
        on=tuple(bool(solver.value(u)) for u in on),
        output_kw=output_kw,
        start_intervals=starts,
        fuel_cost_fen_per_mwh=cost,
        margin_exact_fen=margin,
        margin_fen=math.floor(margin + Fraction(1, 2)),
        start_costs_fen=spec.start_cost_fen * len(starts),
        energy_kwh=energy_kwh,
        fuel=spec.fuel,
        fuel_unit=fuels[spec.fuel].unit if spec.fuel else None,
        fuel_burned=fuel_burned,
        emissions_kg_co2=float(fuel_burned) * fuels[spec.fuel].kg_co2_per_unit
        if spec.fuel
        else 0.0,
    )


def dr_headroom(spec: ThermalUnitSpec, commitment: Commitment) -> tuple[int, ...]:
    """Extra kW the unit can produce in each interval above its committed output, with
    the on/off pattern kept: up by ramp_up from the committed output before (startup_kw
    in a start interval), down by ramp_down to the committed output after (shutdown_kw
    before a stop), within capacity. Off intervals get 0: starting a unit for DR is a new
    commitment (add the DR value to the values and commit again). Any set of intervals can
    be raised to their headroom at once and the schedule stays feasible.

    Raises InvalidInput("commitment") when the commitment's on/off and output disagree."""
    p, on = commitment.output_kw, commitment.on
    if len(p) != len(on) or any((kw > 0) != u for kw, u in zip(p, on, strict=True)):
        raise InvalidInput("commitment", "on/off must match output_kw > 0 in every interval")
    horizon, headroom = len(p), []
    for t in range(horizon):
        if not on[t]:
            headroom.append(0)
            continue
        prev_on = on[t - 1] if t else spec.initial_on
        prev_kw = p[t - 1] if t else spec.initial_output_kw
        reach = prev_kw + spec.ramp_up_kw_per_interval if prev_on else spec.startup_limit_kw
        limit = min(spec.capacity_kw, reach)
        if t + 1 < horizon:
            back = spec.ramp_down_kw_per_interval
            limit = min(limit, p[t + 1] + back if on[t + 1] else spec.shutdown_limit_kw)
        headroom.append(max(0, limit - p[t]))
    return tuple(headroom)
