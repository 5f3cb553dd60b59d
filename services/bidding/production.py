"""ScheduleProduction: process runs and generators of a request, scheduled against a day's prices.

The request's lines, precedences and units become `bidding.process_runs` and
`bidding.thermal` specs; each refusal names the request's field (e.g.
"process_lines[0].runs[1].energy.max_intervals", "thermal_units[0].min_load_kw"). Prices
are the request's, else the market day's ENERGY clearing read through the bidder's market
gateway. Solving is bounded: the request's size is capped and each CP-SAT call keeps its
domain time limit (10 s for the process runs, 20 s per generator).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

from bidding import process_runs, thermal
from bidding.assets import MAX_MAGNITUDE
from bidding.exceptions import InvalidInput
from bidding.intervals import INTERVALS_PER_DAY
from certificates.factors import FUELS
from parkvpp.v1 import bidding_pb2 as pb
from parkvpp.v1 import market_pb2
from services.bidding.gateway import MarketGateway
from services.bidding.requests import MAX_PRICE
from services.runtime.errors import FailedPrecondition, InvalidArgument
from services.runtime.rpc import market_day, require_id

MAX_LINES = 10
MAX_RUNS = 40
MAX_UNITS = 5
MAX_PRECEDENCES = 200
#: Placements of all runs (start x length): keeps the time-indexed model small.
MAX_PLACEMENTS = 50_000


def _reraise(exc: InvalidInput, prefix: str) -> InvalidArgument:
    return InvalidArgument(f"{prefix}{exc.field}", exc.rule)


def _run(run: pb.ProcessRun, p: str) -> process_runs.RunSpec:
    """A RunSpec; InvalidArgument naming `p`.fixed... or `p`.energy... for a bad profile."""
    where = dict(
        earliest_start_interval=run.earliest_start_interval,
        deadline_interval=run.deadline_interval,
        baseline_start_interval=run.baseline_start_interval,
        move_cost_fen=run.move_cost_fen,
        move_cost_fen_per_interval=run.move_cost_fen_per_interval,
    )
    kind = run.WhichOneof("profile")
    if kind == "fixed":
        power_kw = list(run.fixed.power_kw)
        if not 0 < len(power_kw) <= INTERVALS_PER_DAY:
            raise InvalidArgument(f"{p}.fixed.power_kw", "must list kW for 1..96 intervals")
        for i, kw in enumerate(power_kw):
            if not (math.isfinite(kw) and 0 <= kw <= MAX_MAGNITUDE):
                raise InvalidArgument(
                    f"{p}.fixed.power_kw[{i}]", f"must be a finite kW in [0, {MAX_MAGNITUDE:.0e}]"
                )
        return process_runs.fixed_run(power_kw, **where)
    if kind == "energy":
        e = run.energy
        try:
            return process_runs.energy_run(
                e.energy_kwh,
                min_intervals=e.min_intervals,
                max_intervals=e.max_intervals,
                baseline_intervals=e.baseline_intervals,
                **where,
            )
        except InvalidInput as exc:
            raise _reraise(exc, f"{p}.energy.") from exc
    raise InvalidArgument(f"{p}.profile", "set fixed or energy")


def _placements(run: process_runs.RunSpec) -> int:
    window = min(run.deadline_interval, INTERVALS_PER_DAY) - max(run.earliest_start_interval, 0)
    return sum(max(0, window - len(profile) + 1) for profile in run.profiles_kw)


def process_lines(lines: Sequence[pb.ProcessLine]) -> list[process_runs.ProcessLine]:
    """The request's lines as domain lines (windows and overlaps are checked when scheduled)."""
    if len(lines) > MAX_LINES:
        raise InvalidArgument("process_lines", f"at most {MAX_LINES} lines")
    if sum(len(line.runs) for line in lines) > MAX_RUNS:
        raise InvalidArgument("process_lines", f"at most {MAX_RUNS} runs in all")
    out = []
    for n, line in enumerate(lines):
        require_id(f"process_lines[{n}].line_id", line.line_id)
        runs = tuple(_run(run, f"process_lines[{n}].runs[{j}]") for j, run in enumerate(line.runs))
        out.append(process_runs.ProcessLine(line.line_id, runs))
    placements = sum(_placements(run) for line in out for run in line.runs)
    if placements > MAX_PLACEMENTS:
        raise InvalidArgument(
            "process_lines",
            f"{placements:,} placements (start x length) over all runs, at most "
            f"{MAX_PLACEMENTS:,}: narrow the windows or the length ranges",
        )
    return out


