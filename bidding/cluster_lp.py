"""Battery blocks in an LP: charge, discharge and the stored-energy paths they must hold.

A block (`bidding.cluster_blocks.BatteryBlock`) is one battery, or a cluster of batteries
as one relaxed or restricted pseudo-battery. `add_battery_block` writes its variables
into any LP with the pywraplp-style calls (pywraplp or `bidding.mathopt_lp.MathOptLp`),
with the block's value in the objective and its net reduction (discharge - charge) in
the scenario's balance rows. There a block may charge and discharge in one interval
where that pays: at negative prices it burns energy in the conversion losses, and price
linking can force a net charge into a full battery. Its net plan then converts once
where the LP counted two losses, so replayed it stores more than the LP did and can
break the SoC ceiling; such plans are bounds, not dispatch. `battery_days` hands the
restricted blocks' flows to `bidding.switches.solve_exclusive`, which repairs a plan so
no battery does both.
"""

from __future__ import annotations

import numpy as np

from bidding.cluster_blocks import BatteryBlock, Trajectory
from bidding.intervals import INTERVAL_HOURS, INTERVALS_PER_DAY
from bidding.switches import Cell

T = INTERVALS_PER_DAY
#: Penalty (fen) per kW of a commitment left unmet in one interval of one scenario: far
#: above any interval's value, so the LP only falls short where it cannot do otherwise,
#: and the shortfall says where (the bid builder turns it into a named error).
SHORTFALL_PENALTY_FEN_PER_KW = 1e7
#: Shortfalls below this (kW) are solver dust.
SHORTFALL_TOLERANCE_KW = 1e-4


def _bound(value: float, lp) -> float:
    return float(np.clip(value, -lp.infinity(), lp.infinity()))


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


def add_battery_block(
    lp, block: BatteryBlock, balance: list, weight: float, price, charge_price=None
) -> tuple:
    """Discharge and charge kW per interval, held to every path; both may run at once here.

    `weight` is the scenario's probability x hours / 1000, `price` its 96 prices and
    `charge_price` what charging pays (fen/MWh, `price` when None): the objective gets
    weight x ((price - wear) x discharge - charge_price x charge).
    Returns (discharge, charge), 96 variables each.
    """
    charge_price = price if charge_price is None else charge_price
    objective = lp.Objective()
    discharge, charge = [], []
    for t in range(T):
        d = lp.NumVar(0.0, float(block.discharge_kw[t]), "")
        c = lp.NumVar(0.0, float(block.charge_kw[t]), "")
        objective.SetCoefficient(d, weight * (price[t] - block.degradation_fen_per_mwh))
        objective.SetCoefficient(c, -weight * charge_price[t])
        balance[t].SetCoefficient(d, -1.0)
        balance[t].SetCoefficient(c, 1.0)
        discharge.append(d)
        charge.append(c)
    for path in block.trajectories:
        _add_path(lp, path, discharge, charge)
    return discharge, charge


def battery_days(blocks: list[BatteryBlock], handles: list[list]) -> list[list[Cell]]:
    """Per restricted block and scenario, the intervals in which it could charge and discharge.

    `handles[k]` holds block k's (discharge, charge) per scenario as `add_battery_block`
    returned them. Relaxed blocks are left out: they are bounds, their members may
    charge while others discharge.
    """
    days = []
    for block, rows in zip(blocks, handles, strict=True):
        if not block.followed:
            continue
        both = np.flatnonzero((block.discharge_kw > 0) & (block.charge_kw > 0))
        limits = [(float(block.charge_kw[t]), float(block.discharge_kw[t])) for t in both]
        for discharge, charge in rows:
            days.append(
                [Cell(charge[t], discharge[t], *kw) for t, kw in zip(both, limits, strict=True)]
            )
    return days
