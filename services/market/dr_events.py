"""The reference exchange's DR invitations: announced events, checked, stored once, published."""

from __future__ import annotations

import hashlib
import math

from bidding.intervals import INTERVALS_PER_DAY, interval_start
from parkvpp.v1 import events_pb2
from parkvpp.v1 import market_pb2 as pb
from services.runtime.context import Runtime
from services.runtime.errors import AlreadyExists, FailedPrecondition, InvalidArgument
from services.runtime.events import TOPIC_DR_EVENTS
from services.runtime.outbox import OUTBOX_LUA, OutboxEvent
from services.runtime.rpc import from_ts, market_day, now_ts, require_id
from services.runtime.store import shared_key

MAX_REQUESTED_KW = 1e7
MAX_NOTICE_MINUTES = 7 * 24 * 60

#: Stores an event once, with its DrEventAnnounced event in the market's outbox. An event
#: id names one event on any day: the same event again is a replay (answered with the
#: stored one, even after clearing), another event under it is refused.
_ANNOUNCE = (
    OUTBOX_LUA
    + """
-- KEYS: digests (every day), the day's events, the day's DR clearing result, outbox
-- ARGV: event id, digest, event bytes, then the outbox event (4 values)
local known = redis.call('HGET', KEYS[1], ARGV[1])
if known then
  if known ~= ARGV[2] then return {'REUSED'} end
  return {'REPLAY', redis.call('HGET', KEYS[2], ARGV[1])}
end
if redis.call('EXISTS', KEYS[3]) == 1 then return {'CLEARED'} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
outbox_add(KEYS[4], ARGV[4], ARGV[5], ARGV[6], ARGV[7])
return {'OK'}
"""
)


def _within(field: str, value: int, low: int, high: int) -> int:
    if not low <= value <= high:
        raise InvalidArgument(field, f"must be {low}..{high}")
    return value


def checked_event(event: pb.DrEvent, dr_floor: int, dr_cap: int) -> pb.DrEvent:
    """A copy of `event` as it will be stored: announced_at cleared, every field checked.

    Raises InvalidArgument naming the field ("event.end_interval", ...): ids by the id
    rule, a window inside the day, requested kW finite in (0, 1e7], floor and cap within
    the exchange's DR range with floor <= cap, a deadline no later than the window's start,
    notice 0..10080 minutes, and `synthetic` unset (only the exchange's own calls are).
    """
    require_id("event.event_id", event.event_id)
    require_id("event.program", event.program)
    require_id("event.issuer_id", event.issuer_id)
    day = market_day("event.market_day", event.market_day)
    _within("event.start_interval", event.start_interval, 0, INTERVALS_PER_DAY - 1)
    _within("event.end_interval", event.end_interval, event.start_interval + 1, INTERVALS_PER_DAY)
    kw = event.requested_kw
    if not (math.isfinite(kw) and 0 < kw <= MAX_REQUESTED_KW):
        raise InvalidArgument(
            "event.requested_kw", f"must be finite, > 0 and <= {MAX_REQUESTED_KW:.0e}"
        )
    floor = _within(
        "event.price_floor_fen_per_mwh", event.price_floor_fen_per_mwh, dr_floor, dr_cap
    )
    _within("event.price_cap_fen_per_mwh", event.price_cap_fen_per_mwh, floor, dr_cap)
    deadline = from_ts("event.declaration_deadline", event.declaration_deadline)
    if deadline > interval_start(day, event.start_interval):
        raise InvalidArgument("event.declaration_deadline", "must not be after the window starts")
    _within("event.notice_minutes", event.notice_minutes, 0, MAX_NOTICE_MINUTES)
    if event.synthetic:
        raise InvalidArgument("event.synthetic", "is set by the exchange for its own calls only")
    stored = pb.DrEvent()
    stored.CopyFrom(event)
    stored.market_day = day.isoformat()
    stored.ClearField("announced_at")
    return stored


class DrEventBoard:
    """Announced DR events of the exchange, under its hash tag `tag` beside its clearings."""

    def __init__(self, runtime: Runtime, tag: str) -> None:
        self.runtime = runtime
        self.tag = tag
        self._announce = runtime.redis.register_script(_ANNOUNCE)

    def _day_key(self, day: str) -> str:
        return shared_key(self.tag, day, "dr-events")

    def announce(self, event: pb.DrEvent, synthetic_ids: set[str]) -> pb.DrEvent:
        """Store a checked event (see `checked_event`) once and queue DrEventAnnounced.

        Returns the event as first stored (with its announced_at). Raises AlreadyExists
        naming event.event_id for another event under a known id or a synthetic call's
        id, FailedPrecondition when the day's DEMAND_RESPONSE market is already cleared.
        """
        digest = hashlib.sha256(event.SerializeToString(deterministic=True)).hexdigest()
        if event.event_id in synthetic_ids:
            raise AlreadyExists(
                f"event.event_id: {event.event_id} names the synthetic grid operator's call"
            )
        stored = pb.DrEvent()
        stored.CopyFrom(event)
        stored.announced_at.CopyFrom(now_ts())
        day = stored.market_day
        message = OutboxEvent.of(
            TOPIC_DR_EVENTS,
            day,
            events_pb2.DrEventAnnounced(event=stored),
            event_id=f"dr-event-{stored.event_id}",
        )
        keys = [
            shared_key(self.tag, "dr-event-digests"),
            self._day_key(day),
            shared_key(self.tag, day, "result", pb.Product.Name(pb.PRODUCT_DEMAND_RESPONSE)),
            self.runtime.outbox.register(self.tag),
        ]
        args = [stored.event_id, digest, stored.SerializeToString(), *message.lua_args()]
        status, *detail = self._announce(keys=keys, args=args)
        if status == b"REUSED":
            raise AlreadyExists(
                f"event.event_id: {stored.event_id} was already announced as another event"
            )
        if status == b"CLEARED":
            raise FailedPrecondition(f"market day {day} is already cleared for DEMAND_RESPONSE")
        if status == b"REPLAY":
            return pb.DrEvent.FromString(detail[0])
        self.runtime.events_written()
        return stored

    def announced(self, day: str) -> list[pb.DrEvent]:
        """The day's announced events by start interval, then event id."""
        raw = self.runtime.redis.hgetall(self._day_key(day))
        events = [pb.DrEvent.FromString(v) for v in raw.values()]
        return sorted(events, key=lambda e: (e.start_interval, e.event_id))
