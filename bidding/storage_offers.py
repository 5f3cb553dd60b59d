"""Battery energy offers for the day-ahead market: a stochastic MIP gives buy and sell curves.

Per scenario s, battery b and interval t the model has charge c and discharge d (kW
at the grid connection, bounded by the battery's envelope) and stored energy
e[t] = e[t-1] + c*eta_c*h - d/eta_d*h inside the envelope's energy bounds, starting at
initial_soc and ending no lower (the battery is not drained for free). It maximises
the expected market value of the portfolio's net position N[s,t] = sum_b (d - c)
(price x energy, prices in fen/MWh and possibly negative) minus degradation cost on
discharged energy.

No simultaneous charge and discharge: u[s,b,t] in [0, 1] with c <= down_kw*u and
d <= up_kw*(1-u); u = 1 means the battery may charge, 0 that it may discharge. An LP
is not enough: at a negative price it is paid to consume, so it would charge and
discharge at once to burn energy in the losses, and the scenario linking below can
force a net charge into a full battery even at positive prices, so no cost argument
rules it out either. The u are made binary lazily: solve with all u relaxed; wherever
a battery both charges and discharges, make that u binary and solve again (a MIP).
Every round solves a relaxation of the full MIP, so once a solution has no
simultaneous operation it is optimal for the full MIP; after MAX_LAZY_ROUNDS rounds
every u becomes binary. The MIP needs a backend that honours integers and keeps
continuous variables exact: HiGHS (SCIP, then CBC, when this OR-Tools build lacks
HiGHS); LP-only backends and CP-SAT are refused. Reported plans zero the side a binary
closed and anything below DUST_KW, so they never charge and discharge in one cell.

Linking (Fleten-Pettersen): in each interval N[s,t] must not fall as the scenario
price rises, and scenarios with the same price (to the fen) share one N, so the plans
form one supply curve per interval. Its positive part is the SELL curve, its negative
part the BUY curve.

Sharing a battery with the demand-response offers (`split_portfolio`): each battery is
cut into two smaller batteries, one per product, by a share of its capacity and power
limits; each part's offers hold its own limits, so both together hold the battery's
(see `split_battery` for how the battery runs two parts that move in opposite ways).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
from ortools.linear_solver import pywraplp

from bidding.assets import BatterySpec
from bidding.exceptions import InvalidInput, SolverFailed
from bidding.flexibility import battery_envelope
from bidding.intervals import INTERVAL_HOURS, INTERVALS_PER_DAY, hour_of_interval
from bidding.lp import (
    DEFAULT_SOLVER,
    DEFAULT_TIME_LIMIT_SECONDS,
    LpOutcome,
    link_monotone_in_price,
    solve,
)
from bidding.offer_model import (
    FEN_PER_KW_INTERVAL,
    BidAsset,
    BidProblem,
    PriceScenario,
    validate_problem,
)
from bidding.offers import OfferStep, offer_curve
from bidding.switches import DUST_KW, MAX_LAZY_ROUNDS, create_mip_solver

Var = pywraplp.Variable


@dataclass(frozen=True)
class StorageOfferSolution:
    """Sell and buy curves per interval plus what the MIP expects from them.

    `sell_curves[t]` are incremental blocks ascending in price: each sells
    `quantity_kw` more if the clearing price reaches its price. `buy_curves[t]` are
    blocks descending in price: each buys `quantity_kw` more if the clearing price is
    at or below its price. At any price at most one side holds a positive quantity.
    `scenario_revenue_fen` is the market value of the net position per scenario (sales
    minus purchases, before degradation); `objective_fen` is the expected value net of
    degradation. `battery_net_discharge_kw` is the probability-weighted plan per
    battery (negative while charging); the `scenario_*` arrays (scenarios x 96) hold
    the plans behind it, with never both charge and discharge in one cell.
    """

    sell_curves: dict[int, list[OfferStep]]
    buy_curves: dict[int, list[OfferStep]]
    scenario_revenue_fen: list[int]
    expected_revenue_fen: int
    objective_fen: float
    bound_fen: float
    relative_gap: float
    solver: str
    solve_seconds: float
    battery_net_discharge_kw: dict[str, np.ndarray]
    scenario_net_position_kw: np.ndarray
    scenario_charge_kw: dict[str, np.ndarray]
    scenario_discharge_kw: dict[str, np.ndarray]
    scenario_stored_energy_kwh: dict[str, np.ndarray]


@dataclass
class _BatteryVars:
    """A battery's variables per [scenario][interval]; `charging` is None where one way is shut."""

    charge: list[list[Var]]
    discharge: list[list[Var]]
    stored: list[list[Var]]
    charging: list[list[Var | None]]


