"""Grouping bid assets into clusters of like normalised shape and cost, and splitting them."""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from bidding.assets import BatterySpec, CurtailableLoadSpec
from bidding.event_windows import event_rules
from bidding.intervals import INTERVAL_HOURS, INTERVALS_PER_DAY
from bidding.offer_model import BidProblem

DEFAULT_CLUSTER_COUNT = 200


@dataclass(frozen=True)
class Cluster:
    """Assets (indices into `problem.assets`) that are bid as one pseudo-asset."""

    kind: str  # "load" or "battery"
    members: tuple[int, ...]


@dataclass(frozen=True)
class AssetFeatures:
    """Per asset: an exact grouping key, dimensionless features, and a size for priorities.

    A feature's spread inside a cluster is roughly the fraction of the cluster's value the
    restricted (proportional) plan can lose through it: costs are divided by the mean
    price, limits are logs (log max/min ~ relative shortfall), fractions are as they are.
    Assets with no flexibility at all (`active` False) join no cluster.
    """

    key: list[tuple]
    values: np.ndarray  # (assets, features)
    size_kwh: np.ndarray
    active: np.ndarray


def _load_row(asset, mean_prices: np.ndarray, reference: float) -> tuple[list[float], float]:
    spec, up = asset.spec, asset.envelope.up_kw
    weight = float(up.max())
    shape = up / weight if weight > 0 else up
    available_kwh = float(up.sum()) * INTERVAL_HOURS
    daily_hours = min(asset.envelope.max_daily_up_kwh, available_kwh) / weight if weight else 0.0
    on = shape > 0
    costs = spec.curtailment_cost_fen_per_mwh + spec.rebound_fraction * mean_prices
    row = [
        costs.min() / reference,
        costs.max() / reference,
        np.log(max(daily_hours, 1e-9)),
        np.log(shape[on].mean()) if on.any() else 0.0,
        np.log(shape[on].min()) if on.any() else 0.0,
        float(np.arange(INTERVALS_PER_DAY) @ shape) / max(float(shape.sum()), 1e-9) / 24,
        0.0,  # padding: loads have six features, batteries eight
        0.0,
    ]
    return row, weight * daily_hours


def _battery_row(asset, reference: float) -> tuple[list[float], float]:
    spec, env = asset.spec, asset.envelope
    capacity = spec.energy_capacity_kwh
    row = [
        spec.degradation_cost_fen_per_mwh / reference,
        np.log(max(float(env.up_kw.min()) / capacity, 1e-9)),
        np.log(max(float(env.down_kw.min()) / capacity, 1e-9)),
        spec.charge_efficiency,
        spec.discharge_efficiency,
        float(env.stored_energy_min_kwh.max()) / capacity,
        float(env.stored_energy_max_kwh.min()) / capacity,
        spec.initial_soc,
    ]
    usable_kwh = float((env.stored_energy_max_kwh - env.stored_energy_min_kwh).mean())
    return row, usable_kwh


def asset_features(problem: BidProblem) -> AssetFeatures:
    """Features of every asset of a validated problem; raises nothing itself.

    Loads are keyed by their event rules and availability pattern, so the loads of a
    cluster can be called together in the same event windows.
    """
    prices = np.array([s.price_fen_per_mwh for s in problem.scenarios], dtype=float)
    mean_prices = prices.mean(axis=1)
    reference = max(float(np.abs(prices).mean()), 1.0)
    keys, rows, sizes, batteries = [], [], [], []
    for asset in problem.assets:
        if isinstance(asset.spec, CurtailableLoadSpec):
            row, size = _load_row(asset, mean_prices, reference)
            pattern = (asset.envelope.up_kw > 0).tobytes()
            keys.append(("load", event_rules([asset.spec]), pattern))
        else:
            assert isinstance(asset.spec, BatterySpec)
            row, size = _battery_row(asset, reference)
            keys.append(("battery", b""))
        rows.append(row)
        sizes.append(size)
        batteries.append(keys[-1][0] == "battery")
    size_kwh = np.array(sizes)
    # A battery always takes part: even idle, its start must fit its energy bounds.
    return AssetFeatures(keys, np.array(rows), size_kwh, (size_kwh > 0) | np.array(batteries))


def spread(features: AssetFeatures, cluster: Cluster) -> np.ndarray:
    """Max minus min of each feature over the cluster's members."""
    values = features.values[list(cluster.members)]
    return values.max(axis=0) - values.min(axis=0)


def split(features: AssetFeatures, cluster: Cluster) -> list[Cluster]:
    """Two halves of `cluster`, cut at the median of its widest feature.

    When no feature varies (members differ only in ways the features miss, e.g. profile
    details) the member list is halved in order. A single asset comes back unchanged.
    """
    members = np.array(cluster.members)
    if len(members) < 2:
        return [cluster]
    widths = spread(features, cluster)
    column = features.values[members, int(np.argmax(widths))]
    if widths.max() <= 0:
        left = np.arange(len(members)) < len(members) // 2
    else:
        cut = float(np.median(column))
        left = column <= cut if column.max() > cut else column < cut
    return [
        Cluster(cluster.kind, tuple(members[left].tolist())),
        Cluster(cluster.kind, tuple(members[~left].tolist())),
    ]


def _priority(features: AssetFeatures, cluster: Cluster) -> float:
    if len(cluster.members) < 2:
        return 0.0
    size = float(features.size_kwh[list(cluster.members)].sum())
    return float(spread(features, cluster).max()) * size


def singleton_clusters(features: AssetFeatures) -> list[Cluster]:
    """One cluster per active asset: the restricted LP over them is the exact asset model."""
    return [
        Cluster(features.key[index][0], (int(index),)) for index in np.flatnonzero(features.active)
    ]


def initial_clusters(features: AssetFeatures, count: int = DEFAULT_CLUSTER_COUNT) -> list[Cluster]:
    """Group active assets by exact key, then split the widest-by-size group until `count`.

    Returns more than `count` clusters when there are more distinct keys (availability
    patterns) than that; raises nothing.
    """
    groups: dict[tuple, list[int]] = {}
    for index in np.flatnonzero(features.active):
        groups.setdefault(features.key[index], []).append(int(index))
    heap: list[tuple[float, int, Cluster]] = []
    for n, (key, members) in enumerate(groups.items()):
        cluster = Cluster(key[0], tuple(members))
        heapq.heappush(heap, (-_priority(features, cluster), n, cluster))
    tiebreak = len(heap)
    while len(heap) < count and heap and heap[0][0] < 0:
        _, _, widest = heapq.heappop(heap)
        for part in split(features, widest):
            tiebreak += 1
            heapq.heappush(heap, (-_priority(features, part), tiebreak, part))
    return [cluster for _, _, cluster in sorted(heap, key=lambda item: item[1])]
