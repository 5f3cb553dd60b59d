"""Settlement runs and statements in Redis: append-only versions, none ever rewritten."""

from __future__ import annotations

from collections.abc import Callable

import redis

from parkvpp.v1 import settlement_pb2 as pb
from services.runtime.errors import NotFound
from services.runtime.outbox import Outbox, OutboxEvent
from services.runtime.store import shared_key

#: The settlement's hash tag: runs, statements and the settlement outbox share one slot.
TAG = "settlement"


def _key(day: str, *parts: str) -> str:
    return shared_key(TAG, day, *parts)


class RunStore:
    """Append-only versions of a day's settlement: version 1 settles, later ones correct."""

    def __init__(self, client: redis.Redis, events: Outbox | None = None) -> None:
        self.redis = client
        self.outbox = events or Outbox(client)

    def latest(self, day: str) -> pb.SettlementRun | None:
        raw = self.redis.lindex(_key(day, "runs"), -1)
        return pb.SettlementRun.FromString(raw) if raw is not None else None

    def get(self, day: str, version: int) -> pb.SettlementRun:
        """Raises NotFound when the day has no such version."""
        raw = self.redis.lindex(_key(day, "runs"), version - 1) if version > 0 else None
        if raw is None:
            raise NotFound(f"no settlement version {version} for {day}")
        return pb.SettlementRun.FromString(raw)

    def append(
        self,
        run: pb.SettlementRun,
        statements: list[pb.Statement],
        event_of: Callable[[pb.SettlementRun], OutboxEvent] | None = None,
        after_version: int = 0,
    ) -> tuple[pb.SettlementRun, bool]:
        """Store `run` as version after_version + 1 with its statements and the event
        `event_of` makes of it (in the settlement outbox), atomically.

        Returns (stored run, created). When the day does not hold exactly `after_version`
        versions (a concurrent call issued one first), nothing is written and the latest
        version is returned with created=False.
        """
        day = run.market_day
        runs_key = _key(day, "runs")
        with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(runs_key)
                    if int(pipe.llen(runs_key)) != after_version:
                        pipe.reset()
                        latest = self.latest(day)
                        assert latest is not None
                        return latest, False
                    run.version = after_version + 1
                    run.run_id = f"{day}-v{run.version}"
                    pipe.multi()
                    pipe.rpush(runs_key, run.SerializeToString())
                    for statement in statements:
                        statement.run_id, statement.version = run.run_id, run.version
                        pipe.set(
                            _key(day, f"v{run.version}", "statement", statement.enterprise_id),
                            statement.SerializeToString(),
                        )
                    if event_of is not None:
                        self.outbox.add_to(pipe, TAG, [event_of(run)])
                    pipe.execute()
                    return run, True
                except redis.WatchError:
                    continue

    def statement(self, day: str, enterprise_id: str, version: int) -> pb.Statement:
        """Raises NotFound when the enterprise has no statement in that version."""
        if version == 0:
            latest = self.latest(day)
            if latest is None:
                raise NotFound(f"no settlement for {day}")
            version = latest.version
        raw = self.redis.get(_key(day, f"v{version}", "statement", enterprise_id))
        if raw is None:
            raise NotFound(f"no statement for {enterprise_id} on {day} version {version}")
        return pb.Statement.FromString(raw)
