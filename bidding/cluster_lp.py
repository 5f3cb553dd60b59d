"""The stochastic bid LP over cluster pseudo-assets (blocks) instead of single assets."""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import numpy as np
from ortools.linear_solver import pywraplp

from bidding.cluster_blocks import BatteryBlock, Block, LoadBlock, Trajectory, WindowLoadBlock
from bidding.intervals import INTERVAL_HOURS, INTERVALS_PER_DAY
from bidding.lp import LpOutcome, create_solver, link_monotone_in_price, solve
from bidding.offer_model import FEN_PER_KW_INTERVAL, BidProblem
from bidding.switches import Cell, create_mip_solver, solve_exclusive

T = INTERVALS_PER_DAY
#: Penalty (fen) per kW of a commitment left unmet in one interval of one scenario: far
#: above any interval's value, so the LP only falls short where it cannot do otherwise,
#: and the shortfall says where (the bid builder turns it into a named error).
SHORTFALL_PENALTY_FEN_PER_KW = 1e7
#: Shortfalls below this (kW) are solver dust.
SHORTFALL_TOLERANCE_KW = 1e-4


@dataclass(frozen=True)
class ClusterLpResult:
    """Solved LP: portfolio quantity (scenarios x 96), each block's net plan and value (fen)."""

    outcome: LpOutcome
    quantity_kw: np.ndarray
    block_net_kw: list[np.ndarray]
    block_value_fen: np.ndarray
    shortfall_kw: np.ndarray  # (scenarios, 96): commitments left unmet
    block_calls: list[np.ndarray | None]  # window blocks: call fractions (scenarios x windows)

    @property
    def meets_commitments(self) -> bool:
        return bool(self.shortfall_kw.max(initial=0.0) <= SHORTFALL_TOLERANCE_KW)


def _bound(value: float, solver: pywraplp.Solver) -> float:
    return float(np.clip(value, -solver.infinity(), solver.infinity()))


def rebound_cost(block: LoadBlock, price: np.ndarray) -> np.ndarray:
    """Least rebound cost per unit shed in each interval (fen/MWh), for the relaxation.

    An event of L intervals (L in [shortest, longest]) that sheds in interval t ends at
    some e in [t + 1, t + L] and pays its rebound fraction of every shed kWh at the mean
    price of [e, e + L), which must end by midnight. So a kWh shed at t costs at least the
    rebound fraction times the least such mean (the smallest fraction for a mean >= 0,
    the largest for a negative one). NaN where no event can shed at t and pay back the
    same day.
    """
    least = _least_tail_mean(np.asarray(price, float).tobytes(), block.shortest, block.longest)
    return least * np.where(least >= 0, block.rebound_fraction, block.rebound_max_fraction)


@functools.lru_cache(maxsize=4096)
def _least_tail_mean(price_bytes: bytes, shortest: int, longest: int) -> np.ndarray:
    """least[t] = min over L in [shortest, longest], e in [t+1, t+L], e+L <= T of mean(p[e:e+L])."""
    price = np.frombuffer(price_bytes)
    total = np.concatenate([[0.0], np.cumsum(price)])
    least = np.full(T, np.inf)
    for length in range(max(shortest, 1), longest + 1):
        starts = np.arange(T - length + 1)
        mean = np.full(T + 1, np.inf)  # mean[e] of the tail [e, e + length); inf if it overflows
        mean[starts] = (total[starts + length] - total[starts]) / length
        for offset in range(1, length + 1):
            ends = np.arange(T) + offset
            least = np.minimum(least, np.where(ends <= T, mean[np.minimum(ends, T)], np.inf))
    least[~np.isfinite(least)] = np.nan
    least.setflags(write=False)
    return least


def _add_load(lp, block: LoadBlock, balance: list, weight: float, price) -> tuple:
    """Relaxed loads: r[t] <= up, daily cap; rebound paid at its least cost (`rebound_cost`).

    The rebound energy b[t] >= 0, at least rho_min x the shed energy, still enters the
    portfolio quantity (any time of day: a relaxation), so linking stays a relaxation of
    the real plans' linking; its cost is charged on r instead.
    """
    daily = lp.Constraint(-lp.infinity(), block.daily_kwh)
    objective = lp.Objective()
    margin = price - block.cost_fen_per_mwh
    if block.rebound_fraction > 0:
        margin = margin - rebound_cost(block, price)
    comes_back = lp.Constraint(0.0, lp.infinity())  # sum b - rho_min sum r >= 0
    cols: list = [None] * T
    for t in np.flatnonzero((block.up_kw > 0) & np.isfinite(margin)):
        r = lp.NumVar(0.0, float(block.up_kw[t]), "")
        daily.SetCoefficient(r, INTERVAL_HOURS)
        comes_back.SetCoefficient(r, -block.rebound_fraction)
        objective.SetCoefficient(r, margin[t] * weight)
        balance[t].SetCoefficient(r, -1.0)
        cols[t] = r
    back: list = [None] * T
    if block.rebound_fraction > 0:
        for t in range(T):
            b = lp.NumVar(0.0, lp.infinity(), "")
            comes_back.SetCoefficient(b, 1.0)
            balance[t].SetCoefficient(b, 1.0)
            back[t] = b
        if block.timed:
            _time_rebound(lp, block, cols, back)
    return cols, back


