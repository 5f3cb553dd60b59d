"""Dispatching a day's awards and re-dispatching them when assets fail: plan, store, stream.

Each plan revision is committed compare-and-set (services.vpp.plans), then its
instructions are published on parkvpp.dispatch.v1 and stored per enterprise under a
marker named after the revision, so a retry after a crash finishes the same revision
(publish first: an event may be sent twice with one event id, never lost).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np

from bidding.assets import CurtailableLoadSpec
from bidding.dispatch import Redispatch, disaggregate
from bidding.intervals import INTERVAL_HOURS, INTERVALS_PER_DAY, interval_end, interval_start
from bidding.offer_model import BidAsset
from parkvpp.v1 import events_pb2
from services.runtime.context import Runtime
from services.runtime.events import TOPIC_DISPATCH
from services.runtime.metrics import record_dispatch_plan
from services.runtime.outbox import OutboxEvent
from services.runtime.rpc import to_ts
from services.vpp.dispatch_store import DispatchStore
from services.vpp.instructions import changed_instructions, from_plain, to_plain
from services.vpp.plans import PlanRecord, PlanStore
from services.vpp.portfolio import Portfolio

log = logging.getLogger(__name__)

#: Attempts at committing a re-dispatch when other revisions of the day keep landing first.
COMMIT_ATTEMPTS = 5


def first_open_interval(day: date, now: datetime) -> int:
    """The first interval of `day` that has not started at `now` (96 when none is left)."""
    for interval in range(INTERVALS_PER_DAY):
        if interval_start(day, interval) >= now:
            return interval
    return INTERVALS_PER_DAY


def is_replay(day: date, cleared_at: datetime | None) -> bool:
    """A day cleared after it ended is a replay (backfill, the demo): nothing in it is past."""
    return cleared_at is not None and cleared_at >= interval_end(day, INTERVALS_PER_DAY - 1)


@dataclass(frozen=True)
class Outcome:
    """A revision and whether this call made it (False: found already applied)."""

    record: PlanRecord
    previous: PlanRecord | None
    created: bool


class Dispatcher:
    """Plans the first dispatch of a day and its re-dispatches; `clock` gives "now"."""

    def __init__(
        self,
        runtime: Runtime,
        portfolio: Portfolio,
        store: DispatchStore,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.runtime = runtime
        self.portfolio = portfolio
        self.store = store
        self.plans = PlanStore(runtime.redis)
        self.clock = clock

    def _deadline(self):
        return to_ts(
            datetime.now(UTC) + timedelta(seconds=self.runtime.settings.dispatch_ack_seconds)
        )

    def _record(self, base: PlanRecord | None, **values) -> PlanRecord:
        """A new revision: instructions from the change against `base`'s in-force ones."""
        day = date.fromisoformat(values["market_day"])
        owners = {**(base.owners if base else {}), **values.pop("owners")}
        in_force = base.in_force if base else {}
        plan = values["plan"]
        by_enterprise, after = changed_instructions(
            day,
            plan.setpoints_kw,
            owners,
            in_force,
            values["revision"],
            values.get("from_interval", 0),
            values["clearing_id"],
            self._deadline(),
        )
        issued = {e: to_plain(items) for e, items in sorted(by_enterprise.items())}
        return PlanRecord(owners=owners, in_force=after, issued=issued, **values)

    def ensure_issued(self, record: PlanRecord) -> int:
        """Store a revision's instructions with their events where not done yet; returns how many
        enterprises got them now (0 when all had them)."""
        done = 0
        for enterprise_id, plain in record.issued.items():
            marker = f"dispatch-{record.market_day}-r{record.revision}"
            if self.store.issued(enterprise_id, marker):
                continue
            items = from_plain(plain)
            event = OutboxEvent.of(
                TOPIC_DISPATCH,
                record.market_day,
                events_pb2.DispatchIssued(market_day=record.market_day, instructions=items),
                enterprise_id,
                event_id=f"{marker}-{enterprise_id}",
            )
            if self.store.issue(marker, enterprise_id, record.market_day, items, event) >= 0:
                done += 1
        if done:
            self.runtime.events_written()
        return done

    def first(self, day: date, awarded_kw: Mapping[int, float], clearing_id: str, cleared_at):
        """Revision 1 of a day from its awards; an existing plan is finished, not redone."""
        current = self.plans.current(day.isoformat())
        if current is None:
            assets = self.portfolio.bid_assets(day)
            # The day ahead's solve waits at background priority; a redispatch does not.
            plan = self.runtime.background.run(disaggregate, awarded_kw, assets)
            record = self._record(
                None,
                market_day=day.isoformat(),
                revision=1,
                clearing_id=clearing_id,
                replay=is_replay(day, cleared_at),
                plan=plan,
                owners={a.asset_id: a.enterprise_id for a in assets},
                reason="awarded",
            )
            if self.plans.commit(record):
                record_dispatch_plan(plan.shortfall_kw)
                current = record
            else:
                current = self.plans.current(day.isoformat())
        assert current is not None
        return self.ensure_issued(current) > 0

    def _earliest(self, assets: list[BidAsset], day: date, now: datetime, replay: bool):
        """First interval a new event of each load may start, given its notification lead."""
        if replay:
            return {}
        out = {}
        for asset in assets:
            if isinstance(asset.spec, CurtailableLoadSpec):
                lead = timedelta(minutes=asset.spec.notification_lead_minutes)
                out[asset.asset_id] = first_open_interval(day, now + lead)
        return out

    def redispatch(
        self,
        day: date,
        failures: Mapping[str, int],
        reason: str,
        report: Mapping[str, object] | None = None,
    ) -> Outcome | None:
        """A revision with `failures` (asset -> first interval it cannot follow) at zero.

        `report` (with its idempotency "key") is recorded with the revision; the revision
        that applied the same key before is returned instead of a new one. None when the
        day has no plan or nothing is left to change (failures already known, or every
        interval past). Raises DaySettled when the day is settled (checked again inside
        the commit, so a settlement sealing the day meanwhile wins).
        """
        key = day.isoformat()
        report_key = str(report["key"]) if report else ""
        for _ in range(COMMIT_ATTEMPTS):
            current = self.plans.current(key)
            if current is None:
                return None
            if report_key and (applied := self.plans.revision_of_report(key, report_key)):
                record = self.plans.get(key, applied)
                assert record is not None
                self.ensure_issued(record)
                return Outcome(record, self.plans.get(key, applied - 1), created=False)
            self.plans.refuse_if_settled(key)
            self.ensure_issued(current)
            outcome = self._attempt(current, failures, reason, dict(report or {}))
            if outcome is None or outcome.created:
                return outcome
        raise RuntimeError(f"re-dispatch of {key} kept losing to concurrent revisions")

    def _attempt(self, current: PlanRecord, failures, reason: str, report: dict[str, object]):
        day = current.day
        now = self.clock()
        open_from = 0 if current.replay else first_open_interval(day, now)
        new = {
            a: f for a, f in failures.items() if f < current.failed_from.get(a, INTERVALS_PER_DAY)
        }
        if not new:
            return None
        boundary = max(open_from, min(new.values()))
        if boundary >= INTERVALS_PER_DAY:
            return None
        failed = {**current.failed_from, **new}
        assets = self.portfolio.bid_assets(day)
        present = {a.asset_id for a in assets}
        plan = disaggregate(
            {t: float(kw) for t, kw in enumerate(current.plan.awarded_kw) if kw > 0},
            assets,
            Redispatch(
                current.plan,
                boundary,
                {a: f for a, f in failed.items() if a in present},
                self._earliest(assets, day, now, current.replay),
            ),
        )
        for asset_id, kept in current.plan.setpoints_kw.items():
            if asset_id not in present:  # withdrawn since: nothing more from it
                plan.setpoints_kw[asset_id] = np.concatenate(
                    [kept[:boundary], np.zeros(INTERVALS_PER_DAY - boundary)]
                )
        record = self._record(
            current,
            market_day=current.market_day,
            revision=current.revision + 1,
            clearing_id=current.clearing_id,
            replay=current.replay,
            plan=plan,
            owners={a.asset_id: a.enterprise_id for a in assets},
            failed_from=failed,
            from_interval=boundary,
            reason=reason,
            report=report,
        )
        if not self.plans.commit(record, str(report.get("key", ""))):
            return Outcome(current, None, created=False)  # lost the race: compute again
        record_dispatch_plan(plan.shortfall_kw, redispatch_reason=reason)
        self.ensure_issued(record)
        log.info(
            "re-dispatched %s from interval %d (revision %d, %s)",
            current.market_day,
            boundary,
            record.revision,
            reason,
            extra={"failed": sorted(new), "shortfall_kwh": plan.shortfall_kwh},
        )
        return Outcome(record, current, created=True)


def changes_kwh(outcome: Outcome) -> dict[str, float]:
    """Per asset, instructed energy from the re-dispatch boundary on, new minus old."""
    record, previous = outcome.record, outcome.previous
    if previous is None:
        return {}
    start = record.from_interval
    out = {}
    for asset_id in sorted(set(record.plan.setpoints_kw) | set(previous.plan.setpoints_kw)):
        new = record.plan.setpoints_kw.get(asset_id, np.zeros(INTERVALS_PER_DAY))[start:]
        old = previous.plan.setpoints_kw.get(asset_id, np.zeros(INTERVALS_PER_DAY))[start:]
        delta = float((np.clip(new, 0, None) - np.clip(old, 0, None)).sum() * INTERVAL_HOURS)
        if abs(delta) >= 1e-3:
            out[asset_id] = delta
    return out
