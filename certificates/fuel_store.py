"""Fuel-use reports in Redis: one Lua step per report, idempotent by request id, history kept.

Keys share the hash tag `{fuel}` so a report touches one Cluster slot:
`current` (hash "enterprise|month|fuel" -> the figure in force), `history:<enterprise>`
(list of every report, oldest first), `requests` (hash "enterprise|request_id" ->
fingerprint and record) and `month:<YYYY-MM>` (set of the current fields of a month).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict

import redis

from certificates.exceptions import DuplicateRequest
from certificates.fuel import FuelUse

_REPORT = """
local known = redis.call('HGET', KEYS[3], ARGV[2])
if known then
  local sep = string.find(known, '\\n', 1, true)
  if string.sub(known, 1, sep - 1) ~= ARGV[3] then return {'DUPLICATE', ''} end
  return {'REPLAY', string.sub(known, sep + 1)}
end
local record = cjson.decode(ARGV[4])
local previous = redis.call('HGET', KEYS[1], ARGV[1])
record['revision'] = 1
if previous then record['revision'] = cjson.decode(previous)['revision'] + 1 end
local text = cjson.encode(record)
redis.call('HSET', KEYS[1], ARGV[1], text)
redis.call('RPUSH', KEYS[2], text)
redis.call('HSET', KEYS[3], ARGV[2], ARGV[3] .. '\\n' .. text)
redis.call('SADD', KEYS[4], ARGV[1])
return {'OK', text}
"""


def _record(text: bytes | str) -> FuelUse:
    fields = json.loads(text)
    fields["quantity"] = int(fields["quantity"])
    fields["revision"] = int(fields["revision"])
    return FuelUse(**fields)


class FuelStore:
    """Monthly fuel use per enterprise. A report for a month and fuel that already has a
    figure is a correction: it replaces the figure (revision + 1) and the old one stays
    in the history. Quantities must already be validated (certificates.fuel.normalise)."""

    def __init__(self, client: redis.Redis, prefix: str = "parkvpp:{fuel}") -> None:
        self.redis = client
        self.prefix = prefix
        self._report = client.register_script(_REPORT)

    def report(self, use: FuelUse) -> tuple[FuelUse, bool]:
        """(the stored record, True if this request was a replay). Raises DuplicateRequest
        when the request id was used by the enterprise for another report."""
        field = f"{use.enterprise_id}|{use.month}|{use.fuel}"
        request_key = f"{use.enterprise_id}|{use.request_id}"
        fingerprint = hashlib.sha256(
            json.dumps([use.month, use.fuel, use.quantity, use.unit]).encode()
        ).hexdigest()
        record = asdict(use)
        record["quantity"] = str(use.quantity)
        status, text = self._report(
            keys=[
                f"{self.prefix}:current",
                f"{self.prefix}:history:{use.enterprise_id}",
                f"{self.prefix}:requests",
                f"{self.prefix}:month:{use.month}",
            ],
            args=[field, request_key, fingerprint, json.dumps(record)],
        )
        if status == b"DUPLICATE":
            raise DuplicateRequest(use.request_id)
        return _record(text), status == b"REPLAY"

    def current(self, months: Iterable[str], enterprise_id: str = "") -> list[FuelUse]:
        """The figures in force for `months`, of one enterprise or (empty) of all."""
        fields: list[bytes] = []
        for month in months:
            members = self.redis.smembers(f"{self.prefix}:month:{month}")
            fields += sorted(
                m
                for m in members
                if not enterprise_id or m.decode().split("|", 1)[0] == enterprise_id
            )
        if not fields:
            return []
        texts = self.redis.hmget(f"{self.prefix}:current", fields)
        return [_record(text) for text in texts if text is not None]

    def history(self, enterprise_id: str) -> list[FuelUse]:
        """Every report of the enterprise, corrections included, oldest first."""
        texts = self.redis.lrange(f"{self.prefix}:history:{enterprise_id}", 0, -1)
        return [_record(text) for text in texts]
