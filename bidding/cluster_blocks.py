"""A cluster of batteries as one pseudo-battery: relaxed limits (a bound) or restricted ones.

Relaxed: any plan of the members sums to a plan the relaxed block allows, worth at least
as much, so an LP over relaxed blocks bounds the true optimum from above. Summed powers,
stored-energy bounds, start and end-of-day energy; the best charge and discharge
efficiencies of the cluster, with free disposal of energy (stored energy may fall below
what the flows give) when members differ in efficiency. Summing the members' equalities
e_a[t] = e_a[t-1] + eta_c,a h c_a - h d_a / eta_d,a gives E[t] <= E[t-1] + max(eta_c) h C
- h D / max(eta_d), which is what the block asks (with one efficiency pair among the
members the sum is an equality, so the block keeps it and needs no disposal); the
cheapest degradation cost makes the value at least as high.

Restricted: member a follows share_a x the block's plan (share = its energy capacity over
the cluster's). A lower trajectory (worst efficiencies, lowest initial SoC) must keep
above every member's SoC floor and end no lower than it started, an upper one (best
efficiencies, highest initial SoC) below every ceiling: each member's own SoC lies
between the two because charge and discharge are non-negative and never run in the same
interval. A member is told its share of the block's net kW, which converts once; had the
block charged and discharged at once, the member would store more than the upper path
counts, and break its ceiling at negative prices. So restricted blocks are repaired by
`bidding.switches.solve_exclusive` (`bidding.cluster_lp.battery_days`); the lower path
holds either way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bidding.assets import BatterySpec
from bidding.clusters import Cluster
from bidding.offer_model import BidAsset

NO_LIMIT_KWH = np.inf


@dataclass(frozen=True)
class Trajectory:
    """Stored energy driven by the block's charge/discharge, kept within bounds (kWh)."""

    start_kwh: float
    charge_efficiency: float
    discharge_efficiency: float
    low_kwh: np.ndarray  # may be -inf
    high_kwh: np.ndarray  # may be +inf
    final_low_kwh: float
    disposal: bool  # True: stored energy may fall below what the flows give


@dataclass(frozen=True)
class BatteryBlock:
    """Discharge/charge limits (kW), wear cost, and the stored-energy paths that must hold.

    `followed`: every member runs its share of this block's plan (a restricted block),
    so the plan must never charge and discharge in one interval
    (`bidding.cluster_lp.battery_days`). A relaxed block is a bound whose members may
    run opposite ways at once.
    """

    discharge_kw: np.ndarray
    charge_kw: np.ndarray
    degradation_fen_per_mwh: float
    trajectories: tuple[Trajectory, ...]
    followed: bool = False


def _members(assets: list[BidAsset], cluster: Cluster) -> list[BidAsset]:
    return [assets[i] for i in cluster.members]


def weights(assets: list[BidAsset], cluster: Cluster) -> np.ndarray:
    """Each battery member's weight in a restricted plan: its energy capacity."""
    return np.array([m.spec.energy_capacity_kwh for m in _members(assets, cluster)])


def relaxed_block(assets: list[BidAsset], cluster: Cluster) -> BatteryBlock:
    """The battery cluster's relaxation (see the module docstring); raises nothing."""
    members = _members(assets, cluster)
    up = np.sum([m.envelope.up_kw for m in members], axis=0)
    specs: list[BatterySpec] = [m.spec for m in members]  # type: ignore[misc]
    starts = np.array([s.initial_soc * s.energy_capacity_kwh for s in specs])
    final = [
        max(float(m.envelope.stored_energy_min_kwh[-1]), x)
        for m, x in zip(members, starts, strict=True)
    ]
    path = Trajectory(
        start_kwh=float(starts.sum()),
        charge_efficiency=max(s.charge_efficiency for s in specs),
        discharge_efficiency=max(s.discharge_efficiency for s in specs),
        low_kwh=np.sum([m.envelope.stored_energy_min_kwh for m in members], axis=0),
        high_kwh=np.sum([m.envelope.stored_energy_max_kwh for m in members], axis=0),
        final_low_kwh=float(sum(final)),
        disposal=not _same_efficiencies(specs),
    )
    down = np.sum([m.envelope.down_kw for m in members], axis=0)
    return BatteryBlock(up, down, min(s.degradation_cost_fen_per_mwh for s in specs), (path,))


