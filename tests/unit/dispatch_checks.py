"""Independent checks of dispatch setpoints: every asset rule read from the spec, not the solver.

Nothing here uses the dispatch code: a plan is a 96-value net reduction (kW) per asset,
checked against what an operator reads in the enrolment and the award:

- curtailable loads shed only in awarded intervals the envelope allows (up kW > 0), at
  most its up kW; an event is a run of intervals with shed > 0 lasting between the
  minimum and maximum event duration, shedding one share of the up kW throughout (a
  re-dispatch may change the share once, at its boundary); after an event of L
  intervals the load draws rebound_fraction x the event's energy back, spread evenly
  over the next L intervals, which end by midnight; the next event starts after that
  rebound (without rebound, not right after the event); at most max_events_per_day;
- batteries charge/discharge within power limits, stored energy (tracked from the
  initial state of charge with both efficiencies) within soc_min..soc_max;
- a shiftable load's setpoints are nothing, or its whole run taken off in one block and
  the same run added in another, both inside its window (the run: energy_per_run_kwh
  evenly over the whole intervals of run_duration_minutes);
- the portfolio: total + shortfall = award in awarded intervals, shortfall >= 0, and no
  net reduction where nothing was awarded.
"""

from __future__ import annotations

import numpy as np

from tests.unit.plan_checks import battery_violations, load_violations, runs

TOL_KW = 1e-3
HOURS = 0.25
T = 96

__all__ = ["check_battery", "check_load", "check_plan", "check_portfolio", "check_run", "runs"]


def check_load(spec, up_kw, award, setpoints, boundary: int | None = None) -> None:
    """Raise AssertionError naming the broken rule; `boundary`: a re-dispatch's first interval.

    The spec's own rules come from `tests.unit.plan_checks`; the award adds: shed only in
    awarded intervals, one share of the up kW through an event (a re-dispatch may change it
    once, at its boundary).
    """
    found = load_violations(spec, np.asarray(up_kw), None, setpoints, TOL_KW)
    assert not found, found
    for a, b in runs(setpoints, TOL_KW):
        assert all(award[t] > 0 for t in range(a, b)), f"shed outside the award in {a}-{b}"
        shares = [setpoints[t] / up_kw[t] for t in range(a, b)]
        cut = boundary - a if boundary is not None and a < boundary < b else b - a
        for part in (shares[:cut], shares[cut:]):
            assert not part or max(part) - min(part) <= 1e-5, f"level changes in {a}-{b}"


def check_battery(spec, setpoints) -> np.ndarray:
    """Power and stored-energy limits; returns stored kWh at the end of each interval."""
    found = battery_violations(spec, None, setpoints, ends_no_lower=False)
    assert not found, found
    discharge = np.clip(setpoints, 0, None)
    charge = np.clip(-setpoints, 0, None)
    start = spec.initial_soc * spec.energy_capacity_kwh
    step = (charge * spec.charge_efficiency - discharge / spec.discharge_efficiency) * HOURS
    return start + np.cumsum(step)


def check_run(spec, setpoints) -> None:
    """A shiftable load moved whole inside its window, or not at all."""
    if np.abs(setpoints).max(initial=0.0) <= TOL_KW:
        return
    length = -(-spec.run_duration_minutes // 15)
    kw = spec.energy_per_run_kwh / (length * HOURS)
    window = range(spec.earliest_start_interval, spec.latest_end_interval)
    taken = np.flatnonzero(setpoints > TOL_KW)
    added = np.flatnonzero(setpoints < -TOL_KW)
    for name, block in (("taken off", taken), ("added", added)):
        assert len(block) == length, f"run {name} in {len(block)} intervals, not {length}"
        assert block[-1] - block[0] == length - 1, f"run {name} not in one block: {block}"
        assert block[0] in window and block[-1] in window, f"run {name} outside its window"
        assert np.allclose(np.abs(setpoints[block]), kw, atol=TOL_KW), f"run {name} not {kw} kW"


def check_portfolio(award, setpoints: dict, shortfall) -> None:
    """Award met exactly or short by exactly the reported shortfall; no unpaid shedding."""
    total = np.sum(list(setpoints.values()), axis=0)
    assert np.all(shortfall >= -TOL_KW)
    for t in range(T):
        if award[t] > 0:
            assert abs(total[t] + shortfall[t] - award[t]) <= 5 * TOL_KW, (
                f"interval {t}: {total[t]:.4f} + short {shortfall[t]:.4f} != {award[t]:.4f}"
            )
        else:
            assert total[t] <= TOL_KW, f"interval {t}: {total[t]:.4f} kW shed without award"
            assert shortfall[t] <= TOL_KW


def check_plan(assets, award, setpoints: dict, shortfall, boundary: int | None = None) -> None:
    """Every asset rule and the portfolio balance (assets: objects with .spec/.envelope)."""
    for asset in assets:
        values = np.asarray(setpoints[asset.asset_id])
        if hasattr(asset.spec, "rebound_fraction"):
            check_load(asset.spec, asset.envelope.up_kw, award, values, boundary)
        elif hasattr(asset.spec, "energy_per_run_kwh"):
            check_run(asset.spec, values)
        else:
            check_battery(asset.spec, values)
    check_portfolio(award, setpoints, np.asarray(shortfall))
