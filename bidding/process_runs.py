"""Shiftable process runs: place each run of a process line in time where energy is worth least."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise
from numbers import Integral, Real
from typing import NamedTuple

from ortools.sat.python import cp_model

from bidding.assets import MAX_MAGNITUDE
from bidding.exceptions import InvalidInput, SolverFailed
from bidding.intervals import INTERVAL_HOURS, INTERVALS_PER_DAY

#: The objective counts 1/4000 fen: a price in fen/MWh times kW over one 15-minute interval is
#: exactly price x kW units, so whole-kW profiles at whole-fen/MWh prices optimise exactly.
UNITS_PER_FEN = round(1000 / INTERVAL_HOURS)
#: CP-SAT adds the objective in 64-bit integers; stay clear of overflow.
_MAX_OBJECTIVE_UNITS = 2**60


@dataclass(frozen=True)
class RunSpec:
    """One run of a process: it happens once, starting at or after `earliest_start_interval`
    and ending at or before `deadline_interval` (exclusive end index).

    `profiles_kw` lists the shapes the run may take, kW per interval of the run (a profile's
    length is the run's length), e.g. one per allowed length of a fixed-energy run. Without
    the VPP the park runs profile `baseline_profile_index` from `baseline_start_interval`.
    Moving costs `move_cost_fen` once when the start or the profile differs from the baseline,
    plus `move_cost_fen_per_interval` for each interval the start moved, earlier or later.
    """

    profiles_kw: tuple[tuple[float, ...], ...]
    earliest_start_interval: int
    deadline_interval: int
    baseline_start_interval: int
    baseline_profile_index: int = 0
    move_cost_fen: int = 0
    move_cost_fen_per_interval: int = 0


@dataclass(frozen=True)
class ProcessLine:
    """A production line: its runs never overlap one another (in any order)."""

    line_id: str
    runs: tuple[RunSpec, ...]


class Precedence(NamedTuple):
    """Run `after_run` of `after_line` starts at least `min_gap_intervals` after run
    `before_run` of `before_line` ends. Runs are indices into their line's `runs`."""

    before_line: str
    before_run: int
    after_line: str
    after_run: int
    min_gap_intervals: int = 0


@dataclass(frozen=True)
class LineSchedule:
    """Where a line's runs go; `value_fen` (not rounded) = value of the reduction - move cost."""

    line_id: str
    starts: tuple[int, ...]
    profile_indices: tuple[int, ...]
    scheduled_kw: tuple[float, ...]
    reduction_kw: tuple[float, ...]
    value_fen: float
    move_cost_fen: int
    status: str


@dataclass(frozen=True)
class Schedule:
    """The moved schedule of every line; `reduction_kw` = baseline - scheduled (< 0 = rebound).

    `value_fen` is the total value rounded half-even to whole fen; `status` is "OPTIMAL" when
    proven, "FEASIBLE" when the time limit stopped the solver first.
    """

    lines: tuple[LineSchedule, ...]
    baseline_kw: tuple[float, ...]
    scheduled_kw: tuple[float, ...]
    reduction_kw: tuple[float, ...]
    value_fen: int
    status: str


def fixed_run(
    power_kw: Sequence[float],
    *,
    earliest_start_interval: int,
    deadline_interval: int,
    baseline_start_interval: int,
    move_cost_fen: int = 0,
    move_cost_fen_per_interval: int = 0,
) -> RunSpec:
    """A run with one power profile (kW per interval); it is checked when scheduled."""
    return RunSpec(
        (tuple(power_kw),),
        earliest_start_interval,
        deadline_interval,
        baseline_start_interval,
        0,
        move_cost_fen,
        move_cost_fen_per_interval,
    )


def energy_run(
    energy_kwh: float,
    *,
    min_intervals: int,
    max_intervals: int,
    baseline_intervals: int,
    earliest_start_interval: int,
    deadline_interval: int,
    baseline_start_interval: int,
    move_cost_fen: int = 0,
    move_cost_fen_per_interval: int = 0,
) -> RunSpec:
    """A run of fixed energy at constant power lasting `min_intervals`..`max_intervals`.

    Profile k lasts min_intervals + k intervals at energy_kwh / its hours kW. Raises
    InvalidInput naming energy_kwh, min_intervals, max_intervals or baseline_intervals.
    """
    _require(_is_real(energy_kwh) and 0 < energy_kwh <= MAX_MAGNITUDE, "energy_kwh", "must be > 0")
    _check_whole(max_intervals, "max_intervals", 1, INTERVALS_PER_DAY)
    _check_whole(min_intervals, "min_intervals", 1, max_intervals, "1..max_intervals")
    _check_whole(baseline_intervals, "baseline_intervals", min_intervals, max_intervals)
    profiles = tuple(
        (energy_kwh / (n * INTERVAL_HOURS),) * n for n in range(min_intervals, max_intervals + 1)
    )
    return RunSpec(
        profiles,
        earliest_start_interval,
        deadline_interval,
        baseline_start_interval,
        baseline_intervals - min_intervals,
        move_cost_fen,
        move_cost_fen_per_interval,
    )


def schedule(
    lines: Sequence[ProcessLine],
    precedences: Sequence[Precedence | tuple],
    prices_fen_per_mwh: Sequence[float],
    *,
    horizon_intervals: int = INTERVALS_PER_DAY,
    time_limit_seconds: float = 10.0,
    num_workers: int = 1,
) -> Schedule:
    """Move the runs of all lines to maximise sum_t price[t] x (baseline - scheduled kW)[t] x
    0.25 h - move costs, keeping windows, no-overlap within a line and `precedences`.

    Exact (CP-SAT) up to rounding each placement's energy cost to 1/4000 fen (exact for whole
    kW at whole fen/MWh); among equally valuable schedules the one moving fewest runs wins, so
    nothing moves for nothing. The baseline is always feasible and is returned when the solver
    finds nothing better, so the value is never negative. Raises InvalidInput naming
    the field (e.g. "process_lines[0].runs[1].deadline_interval", "precedences[0]",
    "prices_fen_per_mwh[5]"); SolverFailed if the solver stops without a solution.
    """
    _check_whole(horizon_intervals, "horizon_intervals", 1, INTERVALS_PER_DAY)
    seen_ids: set[str] = set()
    for n, line in enumerate(lines):
        _check_line(line, f"process_lines[{n}]", horizon_intervals)
        _require(line.line_id not in seen_ids, f"process_lines[{n}].line_id", "must be unique")
        seen_ids.add(line.line_id)
    checked = _check_precedences(precedences, lines)
    prices = _check_values(prices_fen_per_mwh, "prices_fen_per_mwh", horizon_intervals)
    units_per_kw = [p * UNITS_PER_FEN * INTERVAL_HOURS / 1000 for p in prices]
    solved, status = _optimise(
        lines, checked, units_per_kw, "prices_fen_per_mwh", time_limit_seconds, num_workers
    )
    baseline_kw = _sum_kw(
        [_line_kw(line, _baseline(line), horizon_intervals) for line in lines], horizon_intervals
    )
    scheduled_kw = _sum_kw([ls.scheduled_kw for ls, _ in solved], horizon_intervals)
    return Schedule(
        lines=tuple(ls for ls, _ in solved),
        baseline_kw=baseline_kw,
        scheduled_kw=scheduled_kw,
        reduction_kw=tuple(b - s for b, s in zip(baseline_kw, scheduled_kw, strict=True)),
        value_fen=round(Fraction(sum(units for _, units in solved)) / UNITS_PER_FEN),
        status=status,
    )


def best_line_schedule(
    line: ProcessLine,
    value_fen_per_kwh: Sequence[float],
    *,
    horizon_intervals: int = INTERVALS_PER_DAY,
    time_limit_seconds: float = 10.0,
    num_workers: int = 1,
) -> LineSchedule:
    """The line's schedule of greatest value when each kWh reduced in interval t is worth
    `value_fen_per_kwh[t]` (any sign, e.g. a price adjusted by duals), less move costs.

    For pricing a line in column generation: `value_fen` is not rounded and is never negative
    (the baseline is worth 0). Raises InvalidInput naming "process_line..." or
    "value_fen_per_kwh"; SolverFailed if the solver stops without a solution.
    """
    _check_whole(horizon_intervals, "horizon_intervals", 1, INTERVALS_PER_DAY)
    _check_line(line, "process_line", horizon_intervals)
    values = _check_values(value_fen_per_kwh, "value_fen_per_kwh", horizon_intervals)
    units_per_kw = [v * UNITS_PER_FEN * INTERVAL_HOURS for v in values]
    solved, _ = _optimise(
        [line], [], units_per_kw, "value_fen_per_kwh", time_limit_seconds, num_workers
    )
    return solved[0][0]


def flexibility_envelope(
    line: ProcessLine,
    *,
    horizon_intervals: int = INTERVALS_PER_DAY,
    time_limit_seconds: float = 10.0,
    num_workers: int = 1,
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per interval, how far below and above its baseline kW the line can be in SOME feasible
    schedule (windows and no-overlap; move costs and other lines' precedences ignored).

    Each interval's figure is exact but achieved by its own schedule: the figures of different
    intervals are generally not achievable together. A run whose window is its baseline
    placement contributes zero. Raises InvalidInput naming "process_line..." fields;
    SolverFailed if CP-SAT cannot prove an interval's extreme within the time limit.
    """
    _check_whole(horizon_intervals, "horizon_intervals", 1, INTERVALS_PER_DAY)
    _check_line(line, "process_line", horizon_intervals)
    model, options = _build([line], [])
    baseline_kw = _line_kw(line, _baseline(line), horizon_intervals)
    lowest, highest = list(baseline_kw), list(baseline_kw)
    for t in range(horizon_intervals):
        # At most one run covers t, so ranking its kW levels gives an exact integer objective.
        covering = [
            (o.literal, kw) for run_options in options[0] for o in run_options if (kw := o.kw_at(t))
        ]
        levels = sorted({0.0, *(kw for _, kw in covering)})
        rank = cp_model.LinearExpr.weighted_sum(
            [lit for lit, _ in covering], [levels.index(kw) for _, kw in covering]
        )
        for maximise, settled in ((True, highest[t] >= levels[-1]), (False, lowest[t] <= 0)):
            if settled:
                continue
            if maximise:
                model.maximize(rank)
            else:
                model.minimize(rank)
            chosen, status = _solve(model, options, time_limit_seconds, num_workers)
            if status != "OPTIMAL":
                raise SolverFailed("cp-sat", f"{status} for the envelope at interval {t}")
            witness_kw = _line_kw(line, chosen[0], horizon_intervals)
            lowest = [min(a, b) for a, b in zip(lowest, witness_kw, strict=True)]
            highest = [max(a, b) for a, b in zip(highest, witness_kw, strict=True)]
    return (
        tuple(b - low for b, low in zip(baseline_kw, lowest, strict=True)),
        tuple(high - b for b, high in zip(baseline_kw, highest, strict=True)),
    )


# --- the CP-SAT model -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Option:
    """One placement of a run: profile `profile_index` from `start`, chosen when `literal`."""

    run: RunSpec
    profile_index: int
    start: int
    literal: cp_model.IntVar

    @property
    def end(self) -> int:
        return self.start + len(self.run.profiles_kw[self.profile_index])

    def kw_at(self, interval: int) -> float:
        inside = self.start <= interval < self.end
        return self.run.profiles_kw[self.profile_index][interval - self.start] if inside else 0.0

    @property
    def is_baseline(self) -> bool:
        return _is_baseline(self.run, self.profile_index, self.start)


def _build(
    lines: Sequence[ProcessLine], precedences: Sequence[Precedence]
) -> tuple[cp_model.CpModel, list[list[list[_Option]]]]:
    """Time-indexed model: one Boolean per placement of each run, exactly one chosen per run;
    per line and interval at most one chosen placement covers it (no overlap); a run that
    follows another has started by interval t only if the other ended by t - gap."""
    model = cp_model.CpModel()
    options: list[list[list[_Option]]] = []
    for line in lines:
        line_options = [
            [
                _Option(run, k, s, model.new_bool_var(f"{line.line_id}[{j}]:{k}@{s}"))
                for k, profile in enumerate(run.profiles_kw)
                for s in range(
                    run.earliest_start_interval, run.deadline_interval - len(profile) + 1
                )
            ]
            for j, run in enumerate(line.runs)
        ]
        covering: dict[int, list[cp_model.IntVar]] = {}
        for run_options in line_options:
            model.add_exactly_one(o.literal for o in run_options)
            for o in run_options:
                model.add_hint(o.literal, o.is_baseline)
                for t in range(o.start, o.end):
                    covering.setdefault(t, []).append(o.literal)
        for literals in covering.values():
            if len(literals) > 1:
                model.add_at_most_one(literals)
        options.append(line_options)
    runs = {
        (line.line_id, j): opts
        for line, lo in zip(lines, options, strict=True)
        for j, opts in enumerate(lo)
    }
    for pr in precedences:
        before, after = runs[pr.before_line, pr.before_run], runs[pr.after_line, pr.after_run]
        for start in sorted({o.start for o in after}):
            model.add(
                sum(o.literal for o in after if o.start <= start)
                <= sum(o.literal for o in before if o.end <= start - pr.min_gap_intervals)
            )
    return model, options


def _solve(
    model: cp_model.CpModel,
    options: list[list[list[_Option]]],
    time_limit_seconds: float,
    num_workers: int,
) -> tuple[list[list[tuple[int, int]]], str]:
    """The chosen (profile, start) of every run of every line, and the solver's status."""
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_seconds
    solver.parameters.num_workers = num_workers
    # The time-indexed model's strength is its LP: give it every constraint (0.7 s instead of
    # > 10 s for 5 lines x 4 runs of 4 lengths over a day).
    solver.parameters.linearization_level = 2
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise SolverFailed("cp-sat", solver.status_name(status))
    chosen = [
        [
            next((o.profile_index, o.start) for o in run if solver.boolean_value(o.literal))
            for run in line
        ]
        for line in options
    ]
    return chosen, solver.status_name(status)


def _optimise(
    lines: Sequence[ProcessLine],
    precedences: Sequence[Precedence],
    units_per_kw: list[float],
    values_field: str,
    time_limit_seconds: float,
    num_workers: int,
) -> tuple[list[tuple[LineSchedule, float]], str]:
    """Minimise energy cost + move cost in units, then the number of runs moved."""
    model, options = _build(lines, precedences)
    tie_weight = sum(len(line.runs) for line in lines) + 1
    literals, coefficients, bound = [], [], 0
    for run_options in (r for line in options for r in line):
        costs = [
            tie_weight
            * (
                _energy_units(o, units_per_kw)
                + move_cost_fen(o.run, o.profile_index, o.start) * UNITS_PER_FEN
            )
            + (not o.is_baseline)
            for o in run_options
        ]
        literals += [o.literal for o in run_options]
        coefficients += costs
        bound += max(abs(c) for c in costs)
    _require(bound <= _MAX_OBJECTIVE_UNITS, values_field, "too large: value x kW overflows")
    model.minimize(cp_model.LinearExpr.weighted_sum(literals, coefficients))
    chosen, status = _solve(model, options, time_limit_seconds, num_workers)
    horizon = len(units_per_kw)
    solved = [
        _line_schedule(line, placements, units_per_kw, horizon, status)
        for line, placements in zip(lines, chosen, strict=True)
    ]
    if sum(units for _, units in solved) < 0:  # stopped early, or rounding: keep the baseline
        solved = [
            _line_schedule(line, _baseline(line), units_per_kw, horizon, status) for line in lines
        ]
    return solved, status


def _energy_units(option: _Option, units_per_kw: list[float]) -> int:
    profile = option.run.profiles_kw[option.profile_index]
    return round(sum(units_per_kw[option.start + i] * kw for i, kw in enumerate(profile)))


def _is_baseline(run: RunSpec, profile_index: int, start: int) -> bool:
    return (profile_index, start) == (run.baseline_profile_index, run.baseline_start_interval)


def move_cost_fen(run: RunSpec, profile_index: int, start: int) -> int:
    """`move_cost_fen` once if the placement is not the baseline, plus per interval shifted."""
    moved = not _is_baseline(run, profile_index, start)
    shift = abs(start - run.baseline_start_interval)
    return run.move_cost_fen * moved + run.move_cost_fen_per_interval * shift


def _line_schedule(
    line: ProcessLine,
    placements: list[tuple[int, int]],
    units_per_kw: list[float],
    horizon: int,
    status: str,
) -> tuple[LineSchedule, float]:
    """The line's schedule and its value in objective units (exact, for rounding the total)."""
    scheduled_kw = _line_kw(line, placements, horizon)
    baseline_kw = _line_kw(line, _baseline(line), horizon)
    reduction_kw = tuple(b - s for b, s in zip(baseline_kw, scheduled_kw, strict=True))
    moving_fen = sum(
        move_cost_fen(run, k, s) for run, (k, s) in zip(line.runs, placements, strict=True)
    )
    units = sum(u * r for u, r in zip(units_per_kw, reduction_kw, strict=True))
    units -= moving_fen * UNITS_PER_FEN
    result = LineSchedule(
        line_id=line.line_id,
        starts=tuple(s for _, s in placements),
        profile_indices=tuple(k for k, _ in placements),
        scheduled_kw=scheduled_kw,
        reduction_kw=reduction_kw,
        value_fen=units / UNITS_PER_FEN,
        move_cost_fen=moving_fen,
        status=status,
    )
    return result, units


def _baseline(line: ProcessLine) -> list[tuple[int, int]]:
    return [(run.baseline_profile_index, run.baseline_start_interval) for run in line.runs]


def _line_kw(
    line: ProcessLine, placements: list[tuple[int, int]], horizon: int
) -> tuple[float, ...]:
    kw = [0.0] * horizon
    for run, (k, s) in zip(line.runs, placements, strict=True):
        for i, p in enumerate(run.profiles_kw[k]):
            kw[s + i] += p
    return tuple(kw)


def _sum_kw(rows: Sequence[Sequence[float]], horizon: int) -> tuple[float, ...]:
    return tuple(sum(row[t] for row in rows) for t in range(horizon))


# --- validation -----------------------------------------------------------------------------


def _is_real(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def _require(ok: bool, field: str, rule: str) -> None:
    if not ok:
        raise InvalidInput(field, rule)


def _check_whole(value: object, field: str, low: int, high: int, allowed: str = "") -> None:
    whole = isinstance(value, Integral) and not isinstance(value, bool)
    _require(
        whole and low <= value <= high,
        field,
        f"must be a whole number {allowed or f'{low}..{high}'}",
    )


def _baseline_span(run: RunSpec) -> tuple[int, int]:
    start = run.baseline_start_interval
    return start, start + len(run.profiles_kw[run.baseline_profile_index])


def check_run(run: RunSpec, p: str, horizon: int) -> None:
    profiles = run.profiles_kw
    _require(
        isinstance(profiles, tuple | list) and len(profiles) > 0,
        f"{p}.profiles_kw",
        "must list at least one power profile",
    )
    for k, profile in enumerate(profiles):
        _require(
            isinstance(profile, tuple | list) and len(profile) > 0,
            f"{p}.profiles_kw[{k}]",
            "must list kW for at least one interval",
        )
        for i, kw in enumerate(profile):
            _require(
                _is_real(kw) and 0 <= kw <= MAX_MAGNITUDE,
                f"{p}.profiles_kw[{k}][{i}]",
                f"must be a finite kW in [0, {MAX_MAGNITUDE:.0e}]",
            )
    _check_whole(run.earliest_start_interval, f"{p}.earliest_start_interval", 0, horizon - 1)
    longest = max(len(profile) for profile in profiles)
    _check_whole(
        run.deadline_interval,
        f"{p}.deadline_interval",
        run.earliest_start_interval + longest,
        horizon,
        f"from earliest_start_interval + {longest} (the longest profile) to {horizon}",
    )
    _check_whole(run.baseline_profile_index, f"{p}.baseline_profile_index", 0, len(profiles) - 1)
    _check_whole(
        run.baseline_start_interval,
        f"{p}.baseline_start_interval",
        run.earliest_start_interval,
        run.deadline_interval - len(profiles[run.baseline_profile_index]),
        "placing the baseline run between earliest_start_interval and deadline_interval",
    )
    for name in ("move_cost_fen", "move_cost_fen_per_interval"):
        _check_whole(getattr(run, name), f"{p}.{name}", 0, int(MAX_MAGNITUDE))


def _check_line(line: ProcessLine, p: str, horizon: int) -> None:
    _require(
        isinstance(line.line_id, str) and line.line_id.strip() != "",
        f"{p}.line_id",
        "must not be empty",
    )
    _require(len(line.runs) > 0, f"{p}.runs", "must hold at least one run")
    for j, run in enumerate(line.runs):
        check_run(run, f"{p}.runs[{j}]", horizon)
    spans = sorted((_baseline_span(run), j) for j, run in enumerate(line.runs))
    for (first, i), (second, j) in pairwise(spans):
        _require(
            first[1] <= second[0],
            f"{p}.runs[{j}].baseline_start_interval",
            f"baseline overlaps the baseline of run {i} of the same line",
        )


def _check_precedences(
    precedences: Sequence[Precedence | tuple], lines: Sequence[ProcessLine]
) -> list[Precedence]:
    by_id = {line.line_id: line for line in lines}
    checked = []
    for k, item in enumerate(precedences):
        p = f"precedences[{k}]"
        try:
            pr = Precedence(*item)
        except TypeError as exc:
            raise InvalidInput(
                p, "must be (before_line, before_run, after_line, after_run[, min_gap_intervals])"
            ) from exc
        for side in ("before", "after"):
            line = by_id.get(getattr(pr, f"{side}_line"))
            _require(line is not None, f"{p}.{side}_line", "must name one of the process lines")
            _check_whole(getattr(pr, f"{side}_run"), f"{p}.{side}_run", 0, len(line.runs) - 1)
        _require(
            (pr.before_line, pr.before_run) != (pr.after_line, pr.after_run),
            f"{p}.after_run",
            "must be another run than before_run",
        )
        _check_whole(pr.min_gap_intervals, f"{p}.min_gap_intervals", 0, INTERVALS_PER_DAY)
        end = _baseline_span(by_id[pr.before_line].runs[pr.before_run])[1]
        start = _baseline_span(by_id[pr.after_line].runs[pr.after_run])[0]
        _require(
            start >= end + pr.min_gap_intervals,
            p,
            "the baseline breaks it: after_run must start >= before_run's end + min_gap_intervals",
        )
        checked.append(pr)
    return checked


def _check_values(values: Sequence[float], field: str, horizon: int) -> list[float]:
    _require(len(values) == horizon, field, f"must hold {horizon} values, one per interval")
    for t, value in enumerate(values):
        _require(
            _is_real(value) and abs(value) <= MAX_MAGNITUDE,
            f"{field}[{t}]",
            f"must be a finite number of magnitude <= {MAX_MAGNITUDE:.0e}",
        )
    return [float(v) for v in values]