def _add_scenario(
    lp: pywraplp.Solver,
    asset: BidAsset,
    s: int,
    scenario: PriceScenario,
    balance: list[pywraplp.Constraint],
) -> tuple[list[Var], list[Var], list[Var], list[Var | None]]:
    """One battery's charge, discharge, stored energy and switch per interval of scenario s."""
    spec, env = asset.spec, asset.envelope
    assert isinstance(spec, BatterySpec)
    start_kwh = spec.initial_soc * spec.energy_capacity_kwh
    price = np.asarray(scenario.price_fen_per_mwh, dtype=float)
    weight = scenario.probability * FEN_PER_KW_INTERVAL
    objective = lp.Objective()
    charge, discharge, stored, switch = [], [], [], []
    for t in range(INTERVALS_PER_DAY):
        up, down = float(env.up_kw[t]), float(env.down_kw[t])
        key = f"{asset.asset_id}_{s}_{t}"
        d, c = lp.NumVar(0.0, up, f"d_{key}"), lp.NumVar(0.0, down, f"c_{key}")
        u = lp.NumVar(0.0, 1.0, f"u_{key}") if up > 0 and down > 0 else None
        if u is not None:
            lp.Add(c <= down * u)
            lp.Add(d <= up * (1 - u))
        low = float(env.stored_energy_min_kwh[t])
        if t == INTERVALS_PER_DAY - 1:
            low = max(low, start_kwh)  # end the day no emptier than it started
        e = lp.NumVar(low, float(env.stored_energy_max_kwh[t]), f"e_{key}")
        before = stored[-1] if stored else start_kwh
        gain = c * (spec.charge_efficiency * INTERVAL_HOURS)
        lp.Add(e == before + gain - d * (INTERVAL_HOURS / spec.discharge_efficiency))
        objective.SetCoefficient(d, weight * (price[t] - spec.degradation_cost_fen_per_mwh))
        objective.SetCoefficient(c, -weight * price[t])
        balance[t].SetCoefficient(d, -1.0)
        balance[t].SetCoefficient(c, 1.0)
        charge.append(c)
        discharge.append(d)
        stored.append(e)
        switch.append(u)
    return charge, discharge, stored, switch


def _add_battery(
    lp: pywraplp.Solver,
    asset: BidAsset,
    scenarios: Sequence[PriceScenario],
    balance: list[list[pywraplp.Constraint]],
) -> _BatteryVars:
    out = _BatteryVars([], [], [], [])
    for s, scenario in enumerate(scenarios):
        charge, discharge, stored, switch = _add_scenario(lp, asset, s, scenario, balance[s])
        out.charge.append(charge)
        out.discharge.append(discharge)
        out.stored.append(stored)
        out.charging.append(switch)
    return out


def _add_positions(
    lp: pywraplp.Solver, batteries: Sequence[BidAsset], scenarios: Sequence[PriceScenario]
) -> tuple[list[list[Var]], list]:
    """N[s,t] with a balance row N - sum_b (d - c) = 0 that the batteries fill in."""
    up_total = np.sum([b.envelope.up_kw for b in batteries], axis=0)
    down_total = np.sum([b.envelope.down_kw for b in batteries], axis=0)
    net: list[list[Var]] = []
    balance: list[list[pywraplp.Constraint]] = []
    for s in range(len(scenarios)):
        net.append([])
        balance.append([])
        for t in range(INTERVALS_PER_DAY):
            n = lp.NumVar(-float(down_total[t]), float(up_total[t]), f"n_{s}_{t}")
            row = lp.Constraint(0.0, 0.0)
            row.SetCoefficient(n, 1.0)
            net[s].append(n)
            balance[s].append(row)
    return net, balance


def _values(rows: list[list[Var]]) -> np.ndarray:
    return np.array([[max(v.solution_value(), 0.0) for v in row] for row in rows])


def _mixed_switches(plans: dict[str, _BatteryVars]) -> list[Var]:
    """Relaxed switches of cells that charge and discharge at once in the current solution."""
    mixed = []
    for vars_ in plans.values():
        for c_row, d_row, u_row in zip(vars_.charge, vars_.discharge, vars_.charging, strict=True):
            for c, d, u in zip(c_row, d_row, u_row, strict=True):
                if (
                    u is not None
                    and not u.integer()
                    and min(c.solution_value(), d.solution_value()) > DUST_KW
                ):
                    mixed.append(u)
    return mixed


