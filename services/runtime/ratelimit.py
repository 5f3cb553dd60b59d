"""Per-tenant rate limits: token buckets in Redis, shared by every replica of a service.

A tenant is an enterprise (its own bucket per limit) or, for the other roles, the role.
Each limit has a rate (units per second) and a burst (bucket size); a call that finds
fewer tokens than it costs is refused with RESOURCE_EXHAUSTED and costs nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis

from services.runtime.auth import Caller
from services.runtime.errors import ResourceExhausted
from services.runtime.store import shared_key, tenant_key

_TAKE = """
-- KEYS[1]: bucket hash {tokens, ms}; ARGV: rate per s, burst, now ms, cost
local rate, burst, now, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]),
  tonumber(ARGV[4])
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens') or ARGV[2])
local last = tonumber(redis.call('HGET', KEYS[1], 'ms') or ARGV[3])
if now > last then tokens = math.min(burst, tokens + (now - last) / 1000 * rate) end
local granted = 0
if tokens >= cost then
  tokens = tokens - cost
  granted = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ms', tostring(math.max(now, last)))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return granted
"""


@dataclass(frozen=True)
class Limit:
    """`rate` units per second with bursts up to `burst`; rate 0 means unlimited."""

    name: str
    rate: float
    burst: float


class RateLimiter:
    def __init__(self, client: redis.Redis, limits: dict[str, Limit]) -> None:
        self._take = client.register_script(_TAKE)
        self._limits = limits

    def charge(self, caller: Caller, limit_name: str, cost: float = 1.0) -> None:
        """Take `cost` from the caller's bucket; ResourceExhausted when it is empty."""
        limit = self._limits.get(limit_name)
        if limit is None or limit.rate <= 0 or cost <= 0:
            return
        if caller.role == "enterprise":
            key = tenant_key(caller.enterprise_id, "ratelimit", limit.name)
        else:
            key = shared_key("ratelimit", caller.role, limit.name)
        now_ms = int(time.time() * 1000)
        if not self._take(keys=[key], args=[limit.rate, limit.burst, now_ms, cost]):
            raise ResourceExhausted(
                f"{limit.name} rate limit of {limit.rate:g}/s (burst {limit.burst:g}) "
                "reached; slow down and retry"
            )
