"""Inputs of the stochastic demand-response bid and the LP that turns them into offers.

One LP covers every price scenario s, asset a and interval t. Curtailable loads have a
reduction r[s,a,t] in [0, up_kw[t]] with daily energy <= max_daily_up_kwh; batteries
have discharge d and charge c with stored energy e[t] = e[t-1] + c*eta_c*h - d/eta_d*h
inside the envelope's energy bounds, starting at initial_soc and ending no lower (so
the battery is not drained for free). Minimum event length and event counts are not
modelled (an LP cannot); the daily energy cap stands in for them.

Rebound: a curtailed kWh is consumed again later; we charge rebound_fraction of it at
the scenario's average price, a deliberately simple stand-in for when it comes back.

Linking (Fleten-Pettersen): in each interval the portfolio quantity Q[s,t] (sum of net
reductions) must not fall as the scenario price rises, and scenarios with the same
price (to the fen) get the same Q, so the plans form one bid curve per interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from ortools.linear_solver import pywraplp

from bidding.assets import BatterySpec, CurtailableLoadSpec, validate_spec
from bidding.exceptions import InfeasibleProblem, InvalidInput
from bidding.flexibility import AssetEnvelope
from bidding.intervals import INTERVAL_HOURS, INTERVALS_PER_DAY, check_interval
from bidding.lp import link_monotone_in_price

PROBABILITY_TOLERANCE = 1e-6
CAPACITY_TOLERANCE_KW = 1e-6
# kW held for one interval, priced in fen/MWh, is worth this many fen per (fen/MWh).
FEN_PER_KW_INTERVAL = INTERVAL_HOURS / 1000


@dataclass(frozen=True)
class BidAsset:
    """An asset that may bid: a curtailable load or a battery, with its envelope for the day."""

    asset_id: str
    enterprise_id: str
    spec: CurtailableLoadSpec | BatterySpec
    envelope: AssetEnvelope


@dataclass(frozen=True)
class PriceScenario:
    """One possible day of demand-response prices (fen/MWh per interval) and its probability."""

    probability: float
    price_fen_per_mwh: np.ndarray


@dataclass(frozen=True)
class BidProblem:
    """Everything the bid builder needs; `commitments` maps interval -> kW already promised."""

    market_day: date
    assets: list[BidAsset]
    scenarios: list[PriceScenario]
    commitments: dict[int, float] = field(default_factory=dict)


def _check_profile(values: np.ndarray, name: str, non_negative: bool = True) -> None:
    array = np.asarray(values, dtype=float)
    if array.shape != (INTERVALS_PER_DAY,):
        raise InvalidInput(name, f"must have {INTERVALS_PER_DAY} values")
    if not np.all(np.isfinite(array)):
        raise InvalidInput(name, "must be finite")
    if non_negative and np.any(array < 0):
        raise InvalidInput(name, "must be >= 0")


def validate_assets(assets: list[BidAsset]) -> None:
    """Check assets are unique, of a kind that can bid, with sane specs and envelopes.

    Raises InvalidInput naming e.g. "assets[2].envelope.up_kw".
    """
    if not assets:
        raise InvalidInput("assets", "must not be empty")
    seen: set[str] = set()
    for k, asset in enumerate(assets):
        where = f"assets[{k}]"
        if asset.asset_id in seen:
            raise InvalidInput(f"{where}.asset_id", f"duplicate {asset.asset_id!r}")
        seen.add(asset.asset_id)
        if not isinstance(asset.spec, CurtailableLoadSpec | BatterySpec):
            raise InvalidInput(f"{where}.spec", "only curtailable loads and batteries can bid")
        validate_spec(asset.spec, f"{where}.spec")
        env = asset.envelope
        if env.asset_id != asset.asset_id:
            raise InvalidInput(f"{where}.envelope.asset_id", "must match the asset's id")
        for name in ("up_kw", "down_kw", "stored_energy_min_kwh", "stored_energy_max_kwh"):
            _check_profile(getattr(env, name), f"{where}.envelope.{name}")
        if np.any(env.stored_energy_min_kwh > env.stored_energy_max_kwh):
            raise InvalidInput(f"{where}.envelope.stored_energy_min_kwh", "must be <= max")
        if not (math.isfinite(env.max_daily_up_kwh) and env.max_daily_up_kwh >= 0):
            raise InvalidInput(f"{where}.envelope.max_daily_up_kwh", "must be finite and >= 0")


def validate_problem(problem: BidProblem) -> None:
    """Reject malformed problems before any model is built.

    Raises InvalidInput for bad assets, no scenarios, probabilities that are negative or
    do not sum to 1 (within 1e-6), price rows that are not 96 finite values, or
    commitments on unknown intervals / negative or non-finite kW. Raises
    InfeasibleProblem("commitment", t) when a commitment exceeds the portfolio's total
    up capacity in interval t.
    """
    validate_assets(problem.assets)
    if not problem.scenarios:
        raise InvalidInput("scenarios", "must hold at least one scenario")
    for k, scenario in enumerate(problem.scenarios):
        p = scenario.probability
        if not (math.isfinite(p) and 0 <= p <= 1):
            raise InvalidInput(f"scenarios[{k}].probability", "must be in [0, 1]")
        _check_profile(scenario.price_fen_per_mwh, f"scenarios[{k}].price_fen_per_mwh", False)
    total = sum(s.probability for s in problem.scenarios)
    if abs(total - 1) > PROBABILITY_TOLERANCE:
        raise InvalidInput("scenarios", f"probabilities must sum to 1, got {total:.9f}")
    up_total_kw = np.sum([a.envelope.up_kw for a in problem.assets], axis=0)
    for interval, kw in sorted(problem.commitments.items()):
        check_interval(interval, "commitments")
        if not (math.isfinite(kw) and kw >= 0):
            raise InvalidInput(f"commitments[{interval}]", "must be finite and >= 0")
        if kw > up_total_kw[interval] + CAPACITY_TOLERANCE_KW:
            raise InfeasibleProblem(
                "commitment",
                interval,
                f"committed {kw:.3f} kW but the portfolio can reduce at most "
                f"{up_total_kw[interval]:.3f} kW",
            )


Var = pywraplp.Variable
Plan = list[list[Var | None]]  # [scenario][interval]


@dataclass
class BidModel:
    """Handles to the LP's variables: Q per scenario/interval, asset +/- terms per scenario."""

    quantity: list[list[Var]]
    reduce: dict[str, Plan]
    increase: dict[str, Plan]


