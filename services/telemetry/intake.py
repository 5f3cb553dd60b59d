"""Telemetry events into the outbox in one round trip, refused while the broker is behind."""

from __future__ import annotations

from collections.abc import Mapping

import redis
from redis.exceptions import NoScriptError

from services.runtime.errors import Unavailable
from services.runtime.outbox import OUTBOX_LUA, Outbox, OutboxEvent

_CHECKED_ADD = (
    OUTBOX_LUA
    + """
-- KEYS[1]: an outbox stream. ARGV[1]: most events it may hold, ARGV[2..5]: the event's
-- topic, key, id and envelope. Appends the event unless the stream already holds the
-- most; returns how many it held before.
local waiting = redis.call('XLEN', KEYS[1])
if waiting < tonumber(ARGV[1]) then outbox_add(KEYS[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]) end
return waiting
"""
)


class CheckedOutbox:
    """Appends one event per enterprise, each only while its outbox has room."""

    def __init__(self, client: redis.Redis, outbox: Outbox) -> None:
        self._redis = client
        self._outbox = outbox
        self._sha = client.register_script(_CHECKED_ADD).sha

    def append(self, events: Mapping[str, OutboxEvent], max_backlog: int) -> None:
        """Write `events` (enterprise id -> its event) in one pipelined round trip.

        Raises Unavailable when an enterprise's outbox holds `max_backlog` unpublished
        events or more (the broker is away): its event is not written, so meters slow down
        instead of filling Redis. The other enterprises' events of the call are written;
        the caller acknowledges nothing, and a repeat of the readings changes no rollup.
        """
        streams = {e: self._outbox.register(e) for e in events}
        for attempt in range(2):
            pipe = self._redis.pipeline(transaction=False)
            for enterprise_id, event in events.items():
                pipe.evalsha(self._sha, 1, streams[enterprise_id], max_backlog, *event.lua_args())
            try:
                held = pipe.execute()
                break
            except NoScriptError:  # the server lost its scripts (restart, flush)
                if attempt:
                    raise
                self._redis.script_load(_CHECKED_ADD)
        for enterprise_id, waiting in zip(events, held, strict=True):
            if int(waiting) >= max_backlog:
                raise Unavailable(
                    f"{waiting} events of {enterprise_id} wait for the broker "
                    f"(PARKVPP_OUTBOX_MAX_BACKLOG={max_backlog}); retry the readings later"
                )
