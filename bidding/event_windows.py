"""Event schedules of a curtailable load: the rules, their profiles, and the best one by DP.

A schedule is at most `max_events_per_day` events, each as long as an allowed event, in
available intervals; each event is called at a level in [0, 1]:

- an event of L intervals lasts [ceil(min_event_minutes / 15), floor(max_event_minutes /
  15)] intervals and sheds level x the load's up kW in each of them (`event_profiles`);
  every interval must be available (up kW > 0, which already encodes availability
  windows and notification lead time);
- rebound: the shed energy times `rebound_fraction` comes back spread evenly over the L
  intervals right after an event of L intervals. That tail must end by midnight and the
  next event starts only after it (with no rebound, one interval after the event), so
  an event and its rebound never mix.

`best_schedules` finds, for many rows (a load in a scenario) at once, the schedule worth
most at given per-interval values (the column generation's pricing step); `all_schedules`
lists every schedule of a small load.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bidding.assets import CurtailableLoadSpec
from bidding.intervals import INTERVAL_MINUTES, INTERVALS_PER_DAY

T = INTERVALS_PER_DAY
#: Rows (load x scenario) per vectorised pricing DP: fewer Python steps, ~30 MB tables.
PRICING_CHUNK_ROWS = 2500


@dataclass(frozen=True, order=True)
class EventWindow:
    """Curtailment in [start, start + length); rebound, if any, in the next `length` intervals."""

    start: int
    length: int

    @property
    def end(self) -> int:
        return self.start + self.length

    def rebound_end(self, rebound_fraction: float) -> int:
        return self.end + self.length if rebound_fraction > 0 else self.end


def event_length_limits(spec: CurtailableLoadSpec) -> tuple[int, int]:
    """(shortest, longest) event in whole intervals; shortest > longest means no event fits."""
    shortest = max(1, math.ceil(spec.min_event_minutes / INTERVAL_MINUTES))
    longest = min(T, spec.max_event_minutes // INTERVAL_MINUTES)
    return shortest, longest


def event_profiles(
    up_kw: np.ndarray, rebound_fraction: float, windows: tuple[EventWindow, ...]
) -> np.ndarray:
    """Net reduction (windows x 96, kW) of calling each window in full.

    A call at fraction x in [0, 1] sheds x times the load's up kW in every interval of
    the window, then draws x times rebound_fraction x the shed energy back, spread evenly
    over the `length` intervals after it (negative net reduction there).
    """
    profiles = np.zeros((len(windows), T))
    for k, window in enumerate(windows):
        shed = np.asarray(up_kw[window.start : window.end], dtype=float)
        profiles[k, window.start : window.end] = shed
        if rebound_fraction > 0:
            profiles[k, window.end : window.end + window.length] = (
                -rebound_fraction * shed.sum() / window.length
            )
    return profiles


def _gap_after(length: int, rebound: bool) -> int:
    """Intervals from a window's start to the earliest start of the next one."""
    return 2 * length if rebound else length + 1


def _best_windows(
    values: np.ndarray, shortest: int, longest: int, count: int, rebound: np.ndarray
) -> list[tuple[EventWindow, ...]]:
    """Up to `count` non-overlapping windows per load maximising the summed value (DP)."""
    loads = values.shape[0]
    pad = 2 * longest + 2
    best = np.zeros((T + pad, count + 1, loads))
    choice = np.zeros((T, count + 1, loads), dtype=np.int64)
    lengths = np.arange(shortest, longest + 1)
    rows = np.arange(loads)
    for i in range(T - 1, -1, -1):
        nxt = np.where(rebound[:, None], i + 2 * lengths, i + lengths + 1)  # (loads, lengths)
        here = values[:, i, shortest : longest + 1]
        for k in range(1, count + 1):
            skip = best[i + 1, k]
            take = here + best[nxt, k - 1, rows[:, None]]
            pick = np.argmax(take, axis=1)
            top = take[rows, pick]
            better = top > skip
            best[i, k] = np.where(better, top, skip)
            choice[i, k] = np.where(better, lengths[pick], 0)
    out: list[tuple[EventWindow, ...]] = []
    for a in range(loads):
        windows, i, k = [], 0, count
        while i < T and k > 0:
            length = int(choice[i, k, a])
            if length == 0:
                i += 1
                continue
            windows.append(EventWindow(i, length))
            i += _gap_after(length, bool(rebound[a]))
            k -= 1
        out.append(tuple(windows))
    return out


@dataclass(frozen=True)
class EventRules:
    """Event rules in whole intervals: length in [shortest, longest], at most `count` a day."""

    shortest: int
    longest: int
    count: int