def _solve_lazily(
    lp: pywraplp.Solver, name: str, plans: dict[str, _BatteryVars], time_limit_seconds: float
) -> LpOutcome:
    """Solve, making switches binary where the solution both charges and discharges, until none do.

    Raises SolverFailed when the time limit runs out before a solution without
    simultaneous operation is found, InfeasibleProblem("model") as `solve` does.
    """
    deadline = time.perf_counter() + time_limit_seconds
    spent = 0.0
    switches = [u for v in plans.values() for row in v.charging for u in row if u is not None]
    for round_ in itertools.count():
        outcome = solve(lp, name, "model", "battery envelopes contradict each other")
        spent += outcome.solve_seconds
        mixed = _mixed_switches(plans)
        if not mixed:
            break
        for u in switches if round_ + 1 >= MAX_LAZY_ROUNDS else mixed:
            u.SetInteger(True)
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            raise SolverFailed(name, "TIME_LIMIT")
        lp.SetTimeLimit(max(1, int(remaining * 1000)))
    if not any(u.integer() for u in switches):
        return replace(outcome, solve_seconds=spent)
    bound = lp.Objective().BestBound()
    gap = abs(bound - outcome.objective) / max(1.0, abs(outcome.objective))
    return replace(outcome, bound=bound, relative_gap=gap, solve_seconds=spent)


def _exclusive_plans(vars_: _BatteryVars) -> tuple[np.ndarray, np.ndarray]:
    """Charge and discharge with dust and the side a binary switch closed set to zero."""
    charge, discharge = _values(vars_.charge), _values(vars_.discharge)
    switch = np.array(
        [
            [u.solution_value() if u is not None and u.integer() else np.nan for u in row]
            for row in vars_.charging
        ]
    )
    charge[(charge < DUST_KW) | (switch < 0.5)] = 0.0
    discharge[(discharge < DUST_KW) | (switch >= 0.5)] = 0.0
    return charge, discharge


def buy_curve(prices_fen_per_mwh: np.ndarray, net_position_kw: np.ndarray) -> list[OfferStep]:
    """Incremental buy blocks descending in price from one interval's (price, net kW) pairs.

    The cumulative purchase at price p is max(-N, 0) of the scenarios priced p, so it
    never falls as the price falls; rounding as in `offer_curve`.
    """
    mirrored = offer_curve(-np.asarray(prices_fen_per_mwh, dtype=float), -net_position_kw)
    return [OfferStep(-step.price_fen_per_mwh, step.quantity_kw) for step in mirrored]


def build_storage_offers(
    market_day: date,
    batteries: Sequence[BidAsset],
    scenarios: Sequence[PriceScenario],
    solver: str = DEFAULT_SOLVER,
    time_limit_seconds: float = DEFAULT_TIME_LIMIT_SECONDS,
) -> StorageOfferSolution:
    """Solve the stochastic arbitrage MIP and turn its scenario plans into buy and sell curves.

    Energy prices may be negative. Raises InvalidInput for malformed batteries or
    scenarios (fields named as by `validate_problem`, e.g. "assets[1].envelope.up_kw"),
    a non-battery asset ("assets[k].spec"), or a solver that cannot do binaries;
    InfeasibleProblem("model", None, ...) when an envelope contradicts itself (e.g.
    the initial energy lies above the end-of-day maximum); SolverFailed when the
    solver stops without a solution.
    """
    validate_problem(BidProblem(market_day, list(batteries), list(scenarios)))
    for k, asset in enumerate(batteries):
        if not isinstance(asset.spec, BatterySpec):
            raise InvalidInput(f"assets[{k}].spec", "only batteries trade energy here")
    lp, name = create_mip_solver(solver, time_limit_seconds)
    prices = np.rint([s.price_fen_per_mwh for s in scenarios])
    net, balance = _add_positions(lp, batteries, scenarios)
    plans = {b.asset_id: _add_battery(lp, b, scenarios, balance) for b in batteries}
    link_monotone_in_price(lp, prices, net)
    lp.Objective().SetMaximization()
    outcome = _solve_lazily(lp, name, plans, time_limit_seconds)
    charge, discharge = {}, {}
    for asset_id, vars_ in plans.items():
        charge[asset_id], discharge[asset_id] = _exclusive_plans(vars_)
    net_kw = np.sum([discharge[a] - charge[a] for a in plans], axis=0)
    probabilities = np.array([s.probability for s in scenarios])
    revenue_fen = (prices * net_kw).sum(axis=1) * FEN_PER_KW_INTERVAL
    return StorageOfferSolution(
        sell_curves={t: offer_curve(prices[:, t], net_kw[:, t]) for t in range(INTERVALS_PER_DAY)},
        buy_curves={t: buy_curve(prices[:, t], net_kw[:, t]) for t in range(INTERVALS_PER_DAY)},
        scenario_revenue_fen=[round(float(v)) for v in revenue_fen],
        expected_revenue_fen=round(float(probabilities @ revenue_fen)),
        objective_fen=outcome.objective,
        bound_fen=outcome.bound,
        relative_gap=outcome.relative_gap,
        solver=outcome.solver,
        solve_seconds=outcome.solve_seconds,
        battery_net_discharge_kw={a: probabilities @ (discharge[a] - charge[a]) for a in plans},
        scenario_net_position_kw=net_kw,
        scenario_charge_kw=charge,
        scenario_discharge_kw=discharge,
        scenario_stored_energy_kwh={a: _values(v.stored) for a, v in plans.items()},
    )


