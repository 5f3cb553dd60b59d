"""Dispatch plans as plain data: curtailment events, setpoints, shortfall, re-dispatch input."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from bidding.assets import BatterySpec, CurtailableLoadSpec
from bidding.exceptions import InvalidInput
from bidding.intervals import INTERVAL_HOURS, INTERVALS_PER_DAY, check_interval
from bidding.offer_model import FEN_PER_KW_INTERVAL, BidAsset
from bidding.process_runs import move_cost_fen

#: Shortfall and surplus below this (kW) are solver noise, reported as zero.
SHORTFALL_TOLERANCE_KW = 1e-4


@dataclass(frozen=True)
class CurtailmentEvent:
    """One curtailment of a load: starts at `start`, the kW shed in each of its intervals.

    A fresh event sheds one share of the load's up kW throughout; a re-dispatch may
    change the share of an event under way from some interval on.
    """

    start: int
    levels_kw: tuple[float, ...]

    @property
    def length(self) -> int:
        return len(self.levels_kw)

    @property
    def end(self) -> int:
        """First interval after the event (exclusive end)."""
        return self.start + self.length

    def rebound_kw(self, rebound_fraction: float) -> float:
        """Extra load in each of the `length` intervals after the event."""
        return rebound_fraction * sum(self.levels_kw) / self.length


def event_intervals(minutes_low: int, minutes_high: int) -> tuple[int, int]:
    """Shortest and longest event in whole intervals: minimum rounded up, maximum down."""
    step = round(INTERVAL_HOURS * 60)
    return max(1, -(-minutes_low // step)), min(INTERVALS_PER_DAY, minutes_high // step)


def load_profile_kw(events: tuple[CurtailmentEvent, ...], rebound_fraction: float) -> np.ndarray:
    """A load's net reduction (96 kW) from its events: levels during, rebound after."""
    profile = np.zeros(INTERVALS_PER_DAY)
    for event in events:
        profile[event.start : event.end] += np.asarray(event.levels_kw)
        if rebound_fraction > 0:
            stop = min(INTERVALS_PER_DAY, event.end + event.length)
            profile[event.end : stop] -= event.rebound_kw(rebound_fraction)
    return profile


@dataclass(frozen=True)
class DispatchPlan:
    """Setpoints (net reduction kW, 96 per asset), the loads' events and what is missing.

    `shortfall_kw[t]`: award not met at t; `surplus_kw[t]`: net reduction above the award
    (only when an event under way or a failure leaves no other way). `cost_fen`:
    curtailment plus degradation cost of the setpoints; `relative_gap`: the solver's
    proven gap of the last optimisation (0 when optimal); `method`: "milp" (the exact
    model, `bidding.dispatch_model`) or "columns" (`bidding.dispatch_columns`).
    `run_starts`: the interval each moved shiftable run starts at (a run not listed stays
    where the park has it; its setpoints are then zero).
    """

    awarded_kw: np.ndarray
    setpoints_kw: dict[str, np.ndarray]
    events: dict[str, tuple[CurtailmentEvent, ...]]
    shortfall_kw: np.ndarray
    surplus_kw: np.ndarray
    cost_fen: float
    relative_gap: float = 0.0
    method: str = "milp"
    run_starts: dict[str, int] = field(default_factory=dict)

    @property
    def shortfall_kwh(self) -> float:
        return float(self.shortfall_kw.sum() * INTERVAL_HOURS)


@dataclass(frozen=True)
class Redispatch:
    """What a re-dispatch keeps: the plan in force before `from_interval`, and who failed.

    `failed_from[asset]` is the first interval the asset is held at zero (never before
    `from_interval`, which is what has not happened yet); `earliest_start[asset]` the
    first interval a new event of that load may start (notification lead).
    """

    plan: DispatchPlan
    from_interval: int
    failed_from: Mapping[str, int] = field(default_factory=dict)
    earliest_start: Mapping[str, int] = field(default_factory=dict)


def award_profile(awarded_kw: Mapping[int, float]) -> np.ndarray:
    """96 kW values from {interval: kW}; InvalidInput for a bad interval or value."""
    award = np.zeros(INTERVALS_PER_DAY)
    for interval, kw in awarded_kw.items():
        check_interval(interval, "awarded_kw")
        if not (isinstance(kw, int | float) and math.isfinite(kw) and kw >= 0):
            raise InvalidInput(f"awarded_kw[{interval}]", "must be finite and >= 0")
        award[interval] = kw
    return award


def check_redispatch(redispatch: Redispatch, award: np.ndarray) -> None:
    if not 0 <= redispatch.from_interval <= INTERVALS_PER_DAY:
        raise InvalidInput("redispatch.from_interval", f"must be 0..{INTERVALS_PER_DAY}")
    if not np.allclose(redispatch.plan.awarded_kw, award):
        raise InvalidInput("redispatch.plan", "was made for another award")
    for asset_id, interval in redispatch.failed_from.items():
        check_interval(interval, f"redispatch.failed_from[{asset_id}]")


def plan_cost_fen(
    setpoints_kw: Mapping[str, np.ndarray],
    assets: list[BidAsset],
    run_starts: Mapping[str, int] | None = None,
) -> float:
    """Curtailment cost of loads' reductions plus degradation of batteries' discharge plus
    the move cost of each run moved to `run_starts`."""
    total = 0.0
    for asset in assets:
        spec = asset.spec
        if asset.run is not None:
            moved_to = (run_starts or {}).get(asset.asset_id)
            if moved_to is not None:
                total += move_cost_fen(asset.run, asset.run.baseline_profile_index, moved_to)
            continue
        rate = (
            spec.curtailment_cost_fen_per_mwh
            if isinstance(spec, CurtailableLoadSpec)
            else spec.degradation_cost_fen_per_mwh
            if isinstance(spec, BatterySpec)
            else 0
        )
        reduced = np.clip(setpoints_kw.get(asset.asset_id, np.zeros(1)), 0, None).sum()
        total += float(reduced) * rate * FEN_PER_KW_INTERVAL
    return total


def award_gaps(
    award: np.ndarray, setpoints: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Per interval, award the setpoints miss (awarded intervals only) and what they
    deliver above it; values below SHORTFALL_TOLERANCE_KW count as 0."""
    total = np.sum(list(setpoints.values()), axis=0) if setpoints else np.zeros(len(award))
    short = np.where(award > 0, np.clip(award - total, 0, None), 0.0)
    surplus = np.clip(total - award, 0, None)
    short[short < SHORTFALL_TOLERANCE_KW] = 0.0
    surplus[surplus < SHORTFALL_TOLERANCE_KW] = 0.0
    return short, surplus
