"""Charge or discharge, never both: binary switches added lazily to an LP's storage flows.

A battery whose charge c and discharge d are plain LP variables may run both in one
interval. The LP's own stored-energy row loses energy in both conversions, but what
the battery is told to do is one net kW per interval, and a net of d - c converts only
once: replayed, it stores more than the LP counted and can break the SoC ceiling. The
LP likes doing it whenever it pays to burn energy in the losses (negative prices) or
when price linking forces a net charge into a full battery.

`solve_exclusive` solves the LP and, while some cell (one storage, one interval) both
charges and discharges, repairs in two stages:

1. Separate (LPs only, quick): in each cell that mixes, shut the side its net does not
   take and solve again, until none mixes (after SEPARATE_ROUNDS rounds every open cell
   is shut to its current side at once: on large portfolios the mixing otherwise moves
   from cell to cell for dozens of solves). Every solution is then a real plan, kept as
   the answer if stage 2 does not finish; its objective can fall short of the optimum
   (0.1-0.3 % on negative-price days in our tests, 1.8 % once).
2. Switch (exact, in the time left): reopen those sides and give every cell of each day
   (one storage in one scenario) that mixed a binary switch u with c <= C u and
   d <= D (1 - u), then solve again, switching further days while any still mixes;
   after MAX_LAZY_ROUNDS rounds every day is switched. Each round solves a relaxation
   of the full MIP (unswitched cells are free), so its first solution without mixing
   is optimal for it. Whole days are switched because a switch on one interval mostly
   moves the mixing to another of the same day, and HiGHS proves one day-wide MIP
   quicker than several partial ones (1 battery, 3 scenarios with a negative midday:
   0.3 s against 2.5 s). The MIP can take far longer than the LP (3 batteries x 10
   such scenarios: 6-12 s), hence stage 1 first.

`bidding.storage_offers` switches cells one by one, with switches created up front.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from ortools.linear_solver import pywraplp

from bidding.exceptions import InvalidInput, SolverFailed
from bidding.lp import LpOutcome, create_solver, solve

#: Backends that branch on binaries and keep continuous variables exact.
MIP_SOLVERS = ("HIGHS", "SCIP", "CBC", "GUROBI", "CPLEX", "XPRESS")
#: Tried in this order when HiGHS is missing (its GLOP fallback cannot do binaries).
MIP_FALLBACKS = ("SCIP", "CBC")
#: Rounds of lazily added binaries before every charge/discharge switch becomes binary.
MAX_LAZY_ROUNDS = 5
#: Stage 1 rounds that shut only the mixing cells; after them every open cell is shut to
#: the side its current net takes (discharge when idle), so one more solve ends it.
SEPARATE_ROUNDS = 3
#: Charge or discharge below this (kW) is solver dust, not operation.
DUST_KW = 1e-6

R = TypeVar("R")


def create_mip_solver(name: str, time_limit_seconds: float) -> tuple[pywraplp.Solver, str]:
    """An OR-Tools MIP solver with exact continuous variables, and the name actually used.

    Raises InvalidInput("solver") for a name outside MIP_SOLVERS (LP-only backends
    cannot do binaries; CP-SAT rounds continuous variables), one this OR-Tools build
    lacks (HIGHS falls back to SCIP, then CBC), or a non-positive time limit.
    """
    wanted = name.strip().upper()
    if wanted not in MIP_SOLVERS:
        raise InvalidInput("solver", f"battery switches need one of {', '.join(MIP_SOLVERS)}")
    solver, used = create_solver(wanted, time_limit_seconds)
    if solver.IsMip():
        return solver, used
    for fallback in MIP_FALLBACKS:  # create_solver swapped a missing HiGHS for GLOP
        if pywraplp.Solver.CreateSolver(fallback) is not None:
            return create_solver(fallback, time_limit_seconds)
    raise InvalidInput("solver", f"{name!r} is unavailable and so are {', '.join(MIP_FALLBACKS)}")


@dataclass
class Cell:
    """One storage's charge and discharge (kW variables) in one interval, with their limits."""

    charge: pywraplp.Variable
    discharge: pywraplp.Variable
    charge_kw: float
    discharge_kw: float
    shut: bool = False  # one side held at 0 kW by stage 1
    switched: bool = False

    def mixes(self) -> bool:
        both = min(self.charge.solution_value(), self.discharge.solution_value())
        return not self.switched and both > DUST_KW

    def shut_side(self, charging: bool) -> None:
        (self.discharge if charging else self.charge).SetUb(0.0)
        self.shut = True

    def reopen(self) -> None:
        self.charge.SetUb(self.charge_kw)
        self.discharge.SetUb(self.discharge_kw)
        self.shut = False

    def switch(self, lp: pywraplp.Solver) -> None:
        """Add u in {0, 1}: c <= C u (may charge when 1), d <= D (1 - u)."""
        u = lp.IntVar(0.0, 1.0, "")
        charging = lp.Constraint(-lp.infinity(), 0.0)
        charging.SetCoefficient(self.charge, 1.0)
        charging.SetCoefficient(u, -self.charge_kw)
        discharging = lp.Constraint(-lp.infinity(), self.discharge_kw)
        discharging.SetCoefficient(self.discharge, 1.0)
        discharging.SetCoefficient(u, self.discharge_kw)
        self.switched = True


