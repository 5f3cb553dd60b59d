"""Independent checks of plans: every asset rule, read from the asset's spec, not the solver.

Nothing here imports the bid model's or dispatch's code (event windows, blocks, LPs,
MILPs): a plan is 96 net reductions (kW) of an asset, and these functions check it against
the rules an operator reads in the asset's enrolment (the bid tests pass every scenario's
plan; the dispatch checks in `tests/unit/dispatch_checks.py` add the award's rules):

- curtailable loads: shed only in available intervals and at most the envelope's up kW;
  every event (a run of intervals with shed > 0) lasts between the minimum and maximum
  event duration; at most `max_events_per_day` events; after an event of L intervals the
  load draws `rebound_fraction` x the event's energy back, spread evenly over the next L
  intervals, and draws nothing extra at any other time; the next event starts only after
  that rebound (without rebound, not right after the event);
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


def _available(spec: CurtailableLoadSpec, day: date | None, interval: int) -> bool:
    if not spec.availability or day is None:
        return True
    return any(
        (not w.weekdays or day.isoweekday() in w.weekdays)
        and w.start_interval <= interval < w.end_interval
        for w in spec.availability
    )


def runs(shed: np.ndarray, tolerance_kw: float = TOL_KW) -> list[tuple[int, int]]:
    """[start, end) of each run of values above the tolerance."""
    found, start = [], None
    for t, on in enumerate(shed > tolerance_kw):
        if on and start is None:
            start = t
        if not on and start is not None:
            found.append((start, t))
            start = None
    if start is not None:
        found.append((start, len(shed)))
    return found


def load_violations(
    spec: CurtailableLoadSpec, up_kw: np.ndarray, day: date | None, plan, tolerance_kw=TOL_KW
) -> list[str]:
    """Every rule one day's plan (96 net kW) of a curtailable load breaks.

    Availability is read from the spec's windows for `day`, and from the envelope's up kW
    (which also holds notification lead time); with `day` None from the up kW only.
    """
    plan = np.asarray(plan, dtype=float)
    shed, extra = np.maximum(plan, 0.0), np.maximum(-plan, 0.0)
    found = []
    shortest = max(1, math.ceil(spec.min_event_minutes / 15))
    longest = spec.max_event_minutes // 15
    events = runs(shed, tolerance_kw)
    if len(events) > spec.max_events_per_day:
        found.append(f"{len(events)} events > max {spec.max_events_per_day}")
    expected_extra = np.zeros_like(plan)
    free_from = 0
    for start, end in events:
        length = end - start
        if start < free_from:
            found.append(f"event {start}..{end} starts inside the previous one's rebound")
        free_from = end + length if spec.rebound_fraction > 0 else end + 1
        if not shortest <= length <= longest:
            found.append(
                f"event {start}..{end} lasts {length} intervals, not {shortest}..{longest}"
            )
        for t in range(start, end):
            if not _available(spec, day, t) or up_kw[t] <= 0:
                found.append(f"sheds in unavailable interval {t}")
            limit = min(up_kw[t], spec.max_curtailment_kw) + tolerance_kw
            if shed[t] > limit:
                found.append(f"sheds {shed[t]:.3f} kW > up {up_kw[t]:.3f} kW at {t}")
        if spec.rebound_fraction > 0:
            if end + length > len(plan):
                found.append(f"rebound of event {start}..{end} runs past midnight")
            back = spec.rebound_fraction * shed[start:end].sum() / length
            expected_extra[end : end + length] += back
    if not np.allclose(extra, expected_extra, atol=tolerance_kw):
        worst = int(np.argmax(np.abs(extra - expected_extra)))
        found.append(
            f"draws {extra[worst]:.3f} kW extra at {worst}, rebound rule says "
            f"{expected_extra[worst]:.3f} kW"
        )
    return found


def battery_violations(spec: BatterySpec, envelope, plan, ends_no_lower: bool = True) -> list[str]:
    """Every rule one day's plan (96 net kW) of a battery breaks.

    Stored energy stays within soc_min..soc_max (and the envelope's bounds, if given);
    with `ends_no_lower` (bids) the day ends no emptier than it started.
    """
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
    low = np.full(len(plan), spec.soc_min * spec.energy_capacity_kwh)
    high = np.full(len(plan), spec.soc_max * spec.energy_capacity_kwh)
    if envelope is not None:
        low = np.maximum(envelope.stored_energy_min_kwh, low)
        high = np.minimum(envelope.stored_energy_max_kwh, high)
    if np.any(stored < low - TOL_KWH):
        found.append(f"stored energy {stored.min():.3f} kWh below its floor")
    if np.any(stored > high + TOL_KWH):
        found.append(f"stored energy {stored.max():.3f} kWh above its ceiling")
    if ends_no_lower and stored[-1] < start - TOL_KWH:
        found.append(f"ends the day at {stored[-1]:.3f} kWh, below its start {start:.3f}")
    return found


def check_solution(problem, solution) -> float:
    """Assert every scenario's plan obeys every asset's rules.

    (The probability-weighted "expected" plan is a mix of scenario plans, not a dispatch:
    a load may hold its events at other times in different scenarios, and netting one
    scenario's charge against another's discharge hides a battery's losses, so it is not
    checked as a plan. What is dispatched is the plan of the price that clears.)
    Also: per-asset plans sum to the portfolio quantity. Returns the plans' expected value
    in fen, computed from the rules, not from the solver: reduction sold at each scenario's
    price, energy drawn back (rebound, charging) paid at the higher of the scenario's price
    and the scenarios' mean price of that interval (a plan may not count on its own
    scenario's cheap hours to refill), less curtailment cost of the shed energy and
    battery wear.
    """
    prices = np.array([s.price_fen_per_mwh for s in problem.scenarios], dtype=float)
    probabilities = np.array([s.probability for s in problem.scenarios])
    weight = probabilities[:, None] * HOURS / 1000
    drawn = np.maximum(prices, (probabilities @ prices)[None, :])
    total = sum(solution.scenario_asset_reduction_kw.values())
    np.testing.assert_allclose(total, solution.scenario_quantity_kw, atol=1e-3)
    # No scenario sells more than the market accepts in it, nor more than the curve offers
    # at its price.
    clearable = problem.clearable_kw()
    if clearable is not None:
        assert np.all(solution.scenario_quantity_kw <= clearable + 1e-3)
    for t, steps in solution.curves.items():
        for s, price in enumerate(prices[:, t]):
            offered = sum(step.quantity_kw for step in steps if step.price_fen_per_mwh <= price)
            assert solution.scenario_quantity_kw[s, t] <= offered + 1e-3, (s, t)
    value = 0.0
    for asset in problem.assets:
        plans = solution.scenario_asset_reduction_kw[asset.asset_id]
        spec = asset.spec
        for s, plan in enumerate(plans):
            if isinstance(spec, CurtailableLoadSpec):
                found = load_violations(spec, asset.envelope.up_kw, problem.market_day, plan)
            else:
                found = battery_violations(spec, asset.envelope, plan)
            assert not found, f"{asset.asset_id} scenario {s}: {found}"
        shed, extra = np.maximum(plans, 0.0), np.maximum(-plans, 0.0)
        if isinstance(spec, CurtailableLoadSpec):
            cost = spec.curtailment_cost_fen_per_mwh
            value += float((weight * (prices * shed - drawn * extra - cost * shed)).sum())
        else:
            wear = spec.degradation_cost_fen_per_mwh
            value += float((weight * ((prices - wear) * shed - drawn * extra)).sum())
    return value