def _same_efficiencies(specs: list[BatterySpec]) -> bool:
    """Whether the members' stored-energy equalities sum to one exact equality (no disposal)."""
    return len({(s.charge_efficiency, s.discharge_efficiency) for s in specs}) == 1


def restricted_block(assets: list[BidAsset], cluster: Cluster) -> BatteryBlock:
    """The battery cluster's restriction (see the module docstring); raises nothing."""
    members = _members(assets, cluster)
    weight = weights(assets, cluster)
    total = float(weight.sum())
    share = weight / total
    up = total * np.min(
        [m.envelope.up_kw / w for m, w in zip(members, weight, strict=True)], axis=0
    )
    specs: list[BatterySpec] = [m.spec for m in members]  # type: ignore[misc]
    down = total * np.min(
        [m.envelope.down_kw / w for m, w in zip(members, weight, strict=True)], axis=0
    )
    floor = total * np.max(
        [m.envelope.stored_energy_min_kwh / w for m, w in zip(members, weight, strict=True)], 0
    )
    ceiling = total * np.min(
        [m.envelope.stored_energy_max_kwh / w for m, w in zip(members, weight, strict=True)], 0
    )
    worst = (min(s.charge_efficiency for s in specs), min(s.discharge_efficiency for s in specs))
    best = (max(s.charge_efficiency for s in specs), max(s.discharge_efficiency for s in specs))
    soc = [s.initial_soc for s in specs]
    unbounded = np.full_like(floor, NO_LIMIT_KWH)
    if worst == best and min(soc) == max(soc):
        paths = (Trajectory(total * soc[0], *worst, floor, ceiling, total * soc[0], False),)
    else:
        lower = Trajectory(total * min(soc), *worst, floor, unbounded, total * min(soc), False)
        upper = Trajectory(total * max(soc), *best, -unbounded, ceiling, -NO_LIMIT_KWH, False)
        paths = (lower, upper)
    wear = float(share @ [s.degradation_cost_fen_per_mwh for s in specs])
    return BatteryBlock(up, down, wear, paths, followed=True)


def one_way_safe(block: BatteryBlock) -> BatteryBlock:
    """The block with a path that keeps any plan's net within its ceilings, as an LP.

    Whatever the LP's charge c and discharge d, the net d - c converts once, so the
    stored energy it replays to is at most E + eta_c h (c - d) summed over the day
    (charging gains eta_c per kWh; discharging loses 1 / eta_d >= eta_c per kWh). Holding
    that sum below every ceiling keeps the replayed plan below them, at the price of some
    headroom after a discharge; the floors hold already (the LP's own paths lose more than
    the replay). Used when the exact repair (`bidding.switches`) runs out of time.
    """
    ceilings = [p for p in block.trajectories if np.isfinite(p.high_kwh).any()]
    safe = tuple(
        Trajectory(
            start_kwh=p.start_kwh,
            charge_efficiency=p.charge_efficiency,
            discharge_efficiency=1.0 / p.charge_efficiency,
            low_kwh=np.full_like(p.high_kwh, -NO_LIMIT_KWH),
            high_kwh=p.high_kwh,
            final_low_kwh=-NO_LIMIT_KWH,
            disposal=False,
        )
        for p in ceilings
    )
    return BatteryBlock(
        block.discharge_kw,
        block.charge_kw,
        block.degradation_fen_per_mwh,
        block.trajectories + safe,
        followed=False,
    )
