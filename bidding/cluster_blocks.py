"""A cluster as one pseudo-asset: relaxed limits (sums, best parameters) or restricted ones.

Relaxed: any plan of the members sums to a plan the relaxed block allows, worth at least
as much, so an LP over relaxed blocks bounds the true optimum from above. Loads: the
sums of up kW per interval and of daily caps, at the members' cheapest cost per
scenario (curtailment plus rebound, which is linear in kW). Batteries: summed powers,
stored-energy bounds, start and end-of-day energy; the best charge and discharge
efficiencies of the cluster, with free disposal of energy (stored energy may fall below
what the flows give). Summing the members' equalities e_a[t] = e_a[t-1] + eta_c,a h c_a
- h d_a / eta_d,a gives E[t] <= E[t-1] + max(eta_c) h C - h D / max(eta_d), which is
what the block asks; the cheapest degradation cost makes the value at least as high.

Restricted: member a follows share_a x the block's plan (share = its weight over the
cluster's, weight = max up kW for a load, energy capacity for a battery). The block's
limits are the members' tightest normalised limits times the cluster weight, so each
scaled plan fits its member; its cost is the weighted mean cost, so its value is exact.
For batteries a lower trajectory (worst efficiencies, lowest initial SoC) must keep
above every member's SoC floor and end no lower than it started, an upper one (best
efficiencies, highest initial SoC) below every ceiling: each member's own SoC lies
between the two because charge and discharge are non-negative.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bidding.assets import BatterySpec
from bidding.clusters import Cluster
from bidding.offer_model import BidAsset

NO_LIMIT_KWH = np.inf


@dataclass(frozen=True)
class LoadBlock:
    """Curtailment up to `up_kw` per interval, `daily_kwh` a day, at a cost per scenario."""

    up_kw: np.ndarray
    daily_kwh: float
    cost_fen_per_mwh: np.ndarray  # one per scenario (curtailment + rebound)


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
    """Discharge/charge limits (kW), wear cost, and the stored-energy paths that must hold."""

    discharge_kw: np.ndarray
    charge_kw: np.ndarray
    degradation_fen_per_mwh: float
    trajectories: tuple[Trajectory, ...]


Block = LoadBlock | BatteryBlock


def _members(assets: list[BidAsset], cluster: Cluster) -> list[BidAsset]:
    return [assets[i] for i in cluster.members]


def _load_costs(members: list[BidAsset], mean_prices: np.ndarray) -> np.ndarray:
    """(members, scenarios) curtailment plus rebound cost, fen/MWh."""
    cost = np.array([m.spec.curtailment_cost_fen_per_mwh for m in members], dtype=float)
    rebound = np.array([m.spec.rebound_fraction for m in members])
    return cost[:, None] + rebound[:, None] * mean_prices[None, :]


def weights(assets: list[BidAsset], cluster: Cluster) -> np.ndarray:
    """Each member's weight: max up kW for a load, energy capacity for a battery."""
    members = _members(assets, cluster)
    if cluster.kind == "battery":
        return np.array([m.spec.energy_capacity_kwh for m in members])
    return np.array([float(m.envelope.up_kw.max()) for m in members])


def relaxed_block(assets: list[BidAsset], cluster: Cluster, mean_prices: np.ndarray) -> Block:
    """The cluster's relaxation (see the module docstring); raises nothing."""
    members = _members(assets, cluster)
    up = np.sum([m.envelope.up_kw for m in members], axis=0)
    if cluster.kind == "load":
        daily = sum(m.envelope.max_daily_up_kwh for m in members)
        return LoadBlock(up, daily, _load_costs(members, mean_prices).min(axis=0))
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
        disposal=True,
    )
    down = np.sum([m.envelope.down_kw for m in members], axis=0)
    return BatteryBlock(up, down, min(s.degradation_cost_fen_per_mwh for s in specs), (path,))


def restricted_block(assets: list[BidAsset], cluster: Cluster, mean_prices: np.ndarray) -> Block:
    """The cluster's restriction (see the module docstring); raises nothing."""
    members = _members(assets, cluster)
    weight = weights(assets, cluster)
    total = float(weight.sum())
    share = weight / total
    up = total * np.min(
        [m.envelope.up_kw / w for m, w in zip(members, weight, strict=True)], axis=0
    )
    if cluster.kind == "load":
        daily = total * min(
            m.envelope.max_daily_up_kwh / w for m, w in zip(members, weight, strict=True)
        )
        return LoadBlock(up, daily, share @ _load_costs(members, mean_prices))
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
    return BatteryBlock(up, down, wear, paths)
