"""The gatekeeper's memory of asset owners (services.enrollment.registry.AssetOwners),
on a real Valkey."""

from __future__ import annotations

import redis

from parkvpp.v1 import enrollment_pb2 as pb
from services.enrollment.registry import AssetOwners, Registry


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _enrol(registry: Registry, asset_id: str, enterprise_id: str) -> None:
    asset = pb.Asset(asset_id=asset_id, enterprise_id=enterprise_id, version=1)
    registry.put_asset(asset, pb.AssetChange(asset=asset))


def test_owner_is_read_once_and_kept_for_its_ttl(redis_client: redis.Redis) -> None:
    registry, clock = Registry(redis_client), Clock()
    owners = AssetOwners(registry, ttl_s=60.0, clock=clock)
    _enrol(registry, "own-a1", "ent-own-a")
    assert owners("own-a1") == "ent-own-a"
    # the stored asset goes away behind the memory's back (a restore from an old backup)
    redis_client.hdel(Registry._key("assets"), "own-a1")
    clock.now += 59.0
    assert owners("own-a1") == "ent-own-a"  # remembered within the TTL
    clock.now += 2.0
    assert owners("own-a1") is None  # read again after it


def test_unknown_asset_is_not_remembered(redis_client: redis.Redis) -> None:
    registry, clock = Registry(redis_client), Clock()
    owners = AssetOwners(registry, clock=clock)
    assert owners("own-b1") is None
    _enrol(registry, "own-b1", "ent-own-b")
    assert owners("own-b1") == "ent-own-b"  # enrolled a moment later: found at once


def test_memory_starts_over_when_full(redis_client: redis.Redis) -> None:
    registry = Registry(redis_client)
    owners = AssetOwners(registry, size=2)
    for n in range(3):
        _enrol(registry, f"own-c{n}", f"ent-own-c{n}")
    assert [owners(f"own-c{n}") for n in range(3)] == ["ent-own-c0", "ent-own-c1", "ent-own-c2"]
    assert len(owners._known) <= 2