def _scenario_values(plan: Plan) -> np.ndarray:
    return np.array([[v.solution_value() if v else 0.0 for v in row] for row in plan])


def net_reduction_kw(model: BidModel, asset_id: str) -> np.ndarray:
    """Solved net reduction of one asset, shape (scenarios, 96): reduce minus increase."""
    return _scenario_values(model.reduce[asset_id]) - _scenario_values(model.increase[asset_id])


def _add_curtailable(
    solver: pywraplp.Solver, asset: BidAsset, s: int, scenario: PriceScenario, balance: list
) -> list[Var | None]:
    spec = asset.spec
    assert isinstance(spec, CurtailableLoadSpec)
    price = np.asarray(scenario.price_fen_per_mwh, dtype=float)
    rebound_fen_per_mwh = spec.rebound_fraction * float(price.mean())
    margin = price - spec.curtailment_cost_fen_per_mwh - rebound_fen_per_mwh
    daily = solver.Constraint(-solver.infinity(), asset.envelope.max_daily_up_kwh)
    objective = solver.Objective()
    row: list[Var | None] = [None] * INTERVALS_PER_DAY
    for t in np.flatnonzero(asset.envelope.up_kw > 0):
        r = solver.NumVar(0.0, float(asset.envelope.up_kw[t]), f"r_{asset.asset_id}_{s}_{t}")
        daily.SetCoefficient(r, INTERVAL_HOURS)
        objective.SetCoefficient(r, scenario.probability * margin[t] * FEN_PER_KW_INTERVAL)
        balance[t].SetCoefficient(r, -1.0)
        row[t] = r
    return row


