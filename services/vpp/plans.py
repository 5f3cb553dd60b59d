"""Revisions of a market day's dispatch plan in Redis, written compare-and-set.

Keys share the hash tag `{dispatch-<day>}`: plan:current (latest revision number),
plan:<n> (revision n as JSON), reports (report key -> revision that applied it) and
settled (hash: the revision settlement fixed the day at, the latest settled version).
A revision is written only on top of the one it was computed from, so two re-dispatches
racing for one day never lose each other's failures: the loser computes again.

Settled is final: settlement seals the day at the revision it computed from (only if it
is still the current one), in the same slot and script family as the commit, and the
commit refuses every revision once the seal is there. So a re-dispatch either lands
before the seal (and settlement computes again from it) or is refused with DaySettled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import redis

from bidding.dispatch import CurtailmentEvent, DispatchPlan
from services.runtime.errors import FailedPrecondition
from services.runtime.store import shared_key

_COMMIT = """
-- KEYS: current, new revision, reports, settled; ARGV: expected revision, JSON, report
-- key or ''. Returns the new revision, 0 when stale, -1 when the day is settled.
if redis.call('HEXISTS', KEYS[4], 'revision') == 1 then return -1 end
if tonumber(redis.call('GET', KEYS[1]) or '0') ~= tonumber(ARGV[1]) then return 0 end
local revision = tonumber(ARGV[1]) + 1
redis.call('SET', KEYS[2], ARGV[2])
redis.call('SET', KEYS[1], revision)
if ARGV[3] ~= '' then redis.call('HSET', KEYS[3], ARGV[3], revision) end
return revision
"""

_SEAL = """
-- KEYS: current, settled; ARGV: revision. Returns the sealed revision (an earlier seal's
-- if there is one), 0 when `revision` is no longer the current one.
local sealed = redis.call('HGET', KEYS[2], 'revision')
if sealed then return tonumber(sealed) end
if tonumber(redis.call('GET', KEYS[1]) or '0') ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[2], 'revision', ARGV[1])
return tonumber(ARGV[1])
"""

_SETTLED_VERSION = """
-- KEYS: settled; ARGV: version. Versions only grow.
if tonumber(redis.call('HGET', KEYS[1], 'version') or '0') < tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'version', ARGV[1])
end
"""


def _key(day: str, *parts: str) -> str:
    return shared_key(f"dispatch-{day}", *parts)


class DaySettled(FailedPrecondition):
    """The day is settled: its dispatch is fixed at `revision`, `version` the latest
    settled version (0 while the first one is being issued)."""

    def __init__(self, day: str, revision: int, version: int) -> None:
        state = f"is settled (settlement version {version})" if version else "is being settled"
        super().__init__(
            f"market day {day} {state} at dispatch revision {revision}: its dispatch no "
            "longer changes; a correction is a new settlement version by the ESCO"
        )
        self.day, self.revision, self.version = day, revision, version


#: (instruction id, kW) in force per asset and interval.
InForce = dict[str, dict[int, tuple[str, float]]]


@dataclass
class PlanRecord:
    """One revision of a day's plan with what the service layer needs around it.

    `replay`: the day was cleared after it ended (a replay such as the demo's), so no
    interval counts as past for its re-dispatches. `in_force`: the instruction each
    asset has per interval after this revision; `issued`: this revision's instructions
    per enterprise, as stored and streamed.
    """

    market_day: str
    revision: int
    clearing_id: str
    replay: bool
    plan: DispatchPlan
    owners: dict[str, str]
    failed_from: dict[str, int] = field(default_factory=dict)
    from_interval: int = 0
    reason: str = ""
    #: The failure report that made this revision: report key, asset_id, from_interval.
    report: dict[str, object] = field(default_factory=dict)
    in_force: InForce = field(default_factory=dict)
    issued: dict[str, list[dict]] = field(default_factory=dict)

    @property
    def day(self) -> date:
        return date.fromisoformat(self.market_day)

    def to_json(self) -> str:
        plan = self.plan
        return json.dumps(
            {
                "market_day": self.market_day,
                "revision": self.revision,
                "clearing_id": self.clearing_id,
                "replay": self.replay,
                "awarded_kw": plan.awarded_kw.tolist(),
                "setpoints_kw": {a: v.tolist() for a, v in plan.setpoints_kw.items()},
                "events": {
                    a: [[e.start, list(e.levels_kw)] for e in events]
                    for a, events in plan.events.items()
                },
                "shortfall_kw": plan.shortfall_kw.tolist(),
                "surplus_kw": plan.surplus_kw.tolist(),
                "cost_fen": plan.cost_fen,
                "relative_gap": plan.relative_gap,
                "method": plan.method,
                "run_starts": plan.run_starts,
                "owners": self.owners,
                "failed_from": self.failed_from,
                "from_interval": self.from_interval,
                "reason": self.reason,
                "report": self.report,
                "in_force": {
                    a: {str(t): list(v) for t, v in per.items()} for a, per in self.in_force.items()
                },
                "issued": self.issued,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, raw: bytes | str) -> PlanRecord:
        d = json.loads(raw)
        plan = DispatchPlan(
            awarded_kw=np.array(d["awarded_kw"]),
            setpoints_kw={a: np.array(v) for a, v in d["setpoints_kw"].items()},
            events={
                a: tuple(CurtailmentEvent(s, tuple(levels)) for s, levels in events)
                for a, events in d["events"].items()
            },
            shortfall_kw=np.array(d["shortfall_kw"]),
            surplus_kw=np.array(d["surplus_kw"]),
            cost_fen=d["cost_fen"],
            relative_gap=d["relative_gap"],
            method=d.get("method", "milp"),  # plans stored before there was a choice
            run_starts=d.get("run_starts", {}),  # plans stored before runs moved
        )
        return cls(
            market_day=d["market_day"],
            revision=d["revision"],
            clearing_id=d["clearing_id"],
            replay=d["replay"],
            plan=plan,
            owners=d["owners"],
            failed_from={a: int(t) for a, t in d["failed_from"].items()},
            from_interval=d["from_interval"],
            reason=d["reason"],
            report=d["report"],
            in_force={
                a: {int(t): (v[0], float(v[1])) for t, v in per.items()}
                for a, per in d["in_force"].items()
            },
            issued=d["issued"],
        )


class PlanStore:
    """Reads revisions and commits a new one on top of the revision it was made from."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client
        self._commit = client.register_script(_COMMIT)
        self._seal = client.register_script(_SEAL)
        self._settled_version = client.register_script(_SETTLED_VERSION)

    def current(self, day: str) -> PlanRecord | None:
        revision = self.current_revision(day)
        return self.get(day, revision) if revision else None

    def current_revision(self, day: str) -> int:
        """The day's latest committed revision, 0 before the first. A revision's record
        is written once (commit), so (day, revision) names its content."""
        return int(self.redis.get(_key(day, "plan", "current")) or 0)

    def get(self, day: str, revision: int) -> PlanRecord | None:
        raw = self.redis.get(_key(day, "plan", str(revision)))
        return PlanRecord.from_json(raw) if raw else None

    def revision_of_report(self, day: str, report_key: str) -> int:
        """The revision that applied a report, 0 when none did."""
        return int(self.redis.hget(_key(day, "reports"), report_key) or 0)

    def commit(self, record: PlanRecord, report_key: str = "") -> bool:
        """Store `record` as revision record.revision if the day is still one revision
        behind it; False (nothing written) when another revision got there first.

        Raises DaySettled (nothing written) when the day is settled.
        """
        day = record.market_day
        keys = [
            _key(day, "plan", "current"),
            _key(day, "plan", str(record.revision)),
            _key(day, "reports"),
            _key(day, "settled"),
        ]
        args = [record.revision - 1, record.to_json(), report_key]
        revision = int(self._commit(keys=keys, args=args))
        if revision < 0:
            self.refuse_if_settled(day)
        return revision == record.revision

    def settled(self, day: str) -> tuple[int, int] | None:
        """(dispatch revision the day is settled at, latest settled version or 0), or None."""
        revision, version = self.redis.hmget(_key(day, "settled"), ["revision", "version"])
        return None if revision is None else (int(revision), int(version or 0))

    def refuse_if_settled(self, day: str) -> None:
        """Raises DaySettled when the day is settled."""
        if (settled := self.settled(day)) is not None:
            raise DaySettled(day, *settled)

    def seal(self, day: str, revision: int) -> int:
        """Fix the day's dispatch at `revision` if it is still the current one.

        Returns the revision the day is sealed at (an earlier seal's, whatever `revision`
        says), or 0 when another revision was committed since (compute again from it).
        """
        keys = [_key(day, "plan", "current"), _key(day, "settled")]
        return int(self._seal(keys=keys, args=[revision]))

    def record_settled_version(self, day: str, version: int) -> None:
        """Note the latest issued settlement version beside the seal (for refusals)."""
        self._settled_version(keys=[_key(day, "settled")], args=[version])
