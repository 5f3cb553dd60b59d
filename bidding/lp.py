"""LP plumbing shared by the bid builder and dispatch: choosing the solver, reading its verdict."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from ortools.linear_solver import pywraplp

from bidding.exceptions import InfeasibleProblem, InvalidInput, SolverFailed

DEFAULT_SOLVER = "HIGHS"
FALLBACK_SOLVER = "GLOP"
DEFAULT_TIME_LIMIT_SECONDS = 10.0

_STATUS_NAMES = {
    pywraplp.Solver.OPTIMAL: "OPTIMAL",
    pywraplp.Solver.FEASIBLE: "FEASIBLE",
    pywraplp.Solver.INFEASIBLE: "INFEASIBLE",
    pywraplp.Solver.UNBOUNDED: "UNBOUNDED",
    pywraplp.Solver.ABNORMAL: "ABNORMAL",
    pywraplp.Solver.NOT_SOLVED: "NOT_SOLVED",
}


@dataclass(frozen=True)
class LpOutcome:
    """What the solver reported: objective, proven bound, relative gap and wall time."""

    solver: str
    optimal: bool
    objective: float
    bound: float
    relative_gap: float
    solve_seconds: float


def create_solver(
    name: str = DEFAULT_SOLVER, time_limit_seconds: float | None = DEFAULT_TIME_LIMIT_SECONDS
) -> tuple[pywraplp.Solver, str]:
    """A quiet OR-Tools LP solver by name, and the name actually used.

    HIGHS falls back to GLOP when this OR-Tools build lacks HiGHS, so a missing
    optional backend never stops bidding. Raises InvalidInput("solver") for a name
    OR-Tools does not know, or a non-positive time limit.
    """
    wanted = name.strip().upper()
    solver = pywraplp.Solver.CreateSolver(wanted)
    if solver is None and wanted == DEFAULT_SOLVER:
        wanted = FALLBACK_SOLVER
        solver = pywraplp.Solver.CreateSolver(wanted)
    if solver is None:
        raise InvalidInput("solver", f"unknown or unavailable LP solver {name!r}")
    solver.SuppressOutput()
    if wanted == "HIGHS":
        # Silences HiGHS's banner on stdout; OR-Tools reports False here yet applies it.
        solver.SetSolverSpecificParametersAsString("output_flag=false")
    if time_limit_seconds is not None:
        if not time_limit_seconds > 0:
            raise InvalidInput("time_limit_seconds", "must be > 0")
        solver.SetTimeLimit(int(time_limit_seconds * 1000))
    return solver, wanted


def solve(solver: pywraplp.Solver, name: str, constraint: str, detail: str = "") -> LpOutcome:
    """Solve and report; maps INFEASIBLE to InfeasibleProblem(`constraint`, None, `detail`).

    Raises SolverFailed for any status without a usable solution (unbounded, abnormal,
    stopped by the time limit before finding one).
    """
    started = time.perf_counter()
    status = solver.Solve()
    seconds = time.perf_counter() - started
    if status == pywraplp.Solver.INFEASIBLE:
        raise InfeasibleProblem(constraint, None, detail or f"{name} proved the model infeasible")
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        raise SolverFailed(name, _STATUS_NAMES.get(status, str(status)))
    objective = solver.Objective().Value()
    optimal = status == pywraplp.Solver.OPTIMAL
    bound = objective if optimal else solver.Objective().BestBound()
    gap = 0.0 if optimal else abs(bound - objective) / max(1.0, abs(objective))
    return LpOutcome(name, optimal, objective, bound, gap, seconds)


def link_monotone_in_price(
    solver: pywraplp.Solver,
    prices_fen_per_mwh: np.ndarray,
    quantity: list[list],
    offered: np.ndarray | None = None,
) -> None:
    """Non-anticipative bids: in every interval, quantity[s][t] never falls as the price of
    scenario s at t rises, and scenarios with equal prices (to the fen) share one quantity.

    `prices_fen_per_mwh` is (scenarios x intervals); `quantity` holds one solver variable
    per scenario and interval. This is what turns scenario plans into step curves.
    `offered` (booleans per interval, None = all) limits the linking to the intervals that
    carry an offer: elsewhere nothing is sold and each scenario's plan stands alone.
    """
    prices = np.rint(np.asarray(prices_fen_per_mwh, dtype=float))
    for t in range(prices.shape[1]):
        if offered is not None and not offered[t]:
            continue
        order = sorted(range(prices.shape[0]), key=lambda s: prices[s, t])
        for lower, higher in zip(order, order[1:], strict=False):
            equal = prices[lower, t] == prices[higher, t]
            row = solver.Constraint(0.0, 0.0 if equal else solver.infinity())
            row.SetCoefficient(quantity[higher][t], 1.0)
            row.SetCoefficient(quantity[lower][t], -1.0)