def thermal_units(units: Sequence[pb.ThermalUnit]) -> list[tuple[str, thermal.ThermalUnitSpec]]:
    """(unit_id, spec) per unit; the spec's rules are checked when committed."""
    if len(units) > MAX_UNITS:
        raise InvalidArgument("thermal_units", f"at most {MAX_UNITS} units")
    seen: set[str] = set()
    out = []
    for n, u in enumerate(units):
        unit_id = require_id(f"thermal_units[{n}].unit_id", u.unit_id)
        if unit_id in seen:
            raise InvalidArgument(f"thermal_units[{n}].unit_id", "must be unique")
        seen.add(unit_id)
        spec = thermal.ThermalUnitSpec(
            capacity_kw=u.capacity_kw,
            min_load_kw=u.min_load_kw,
            ramp_up_kw_per_interval=u.ramp_up_kw_per_interval,
            ramp_down_kw_per_interval=u.ramp_down_kw_per_interval,
            start_cost_fen=u.start_cost_fen,
            fuel=u.fuel or None,
            fuel_units_per_mwh=u.fuel_units_per_mwh,
            initial_on=u.initial_on,
            initial_output_kw=u.initial_output_kw,
            initial_intervals_in_state=u.initial_intervals_in_state or None,
            min_up_intervals=u.min_up_intervals or 1,
            min_down_intervals=u.min_down_intervals or 1,
            startup_kw=u.startup_kw or None,
            shutdown_kw=u.shutdown_kw or None,
        )
        try:
            thermal.validate_thermal_spec(spec, f"thermal_units[{n}]")
        except InvalidInput as exc:
            raise _reraise(exc, "") from exc
        out.append((unit_id, spec))
    return out


def fuel_prices(entries: Sequence[pb.FuelPrice]) -> dict[str, Fraction]:
    """Fen per the fuel's own unit, exactly, by fuel; one entry per fuel."""
    out: dict[str, Fraction] = {}
    for k, price in enumerate(entries):
        p = f"fuel_prices[{k}]"
        if price.fuel in out:
            raise InvalidArgument(f"{p}.fuel", "has a price already")
        unit = price.unit
        if not unit and price.fuel in FUELS:
            unit = FUELS[price.fuel].unit
        try:
            out[price.fuel] = thermal.price_per_fuel_unit(price.fuel, price.price_fen, unit)
        except InvalidInput as exc:
            field = "price_fen" if exc.field == "fuel_price_fen" else exc.field
            raise InvalidArgument(f"{p}.{field}", exc.rule) from exc
    return out


def prices(
    given: Sequence[int], day: str, gateway: MarketGateway
) -> tuple[list[int], pb.ProductionPriceSource]:
    """The request's 96 prices, else the day's ENERGY clearing prices.

    Raises InvalidArgument naming prices_fen_per_mwh, FailedPrecondition when the day's
    ENERGY market has not cleared every interval."""
    if given:
        if len(given) != INTERVALS_PER_DAY:
            raise InvalidArgument("prices_fen_per_mwh", "must hold 96 prices, one per interval")
        for t, price in enumerate(given):
            if not -MAX_PRICE <= price <= MAX_PRICE:
                raise InvalidArgument(
                    f"prices_fen_per_mwh[{t}]", f"must be -{MAX_PRICE}..{MAX_PRICE}"
                )
        return list(given), pb.PRODUCTION_PRICE_SOURCE_REQUEST
    clearing = gateway.clearing(day, market_pb2.PRODUCT_ENERGY)
    if clearing is None:
        raise FailedPrecondition(
            f"no ENERGY clearing for {day}: clear the day first or give prices_fen_per_mwh"
        )
    by_interval = {i.interval: i.clearing_price_fen_per_mwh for i in clearing.intervals}
    missing = [t for t in range(INTERVALS_PER_DAY) if t not in by_interval]
    if missing:
        raise FailedPrecondition(
            f"the ENERGY clearing of {day} has no price for {len(missing)} intervals "
            f"(first {missing[0]}): give prices_fen_per_mwh"
        )
    return [by_interval[t] for t in range(INTERVALS_PER_DAY)], (
        pb.PRODUCTION_PRICE_SOURCE_ENERGY_CLEARING
    )