def event_rules(specs: list[CurtailableLoadSpec]) -> EventRules | None:
    """The rules loads called together must all obey (one load: its own); None if none fit.

    Lengths: the longest minimum and the shortest maximum (minutes rounded inwards to
    whole intervals); count: the smallest `max_events_per_day`, capped at what fits in a day.
    """
    limits = [event_length_limits(spec) for spec in specs]
    shortest = max(low for low, _ in limits)
    longest = min(high for _, high in limits)
    if shortest > longest:
        return None
    count = min(min(spec.max_events_per_day for spec in specs), T // (shortest + 1) + 1)
    return EventRules(shortest, longest, count)


def _schedule_values(
    up: np.ndarray,
    wcost: np.ndarray,
    rho: np.ndarray,
    values: np.ndarray,
    drawn: np.ndarray,
    longest: int,
) -> np.ndarray:
    """value[r, i, L] of an event of length L from i for row r at per-kW worth `values`.

    Row r is one load in one scenario: `up` (R, T) kW, `wcost` (R,) the weighted
    curtailment cost per kW-interval, `rho` (R,) the rebound fraction, `values` (R, T) what
    a kW of net reduction is worth in each interval and `drawn` (R, T) what a kW drawn back
    costs. An event sheds up kW over [i, i+L)
    and draws rho x the shed energy back evenly over [i+L, i+2L) (-inf where it does not
    fit the day or meets an unavailable interval).
    """
    rows = up.shape[0]
    out = np.full((rows, T, longest + 1), -np.inf)

    def running(x: np.ndarray) -> np.ndarray:
        return np.concatenate([np.zeros((rows, 1)), np.cumsum(x, axis=1)], axis=1)

    worth_sum = running(up * values)
    up_sum = running(up)
    value_sum = running(drawn)
    off_sum = running((up <= 0).astype(float))
    rebound = rho > 0
    for length in range(1, longest + 1):
        starts = np.arange(T - length + 1)
        ends = starts + length
        shed = up_sum[:, ends] - up_sum[:, starts]
        value = worth_sum[:, ends] - worth_sum[:, starts] - wcost[:, None] * shed
        tail_end = np.minimum(ends + length, T)
        tail = value_sum[:, tail_end] - value_sum[:, ends]
        value -= (rho[:, None] * shed / length) * tail
        fits = ends + length <= T
        value[rebound[:, None] & ~fits[None, :]] = -np.inf
        value[(off_sum[:, ends] - off_sum[:, starts]) > 0] = -np.inf
        out[:, : T - length + 1, length] = value
    return out


def best_schedules(
    rule: EventRules,
    up_kw: np.ndarray,
    weighted_cost: np.ndarray,
    rebound_fraction: np.ndarray,
    values: np.ndarray,
    drawn: np.ndarray | None = None,
) -> tuple[list[tuple[EventWindow, ...]], np.ndarray]:
    """Each row's best event schedule under `rule` and its value (dynamic programming).

    Rows (loads in scenarios) share the rule; see `_schedule_values` for the arrays. A
    schedule holds at most `rule.count` events of `rule.shortest..rule.longest` intervals,
    each called in full, the next starting after the previous one's rebound; only events
    worth more than nothing are taken. Returns (schedules, values), value 0 for none.
    """
    up = np.asarray(up_kw, dtype=float)
    drawn = values if drawn is None else drawn
    chosen: list[tuple[EventWindow, ...]] = []
    worth = np.zeros(up.shape[0])
    for first in range(0, up.shape[0], PRICING_CHUNK_ROWS):
        part = slice(first, first + PRICING_CHUNK_ROWS)
        rho = np.asarray(rebound_fraction, dtype=float)[part]
        table = _schedule_values(
            up[part],
            np.asarray(weighted_cost, dtype=float)[part],
            rho,
            np.asarray(values, dtype=float)[part],
            np.asarray(drawn, dtype=float)[part],
            rule.longest,
        )
        picked = _best_windows(table, rule.shortest, rule.longest, rule.count, rho > 0)
        for r, windows in enumerate(picked):
            worth[first + r] = sum(table[r, w.start, w.length] for w in windows)
        chosen.extend(picked)
    return chosen, worth


def all_schedules(
    rule: EventRules, up_kw: np.ndarray, rebound: bool, limit: int
) -> list[tuple[EventWindow, ...]] | None:
    """Every schedule a load may hold under `rule` (the empty one included), or None when
    there are more than `limit`. Events lie in available intervals (up kW > 0), the next
    starts after the previous one's rebound, and a rebound ends by midnight."""
    up = np.asarray(up_kw, dtype=float)
    events = [
        EventWindow(start, length)
        for length in range(rule.shortest, rule.longest + 1)
        for start in range(T - length + 1)
        if np.all(up[start : start + length] > 0) and (not rebound or start + 2 * length <= T)
    ]
    events.sort()
    found: list[tuple[EventWindow, ...]] = [()]
    frontier: list[tuple[EventWindow, ...]] = [()]
    for _ in range(rule.count):
        grown = []
        for schedule in frontier:
            free = (
                0 if not schedule else schedule[-1].start + _gap_after(schedule[-1].length, rebound)
            )
            grown.extend((*schedule, e) for e in events if e.start >= free)
            if len(found) + len(grown) > limit:
                return None
        found.extend(grown)
        frontier = grown
    return found
