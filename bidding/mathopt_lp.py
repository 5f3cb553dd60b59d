"""An LP with dual values: OR-Tools MathOpt behind the few pywraplp calls the bid model uses.

pywraplp's HiGHS backend reports wrong dual values (in OR-Tools 9.15 it returned 4 for a
row whose dual is 3) and GLOP re-solves slowly as columns are added, so column
generation builds its LPs here: `NumVar`, `Constraint(lb, ub).SetCoefficient`,
`Objective().SetCoefficient / SetMaximization`, `infinity()`, `Solve()`, then
`solution_value` / `dual_value` read from the last solve. The bid model's builders
(`bidding.cluster_lp`, `bidding.lp.link_monotone_in_price`) work on either.
"""

from __future__ import annotations

import math
from datetime import timedelta

from ortools.math_opt.python import mathopt

from bidding.exceptions import InvalidInput

#: Backends by name: HiGHS (default) or GLOP.
SOLVERS = {"HIGHS": mathopt.SolverType.HIGHS, "GLOP": mathopt.SolverType.GLOP}
OPTIMAL = 0
NOT_SOLVED = 6


class _Var:
    __slots__ = ("owner", "var")

    def __init__(self, owner: MathOptLp, var) -> None:
        self.owner, self.var = owner, var

    def solution_value(self) -> float:
        return self.owner.primal.get(self.var, 0.0)


class _Row:
    __slots__ = ("owner", "row")

    def __init__(self, owner: MathOptLp, row) -> None:
        self.owner, self.row = owner, row

    def SetCoefficient(self, var: _Var, coefficient: float) -> None:  # noqa: N802
        self.row.set_coefficient(var.var, float(coefficient))

    def dual_value(self) -> float:
        return self.owner.dual.get(self.row, 0.0)


class _Objective:
    def __init__(self, model: mathopt.Model) -> None:
        self.model = model

    def SetCoefficient(self, var: _Var, coefficient: float) -> None:  # noqa: N802
        self.model.objective.set_linear_coefficient(var.var, float(coefficient))

    def SetMaximization(self) -> None:  # noqa: N802
        self.model.objective.is_maximize = True

    def Value(self) -> float:  # noqa: N802
        return self.model_value

    model_value = 0.0


class MathOptLp:
    """A maximising or minimising LP solved by HiGHS through MathOpt (see module docstring)."""

    def __init__(self, time_limit_seconds: float, solver: str = "HIGHS") -> None:
        if solver not in SOLVERS:
            raise InvalidInput("solver", f"column generation solves with {' or '.join(SOLVERS)}")
        self.solver = solver
        self.model = mathopt.Model()
        self.objective = _Objective(self.model)
        self.time_limit_seconds = time_limit_seconds
        self.primal: dict = {}
        self.dual: dict = {}
        self.termination = "not solved"

    @staticmethod
    def infinity() -> float:
        return math.inf

    def NumVar(self, lower: float, upper: float, name: str = "") -> _Var:  # noqa: N802
        return _Var(self, self.model.add_variable(lb=float(lower), ub=float(upper)))

    def Constraint(self, lower: float, upper: float) -> _Row:  # noqa: N802
        return _Row(self, self.model.add_linear_constraint(lb=float(lower), ub=float(upper)))

    def Objective(self) -> _Objective:  # noqa: N802
        return self.objective

    def SetTimeLimit(self, milliseconds: int) -> None:  # noqa: N802
        self.time_limit_seconds = milliseconds / 1000

    def Solve(self) -> int:  # noqa: N802
        """OPTIMAL (0) with values and duals stored, else NOT_SOLVED (6)."""
        params = mathopt.SolveParameters(time_limit=timedelta(seconds=self.time_limit_seconds))
        result = mathopt.solve(self.model, SOLVERS[self.solver], params=params)
        self.primal, self.dual = {}, {}
        self.termination = result.termination.reason.name.lower()
        if result.termination.reason != mathopt.TerminationReason.OPTIMAL:
            return NOT_SOLVED
        self.primal = result.variable_values()
        self.dual = result.dual_values()
        self.objective.model_value = result.objective_value()
        return OPTIMAL
