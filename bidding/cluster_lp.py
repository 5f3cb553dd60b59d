"""The stochastic bid LP over cluster pseudo-assets (blocks) instead of single assets."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.linear_solver import pywraplp

from bidding.cluster_blocks import BatteryBlock, Block, LoadBlock, Trajectory
from bidding.intervals import INTERVAL_HOURS, INTERVALS_PER_DAY
from bidding.lp import LpOutcome, create_solver, link_monotone_in_price, solve
from bidding.offer_model import FEN_PER_KW_INTERVAL, BidModel, BidProblem

T = INTERVALS_PER_DAY


@dataclass(frozen=True)
class ClusterLpResult:
    """Solved LP: portfolio quantity (scenarios x 96), each block's net plan and value (fen)."""

    outcome: LpOutcome
    quantity_kw: np.ndarray
    block_net_kw: list[np.ndarray]
    block_value_fen: np.ndarray


def _bound(value: float, solver: pywraplp.Solver) -> float:
    return float(np.clip(value, -solver.infinity(), solver.infinity()))


def _add_load(lp, block: LoadBlock, s: int, balance: list, weight: float, price) -> list:
    daily = lp.Constraint(-lp.infinity(), block.daily_kwh)
    objective = lp.Objective()
    margin = (price - block.cost_fen_per_mwh[s]) * weight
    cols: list = [None] * T
    for t in np.flatnonzero(block.up_kw > 0):
        r = lp.NumVar(0.0, float(block.up_kw[t]), "")
        daily.SetCoefficient(r, INTERVAL_HOURS)
        objective.SetCoefficient(r, margin[t])
        balance[t].SetCoefficient(r, -1.0)
        cols[t] = r
    return cols


def _add_path(lp, path: Trajectory, discharge: list, charge: list) -> None:
    previous = None
    for t in range(T):
        low = path.low_kwh[t] if t < T - 1 else max(path.low_kwh[t], path.final_low_kwh)
        e = lp.NumVar(_bound(low, lp), _bound(path.high_kwh[t], lp), "")
        rhs = path.start_kwh if previous is None else 0.0
        row = lp.Constraint(-lp.infinity() if path.disposal else rhs, rhs)
        row.SetCoefficient(e, 1.0)
        if previous is not None:
            row.SetCoefficient(previous, -1.0)
        row.SetCoefficient(charge[t], -path.charge_efficiency * INTERVAL_HOURS)
        row.SetCoefficient(discharge[t], INTERVAL_HOURS / path.discharge_efficiency)
        previous = e


def _add_battery(lp, block: BatteryBlock, balance: list, weight: float, price) -> tuple:
    objective = lp.Objective()
    discharge, charge = [], []
    for t in range(T):
        d = lp.NumVar(0.0, float(block.discharge_kw[t]), "")
        c = lp.NumVar(0.0, float(block.charge_kw[t]), "")
        objective.SetCoefficient(d, weight * (price[t] - block.degradation_fen_per_mwh))
        objective.SetCoefficient(c, -weight * price[t])
        balance[t].SetCoefficient(d, -1.0)
        balance[t].SetCoefficient(c, 1.0)
        discharge.append(d)
        charge.append(c)
    for path in block.trajectories:
        _add_path(lp, path, discharge, charge)
    return discharge, charge


def _values(cols: list) -> np.ndarray:
    return np.array([c.solution_value() if c is not None else 0.0 for c in cols])


def solve_blocks(
    problem: BidProblem, blocks: list[Block], solver: str, time_limit_seconds: float
) -> ClusterLpResult:
    """Build and solve the bid LP with `blocks` as its assets (same linking and commitments).

    Raises InfeasibleProblem("commitment" or "model", None, ...) when the LP is
    infeasible and SolverFailed when the solver stops without a solution, as
    `bidding.lp.solve` does; InvalidInput for an unknown solver.
    """
    lp, name = create_solver(solver, time_limit_seconds)
    model = BidModel([], {}, {})
    handles: list[list[tuple]] = [[] for _ in blocks]
    for s, scenario in enumerate(problem.scenarios):
        price = np.asarray(scenario.price_fen_per_mwh, dtype=float)
        weight = scenario.probability * FEN_PER_KW_INTERVAL
        quantity, balance = [], []
        for t in range(T):
            # Q's range follows from the blocks' limits; only a commitment bounds it here.
            q = lp.NumVar(float(problem.commitments.get(t, -lp.infinity())), lp.infinity(), "")
            row = lp.Constraint(0.0, 0.0)
            row.SetCoefficient(q, 1.0)
            quantity.append(q)
            balance.append(row)
        model.quantity.append(quantity)
        for k, block in enumerate(blocks):
            if isinstance(block, LoadBlock):
                handles[k].append((_add_load(lp, block, s, balance, weight, price), None))
            else:
                handles[k].append(_add_battery(lp, block, balance, weight, price))
    prices = np.array([sc.price_fen_per_mwh for sc in problem.scenarios])
    link_monotone_in_price(lp, prices, model.quantity)
    lp.Objective().SetMaximization()
    detail = "commitments exceed the clusters' energy or SoC limits"
    outcome = solve(lp, name, "commitment" if problem.commitments else "model", detail)
    return _read(problem, blocks, handles, model, outcome)


def _read(problem, blocks, handles, model, outcome) -> ClusterLpResult:
    prices = np.array([s.price_fen_per_mwh for s in problem.scenarios], dtype=float)
    weight = np.array([s.probability for s in problem.scenarios])[:, None] * FEN_PER_KW_INTERVAL
    nets, values = [], []
    for block, rows in zip(blocks, handles, strict=True):
        up = np.array([_values(reduce) for reduce, _ in rows])
        if isinstance(block, LoadBlock):
            down = np.zeros_like(up)
            margin = prices - block.cost_fen_per_mwh[:, None]
            value = float((weight * margin * up).sum())
        else:
            down = np.array([_values(increase) for _, increase in rows])
            wear = block.degradation_fen_per_mwh
            value = float((weight * ((prices - wear) * up - prices * down)).sum())
        nets.append(up - down)
        values.append(value)
    quantity = np.array([[q.solution_value() for q in row] for row in model.quantity])
    return ClusterLpResult(outcome, quantity, nets, np.array(values))
