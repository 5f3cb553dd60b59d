"""Shiftable loads in the bid and the dispatch: a run that must happen but may move.

An enrolled `ShiftableLoadSpec` says what a run looks like (energy, length, power) and
where it may go: inside [earliest_start_interval, latest_end_interval). The meter history
says where the park runs it without the VPP: the forecast's heaviest stretch of the run's
length inside that window is the baseline placement (`shiftable_run`). A forecast holding
less than half the run's energy there, above the meter's usual (median) level in the
window, means the run is not expected that day, and so has nothing to move.

What moving earns is the baseline less the moved run, interval by interval: a reduction
(sold as demand response) where the run would have been, extra load (bought as energy,
like a curtailment's rebound) where it goes. `run_placements` lists every placement of a
run with that reduction profile and its move cost; the bidder's column generation
(`bidding.column_generation`) prices them like a load's event schedules, and the
dispatch MILP (`bidding.dispatch_model`) picks one by binaries. A run is never split:
it moves whole, or stays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bidding.assets import ShiftableLoadSpec, validate_spec
from bidding.exceptions import InvalidInput
from bidding.flexibility import AssetEnvelope
from bidding.intervals import INTERVAL_HOURS, INTERVALS_PER_DAY, minutes_to_intervals
from bidding.process_runs import RunSpec, check_run, fixed_run, move_cost_fen

T = INTERVALS_PER_DAY
#: A forecast holding less than this share of a run's energy in its window: no run that day.
MIN_FORECAST_SHARE = 0.5


@dataclass(frozen=True)
class RunPlacements:
    """Every placement of one run: its start, profile, reduction below the baseline (kW, 96
    per placement; negative where the moved run adds load) and move cost (fen).

    Placement `baseline` is the run where the park would have it (reduction all zero).
    """

    run: RunSpec
    start: np.ndarray  # (P,)
    profile_index: np.ndarray  # (P,)
    reduction_kw: np.ndarray  # (P, 96)
    move_cost_fen: np.ndarray  # (P,)
    baseline: int

    @property
    def movable(self) -> bool:
        return len(self.start) > 1


def run_placements(run: RunSpec, field: str = "run") -> RunPlacements:
    """All placements of `run` over the day (validated: InvalidInput naming `field`...)."""
    check_run(run, field, T)
    baseline_kw = np.zeros(T)
    base_profile = run.profiles_kw[run.baseline_profile_index]
    base_start = run.baseline_start_interval
    baseline_kw[base_start : base_start + len(base_profile)] = base_profile
    starts, indices, rows, costs = [], [], [], []
    baseline = 0
    for k, profile in enumerate(run.profiles_kw):
        for s in range(run.earliest_start_interval, run.deadline_interval - len(profile) + 1):
            if (k, s) == (run.baseline_profile_index, base_start):
                baseline = len(starts)
            placed = np.zeros(T)
            placed[s : s + len(profile)] = profile
            starts.append(s)
            indices.append(k)
            rows.append(baseline_kw - placed)
            costs.append(move_cost_fen(run, k, s))
    return RunPlacements(
        run,
        np.array(starts, dtype=int),
        np.array(indices, dtype=int),
        np.array(rows, dtype=float).reshape(len(starts), T),
        np.array(costs, dtype=float),
        baseline,
    )


def shiftable_run(
    spec: ShiftableLoadSpec, forecast_kw: Sequence[float] | np.ndarray
) -> RunSpec | None:
    """The enrolled run as the park would place it on a day with this forecast, or None
    when the forecast shows no run in the window (module docstring).

    The run draws energy_per_run_kwh evenly over its whole intervals. Raises InvalidInput
    for a bad spec (naming its field) or a forecast that is not 96 finite values.
    """
    validate_spec(spec, "shiftable_load")
    forecast = np.asarray(forecast_kw, dtype=float)
    if forecast.shape != (T,) or not np.all(np.isfinite(forecast)):
        raise InvalidInput("forecast_load_kw", f"must be {T} finite values")
    length = minutes_to_intervals(spec.run_duration_minutes)
    kw = spec.energy_per_run_kwh / (length * INTERVAL_HOURS)
    first, last = spec.earliest_start_interval, spec.latest_end_interval - length
    # What the meter draws above its usual level inside the window (its median there): a
    # steady base load alone is no run.
    drawn = forecast.clip(min=0)
    drawn = (drawn - np.median(drawn[first : spec.latest_end_interval])).clip(min=0)
    window_kwh = np.array([drawn[s : s + length].sum() for s in range(first, last + 1)])
    window_kwh *= INTERVAL_HOURS
    if window_kwh.max() < MIN_FORECAST_SHARE * spec.energy_per_run_kwh:
        return None
    baseline = first + int(np.argmax(window_kwh))
    return fixed_run(
        (kw,) * length,
        earliest_start_interval=first,
        deadline_interval=spec.latest_end_interval,
        baseline_start_interval=baseline,
    )


def run_envelope(asset_id: str, placements: RunPlacements | None) -> AssetEnvelope:
    """Per interval the most the run can take off (up) and add (down) against its baseline
    in some placement; each interval's figure comes from its own placement, so they are not
    achievable together. A run that cannot move (or no run) has a zero envelope."""
    zeros = np.zeros(T)
    if placements is None or not placements.movable:
        return AssetEnvelope(asset_id, zeros, zeros.copy(), zeros.copy(), zeros.copy(), 0.0)
    reduction = placements.reduction_kw
    up = reduction.max(axis=0).clip(min=0)
    down = (-reduction).max(axis=0).clip(min=0)
    energy = float(up.sum() * INTERVAL_HOURS)
    return AssetEnvelope(asset_id, up, down, zeros.copy(), zeros.copy(), energy)


def best_placements(
    placements: RunPlacements,
    sold: np.ndarray,
    drawn: np.ndarray,
    move_weight: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """For each row r of `sold`/`drawn` (R x 96: what a kW reduced earns, what a kW added
    costs, per interval): the best placement and its worth, reduction at `sold`, extra load
    at `drawn`, less move cost x `move_weight[r]`. The baseline (worth 0) wins ties."""
    reduction = placements.reduction_kw
    worth = (
        sold @ reduction.clip(min=0).T
        + drawn @ reduction.clip(max=0).T
        - move_weight[:, None] * placements.move_cost_fen[None, :]
    )
    worth[:, placements.baseline] = 0.0
    best = np.argmax(worth, axis=1)
    value = worth[np.arange(len(best)), best]
    best = np.where(value > 0, best, placements.baseline)
    return best, np.maximum(value, 0.0)
