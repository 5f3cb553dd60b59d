"""The asset registry in Redis: enterprises, assets, their history and enrolment requests.

All registry keys share the hash tag `{registry}`: an asset write touches the asset,
the indexes, its history and the request ids together, atomically, on one shard. The
registry is small (tens of thousands of assets) so one slot is plenty.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import redis

from parkvpp.v1 import enrollment_pb2 as pb
from services.runtime.errors import AlreadyExists, FailedPrecondition, NotFound
from services.runtime.outbox import OUTBOX_LUA, Outbox, OutboxEvent
from services.runtime.store import shared_key

#: The registry's hash tag: its keys and its outbox share one slot.
TAG = "registry"

_PUT_ASSET = (
    OUTBOX_LUA
    + """
-- KEYS: assets, versions, all, by_enterprise, history, requests, outbox
-- ARGV: asset_id, asset_bytes, change_bytes, request_id, expected_version, new_version,
--       then the event (topic, key, event id, envelope) or nothing
if ARGV[4] ~= '' then
  local known = redis.call('HGET', KEYS[6], ARGV[4])
  if known then return {'DUPLICATE', redis.call('HGET', KEYS[1], known)} end
end
local current = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if current ~= tonumber(ARGV[5]) then return {'CONFLICT', tostring(current)} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[6])
redis.call('ZADD', KEYS[3], 0, ARGV[1])
redis.call('ZADD', KEYS[4], 0, ARGV[1])
redis.call('RPUSH', KEYS[5], ARGV[3])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[6], ARGV[4], ARGV[1]) end
if #ARGV >= 10 then outbox_add(KEYS[7], ARGV[7], ARGV[8], ARGV[9], ARGV[10]) end
return {'OK', ARGV[2]}
"""
)


class Registry:
    """Reads and atomic writes of enterprises and assets."""

    def __init__(self, client: redis.Redis, events: Outbox | None = None) -> None:
        self._redis = client
        self._put = client.register_script(_PUT_ASSET)
        self._outbox = events or Outbox(client)

    @staticmethod
    def _key(*parts: str) -> str:
        return shared_key(TAG, *parts)

    def put_enterprise(self, enterprise: pb.Enterprise) -> pb.Enterprise:
        """Store a new enterprise; the same registration again returns the stored one.

        Raises AlreadyExists when the id is taken by a different registration.
        """
        key = self._key("enterprises")
        data = enterprise.SerializeToString()
        if self._redis.hsetnx(key, enterprise.enterprise_id, data):
            return enterprise
        stored = self.get_enterprise(enterprise.enterprise_id)
        same = (stored.name, stored.grid_area, stored.credit_code) == (
            enterprise.name,
            enterprise.grid_area,
            enterprise.credit_code,
        )
        if not same:
            raise AlreadyExists(f"enterprise {enterprise.enterprise_id} is already registered")
        return stored

    def get_enterprise(self, enterprise_id: str) -> pb.Enterprise:
        """Raises NotFound when no such enterprise is registered."""
        data = self._redis.hget(self._key("enterprises"), enterprise_id)
        if data is None:
            raise NotFound(f"enterprise {enterprise_id} not found")
        return pb.Enterprise.FromString(data)

    def list_enterprises(self) -> list[pb.Enterprise]:
        raw = self._redis.hgetall(self._key("enterprises"))
        return [pb.Enterprise.FromString(v) for _, v in sorted(raw.items())]

    def put_asset(
        self,
        asset: pb.Asset,
        change: pb.AssetChange,
        request_id: str = "",
        event: OutboxEvent | None = None,
    ) -> tuple[pb.Asset, bool]:
        """Write `asset` (whose version is the new one), its history entry and `event` (to
        the registry's outbox) atomically.

        Returns (stored asset, created_now). A known request_id returns the asset it
        created before and writes nothing. Raises FailedPrecondition when the asset changed
        concurrently (its stored version is not asset.version - 1).
        """
        keys = [
            self._key("assets"),
            self._key("versions"),
            self._key("all"),
            self._key("by_enterprise", asset.enterprise_id),
            self._key("history", asset.asset_id),
            self._key("requests"),
            self._outbox.register(TAG),
        ]
        args: list[str | bytes | int] = [
            asset.asset_id,
            asset.SerializeToString(),
            change.SerializeToString(),
            request_id,
            asset.version - 1,
            asset.version,
        ]
        if event is not None:
            args.extend(event.lua_args())
        status, payload = self._put(keys=keys, args=args)
        if status == b"DUPLICATE":
            return pb.Asset.FromString(payload), False
        if status == b"CONFLICT":
            raise FailedPrecondition(
                f"asset {asset.asset_id} is at version {payload.decode()}, "
                f"not {asset.version - 1}; read it again and retry"
            )
        return asset, True

    def asset_id_for_request(self, request_id: str) -> str | None:
        value = self._redis.hget(self._key("requests"), request_id)
        return value.decode() if value is not None else None

    def get_asset(self, asset_id: str) -> pb.Asset:
        """Raises NotFound when no such asset exists."""
        data = self._redis.hget(self._key("assets"), asset_id)
        if data is None:
            raise NotFound(f"asset {asset_id} not found")
        return pb.Asset.FromString(data)

    def find_asset(self, asset_id: str) -> pb.Asset | None:
        data = self._redis.hget(self._key("assets"), asset_id)
        return pb.Asset.FromString(data) if data is not None else None

    def page_asset_ids(self, enterprise_id: str, after: str, count: int) -> list[str]:
        """Up to `count` asset ids in id order after `after` (exclusive)."""
        key = self._key("by_enterprise", enterprise_id) if enterprise_id else self._key("all")
        low = f"({after}" if after else "-"
        return [v.decode() for v in self._redis.zrangebylex(key, low, "+", 0, count)]

    def get_assets(self, asset_ids: list[str]) -> list[pb.Asset]:
        if not asset_ids:
            return []
        raw = self._redis.hmget(self._key("assets"), asset_ids)
        return [pb.Asset.FromString(v) for v in raw if v is not None]

    def iter_assets(self, enterprise_id: str = "", batch: int = 1000) -> Iterator[pb.Asset]:
        """Every asset (of one enterprise, or all) in id order."""
        after = ""
        while True:
            ids = self.page_asset_ids(enterprise_id, after, batch)
            yield from self.get_assets(ids)
            if len(ids) < batch:
                return
            after = ids[-1]

    def active_assets(self, enterprise_id: str = "") -> list[pb.Asset]:
        return [a for a in self.iter_assets(enterprise_id) if a.status == pb.ASSET_STATUS_ACTIVE]

    def enrolled_as(self, asset_id: str) -> pb.Asset | None:
        """The asset as it was first enrolled (its first history entry), None if unknown."""
        raw = self._redis.lindex(self._key("history", asset_id), 0)
        return pb.AssetChange.FromString(raw).asset if raw is not None else None

    def history(self, asset_id: str) -> list[pb.AssetChange]:
        raw = self._redis.lrange(self._key("history", asset_id), 0, -1)
        return [pb.AssetChange.FromString(v) for v in raw]


class AssetOwners:
    """Which enterprise an asset belongs to, as the gatekeeper asks on every call that
    names an asset: read once and remembered for `ttl_s` seconds.

    No RPC moves an asset to another enterprise, so a remembered owner stays right; the
    TTL bounds what a restore of the registry from an older backup could leave stale.
    An unknown asset is not remembered (it may be enrolled a moment later). At most
    `size` owners are kept (the memory starts over when full).
    """

    def __init__(
        self,
        registry: Registry,
        ttl_s: float = 60.0,
        size: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._registry = registry
        self._ttl_s = ttl_s
        self._size = size
        self._clock = clock
        self._known: dict[str, tuple[str, float]] = {}

    def __call__(self, asset_id: str) -> str | None:
        """The enterprise id of `asset_id`, None when no such asset is enrolled."""
        now = self._clock()
        known = self._known.get(asset_id)
        if known is not None and now < known[1]:
            return known[0]
        asset = self._registry.find_asset(asset_id)
        if asset is None:
            return None
        if len(self._known) >= self._size:
            self._known.clear()
        self._known[asset_id] = (asset.enterprise_id, now + self._ttl_s)
        return asset.enterprise_id
