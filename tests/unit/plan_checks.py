"""Independent checks of bid plans: every asset rule, read from the asset's spec, not the solver.

Nothing here imports the bid model's code (event windows, blocks, LPs): a plan is a
(scenarios x 96) array of net reductions per asset, and these functions check it against
the rules an operator reads in the asset's enrolment:

- curtailable loads: shed only in available intervals and at most the envelope's up kW;
  every event (a run of intervals with shed > 0) lasts between the minimum and maximum
  event duration; at most `max_events_per_day` events; after an event of L intervals the
  load draws `rebound_fraction` x the event's energy back, spread evenly over the next L
  intervals, and draws nothing extra at any other time;
- batteries: charge/discharge within power limits, stored energy (tracked from the
  initial state of charge with the charge and discharge efficiencies) within the
  envelope's bounds in every interval, and no emptier at midnight than at the start.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np

from bidding.assets import BatterySpec, CurtailableLoadSpec

TOL_KW = 1e-4
TOL_KWH = 1e-3
HOURS = 0.25


def _available(spec: CurtailableLoadSpec, day: date, interval: int) -> bool:
    if not spec.availability:
        return True
    return any(
        (not w.weekdays or day.isoweekday() in w.weekdays)
        and w.start_interval <= interval < w.end_interval
        for w in spec.availability
    )


def _runs(shed: np.ndarray) -> list[tuple[int, int]]:
    runs, start = [], None
    for t, on in enumerate(shed > TOL_KW):
        if on and start is None:
            start = t
        if not on and start is not None:
            runs.append((start, t))
            start = None
    if start is not None:
        runs.append((start, len(shed)))
    return runs


def load_violations(spec: CurtailableLoadSpec, up_kw: np.ndarray, day: date, plan) -> list[str]:
    """Every rule one day's plan (96 net kW) of a curtailable load breaks."""
    plan = np.asarray(plan, dtype=float)
    shed, extra = np.maximum(plan, 0.0), np.maximum(-plan, 0.0)
    found = []
    shortest = max(1, math.ceil(spec.min_event_minutes / 15))
    longest = spec.max_event_minutes // 15
    runs = _runs(shed)
    if len(runs) > spec.max_events_per_day:
        found.append(f"{len(runs)} events > max {spec.max_events_per_day}")
    expected_extra = np.zeros_like(plan)
    for start, end in runs:
        length = end - start
        if not shortest <= length <= longest:
            found.append(
                f"event {start}..{end} lasts {length} intervals, not {shortest}..{longest}"
            )
        for t in range(start, end):
            if not _available(spec, day, t):
                found.append(f"sheds in unavailable interval {t}")
            if shed[t] > up_kw[t] + TOL_KW or shed[t] > spec.max_curtailment_kw + TOL_KW:
                found.append(f"sheds {shed[t]:.3f} kW > up {up_kw[t]:.3f} kW at {t}")
        if spec.rebound_fraction > 0:
            if end + length > len(plan):
                found.append(f"rebound of event {start}..{end} runs past midnight")
            back = spec.rebound_fraction * shed[start:end].sum() / length
            expected_extra[end : end + length] += back
    if not np.allclose(extra, expected_extra, atol=TOL_KW):
        worst = int(np.argmax(np.abs(extra - expected_extra)))
        found.append(
            f"draws {extra[worst]:.3f} kW extra at {worst}, rebound rule says "
            f"{expected_extra[worst]:.3f} kW"
        )
    return found


def battery_violations(spec: BatterySpec, envelope, plan) -> list[str]:
    """Every rule one day's plan (96 net kW) of a battery breaks."""
    plan = np.asarray(plan, dtype=float)
    discharge, charge = np.maximum(plan, 0.0), np.maximum(-plan, 0.0)
    found = []
    if np.any(discharge > spec.max_discharge_kw + TOL_KW):
        found.append("discharges above max_discharge_kw")
    if np.any(charge > spec.max_charge_kw + TOL_KW):
        found.append("charges above max_charge_kw")
    start = spec.initial_soc * spec.energy_capacity_kwh
    flow = charge * spec.charge_efficiency - discharge / spec.discharge_efficiency
    stored = start + np.cumsum(flow * HOURS)
    low = np.maximum(envelope.stored_energy_min_kwh, spec.soc_min * spec.energy_capacity_kwh)
    high = np.minimum(envelope.stored_energy_max_kwh, spec.soc_max * spec.energy_capacity_kwh)
    if np.any(stored < low - TOL_KWH):
        found.append(f"stored energy {stored.min():.3f} kWh below its floor")
    if np.any(stored > high + TOL_KWH):
        found.append(f"stored energy {stored.max():.3f} kWh above its ceiling")
    if stored[-1] < start - TOL_KWH:
        found.append(f"ends the day at {stored[-1]:.3f} kWh, below its start {start:.3f}")
    return found


def check_solution(problem, solution) -> float:
    """Assert every scenario's plan obeys every asset's rules, and so does a load's expected plan.

    (A battery's expected plan is a mix of feasible trajectories, not a dispatch: netting
    one scenario's charge against another's discharge hides conversion losses, so its net
    is not checked as a plan.)
    Also: per-asset plans sum to the portfolio quantity. Returns the plans' expected value
    in fen (revenue of net reduction at each scenario's prices, less curtailment cost of
    the shed energy and battery wear), computed from the rules, not from the solver.
    """
    prices = np.array([s.price_fen_per_mwh for s in problem.scenarios], dtype=float)
    weight = np.array([s.probability for s in problem.scenarios])[:, None] * HOURS / 1000
    total = sum(solution.scenario_asset_reduction_kw.values())
    np.testing.assert_allclose(total, solution.scenario_quantity_kw, atol=1e-3)
    value = 0.0
    for asset in problem.assets:
        plans = solution.scenario_asset_reduction_kw[asset.asset_id]
        spec = asset.spec
        days = list(plans)
        if isinstance(spec, CurtailableLoadSpec):
            days.append(solution.asset_reduction_kw[asset.asset_id])
        for s, plan in enumerate(days):
            if isinstance(spec, CurtailableLoadSpec):
                found = load_violations(spec, asset.envelope.up_kw, problem.market_day, plan)
            else:
                found = battery_violations(spec, asset.envelope, plan)
            where = "expected plan" if s == len(plans) else f"scenario {s}"
            assert not found, f"{asset.asset_id} {where}: {found}"
        shed, extra = np.maximum(plans, 0.0), np.maximum(-plans, 0.0)
        if isinstance(spec, CurtailableLoadSpec):
            cost = spec.curtailment_cost_fen_per_mwh
            value += float((weight * (prices * plans - cost * shed)).sum())
        else:
            wear = spec.degradation_cost_fen_per_mwh
            value += float((weight * ((prices - wear) * shed - prices * extra)).sum())
    return value
