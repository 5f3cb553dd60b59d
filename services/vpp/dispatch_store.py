"""Dispatch instructions per enterprise in Redis: an ordered log, acknowledgements, resume.

Keys (enterprise hash tag): dispatch:seq (counter), dispatch:log (zset seq -> id),
dispatch:items (id -> instruction JSON), dispatch:seqs (id -> seq), dispatch:acks
(id -> ack time), dispatch:acked (watermark: every instruction up to this seq is
acknowledged or superseded), dispatch:pending (zset deadline epoch -> id, unacknowledged
only), dispatch:superseded (old id -> the id that replaced it), dispatch:day:{day}.

A superseded instruction leaves the pending set (it is no longer to be acknowledged),
counts as done for the watermark, and is not streamed again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import redis
from google.protobuf import json_format

from parkvpp.v1 import vpp_pb2 as pb
from services.runtime.outbox import OUTBOX_LUA, Outbox, OutboxEvent
from services.runtime.store import APPLIED_TTL_S, tenant_key
from services.vpp.portfolio import event_days_key

# The watermark only moves over a gap-free run of acknowledged (or superseded) sequences,
# so resuming after it never skips an unacknowledged instruction older than one
# acknowledged out of order. KEYS[n..n+3]: acked, log, acks, superseded.
_WATERMARK = """
local function advance(acked, log, acks, superseded)
  local mark = tonumber(redis.call('GET', acked) or '0')
  while true do
    local nxt = redis.call('ZRANGEBYSCORE', log, mark + 1, mark + 1)
    if #nxt == 0 then break end
    if redis.call('HEXISTS', acks, nxt[1]) == 0
        and redis.call('HEXISTS', superseded, nxt[1]) == 0 then break end
    mark = mark + 1
  end
  redis.call('SET', acked, mark)
  return mark
end
"""

_ISSUE = (
    _WATERMARK
    + OUTBOX_LUA
    + """
-- KEYS: marker, seq, log, items, seqs, day set, event days, pending, acked, acks, superseded,
--       outbox
-- ARGV: ttl, the DispatchIssued event (topic, key, id, envelope; four '' for none), then
--       quintuples: id, instruction JSON, event-day member, deadline, supersedes
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) == false then return -1 end
if ARGV[2] ~= '' then outbox_add(KEYS[12], ARGV[2], ARGV[3], ARGV[4], ARGV[5]) end
local added = 0
for i = 6, #ARGV, 5 do
  if redis.call('HEXISTS', KEYS[4], ARGV[i]) == 0 then
    local seq = redis.call('INCR', KEYS[2])
    redis.call('ZADD', KEYS[3], seq, ARGV[i])
    redis.call('HSET', KEYS[4], ARGV[i], ARGV[i + 1])
    redis.call('HSET', KEYS[5], ARGV[i], seq)
    redis.call('SADD', KEYS[6], ARGV[i])
    redis.call('SADD', KEYS[7], ARGV[i + 2])
    redis.call('ZADD', KEYS[8], ARGV[i + 3], ARGV[i])
    local old = ARGV[i + 4]
    if old ~= '' and redis.call('HEXISTS', KEYS[4], old) == 1 then
      redis.call('HSET', KEYS[11], old, ARGV[i])
      redis.call('ZREM', KEYS[8], old)
    end
    added = added + 1
  end
end
advance(KEYS[9], KEYS[3], KEYS[10], KEYS[11])
return added
"""
)

_ACK = (
    _WATERMARK
    + """
-- KEYS: seqs, acks, acked, log, pending, superseded; ARGV: ack time, then instruction ids
local count = 0
for i = 2, #ARGV do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 then
    if redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[1]) == 1 then
      count = count + 1
      redis.call('ZREM', KEYS[5], ARGV[i])
    end
  end