def _apportion(total_fen: int, exact_fen: Sequence[float]) -> list[int]:
    """Whole fen per part summing exactly to `total_fen` (largest remainder)."""
    out = [math.floor(v) for v in exact_fen]
    left = total_fen - sum(out)
    # Fen left over go to the largest remainders; fen too many (float noise) come off the smallest.
    by_remainder = sorted(range(len(out)), key=lambda i: exact_fen[i] - out[i], reverse=left >= 0)
    for i in by_remainder[: abs(left)]:
        out[i] += 1 if left >= 0 else -1
    return out


def _half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


def _add_lines(
    reply: pb.ProductionSchedule,
    lines: list[process_runs.ProcessLine],
    precedences: Sequence[pb.RunPrecedence],
    price_fen_per_mwh: list[int],
) -> None:
    pairs = [
        (p.before_line, p.before_run, p.after_line, p.after_run, p.min_gap_intervals)
        for p in precedences
    ]
    solved = process_runs.schedule(lines, pairs, price_fen_per_mwh)
    values = _apportion(solved.value_fen, [ls.value_fen for ls in solved.lines])
    reply.process_value_fen = solved.value_fen
    reply.process_status = solved.status
    for line, ls, value_fen in zip(lines, solved.lines, values, strict=True):
        reply.lines.add(
            line_id=ls.line_id,
            start_intervals=ls.starts,
            baseline_start_intervals=[run.baseline_start_interval for run in line.runs],
            run_intervals=[
                len(run.profiles_kw[k])
                for run, k in zip(line.runs, ls.profile_indices, strict=True)
            ],
            reduction_kw=ls.reduction_kw,
            value_fen=value_fen,
            move_cost_fen=ls.move_cost_fen,
        )


def _add_unit(
    reply: pb.ProductionSchedule,
    n: int,
    unit_id: str,
    spec: thermal.ThermalUnitSpec,
    price_fen_per_mwh: list[int],
    fuel_price: Fraction | None,
) -> None:
    try:
        c = thermal.commit(
            spec,
            price_fen_per_mwh,
            fuel_price_fen_per_unit=fuel_price,
            prefix=f"thermal_units[{n}]",
        )
    except InvalidInput as exc:
        field = exc.field.replace("value_fen_per_mwh_by_interval", "prices_fen_per_mwh")
        raise InvalidArgument(field, exc.rule) from exc
    reply.units.add(
        unit_id=unit_id,
        output_kw=c.output_kw,
        start_intervals=c.start_intervals,
        margin_fen=c.margin_fen,
        start_costs_fen=c.start_costs_fen,
        energy_kwh=float(c.energy_kwh),
        fuel=c.fuel or "",
        fuel_unit=c.fuel_unit or "",
        fuel_burned_milli=_half_up(c.fuel_burned * 1000),
        emissions_kg_co2=c.emissions_kg_co2,
        fuel_cost_fen_per_mwh=_half_up(c.fuel_cost_fen_per_mwh),
    )
    reply.generation_margin_fen += c.margin_fen


def schedule_production(
    request: pb.ScheduleProductionRequest, gateway: MarketGateway
) -> pb.ProductionSchedule:
    """The reply to ScheduleProduction; every input is checked before anything is solved
    (the runs' windows, overlaps and precedences by the domain, after the prices are read).

    Raises InvalidArgument naming the field, FailedPrecondition without prices, and the
    domain's SolverFailed (FAILED_PRECONDITION) when a solver stops without a schedule."""
    day = market_day("market_day", request.market_day).isoformat()
    lines = process_lines(request.process_lines)
    if len(request.precedences) > MAX_PRECEDENCES:
        raise InvalidArgument("precedences", f"at most {MAX_PRECEDENCES}")
    units = thermal_units(request.thermal_units)
    fuel_price = fuel_prices(request.fuel_prices)
    for n, (_, spec) in enumerate(units):
        if spec.fuel is not None and spec.fuel not in fuel_price:
            raise InvalidArgument(
                f"thermal_units[{n}].fuel", f"no fuel_prices entry for {spec.fuel}"
            )
    price_fen_per_mwh, source = prices(request.prices_fen_per_mwh, day, gateway)
    reply = pb.ProductionSchedule(
        market_day=day, prices_fen_per_mwh=price_fen_per_mwh, price_source=source
    )
    if lines or request.precedences:
        _add_lines(reply, lines, request.precedences, price_fen_per_mwh)
    for n, (unit_id, spec) in enumerate(units):
        _add_unit(reply, n, unit_id, spec, price_fen_per_mwh, fuel_price.get(spec.fuel or ""))
    return reply
