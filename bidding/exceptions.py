"""Errors of the bidding package.

BiddingError
├── InvalidInput            a field of the input is out of range (names the field)
├── InsufficientHistory     too little metered history for a baseline or forecast
├── InfeasibleProblem       no offer can satisfy a constraint (names it and the interval)
└── SolverFailed            the solver stopped without a usable solution (time limit, numerics)
"""

from __future__ import annotations


class BiddingError(Exception):
    """Base of every error raised by `bidding`."""


class InvalidInput(BiddingError, ValueError):
    """A field of the input breaks a rule; `field` is its path, `rule` what it broke."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule


class InsufficientHistory(BiddingError):
    """Not enough history: `needed` days were required, `found` were usable."""

    def __init__(self, subject: str, needed: int, found: int) -> None:
        super().__init__(f"{subject}: needs {needed} usable days of history, found {found}")
        self.subject = subject
        self.needed = needed
        self.found = found


class InfeasibleProblem(BiddingError):
    """The optimisation has no solution; `constraint` and `interval` say where."""

    def __init__(self, constraint: str, interval: int | None, detail: str = "") -> None:
        where = f" at interval {interval}" if interval is not None else ""
        super().__init__(f"infeasible: {constraint}{where}{': ' + detail if detail else ''}")
        self.constraint = constraint
        self.interval = interval


class SolverFailed(BiddingError):
    """The LP solver returned no usable solution; `solver` and `status` say which and why."""

    def __init__(self, solver: str, status: str) -> None:
        super().__init__(f"solver {solver} returned no usable solution (status {status})")
        self.solver = solver
        self.status = status