def _time_rebound(lp, block: LoadBlock, shed: list, back: list) -> None:
    """Rebound of one load in time: after its shedding, within 2L - 1, never while shedding.

    With R[t], B[t] the running totals of shed and rebound kW: B[t] <= rho R[t-1] (nothing
    comes back before it was shed), B[t] >= rho R[t - 2L + 1] (what was shed then is back),
    and shed[t] / up[t] + rebound[t] / (rho x max up) <= 1 (a load sheds or rebounds in an
    interval, and its rebound kW is at most rho x its largest up kW). Real plans keep all
    three; the running totals cost 2 x 96 variables and ~5 x 96 rows per load and scenario.
    """
    rho = block.rebound_fraction
    horizon = 2 * block.longest - 1
    top = float(block.up_kw.max())
    shed_total, back_total = [], []
    for t in range(T):
        shed_total.append(_running_sum(lp, shed_total, shed[t]))
        back_total.append(_running_sum(lp, back_total, back[t]))
        busy = lp.Constraint(-lp.infinity(), 1.0)
        if shed[t] is not None:
            busy.SetCoefficient(shed[t], 1.0 / float(block.up_kw[t]))
        busy.SetCoefficient(back[t], 1.0 / (rho * top))
    for t in range(T):
        causal = lp.Constraint(-lp.infinity(), 0.0)
        causal.SetCoefficient(back_total[t], 1.0)
        if t > 0:
            causal.SetCoefficient(shed_total[t - 1], -rho)
        if t - horizon >= 0:
            done = lp.Constraint(0.0, lp.infinity())
            done.SetCoefficient(back_total[t], 1.0)
            done.SetCoefficient(shed_total[t - horizon], -rho)


def _running_sum(lp, totals: list, term) -> object:
    """A variable equal to the previous running total plus `term` (which may be None)."""
    total = lp.NumVar(0.0, lp.infinity(), "")
    row = lp.Constraint(0.0, 0.0)
    row.SetCoefficient(total, 1.0)
    if totals:
        row.SetCoefficient(totals[-1], -1.0)
    if term is not None:
        row.SetCoefficient(term, -1.0)
    return total


def _add_windows(lp, block: WindowLoadBlock, balance: list, weight: float, price) -> list:
    """Loads held to windows: one call fraction per window, rebound in the intervals after."""
    objective = lp.Objective()
    calls = []
    for profile, shed_cost in zip(block.profiles, block.shed_cost_fen, strict=True):
        x = lp.NumVar(0.0, 1.0, "")
        for t in np.flatnonzero(profile):
            balance[t].SetCoefficient(x, -float(profile[t]))
        objective.SetCoefficient(x, weight * (float(price @ profile) - float(shed_cost)))
        calls.append(x)
    return calls


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
    """Discharge and charge kW per interval, held to every path; both may run at once here."""
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


def _switchable(block: Block) -> bool:
    """A battery block whose members follow shares of its plan (a restricted block)."""
    return isinstance(block, BatteryBlock) and block.followed


def _days(blocks: list[Block], handles: list[list]) -> list[list[Cell]]:
    """Per switchable block and scenario, the intervals in which it could charge and discharge."""
    days = []
    for block, rows in zip(blocks, handles, strict=True):
        if not _switchable(block):
            continue
        assert isinstance(block, BatteryBlock)
        both = np.flatnonzero((block.discharge_kw > 0) & (block.charge_kw > 0))
        limits = [(float(block.charge_kw[t]), float(block.discharge_kw[t])) for t in both]
        for discharge, charge in rows:
            days.append(
                [Cell(charge[t], discharge[t], *kw) for t, kw in zip(both, limits, strict=True)]
            )
    return days


def _values(cols: list) -> np.ndarray:
    return np.array([c.solution_value() if c is not None else 0.0 for c in cols])