def solve_exclusive(
    lp: pywraplp.Solver,
    name: str,
    days: list[list[Cell]],
    time_limit_seconds: float,
    detail: str,
    read: Callable[[LpOutcome], R],
    exact_seconds: float | None = None,
) -> R:
    """`read(outcome)` of the best solution of `lp` in which no cell of `days` mixes.

    `lp` is a MIP solver; each day holds one storage's cells in one scenario. A plan
    that stage 2 proves optimal comes with `optimal` set and its own objective as the
    bound; any other (stage 1's, or stage 2's cut short) with the first, unrepaired
    LP's optimum as the bound, an upper bound on every plan without mixing (see the
    module docstring). `exact_seconds` caps stage 2 (None: all the time left).
    Raises InfeasibleProblem("model", None, `detail`) as
    `bidding.lp.solve` does, and SolverFailed when the time limit runs out before
    stage 1 ends.
    """
    deadline = time.perf_counter() + time_limit_seconds
    first = solve(lp, name, "model", detail)
    if not any(cell.mixes() for day in days for cell in day):
        return read(first)
    separated = _separate(lp, name, days, first, deadline, detail)
    spent = first.solve_seconds + separated.solve_seconds
    kept = read(_against(separated, first, spent))
    mixed_days = [day for day in days if any(cell.shut for cell in day)]
    for cell in (cell for day in mixed_days for cell in day):
        cell.reopen()
    try:
        exact_deadline = deadline
        if exact_seconds is not None:
            exact_deadline = min(deadline, time.perf_counter() + exact_seconds)
        exact = _switch(lp, name, days, mixed_days, exact_deadline, detail)
    except SolverFailed:  # out of time: the separated plan stands
        return kept
    if exact.objective < separated.objective:  # within the MIP's gap tolerance
        return kept
    seconds = spent + exact.solve_seconds
    if exact.optimal:
        return read(replace(exact, solve_seconds=seconds))
    return read(_against(exact, first, seconds))


def _against(outcome: LpOutcome, first: LpOutcome, seconds: float) -> LpOutcome:
    """An unproven plan's outcome, bounded by the unrepaired LP's optimum.

    (HiGHS's own MIP bound reads back through OR-Tools as its objective, so it is not used.)
    """
    gap = max(first.objective - outcome.objective, 0.0) / max(1.0, abs(outcome.objective))
    return replace(
        outcome, optimal=False, bound=first.objective, relative_gap=gap, solve_seconds=seconds
    )


def _separate(
    lp: pywraplp.Solver,
    name: str,
    days: list[list[Cell]],
    outcome: LpOutcome,
    deadline: float,
    detail: str,
) -> LpOutcome:
    """Stage 1: shut the side each mixing cell's net does not take, until no cell mixes.

    `outcome` is the current solution's; the returned one counts only stage 1's seconds.
    """
    seconds = 0.0
    mixed = [cell for day in days for cell in day if cell.mixes()]
    for round_ in itertools.count(1):
        if not mixed:
            break
        if round_ > SEPARATE_ROUNDS:  # mixing keeps moving: every open cell one way at once
            mixed = [cell for day in days for cell in day if not cell.shut and not cell.switched]
        charging = [c.charge.solution_value() > c.discharge.solution_value() for c in mixed]
        for cell, side in zip(mixed, charging, strict=True):
            cell.shut_side(side)
        _limit(lp, name, deadline)
        outcome = solve(lp, name, "model", detail)
        seconds += outcome.solve_seconds
        mixed = [cell for day in days for cell in day if cell.mixes()]
    return replace(outcome, solve_seconds=seconds)


def _switch(
    lp: pywraplp.Solver,
    name: str,
    days: list[list[Cell]],
    mixed: list[list[Cell]],
    deadline: float,
    detail: str,
) -> LpOutcome:
    """Stage 2: binary switches on the days that mixed, more while any still does."""
    seconds = 0.0
    for round_ in itertools.count(1):
        for cell in (cell for day in mixed for cell in day if not cell.switched):
            cell.switch(lp)
        _limit(lp, name, deadline)
        outcome = solve(lp, name, "model", detail)
        seconds += outcome.solve_seconds
        still = [day for day in days if any(cell.mixes() for cell in day)]
        if not still:
            return replace(outcome, solve_seconds=seconds)
        mixed = still if round_ < MAX_LAZY_ROUNDS else days


def _limit(lp: pywraplp.Solver, name: str, deadline: float) -> None:
    remaining = deadline - time.perf_counter()
    if remaining <= 0:
        raise SolverFailed(name, "TIME_LIMIT")
    lp.SetTimeLimit(max(1, int(remaining * 1000)))
