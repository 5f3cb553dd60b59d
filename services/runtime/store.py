"""Redis connection, key names and the atomic apply-once step of idempotent consumers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import redis

#: Seven days: longer than any redelivery window the consumers can see.
APPLIED_TTL_S = 7 * 24 * 3600

_APPLY_ONCE = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) == false then
  return 0
end
local ops = cjson.decode(ARGV[2])
for _, op in ipairs(ops) do
  redis.call(unpack(op))
end
return 1
"""


def connect(url: str, password: str = "", ca_file: str = "", **options: Any) -> redis.Redis:
    """A client for `url` with health checks and bounded timeouts.

    `password` (PARKVPP_REDIS_PASSWORD) authenticates when the URL holds none; `ca_file`
    (PARKVPP_REDIS_CA_FILE) verifies a `rediss://` server. `options` override the other
    client arguments (e.g. shorter timeouts for a readiness check).
    """
    arguments: dict[str, Any] = {
        "health_check_interval": 30,
        "socket_timeout": 10,
        "socket_connect_timeout": 5,
    }
    if password:
        arguments["password"] = password
    if ca_file:
        arguments["ssl_ca_certs"] = ca_file
    return redis.Redis.from_url(url, **(arguments | options))


def tenant_key(enterprise_id: str, *parts: str) -> str:
    """`parkvpp:{enterprise}:...` — one hash tag per enterprise, one cluster slot."""
    return ":".join(("parkvpp", "{" + enterprise_id + "}", *parts))


def shared_key(tag: str, *parts: str) -> str:
    """`parkvpp:{tag}:...` for data that is not one enterprise's (registry, market)."""
    return ":".join(("parkvpp", "{" + tag + "}", *parts))


class ApplyOnce:
    """Runs a list of Redis commands and records `marker` in one atomic Lua step.

    Returns False without touching anything when `marker` was already recorded, so a
    redelivered event changes nothing. All keys must share the marker's hash tag.
    """

    def __init__(self, client: redis.Redis) -> None:
        self._script = client.register_script(_APPLY_ONCE)

    def __call__(self, marker: str, ops: Sequence[Sequence[str | int | float]]) -> bool:
        keys = [marker]
        result = self._script(keys=keys, args=[APPLIED_TTL_S, json.dumps([list(o) for o in ops])])
        return bool(result)
