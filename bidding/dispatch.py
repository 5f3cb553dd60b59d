"""Dispatch: split an awarded portfolio reduction into per-asset setpoints at least cost.

Each asset stays inside its envelope: curtailable loads within up_kw and their daily
energy cap, batteries within power limits and stored-energy bounds (SoC tracked from
initial_soc). Costs are curtailment cost and battery degradation (on discharge); the
value of energy left in a battery at the end of the day is not counted, so a battery
cheaper to use than a load will be used first. There is no end-of-day SoC
requirement here: meeting the award comes first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from ortools.linear_solver import pywraplp

from bidding.assets import BatterySpec, CurtailableLoadSpec
from bidding.exceptions import InfeasibleProblem, InvalidInput
from bidding.intervals import INTERVAL_HOURS, INTERVALS_PER_DAY, check_interval
from bidding.lp import DEFAULT_SOLVER, DEFAULT_TIME_LIMIT_SECONDS, create_solver, solve
from bidding.offer_model import CAPACITY_TOLERANCE_KW, FEN_PER_KW_INTERVAL, BidAsset
from bidding.offer_model import validate_assets as _validate_assets

# Missing a kW of award costs far more than any real cost, so shortfall is a last resort
# that only shows up when the award truly cannot be met; it then names the interval.
_SHORTFALL_FEN_PER_MWH = 1e10
# Tiny cost on charging so a battery never charges and discharges at once for nothing.
_CHARGE_TIE_BREAK_FEN_PER_MWH = 1.0
_SHORTFALL_TOLERANCE_KW = 1e-5


def _award_profile(awarded_kw: Mapping[int, float]) -> np.ndarray:
    award = np.zeros(INTERVALS_PER_DAY)
    for interval, kw in awarded_kw.items():
        check_interval(interval, "awarded_kw")
        if not (isinstance(kw, int | float) and math.isfinite(kw) and kw >= 0):
            raise InvalidInput(f"awarded_kw[{interval}]", "must be finite and >= 0")
        award[interval] = kw
    return award


def _add_asset(solver: pywraplp.Solver, asset: BidAsset, balance: list) -> tuple[list, list]:
    """Variables of one asset; returns its (reduce, increase) variables per interval."""
    env, spec = asset.envelope, asset.spec
    objective = solver.Objective()
    reduce: list = [None] * INTERVALS_PER_DAY
    increase: list = [None] * INTERVALS_PER_DAY
    if isinstance(spec, CurtailableLoadSpec):
        daily = solver.Constraint(-solver.infinity(), env.max_daily_up_kwh)
        for t in np.flatnonzero(env.up_kw > 0):
            r = solver.NumVar(0.0, float(env.up_kw[t]), f"r_{asset.asset_id}_{t}")
            daily.SetCoefficient(r, INTERVAL_HOURS)
            objective.SetCoefficient(r, spec.curtailment_cost_fen_per_mwh * FEN_PER_KW_INTERVAL)
            balance[t].SetCoefficient(r, 1.0)
            reduce[t] = r
        return reduce, increase
    assert isinstance(spec, BatterySpec)
    previous = None
    for t in range(INTERVALS_PER_DAY):
        d = solver.NumVar(0.0, float(env.up_kw[t]), f"d_{asset.asset_id}_{t}")
        c = solver.NumVar(0.0, float(env.down_kw[t]), f"c_{asset.asset_id}_{t}")
        e = solver.NumVar(
            float(env.stored_energy_min_kwh[t]), float(env.stored_energy_max_kwh[t]), ""
        )
        rhs = spec.initial_soc * spec.energy_capacity_kwh if previous is None else 0.0
        dynamics = solver.Constraint(rhs, rhs)
        dynamics.SetCoefficient(e, 1.0)
        if previous is not None:
            dynamics.SetCoefficient(previous, -1.0)
        dynamics.SetCoefficient(c, -spec.charge_efficiency * INTERVAL_HOURS)
        dynamics.SetCoefficient(d, INTERVAL_HOURS / spec.discharge_efficiency)
        objective.SetCoefficient(d, spec.degradation_cost_fen_per_mwh * FEN_PER_KW_INTERVAL)
        objective.SetCoefficient(c, _CHARGE_TIE_BREAK_FEN_PER_MWH * FEN_PER_KW_INTERVAL)
        balance[t].SetCoefficient(d, 1.0)
        balance[t].SetCoefficient(c, -1.0)
        reduce[t], increase[t] = d, c
        previous = e
    return reduce, increase


def _values(row: list) -> np.ndarray:
    return np.array([v.solution_value() if v is not None else 0.0 for v in row])


def disaggregate(
    awarded_kw: Mapping[int, float],
    assets: list[BidAsset],
    solver: str = DEFAULT_SOLVER,
    time_limit_seconds: float = DEFAULT_TIME_LIMIT_SECONDS,
) -> dict[str, np.ndarray]:
    """Per-asset net reduction setpoints (kW, 96 values) summing to the award in every interval.

    Intervals missing from `awarded_kw` have no award: no load is curtailed there, and
    a battery may recharge from the grid (its setpoint is then negative). Raises InvalidInput
    for bad assets or awards (unknown interval, negative, non-finite);
    InfeasibleProblem("award", t, ...) when the award at t exceeds the portfolio's up
    capacity, or cannot be met there once energy caps and SoC limits are applied
    (the first such interval is named); SolverFailed when the solver gives up.
    """
    _validate_assets(assets)
    award = _award_profile(awarded_kw)
    up_total = np.sum([a.envelope.up_kw for a in assets], axis=0)
    for t in np.flatnonzero(award > up_total + CAPACITY_TOLERANCE_KW):
        raise InfeasibleProblem(
            "award",
            int(t),
            f"awarded {award[t]:.3f} kW but the assets can reduce at most {up_total[t]:.3f} kW",
        )
    lp, name = create_solver(solver, time_limit_seconds)
    # Awarded intervals must deliver exactly the award; elsewhere the portfolio may only
    # add load (a battery recharging from the grid), never shed it unpaid.
    balance = [
        lp.Constraint(award[t], award[t]) if award[t] > 0 else lp.Constraint(-lp.infinity(), 0.0)
        for t in range(INTERVALS_PER_DAY)
    ]
    shortfall = []
    for t in range(INTERVALS_PER_DAY):
        gap = lp.NumVar(0.0, float(award[t]), f"shortfall_{t}")
        balance[t].SetCoefficient(gap, 1.0)
        # Slightly dearer early, so energy goes to earlier intervals first and the first
        # interval reported short is where the energy really ran out.
        weight = 2 - t / INTERVALS_PER_DAY
        lp.Objective().SetCoefficient(gap, weight * _SHORTFALL_FEN_PER_MWH * FEN_PER_KW_INTERVAL)
        shortfall.append(gap)
    plans = {a.asset_id: _add_asset(lp, a, balance) for a in assets}
    lp.Objective().SetMinimization()
    solve(lp, name, "award")
    missing = _values(shortfall)
    for t in np.flatnonzero(missing > _SHORTFALL_TOLERANCE_KW):
        raise InfeasibleProblem(
            "award",
            int(t),
            f"awarded {award[t]:.3f} kW but only {award[t] - missing[t]:.3f} kW can be "
            "delivered within daily energy caps and battery SoC limits",
        )
    return {aid: _values(up) - _values(down) for aid, (up, down) in plans.items()}
