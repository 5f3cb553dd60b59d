"""A cluster as one pseudo-asset: relaxed limits (sums, best parameters) or restricted ones.

Relaxed: any plan of the members sums to a plan the relaxed block allows, worth at least
as much, so an LP over relaxed blocks bounds the true optimum from above. Loads: the
sums of up kW per interval and of daily caps, no event windows, at the members' cheapest
curtailment cost; rebound costs each shed kWh at least the smallest rebound fraction of
the members times the cheapest mean price of any tail its event could have (see
`bidding.cluster_lp.rebound_cost`), and the rebound energy may enter the portfolio
quantity at any time. Every
event-feasible plan of the members fits that and is worth no more there. Batteries: summed
powers, stored-energy bounds, start and end-of-day energy; the best charge and discharge
efficiencies of the cluster, with free disposal of energy (stored energy may fall below
what the flows give) when it has more than one member. Summing the members' equalities
e_a[t] = e_a[t-1] + eta_c,a h c_a - h d_a / eta_d,a gives E[t] <= E[t-1] + max(eta_c) h C
- h D / max(eta_d), which is what the block asks (with one efficiency pair among the
members the sum is an equality, so the block keeps it and needs no disposal); the
cheapest degradation cost makes the value at least as high.

Restricted: member a follows share_a x the block's plan (share = its weight over the
cluster's, weight = energy capacity for a battery). Loads of one cluster share their
event windows (`bidding.event_windows`) and are called together: one fraction per
window and scenario, each member shedding that fraction of its own up kW and drawing
its own rebound, so every member's plan is its own event-feasible plan and the block's
value is exact. For batteries a lower trajectory (worst efficiencies,
lowest initial SoC) must keep above every member's SoC floor and end no lower than it
started, an upper one (best efficiencies, highest initial SoC) below every ceiling: each
member's own SoC lies between the two because charge and discharge are non-negative and
never run in the same interval. A member is told its share of the block's net kW, which
converts once; had the block charged and discharged at once, the member would store
more than the upper path counts, and break its ceiling at negative prices. So restricted
blocks are solved with `exclusive_batteries` (`bidding.cluster_lp.solve_blocks`); the
lower path holds either way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bidding.assets import BatterySpec
from bidding.clusters import Cluster
from bidding.event_windows import EventWindow, event_length_limits, event_profiles
from bidding.intervals import INTERVALS_PER_DAY as T
from bidding.offer_model import BidAsset

NO_LIMIT_KWH = np.inf


@dataclass(frozen=True)
class LoadBlock:
    """Relaxed loads: up to `up_kw` per interval and `daily_kwh` a day, no event windows.

    Rebound: between `rebound_fraction` (the members' smallest) and `rebound_max_fraction`
    of the shed energy comes back, spread evenly over the L intervals right after an
    event of L intervals, L in [`shortest`, `longest`] (the members' widest range).
    """

    up_kw: np.ndarray
    daily_kwh: float
    cost_fen_per_mwh: float
    rebound_fraction: float
    rebound_max_fraction: float
    shortest: int
    longest: int
    timed: bool = False  # one load: its rebound is also placed in time (bidding.cluster_lp)


@dataclass(frozen=True)
class WindowLoadBlock:
    """Loads sharing event windows: each window called at a fraction x in [0, 1] per scenario.

    `profiles` (windows x 96) is the members' summed net reduction of a full call,
    rebound included; `shed_cost_fen` (windows,) the curtailment cost of a full call in
    fen per (fen/MWh-equivalent) unit, i.e. sum over members and window intervals of
    cost x up kW, to be multiplied by the interval's hours / 1000 like prices.
    """

    windows: tuple[EventWindow, ...]
    profiles: np.ndarray
    shed_cost_fen: np.ndarray


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
    so the plan must never charge and discharge in one interval (`exclusive_batteries`
    in `bidding.cluster_lp.solve_blocks`). A relaxed block is a bound whose members may
    run opposite ways at once.
    """

    discharge_kw: np.ndarray
    charge_kw: np.ndarray
    degradation_fen_per_mwh: float
    trajectories: tuple[Trajectory, ...]
    followed: bool = False


Block = LoadBlock | WindowLoadBlock | BatteryBlock


def _members(assets: list[BidAsset], cluster: Cluster) -> list[BidAsset]:
    return [assets[i] for i in cluster.members]


def _load_costs(members: list[BidAsset]) -> np.ndarray:
    """Curtailment cost of each member, fen/MWh."""
    return np.array([m.spec.curtailment_cost_fen_per_mwh for m in members], dtype=float)


def _rebound(members: list[BidAsset]) -> np.ndarray:
    return np.array([m.spec.rebound_fraction for m in members])


def weights(assets: list[BidAsset], cluster: Cluster) -> np.ndarray:
    """Each battery member's weight in a restricted plan: its energy capacity."""
    return np.array([m.spec.energy_capacity_kwh for m in _members(assets, cluster)])


def relaxed_block(assets: list[BidAsset], cluster: Cluster, timed: bool = False) -> Block:
    """The cluster's relaxation (see the module docstring); raises nothing.

    `timed` places a single load's rebound in time too (a tighter bound, a larger LP).
    """
    members = _members(assets, cluster)
    up = np.sum([m.envelope.up_kw for m in members], axis=0)
    if cluster.kind == "load":
        daily = sum(m.envelope.max_daily_up_kwh for m in members)
        cost, rebound = float(_load_costs(members).min()), _rebound(members)
        limits = [event_length_limits(m.spec) for m in members]
        shortest, longest = min(low for low, _ in limits), max(high for _, high in limits)
        timed = timed and len(members) == 1
        return LoadBlock(
            up, daily, cost, float(rebound.min()), float(rebound.max()), shortest, longest, timed
        )
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


def window_block(members: list[BidAsset], windows: tuple[EventWindow, ...]) -> WindowLoadBlock:
    """Loads called together at one fraction per window: exact, each keeps its own profile."""
    profiles = np.zeros((len(windows), T))
    shed_cost = np.zeros(len(windows))
    for member in members:
        own = event_profiles(member.envelope.up_kw, member.spec.rebound_fraction, windows)
        profiles += own
        shed_cost += member.spec.curtailment_cost_fen_per_mwh * np.array(
            [own[k, w.start : w.end].sum() for k, w in enumerate(windows)]
        )
    return WindowLoadBlock(windows, profiles, shed_cost)


def restricted_block(
    assets: list[BidAsset], cluster: Cluster, windows: tuple[EventWindow, ...] = ()
) -> Block:
    """The cluster's restriction (see the module docstring); raises nothing.

    `windows` are the event windows every member of a load cluster shares.
    """
    members = _members(assets, cluster)
    if cluster.kind == "load":
        return window_block(members, windows)
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
