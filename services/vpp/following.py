"""Are assets following their instructions? Metered load vs baseline on ended intervals.

An asset's delivered reduction in an interval is its baseline (the settlement's method,
PARKVPP_BASELINE_METHOD) minus its metered average kW. Only intervals with a positive
instruction that have ended by "now" and hold measured readings are judged (an interval
without readings is not judged and breaks a run). An asset whose delivery stays below
PARKVPP_FOLLOWING_SHARE_PERCENT of its instruction for PARKVPP_FOLLOWING_INTERVALS
consecutive intervals is treated as failed from the next interval on and re-dispatched.

The check runs when the operator calls CheckDispatchFollowing for a market day, and in
each VPP process every PARKVPP_FOLLOWING_CHECK_S seconds for the market day in progress
(days cleared after they ended, replays such as the demo's, are left to the RPC). A
settled day is final: the RPC refuses it with DaySettled and the periodic check skips it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import redis
from kafka.errors import KafkaError

from bidding.exceptions import BiddingError, InsufficientHistory
from bidding.intervals import INTERVALS_PER_DAY, interval_end, locate
from services.enrollment.registry import Registry
from services.runtime.context import Runtime
from services.runtime.errors import NotFound
from services.vpp.dispatcher import Dispatcher, Outcome
from services.vpp.instructions import MIN_SETPOINT_KW
from services.vpp.plans import DaySettled, PlanRecord

log = logging.getLogger(__name__)

#: The periodic check's first run after start, s.
FIRST_AFTER_S = 30.0


@dataclass(frozen=True)
class NotFollowing:
    asset_id: str
    enterprise_id: str
    intervals: tuple[int, ...]
    failed_from: int


@dataclass
class FollowingReport:
    """What one check saw and did; `redispatch` is set when it re-dispatched."""

    market_day: str
    intervals_checked: int = 0
    not_following: list[NotFollowing] = field(default_factory=list)
    redispatch: Outcome | None = None
    notes: list[str] = field(default_factory=list)


def ended_intervals(day: date, now: datetime) -> int:
    """How many intervals of `day` have ended at `now` (0..96)."""
    return sum(1 for t in range(INTERVALS_PER_DAY) if interval_end(day, t) <= now)


def first_shortfall_run(
    instructed_kw: np.ndarray,
    delivered_kw: np.ndarray,
    intervals: list[int],
    share: float,
    consecutive: int,
) -> tuple[int, tuple[int, ...]]:
    """(intervals judged, the first run of `consecutive` adjacent intervals delivering less
    than `share` of the instruction, or () when there is none). NaN delivery is not judged."""
    judged = 0
    run: list[int] = []
    for t in intervals:
        if np.isnan(delivered_kw[t]):
            run = []
            continue
        judged += 1
        if delivered_kw[t] >= share * instructed_kw[t]:
            run = []
            continue
        run = [*run, t] if run and run[-1] == t - 1 else [t]
        if len(run) >= consecutive:
            return judged, tuple(run)
    return judged, ()


class FollowingCheck:
    """Compares telemetry with a day's plan in force and re-dispatches away from laggards."""

    def __init__(self, runtime: Runtime, dispatcher: Dispatcher, registry: Registry) -> None:
        self.runtime = runtime
        self.dispatcher = dispatcher
        self.registry = registry

    def _judge(self, record: PlanRecord, asset_id: str, ended: int, report: FollowingReport):
        settings = self.runtime.settings
        instructed = record.plan.setpoints_kw[asset_id]
        due = [t for t in range(ended) if instructed[t] >= MIN_SETPOINT_KW]
        if not due:
            return None
        try:
            asset = self.registry.get_asset(asset_id)
        except NotFound:
            return None
        portfolio = self.dispatcher.portfolio
        measured, _ = portfolio.rollups.day_kw(asset.enterprise_id, asset_id, [record.day])[
            record.day
        ]
        try:
            baseline = portfolio.baseline(asset, record.day, settings.baseline_method, due)
        except InsufficientHistory as exc:
            report.notes.append(f"{asset_id}: not judged, {exc}")
            return None
        delivered = baseline.baseline_kw - measured
        judged, run = first_shortfall_run(
            instructed,
            delivered,
            due,
            settings.following_share_percent / 100,
            settings.following_intervals,
        )
        report.intervals_checked += judged
        if not run:
            return None
        return NotFollowing(asset_id, asset.enterprise_id, run, run[-1] + 1)

    def check(self, day: date, now: datetime) -> FollowingReport:
        """Judge every instructed asset not failed yet, re-dispatch those not following.

        Raises DaySettled when the day is settled (its dispatch no longer changes).
        """
        report = FollowingReport(day.isoformat())
        self.dispatcher.plans.refuse_if_settled(day.isoformat())
        record = self.dispatcher.plans.current(day.isoformat())
        if record is None:
            report.notes.append("nothing dispatched on this day")
            return report
        ended = ended_intervals(day, now)
        for asset_id in sorted(record.plan.setpoints_kw):
            if asset_id in record.failed_from:
                continue
            found = self._judge(record, asset_id, ended, report)
            if found is not None:
                report.not_following.append(found)
        failures = {
            n.asset_id: n.failed_from
            for n in report.not_following
            if n.failed_from < INTERVALS_PER_DAY
        }
        if failures:
            report.redispatch = self.dispatcher.redispatch(day, failures, "not_following")
        if report.not_following and report.redispatch is None:
            report.notes.append("no interval left to re-dispatch")
        return report


def start_following_job(
    runtime: Runtime, check: FollowingCheck, every_s: float, now: Callable[[], datetime]
) -> threading.Thread | None:
    """Check the market day in progress every `every_s` seconds (0: never) on a daemon
    thread until the runtime stops; Redis outages and plan errors are logged and retried."""
    if every_s <= 0:
        return None

    def loop() -> None:
        wait_s = FIRST_AFTER_S
        while not runtime.stopping.wait(wait_s):
            wait_s = every_s
            moment = now()
            day, _ = locate(moment)
            try:
                plans = check.dispatcher.plans
                record = plans.current(day.isoformat())
                if record is None or record.replay or plans.settled(day.isoformat()):
                    continue
                report = check.check(day, moment)
            except DaySettled:
                continue  # settled while being checked: final, nothing to re-dispatch
            except (redis.RedisError, KafkaError, BiddingError) as exc:
                log.warning("following check of %s could not run: %s", day, exc)
                continue
            if report.not_following:
                log.warning(
                    "assets not following on %s: %s",
                    day,
                    ", ".join(n.asset_id for n in report.not_following),
                )

    thread = threading.Thread(target=loop, name="dispatch-following", daemon=True)
    thread.start()
    return thread
