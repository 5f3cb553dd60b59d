"""A VPP or bidding process converts the stored asset specs once at start
(Portfolio.warm_up), on a real Valkey, so its first GetFlexibility does not."""

from __future__ import annotations

import redis

from parkvpp.v1 import enrollment_pb2 as pb
from services.enrollment import convert
from services.enrollment.registry import Registry
from services.telemetry.rollups import Rollups
from services.vpp.portfolio import Portfolio


def _active(registry: Registry, asset_id: str, kw: float) -> pb.AssetSpec:
    spec = pb.AssetSpec(
        curtailable_load=pb.CurtailableLoad(
            max_curtailment_kw=kw,
            min_event_minutes=15,
            max_event_minutes=120,
            max_events_per_day=2,
        )
    )
    asset = pb.Asset(
        asset_id=asset_id,
        enterprise_id="ent-warm",
        version=1,
        spec=spec,
        status=pb.ASSET_STATUS_ACTIVE,
        kind=pb.ASSET_KIND_CURTAILABLE_LOAD,
    )
    registry.put_asset(asset, pb.AssetChange(asset=asset))
    return spec


def test_stored_specs_are_converted_at_start_and_a_bad_one_is_left(redis_client: redis.Redis):
    registry = Registry(redis_client)
    good = _active(registry, "warm-1", 417.5)
    bad = _active(registry, "warm-2", -1.0)  # breaks a rule: the call that reads it reports it
    convert._CONVERTED.clear()
    Portfolio(redis_client, registry, Rollups(redis_client)).warm_up().join(10)
    key = good.SerializeToString(deterministic=True)
    assert convert._CONVERTED[key].max_curtailment_kw == 417.5
    assert bad.SerializeToString(deterministic=True) not in convert._CONVERTED