def split_battery(asset: BidAsset, energy_share: float) -> tuple[BidAsset | None, BidAsset | None]:
    """A battery cut in two: (demand-response part, energy-market part), None for an empty part.

    The energy part gets `energy_share` of the capacity and of both power limits, the
    DR part the rest; both keep the SoC fractions, efficiencies and degradation cost, so
    their initial energies add up to the battery's. Whatever each part's plan, the
    battery can run both exactly: in an interval where one part charges c kW and the
    other discharges d kW it charges at full power for c/max_charge_kw of the interval
    and discharges for d/max_discharge_kw of it; these fit, since each part has only its
    share of the power (c/max_charge + d/max_discharge <= (1 - share) + share). Losses
    then fall on both flows as each part planned, so the stored energy is the sum of
    the parts' energies, each in its own [soc_min, soc_max] band. (Running only the net
    flow would save those losses and could leave the battery fuller than planned.)
    Raises InvalidInput("energy_share") outside [0, 1] and ("spec") for an asset that
    is not a battery.
    """
    if not (isinstance(energy_share, int | float) and 0 <= energy_share <= 1):
        raise InvalidInput("energy_share", "must be in [0, 1]")
    if not isinstance(asset.spec, BatterySpec):
        raise InvalidInput("spec", "only a battery can be split")

    def part(share: float) -> BidAsset | None:
        if share <= 0:
            return None
        spec = replace(
            asset.spec,
            energy_capacity_kwh=asset.spec.energy_capacity_kwh * share,
            max_charge_kw=asset.spec.max_charge_kw * share,
            max_discharge_kw=asset.spec.max_discharge_kw * share,
        )
        return replace(asset, spec=spec, envelope=battery_envelope(asset.asset_id, spec))

    return part(1.0 - energy_share), part(float(energy_share))


def split_portfolio(
    assets: Sequence[BidAsset], energy_share: float
) -> tuple[list[BidAsset], list[BidAsset]]:
    """(assets for the DR offers, batteries for the energy offers): batteries split by share.

    Curtailable loads stay whole on the DR side. Raises as `split_battery`.
    """
    dr: list[BidAsset] = []
    energy: list[BidAsset] = []
    for asset in assets:
        if not isinstance(asset.spec, BatterySpec):
            dr.append(asset)
            continue
        dr_part, energy_part = split_battery(asset, energy_share)
        dr.extend([dr_part] if dr_part else [])
        energy.extend([energy_part] if energy_part else [])
    return dr, energy


# Day-ahead energy prices by local hour, fen/MWh, after a coastal province with much solar:
# cheap nights, a midday trough below zero, an evening peak.
_HOURLY_ENERGY_PRICE_FEN_PER_MWH = (
    [30_000] * 7 + [45_000] * 3 + [-2_000] * 5 + [45_000] * 2 + [90_000] * 4 + [45_000] * 3
)


def default_energy_scenarios(
    market_day: date,
    floor_fen_per_mwh: int,
    cap_fen_per_mwh: int,
    count: int = 10,
    spread: float = 0.3,
    seed: int = 0,
) -> list[PriceScenario]:
    """Equiprobable energy price scenarios around a time-of-use shape, within [floor, cap].

    Scenario k shifts every price by a level evenly spaced in [-spread, +spread] times
    the shape's mean absolute price, plus per-interval noise (sd spread/5 of it) from a
    generator seeded with `seed` and the day, so negative midday prices stay possible
    in every scenario. Whole fen, clipped to the exchange's range. Raises InvalidInput
    for count < 1, spread outside [0, 1) or floor >= cap.
    """
    if count < 1:
        raise InvalidInput("count", "must be >= 1")
    if not 0 <= spread < 1:
        raise InvalidInput("spread", "must be in [0, 1)")
    if floor_fen_per_mwh >= cap_fen_per_mwh:
        raise InvalidInput("floor_fen_per_mwh", "must be below the cap")
    hourly = _HOURLY_ENERGY_PRICE_FEN_PER_MWH
    base = np.array([hourly[hour_of_interval(i)] for i in range(INTERVALS_PER_DAY)], dtype=float)
    scale = float(np.abs(base).mean())
    rng = np.random.default_rng([seed, market_day.toordinal()])
    levels = np.linspace(-spread, spread, count) if count > 1 else np.zeros(1)
    noise = rng.normal(0.0, spread / 5, size=(count, INTERVALS_PER_DAY))
    prices = np.rint(base[None, :] + scale * (levels[:, None] + noise))
    prices = np.clip(prices, floor_fen_per_mwh, cap_fen_per_mwh)
    return [PriceScenario(1 / count, row) for row in prices]
