"""The dispatch MILP: a load's candidate events are binaries, batteries an LP, awards rows.

Only intervals from the re-dispatch boundary on are modelled (all of them for a first
dispatch); what the plan in force keeps there (the rest of an event under way, rebounds,
a failed asset's last instructed intervals) enters the award rows as constants. Missing
award and unplanned surplus are slack variables priced far above any real cost, so the
model is always feasible and the plan says where it falls short.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from ortools.linear_solver import pywraplp

from bidding.assets import BatterySpec, CurtailableLoadSpec, ShiftableLoadSpec
from bidding.dispatch_plan import (
    SHORTFALL_TOLERANCE_KW,
    CurtailmentEvent,
    DispatchPlan,
    Redispatch,
    award_gaps,
    event_intervals,
    load_profile_kw,
    plan_cost_fen,
)
from bidding.intervals import INTERVAL_HOURS, INTERVALS_PER_DAY
from bidding.lp import create_solver, solve
from bidding.offer_model import FEN_PER_KW_INTERVAL, BidAsset
from bidding.shiftable import run_placements

N = INTERVALS_PER_DAY
# Missing a kW of award costs far more than any real cost, so shortfall is a last resort.
_SHORTFALL_FEN_PER_MWH = 1e10
# Delivering more than awarded is only ever forced (an event under way, a failed battery).
_SURPLUS_FEN_PER_MWH = 1e9
# Tiny cost on charging so a battery never charges and discharges at once for nothing.
_CHARGE_TIE_BREAK_FEN_PER_MWH = 1.0
# Between plans of equal cost, fewer events.
_EVENT_TIE_BREAK_FEN = 1e-3
_ON = 0.5


class _Rows:
    """Award rows of intervals `start`..95: variable terms plus constants from kept plans."""

    def __init__(self, lp: pywraplp.Solver, award: np.ndarray, start: int) -> None:
        self.lp, self.award, self.start = lp, award, start
        self.const = np.zeros(N)
        self.rows = {t: lp.Constraint(-lp.infinity(), lp.infinity()) for t in range(start, N)}
        self.shortfall: dict[int, pywraplp.Variable] = {}

    def add(self, t: int, var: pywraplp.Variable, coefficient: float) -> None:
        if self.start <= t < N:
            row = self.rows[t]
            row.SetCoefficient(var, row.GetCoefficient(var) + coefficient)

    def fixed(self, t: int, kw: float) -> None:
        if self.start <= t < N:
            self.const[t] += kw

    def close(self) -> None:
        """Bounds of each row; slack for missing award (dearer early) and for surplus."""
        objective = self.lp.Objective()
        for t, row in self.rows.items():
            surplus = self.lp.NumVar(0.0, self.lp.infinity(), f"surplus_{t}")
            row.SetCoefficient(surplus, -1.0)
            objective.SetCoefficient(surplus, _SURPLUS_FEN_PER_MWH * FEN_PER_KW_INTERVAL)
            target = float(self.award[t] - self.const[t])
            if self.award[t] > 0:
                gap = self.lp.NumVar(0.0, float(self.award[t]), f"shortfall_{t}")
                row.SetCoefficient(gap, 1.0)
                # Dearer early, so energy goes to earlier intervals first and the first
                # interval short is where the energy really ran out.
                weight = 2 - t / N
                objective.SetCoefficient(gap, weight * _SHORTFALL_FEN_PER_MWH * FEN_PER_KW_INTERVAL)
                row.SetBounds(target, target)
            else:
                row.SetBounds(-self.lp.infinity(), target)  # never shed load unpaid


@dataclass
class _Load:
    asset: BidAsset
    kept: list[CurtailmentEvent] = field(default_factory=list)
    relevel: tuple[CurtailmentEvent, pywraplp.Variable] | None = None
    candidates: list[tuple[int, int, pywraplp.Variable, pywraplp.Variable]] = field(
        default_factory=list
    )


def _tail(length: int, rebound_fraction: float) -> int:
    """Intervals after an event before the next may start: its rebound, else one."""
    return length if rebound_fraction > 0 else 1


def _occupied(event: CurtailmentEvent, rebound_fraction: float) -> range:
    """Intervals an event holds: itself, then its rebound (or one interval without)."""
    return range(event.start, min(N, event.end + _tail(event.length, rebound_fraction)))


def _keep_load(lp, rows: _Rows, load: _Load, events, start: int) -> tuple[np.ndarray, int]:
    """Kept events of a load that started before `start`; returns (occupied mask, count)."""
    spec, env = load.asset.spec, load.asset.envelope
    rf = spec.rebound_fraction
    blocked = np.zeros(N, dtype=bool)
    for event in events:
        if event.start >= start:
            continue
        blocked[list(_occupied(event, rf))] = True
        if event.end <= start:
            load.kept.append(event)
            for t in range(event.end, min(N, event.end + event.length)):
                rows.fixed(t, -event.rebound_kw(rf))
            continue
        # Under way at `start`: same start and length, one new share of up kW for the rest.
        up = env.up_kw[start : event.end]
        share = lp.NumVar(0.0, 1.0, f"q_{load.asset.asset_id}_{event.start}")
        done = sum(event.levels_kw[: start - event.start])
        for t in range(start, event.end):
            rows.add(t, share, float(env.up_kw[t]))
        for t in range(event.end, min(N, event.end + event.length)):
            rows.fixed(t, -rf * done / event.length)
            rows.add(t, share, -rf * float(up.sum()) / event.length)
        cost = spec.curtailment_cost_fen_per_mwh * FEN_PER_KW_INTERVAL * float(up.sum())
        lp.Objective().SetCoefficient(share, cost)
        load.relevel = (event, share)
    return blocked, sum(1 for e in events if e.start < start)


def _add_load(lp, rows: _Rows, asset: BidAsset, events, start: int, earliest: int) -> _Load:
    """Candidate events of one load from `earliest` on, within awards and availability."""
    spec, env = asset.spec, asset.envelope
    assert isinstance(spec, CurtailableLoadSpec)
    load = _Load(asset)
    blocked, used = _keep_load(lp, rows, load, events, start)
    shortest, longest = event_intervals(spec.min_event_minutes, spec.max_event_minutes)
    usable = (rows.award > 0) & (env.up_kw > 0) & ~blocked
    run = np.zeros(N + 1, dtype=int)
    for t in range(N - 1, -1, -1):
        run[t] = run[t + 1] + 1 if usable[t] else 0
    holders: dict[int, list[pywraplp.Variable]] = {}
    rf = spec.rebound_fraction
    objective = lp.Objective()
    for s in range(max(start, earliest), N):
        for length in range(shortest, min(longest, run[s]) + 1):
            if rf > 0 and s + 2 * length > N:
                continue  # the rebound must end by midnight
            held = range(s, min(N, s + length + _tail(length, rf)))
            if any(blocked[t] for t in held):
                continue
            up = env.up_kw[s : s + length]
            on = lp.BoolVar(f"y_{asset.asset_id}_{s}_{length}")
            share = lp.NumVar(0.0, 1.0, f"x_{asset.asset_id}_{s}_{length}")
            link = lp.Constraint(-lp.infinity(), 0.0)
            link.SetCoefficient(share, 1.0)
            link.SetCoefficient(on, -1.0)
            for t in range(s, s + length):
                rows.add(t, share, float(env.up_kw[t]))
            if rf > 0:
                for t in range(s + length, s + 2 * length):
                    rows.add(t, share, -rf * float(up.sum()) / length)
            for t in held:
                holders.setdefault(t, []).append(on)
            cost = spec.curtailment_cost_fen_per_mwh * FEN_PER_KW_INTERVAL * float(up.sum())
            objective.SetCoefficient(share, cost)
            objective.SetCoefficient(on, _EVENT_TIE_BREAK_FEN)
            load.candidates.append((s, length, on, share))
    for ons in holders.values():
        if len(ons) > 1:
            one_at_a_time = lp.Constraint(-lp.infinity(), 1.0)
            for on in ons:
                one_at_a_time.SetCoefficient(on, 1.0)
    if load.candidates:
        count = lp.Constraint(-lp.infinity(), float(max(0, spec.max_events_per_day - used)))
        for _, _, on, _ in load.candidates:
            count.SetCoefficient(on, 1.0)
    return load


def _add_run(lp, rows: _Rows, asset: BidAsset, kept_kw: np.ndarray, start: int, kept_start):
    """A shiftable run's placements from `start` on as binaries (at most one; none: where
    the park has it); returns [(start, reduction kW, binary)]. A run whose baseline or kept
    placement began before `start` stays as the plan in force has it (constants)."""
    assert asset.run is not None
    placements = run_placements(asset.run, f"{asset.asset_id}.run")
    baseline = asset.run.baseline_start_interval
    began = baseline if kept_start is None else min(baseline, kept_start)
    if start > 0 and began < start:
        for t in range(start, N):
            rows.fixed(t, float(kept_kw[t]))
        return []
    objective = lp.Objective()
    choices, pick = [], lp.Constraint(-lp.infinity(), 1.0)
    for p in range(len(placements.start)):
        first = int(placements.start[p])
        if p == placements.baseline or first < start:
            continue
        moved = lp.BoolVar(f"m_{asset.asset_id}_{p}")
        pick.SetCoefficient(moved, 1.0)
        reduction = placements.reduction_kw[p]
        for t in np.flatnonzero(reduction):
            rows.add(int(t), moved, float(reduction[t]))
        objective.SetCoefficient(moved, float(placements.move_cost_fen[p]) + _EVENT_TIE_BREAK_FEN)
        choices.append((first, reduction, moved))
    return choices


def _stored_kwh_at(spec: BatterySpec, kept_kw: np.ndarray, start: int) -> float:
    """Stored energy at the start of interval `start` after the kept setpoints before it."""
    before = kept_kw[:start]
    charged = np.clip(-before, 0, None) * spec.charge_efficiency
    discharged = np.clip(before, 0, None) / spec.discharge_efficiency
    stored = spec.initial_soc * spec.energy_capacity_kwh
    return float(stored + (charged - discharged).sum() * INTERVAL_HOURS)


def _add_battery(lp, rows: _Rows, asset: BidAsset, kept_kw: np.ndarray, start: int) -> list:
    """Discharge/charge per interval from `start` with SoC tracked; returns (d, c) pairs."""
    spec, env = asset.spec, asset.envelope
    assert isinstance(spec, BatterySpec)
    objective = lp.Objective()
    previous = None
    pairs = []
    for t in range(start, N):
        d = lp.NumVar(0.0, float(env.up_kw[t]), f"d_{asset.asset_id}_{t}")
        c = lp.NumVar(0.0, float(env.down_kw[t]), f"c_{asset.asset_id}_{t}")
        e = lp.NumVar(float(env.stored_energy_min_kwh[t]), float(env.stored_energy_max_kwh[t]), "")
        rhs = _stored_kwh_at(spec, kept_kw, start) if previous is None else 0.0
        dynamics = lp.Constraint(rhs, rhs)
        dynamics.SetCoefficient(e, 1.0)
        if previous is not None:
            dynamics.SetCoefficient(previous, -1.0)
        dynamics.SetCoefficient(c, -spec.charge_efficiency * INTERVAL_HOURS)
        dynamics.SetCoefficient(d, INTERVAL_HOURS / spec.discharge_efficiency)
        objective.SetCoefficient(d, spec.degradation_cost_fen_per_mwh * FEN_PER_KW_INTERVAL)
        objective.SetCoefficient(c, _CHARGE_TIE_BREAK_FEN_PER_MWH * FEN_PER_KW_INTERVAL)
        rows.add(t, d, 1.0)
        rows.add(t, c, -1.0)
        pairs.append((d, c))
        previous = e
    return pairs


def _shed(up_kw: np.ndarray, share: pywraplp.Variable) -> tuple[float, ...]:
    fraction = min(1.0, max(0.0, share.solution_value()))
    return tuple(float(kw) * fraction for kw in up_kw)


def _load_result(load: _Load, start: int) -> tuple[CurtailmentEvent, ...]:
    up_kw = load.asset.envelope.up_kw
    events = list(load.kept)
    if load.relevel is not None:
        event, share = load.relevel
        rest = _shed(up_kw[start : event.end], share)
        events.append(CurtailmentEvent(event.start, event.levels_kw[: start - event.start] + rest))
    for s, length, on, share in load.candidates:
        if on.solution_value() > _ON and share.solution_value() > SHORTFALL_TOLERANCE_KW:
            events.append(CurtailmentEvent(s, _shed(up_kw[s : s + length], share)))
    return tuple(sorted(events, key=lambda e: e.start))


def solve_plan(
    award: np.ndarray,
    assets: list[BidAsset],
    redispatch: Redispatch | None,
    solver: str,
    time_limit_seconds: float,
) -> DispatchPlan:
    """Build and solve the MILP; setpoints are rebuilt from the events chosen, so they obey
    the event rule exactly. Raises SolverFailed when the solver returns no plan."""
    start = redispatch.from_interval if redispatch else 0
    kept = redispatch.plan if redispatch else None
    lp, name = create_solver(solver, time_limit_seconds)
    rows = _Rows(lp, award, start)
    loads: dict[str, _Load] = {}
    batteries: dict[str, list] = {}
    runs: dict[str, list] = {}
    for asset in assets:
        aid = asset.asset_id
        kept_kw = kept.setpoints_kw.get(aid, np.zeros(N)) if kept else np.zeros(N)
        failed = redispatch.failed_from.get(aid) if redispatch else None
        if failed is not None:
            for t in range(start, max(start, failed)):
                rows.fixed(t, float(kept_kw[t]))
        elif isinstance(asset.spec, CurtailableLoadSpec):
            events = kept.events.get(aid, ()) if kept else ()
            earliest = redispatch.earliest_start.get(aid, start) if redispatch else 0
            loads[aid] = _add_load(lp, rows, asset, events, start, earliest)
        elif isinstance(asset.spec, ShiftableLoadSpec):
            kept_start = kept.run_starts.get(aid) if kept else None
            runs[aid] = _add_run(lp, rows, asset, kept_kw, start, kept_start)
        else:
            batteries[aid] = _add_battery(lp, rows, asset, kept_kw, start)
    rows.close()
    lp.Objective().SetMinimization()
    outcome = solve(lp, name, "award")
    setpoints: dict[str, np.ndarray] = {}
    events: dict[str, tuple[CurtailmentEvent, ...]] = {}
    run_starts = {a: s for a, s in kept.run_starts.items() if a not in runs} if kept else {}
    for asset in assets:
        aid = asset.asset_id
        plan_kw = np.array(kept.setpoints_kw.get(aid, np.zeros(N))) if kept else np.zeros(N)
        if aid in runs and runs[aid]:  # free to move: the placement chosen, if any
            plan_kw[start:] = 0.0
            for first, reduction, moved in runs[aid]:
                if moved.solution_value() > _ON:
                    plan_kw[start:] = reduction[start:]
                    run_starts[aid] = first
        elif aid in runs:  # held as the plan in force has it
            if kept is not None and aid in kept.run_starts:
                run_starts[aid] = kept.run_starts[aid]
        elif aid in loads:
            events[aid] = _load_result(loads[aid], start)
            profile = load_profile_kw(events[aid], asset.spec.rebound_fraction)
            plan_kw[start:] = profile[start:]
        elif aid in batteries:
            plan_kw[start:] = [d.solution_value() - c.solution_value() for d, c in batteries[aid]]
        else:  # failed: the plan in force until it failed, nothing after
            assert redispatch is not None
            stop = max(start, redispatch.failed_from[aid])
            plan_kw[stop:] = 0.0
            kept_events = kept.events.get(aid, ()) if kept else ()
            events[aid] = tuple(
                CurtailmentEvent(e.start, e.levels_kw[: stop - e.start])
                for e in kept_events
                if e.start < stop
            )
        setpoints[aid] = plan_kw
    shortfall, surplus = award_gaps(award, setpoints)
    if kept is not None:
        shortfall[:start] = kept.shortfall_kw[:start]
        surplus[:start] = kept.surplus_kw[:start]
    return DispatchPlan(
        awarded_kw=award,
        setpoints_kw=setpoints,
        events=events,
        shortfall_kw=shortfall,
        surplus_kw=surplus,
        cost_fen=plan_cost_fen(setpoints, assets, run_starts),
        relative_gap=outcome.relative_gap,
        run_starts=run_starts,
    )