def solve_blocks(
    problem: BidProblem,
    blocks: list[Block],
    solver: str,
    time_limit_seconds: float,
    exclusive_batteries: bool = False,
) -> ClusterLpResult:
    """Build and solve the bid LP with `blocks` as its assets (same linking and commitments).

    Commitments are elastic: a scenario may fall short of one at a penalty of
    SHORTFALL_PENALTY_FEN_PER_KW per kW, so the LP is never infeasible because of them and
    `shortfall_kw` says where they cannot be met; the reported objective and block values
    leave the penalty out. Raises InfeasibleProblem("model", None, ...) when the LP is
    infeasible anyway (envelopes contradicting themselves) and SolverFailed when the solver
    stops without a solution, as `bidding.lp.solve` does; InvalidInput for an unknown solver.

    By default the model is an LP (its balance rows have duals) in which a battery block
    may charge and discharge in one interval where that pays: at negative prices it burns
    energy in the conversion losses, and linking can force a net charge into a full
    battery. The block's net plan then converts once where the LP counted two losses, so
    replayed it stores more than the LP did and can break the SoC ceiling: such plans are
    bounds, not dispatch. With `exclusive_batteries` no restricted battery block
    (`BatteryBlock.followed`) both charges and discharges in one interval of a scenario,
    so each member's share of its plan replays within every limit at any price; the
    repair (`bidding.switches.solve_exclusive`) first shuts one side of each mixing cell
    (LPs), then, in the time left, adds binary switches and returns the exact optimum
    (`outcome.optimal`) or else the shut-side plan, bounded by the unrepaired LP. It
    needs a backend in `bidding.switches.MIP_SOLVERS` (InvalidInput("solver") for GLOP)
    whenever `blocks` hold a restricted battery block; SolverFailed only when the time
    runs out before the first plan without mixing. Relaxed blocks stay relaxed: members
    of a cluster may charge while others discharge, and their plans are bounds.
    """
    exclusive = exclusive_batteries and any(_switchable(b) for b in blocks)
    lp, name = (create_mip_solver if exclusive else create_solver)(solver, time_limit_seconds)
    quantities: list[list] = []
    shortfalls: list[list] = []
    handles: list[list] = [[] for _ in blocks]
    for scenario in problem.scenarios:
        price = np.asarray(scenario.price_fen_per_mwh, dtype=float)
        weight = scenario.probability * FEN_PER_KW_INTERVAL
        quantity, balance, short = [], [], []
        for t in range(T):
            q = lp.NumVar(-lp.infinity(), lp.infinity(), "")
            row = lp.Constraint(0.0, 0.0)  # Q[s,t] - sum of net reductions = 0
            row.SetCoefficient(q, 1.0)
            quantity.append(q)
            balance.append(row)
            committed = problem.commitments.get(t, 0.0)
            if committed > 0:
                gap = lp.NumVar(0.0, committed, "")
                floor = lp.Constraint(committed, lp.infinity())  # Q + shortfall >= commitment
                floor.SetCoefficient(q, 1.0)
                floor.SetCoefficient(gap, 1.0)
                lp.Objective().SetCoefficient(gap, -SHORTFALL_PENALTY_FEN_PER_KW)
                short.append(gap)
            else:
                short.append(None)
        quantities.append(quantity)
        shortfalls.append(short)
        for k, block in enumerate(blocks):
            if isinstance(block, LoadBlock):
                handles[k].append(_add_load(lp, block, balance, weight, price))
            elif isinstance(block, WindowLoadBlock):
                handles[k].append(_add_windows(lp, block, balance, weight, price))
            else:
                handles[k].append(_add_battery(lp, block, balance, weight, price))
    prices = np.array([sc.price_fen_per_mwh for sc in problem.scenarios])
    link_monotone_in_price(lp, prices, quantities)
    lp.Objective().SetMaximization()
    contradiction = "asset envelopes contradict each other"
    read = functools.partial(_read, problem, blocks, handles, quantities, shortfalls)
    if not exclusive:
        return read(solve(lp, name, "model", contradiction))
    days = _days(blocks, handles)
    return solve_exclusive(lp, name, days, time_limit_seconds, contradiction, read)


def _read(problem, blocks, handles, quantities, shortfalls, outcome) -> ClusterLpResult:
    prices = np.array([s.price_fen_per_mwh for s in problem.scenarios], dtype=float)
    weight = np.array([s.probability for s in problem.scenarios])[:, None] * FEN_PER_KW_INTERVAL
    nets, values, calls_per_block = [], [], []
    for block, rows in zip(blocks, handles, strict=True):
        calls_per_block.append(None)
        if isinstance(block, LoadBlock):
            up = np.array([_values(reduce) for reduce, _ in rows])
            back = np.array([_values(rebound) for _, rebound in rows])
            margin = prices - block.cost_fen_per_mwh
            if block.rebound_fraction > 0:
                margin = margin - np.array([rebound_cost(block, p) for p in prices])
            value = float((weight * np.nan_to_num(margin) * up).sum())
            net = up - back
        elif isinstance(block, WindowLoadBlock):
            calls = np.array([[x.solution_value() for x in row] for row in rows])
            calls = calls.reshape(len(rows), len(block.windows))
            net = calls @ block.profiles
            value = float((weight * (prices * net - calls @ block.shed_cost_fen[:, None])).sum())
            calls_per_block[-1] = calls
        else:
            up = np.array([_values(reduce) for reduce, _ in rows])
            down = np.array([_values(increase) for _, increase in rows])
            wear = block.degradation_fen_per_mwh
            value = float((weight * ((prices - wear) * up - prices * down)).sum())
            net = up - down
        nets.append(net)
        values.append(value)
    quantity = np.array([[q.solution_value() for q in row] for row in quantities])
    short = np.array([[g.solution_value() if g else 0.0 for g in row] for row in shortfalls])
    penalty = SHORTFALL_PENALTY_FEN_PER_KW * float(short.sum())
    outcome = replace(outcome, objective=outcome.objective + penalty, bound=outcome.bound + penalty)
    return ClusterLpResult(outcome, quantity, nets, np.array(values), short, calls_per_block)
