"""Charge or discharge, never both: binary switches added lazily to an LP's storage flows.

A battery whose charge c and discharge d are plain LP variables may run both in one
interval. The LP's own stored-energy row loses energy in both conversions, but what
the battery is told to do is one net kW per interval, and a net of d - c converts only
once: replayed, it stores more than the LP counted and can break the SoC ceiling. The
LP likes doing it whenever it pays to burn energy in the losses (negative prices) or
when price linking forces a net charge into a full battery.

`solve_exclusive` solves the LP, then gives each cell (one storage, one interval of one
scenario) that both charges and discharges a binary switch u with c <= C u and
d <= D (1 - u), and solves again, until no cell mixes; after MAX_LAZY_ROUNDS rounds
every cell gets one. Each round solves a relaxation of the full MIP (cells without a
switch are free), so its first solution without mixing is optimal for the full MIP.
`bidding.storage_offers` does the same with switches created up front.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, replace

from ortools.linear_solver import pywraplp

from bidding.exceptions import InvalidInput, SolverFailed
from bidding.lp import LpOutcome, create_solver, solve

#: Backends that branch on binaries and keep continuous variables exact.
MIP_SOLVERS = ("HIGHS", "SCIP", "CBC", "GUROBI", "CPLEX", "XPRESS")
#: Tried in this order when HiGHS is missing (its GLOP fallback cannot do binaries).
MIP_FALLBACKS = ("SCIP", "CBC")
#: Rounds of lazily added binaries before every charge/discharge switch becomes binary.
MAX_LAZY_ROUNDS = 5
#: Charge or discharge below this (kW) is solver dust, not operation.
DUST_KW = 1e-6


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
    switched: bool = False

    def mixes(self) -> bool:
        both = min(self.charge.solution_value(), self.discharge.solution_value())
        return not self.switched and both > DUST_KW

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
    lp: pywraplp.Solver, name: str, cells: list[Cell], time_limit_seconds: float, detail: str
) -> LpOutcome:
    """Solve `lp` (a MIP solver) so that no cell both charges and discharges (see module).

    Raises InfeasibleProblem("model", None, `detail`) as `bidding.lp.solve` does, and
    SolverFailed when the time limit runs out before a solution without mixing.
    """
    deadline = time.perf_counter() + time_limit_seconds
    spent = 0.0
    for round_ in itertools.count():
        outcome = solve(lp, name, "model", detail)
        spent += outcome.solve_seconds
        mixed = [cell for cell in cells if cell.mixes()]
        if not mixed:
            break
        for cell in mixed if round_ + 1 < MAX_LAZY_ROUNDS else cells:
            if not cell.switched:
                cell.switch(lp)
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            raise SolverFailed(name, "TIME_LIMIT")
        lp.SetTimeLimit(max(1, int(remaining * 1000)))
    if not any(cell.switched for cell in cells):
        return replace(outcome, solve_seconds=spent)
    bound = lp.Objective().BestBound()
    gap = abs(bound - outcome.objective) / max(1.0, abs(outcome.objective))
    return replace(outcome, bound=bound, relative_gap=gap, solve_seconds=spent)