end
return {count, advance(KEYS[3], KEYS[4], KEYS[2], KEYS[6])}
"""
)

#: Most ids one HMGET of _DAY_ROWS names: Lua's unpack has a stack limit (about 8,000).
_CHUNK = 4000

_DAY_ROWS = f"""
-- KEYS: day set, items, seqs, acks, superseded. The day's ids and, per id, its stored
-- instruction, sequence, acknowledgement and successor, in one round trip.
local ids = redis.call('SMEMBERS', KEYS[1])
local out = {{ids}}
for k = 2, 5 do
  local values = {{}}
  for first = 1, #ids, {_CHUNK} do
    local last = math.min(first + {_CHUNK} - 1, #ids)
    local part = redis.call('HMGET', KEYS[k], unpack(ids, first, last))
    for i = 1, #part do values[first + i - 1] = part[i] end
  end
  out[k] = values
end
return out
"""


def _key(enterprise_id: str, *parts: str) -> str:
    return tenant_key(enterprise_id, "dispatch", *parts)


class DispatchStore:
    """Writes instructions once per event, reads them in sequence order."""

    def __init__(self, client: redis.Redis, events: Outbox | None = None) -> None:
        self.redis = client
        self.outbox = events or Outbox(client)
        self._issue = client.register_script(_ISSUE)
        self._ack = client.register_script(_ACK)
        self._day_rows = client.register_script(_DAY_ROWS)

    def issue(
        self,
        event_id: str,
        enterprise_id: str,
        day: str,
        items: Sequence[pb.DispatchInstruction],
        event: OutboxEvent | None = None,
    ) -> int:
        """Store instructions not stored yet, and `event` in the enterprise's outbox; -1
        (and nothing written) when this event was applied before.

        An instruction naming one it `supersedes` marks that one superseded, in the same
        atomic step.
        """
        keys = [
            tenant_key(enterprise_id, "applied", "dispatch", event_id),
            _key(enterprise_id, "seq"),
            _key(enterprise_id, "log"),
            _key(enterprise_id, "items"),
            _key(enterprise_id, "seqs"),
            _key(enterprise_id, "day", day),
            event_days_key(enterprise_id),
            _key(enterprise_id, "pending"),
            _key(enterprise_id, "acked"),
            _key(enterprise_id, "acks"),
            _key(enterprise_id, "superseded"),
            self.outbox.register(enterprise_id),
        ]
        args: list[str | int | bytes] = [APPLIED_TTL_S]
        args.extend(event.lua_args() if event is not None else ("", "", "", ""))
        for item in items:
            args.extend(
                (
                    item.instruction_id,
                    json_format.MessageToJson(item, indent=None),
                    f"{item.asset_id}/{day}",
                    item.deadline.seconds,
                    item.supersedes,
                )
            )
        return int(self._issue(keys=keys, args=args))

    def _load(self, enterprise_id: str, ids: list[str]) -> list[pb.DispatchInstruction]:
        if not ids:
            return []
        pipe = self.redis.pipeline(transaction=False)
        pipe.hmget(_key(enterprise_id, "items"), ids)
        pipe.hmget(_key(enterprise_id, "seqs"), ids)
        pipe.hmget(_key(enterprise_id, "acks"), ids)
        pipe.hmget(_key(enterprise_id, "superseded"), ids)
        return _rows(*pipe.execute())

    def after(self, enterprise_id: str, sequence: int, limit: int = 500):
        """Instructions with a sequence above `sequence`, in order."""
        ids = self.redis.zrangebyscore(
            _key(enterprise_id, "log"), f"({sequence}", "+inf", start=0, num=limit
        )
        return self._load(enterprise_id, [i.decode() for i in ids])

    def last_acknowledged(self, enterprise_id: str) -> int:
        """The watermark: every instruction up to this sequence is acknowledged or superseded."""
        return int(self.redis.get(_key(enterprise_id, "acked")) or 0)

    def overdue(self, enterprise_id: str, now: datetime) -> int:
        """Unacknowledged instructions whose deadline has passed."""
        return int(self.redis.zcount(_key(enterprise_id, "pending"), "-inf", now.timestamp()))

    def pending_deadlines(self, enterprise_id: str, ids: Sequence[str]) -> list[float]:
        """Deadlines (epoch seconds) of those of `ids` not acknowledged yet; others left out."""
        unique = list(dict.fromkeys(ids))
        if not unique:
            return []
        scores = self.redis.zmscore(_key(enterprise_id, "pending"), unique)
        return [float(s) for s in scores if s is not None]

    def acknowledge(self, enterprise_id: str, ids: Sequence[str]) -> tuple[int, int]:
        """Mark instructions acknowledged; returns (newly acknowledged, watermark).

        Unknown ids are ignored (an enterprise acknowledging another's ids changes nothing).
        """
        keys = [
            _key(enterprise_id, "seqs"),
            _key(enterprise_id, "acks"),
            _key(enterprise_id, "acked"),
            _key(enterprise_id, "log"),
            _key(enterprise_id, "pending"),
            _key(enterprise_id, "superseded"),
        ]
        count, top = self._ack(keys=keys, args=[datetime.now(UTC).isoformat(), *ids])
        return int(count), int(top)

    def issued(self, enterprise_id: str, event_id: str) -> bool:
        """Whether the instructions of `event_id` were stored for this enterprise."""
        return bool(self.redis.exists(tenant_key(enterprise_id, "applied", "dispatch", event_id)))

    def of_day(self, enterprise_id: str, day: str) -> list[pb.DispatchInstruction]:
        """Every instruction of the day in sequence order, superseded ones included (a
        later instruction for the same asset and interval replaces an earlier one)."""
        keys = [_key(enterprise_id, part) for part in ("items", "seqs", "acks", "superseded")]
        ids, *rows = self._day_rows(keys=[_key(enterprise_id, "day", day), *keys])
        if not ids:
            return []
        return sorted(_rows(*rows), key=lambda i: i.sequence)


def _rows(
    items: list[bytes | None],
    seqs: list[bytes | None],
    acks: list[bytes | None],
    replaced: list[bytes | None],
) -> list[pb.DispatchInstruction]:
    """Instructions from their stored JSON, sequence, acknowledgement and successor (one
    list entry per id; ids whose instruction is not stored are left out)."""
    out = []
    for raw, seq, ack, by in zip(items, seqs, acks, replaced, strict=True):
        if raw is None:
            continue
        item = pb.DispatchInstruction()
        item.CopyFrom(_parsed(raw))
        item.sequence = int(seq)  # type: ignore[arg-type]
        if by is not None:
            item.status = pb.DISPATCH_STATUS_SUPERSEDED
            item.superseded_by = by.decode()
        elif ack is not None:
            item.status = pb.DISPATCH_STATUS_ACKNOWLEDGED
        else:
            item.status = pb.DISPATCH_STATUS_SENT
        out.append(item)
    return out


#: Parsed instructions by their stored JSON (content-addressed, so never stale); an
#: instruction is read by every ListDispatch and stream resume, parsed once here.
_PARSED: dict[bytes, pb.DispatchInstruction] = {}
PARSED_KEPT = 50_000


def _parsed(raw: bytes) -> pb.DispatchInstruction:
    """The stored instruction `raw` parsed (shared: callers copy it before changing it)."""
    item = _PARSED.get(raw)
    if item is None:
        item = json_format.Parse(raw, pb.DispatchInstruction())
        if len(_PARSED) >= PARSED_KEPT:
            _PARSED.clear()
        _PARSED[raw] = item
    return item
