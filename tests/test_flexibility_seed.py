"""bench_flexibility's bulk history writer leaves the store exactly as `Rollups.apply` does."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
import redis

from loadtests.bench_flexibility import SEED_DAYS_LUA, seed_history, write_days
from loadtests.synthetic_park import AssetMix, build_park, history_days, interval_end_epoch_s
from services.telemetry.rollups import Rollups, power_reading

MARKET_DAY = date(2025, 7, 16)


def stored(client: redis.Redis) -> dict[bytes, tuple]:
    """Every key with its type, encoding, whether it expires, and its value (a hash's
    fields in the order the server keeps them)."""
    out = {}
    for key in client.scan_iter(count=1000):
        kind = client.type(key)
        value = list(client.hgetall(key).items()) if kind == b"hash" else client.get(key)
        out[key] = (kind, client.object("encoding", key), client.ttl(key) > 0, value)
    return out


def applied(client: redis.Redis, enterprise_id: str, history: dict, days: list[date]) -> None:
    """The reference: one `Rollups.apply` event per load, as the bench wrote history before."""
    rollups = Rollups(client)
    ends = interval_end_epoch_s(days).ravel().tolist()
    for asset_id, kw in history.items():
        readings = [power_reading(e, v) for e, v in zip(ends, kw.ravel().tolist(), strict=True)]
        assert rollups.apply(f"seed-{asset_id}", enterprise_id, asset_id, readings) == len(ends)


def test_seeded_park_is_stored_as_the_rollup_step_stores_it(redis_client):
    park = build_park(3, 2, 12, AssetMix(0.75, 0.0, 0.25, 0.0))
    days = history_days(MARKET_DAY, 3)
    written = seed_history(redis_client, park, days, deadline=float("inf"))
    bulk = stored(redis_client)
    redis_client.flushdb()
    loads = park.of_kind("curtailable")
    for load in loads:
        history = {load.asset_id: np.round(park.history(load, days), 1)}
        applied(redis_client, load.enterprise_id, history, days)
    assert written == len(loads) * len(days) * 96
    assert bulk == stored(redis_client)
    assert any(k.startswith(b"parkvpp:{ent-0001}:rollup:") for k in bulk)


def test_values_of_every_magnitude_are_formatted_as_the_rollup_step_formats_them(redis_client):
    """Whole numbers, tenths, zero, megawatts: Valkey turns each into the same hash value."""
    days = history_days(MARKET_DAY, 2)
    rng = np.random.default_rng(7)
    magnitudes = 10.0 ** rng.integers(-1, 8, size=(2, 96))
    history = {
        "load-a": np.round(rng.random((2, 96)) * magnitudes, 1),
        "load-b": np.floor(rng.random((2, 96)) * magnitudes),
        "load-c": np.zeros((2, 96)),
    }
    write_days(redis_client.register_script(SEED_DAYS_LUA), "ent-x", history, days)
    bulk = stored(redis_client)
    redis_client.flushdb()
    applied(redis_client, "ent-x", history, days)
    assert bulk == stored(redis_client)


def test_a_negative_reading_is_refused(redis_client):
    days = history_days(MARKET_DAY, 1)
    script = redis_client.register_script(SEED_DAYS_LUA)
    with pytest.raises(ValueError, match="load-a"):
        write_days(script, "ent-x", {"load-a": np.full((1, 96), -0.0)}, days)
    assert redis_client.dbsize() == 0
