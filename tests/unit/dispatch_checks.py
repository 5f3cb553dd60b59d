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
- the portfolio: total + shortfall = award in awarded intervals, shortfall >= 0, and no
  net reduction where nothing was awarded.
"""

from __future__ import annotations

import math

import numpy as np

TOL_KW = 1e-3
TOL_KWH = 1e-3
HOURS = 0.25
T = 96


def runs(values: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each run of values > TOL_KW."""
    out, start = [], None
    for t, on in enumerate(values > TOL_KW):
        if on and start is None:
            start = t
        if not on and start is not None:
            out.append((start, t))
            start = None
    if start is not None:
        out.append((start, T))
    return out


def check_load(spec, up_kw, award, setpoints, boundary: int | None = None) -> None:
    """Raise AssertionError naming the broken rule; `boundary`: a re-dispatch's first interval."""
    shortest = max(1, math.ceil(spec.min_event_minutes / 15))
    longest = spec.max_event_minutes // 15
    events = runs(setpoints)
    assert len(events) <= spec.max_events_per_day, f"{len(events)} events"
    expected = np.zeros(T)
    previous_free = 0
    for a, b in events:
        length = b - a
        assert shortest <= length <= longest, f"event {a}-{b} of {length} intervals"
        assert a >= previous_free, f"event at {a} starts inside the previous one's rebound"
        assert all(award[t] > 0 for t in range(a, b)), f"shed outside the award in {a}-{b}"
        assert all(up_kw[t] > 0 for t in range(a, b)), f"shed while unavailable in {a}-{b}"
        assert all(setpoints[t] <= up_kw[t] + TOL_KW for t in range(a, b)), "above up kW"
        shares = [setpoints[t] / up_kw[t] for t in range(a, b)]
        cut = boundary - a if boundary is not None and a < boundary < b else length
        for part in (shares[:cut], shares[cut:]):
            assert not part or max(part) - min(part) <= 1e-5, f"level changes in {a}-{b}"
        expected[a:b] = setpoints[a:b]
        if spec.rebound_fraction > 0:
            assert b + length <= T, f"rebound of {a}-{b} runs past midnight"
            back = spec.rebound_fraction * float(setpoints[a:b].sum()) / length
            expected[b : b + length] -= back
            previous_free = b + length
        else:
            previous_free = b + 1
    np.testing.assert_allclose(setpoints, expected, atol=TOL_KW, err_msg="draw outside rebounds")


def check_battery(spec, setpoints) -> np.ndarray:
    """Power and stored-energy limits; returns stored kWh at the end of each interval."""
    discharge = np.clip(setpoints, 0, None)
    charge = np.clip(-setpoints, 0, None)
    assert discharge.max() <= spec.max_discharge_kw + TOL_KW
    assert charge.max() <= spec.max_charge_kw + TOL_KW
    start = spec.initial_soc * spec.energy_capacity_kwh
    step = (charge * spec.charge_efficiency - discharge / spec.discharge_efficiency) * HOURS
    stored = start + np.cumsum(step)
    assert stored.min() >= spec.soc_min * spec.energy_capacity_kwh - TOL_KWH, "below soc_min"
    assert stored.max() <= spec.soc_max * spec.energy_capacity_kwh + TOL_KWH, "above soc_max"
    return stored


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
        else:
            check_battery(asset.spec, values)
    check_portfolio(award, setpoints, np.asarray(shortfall))