def _add_battery(
    solver: pywraplp.Solver, asset: BidAsset, s: int, scenario: PriceScenario, balance: list
) -> tuple[list[Var | None], list[Var | None]]:
    spec, env = asset.spec, asset.envelope
    assert isinstance(spec, BatterySpec)
    price = np.asarray(scenario.price_fen_per_mwh, dtype=float)
    weight = scenario.probability * FEN_PER_KW_INTERVAL
    start_kwh = spec.initial_soc * spec.energy_capacity_kwh
    objective = solver.Objective()
    discharge: list[Var | None] = []
    charge: list[Var | None] = []
    previous = None
    for t in range(INTERVALS_PER_DAY):
        d = solver.NumVar(0.0, float(env.up_kw[t]), f"d_{asset.asset_id}_{s}_{t}")
        c = solver.NumVar(0.0, float(env.down_kw[t]), f"c_{asset.asset_id}_{s}_{t}")
        low = float(env.stored_energy_min_kwh[t])
        if t == INTERVALS_PER_DAY - 1:
            low = max(low, start_kwh)  # end the day no emptier than it started
        e = solver.NumVar(low, float(env.stored_energy_max_kwh[t]), f"e_{asset.asset_id}_{s}_{t}")
        rhs = start_kwh if previous is None else 0.0
        dynamics = solver.Constraint(rhs, rhs)
        dynamics.SetCoefficient(e, 1.0)
        if previous is not None:
            dynamics.SetCoefficient(previous, -1.0)
        dynamics.SetCoefficient(c, -spec.charge_efficiency * INTERVAL_HOURS)
        dynamics.SetCoefficient(d, INTERVAL_HOURS / spec.discharge_efficiency)
        objective.SetCoefficient(d, weight * (price[t] - spec.degradation_cost_fen_per_mwh))
        objective.SetCoefficient(c, -weight * price[t])
        balance[t].SetCoefficient(d, -1.0)
        balance[t].SetCoefficient(c, 1.0)
        discharge.append(d)
        charge.append(c)
        previous = e
    return discharge, charge


def build_model(problem: BidProblem, solver: pywraplp.Solver) -> BidModel:
    """Add the whole stochastic bid LP to `solver` (maximising expected net fen).

    Expects a problem that passed `validate_problem`; raises nothing itself.
    """
    up_total = np.sum([a.envelope.up_kw for a in problem.assets], axis=0)
    down_total = np.sum([a.envelope.down_kw for a in problem.assets], axis=0)
    ids = [a.asset_id for a in problem.assets]
    model = BidModel([], {i: [] for i in ids}, {i: [] for i in ids})
    for s, scenario in enumerate(problem.scenarios):
        quantity = []
        balance = []
        for t in range(INTERVALS_PER_DAY):
            low = float(problem.commitments.get(t, -down_total[t]))
            q = solver.NumVar(low, float(up_total[t]), f"q_{s}_{t}")
            row = solver.Constraint(0.0, 0.0)  # Q[s,t] - sum of net reductions = 0
            row.SetCoefficient(q, 1.0)
            quantity.append(q)
            balance.append(row)
        model.quantity.append(quantity)
        for asset in problem.assets:
            if isinstance(asset.spec, CurtailableLoadSpec):
                reduce = _add_curtailable(solver, asset, s, scenario, balance)
                increase: list[Var | None] = [None] * INTERVALS_PER_DAY
            else:
                reduce, increase = _add_battery(solver, asset, s, scenario, balance)
            model.reduce[asset.asset_id].append(reduce)
            model.increase[asset.asset_id].append(increase)
    prices = np.array([sc.price_fen_per_mwh for sc in problem.scenarios])
    link_monotone_in_price(solver, prices, model.quantity)
    solver.Objective().SetMaximization()
    return model
