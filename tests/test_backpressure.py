"""A stalled broker neither loses acknowledged readings nor fills a service's memory.

Runs its own broker (so pausing it disturbs no other test). Readings are acknowledged once
they are in the Redis outbox, so meters go on while the broker is paused; past
PARKVPP_OUTBOX_MAX_BACKLOG waiting events (20 here) the stream is refused with UNAVAILABLE
and the service reads no further; once the broker is back every acknowledged reading is
rolled up.
"""

from __future__ import annotations

import os
import signal
import time
from datetime import UTC, datetime, timedelta

import grpc
import pytest

from bidding.intervals import MARKET_TZ
from parkvpp.v1 import enrollment_pb2 as epb
from parkvpp.v1 import telemetry_pb2 as pb
from services.runtime.embedded import EmbeddedBroker
from services.runtime.local_stack import LocalStack
from services.runtime.outbox import stream_key
from services.runtime.rpc import to_ts

pytestmark = pytest.mark.timeout(300)
#: 2,000 batches of 500 one-second readings of one meter: about 25 MB of stream.
BATCHES = 2000
READINGS_PER_BATCH = 500


@pytest.fixture(scope="module")
def paused_park(redis_url, tmp_path_factory):
    broker = EmbeddedBroker(tmp_path_factory.mktemp("own-broker"))
    broker.start()
    env = {"PARKVPP_OUTBOX_MAX_BACKLOG": "20", "PARKVPP_KAFKA_PUBLISH_TIMEOUT_S": "3"}
    stack = LocalStack(redis_url, broker.bootstrap_servers, db=9, env=env).start()
    clients = stack.clients()
    clients.enrollment.RegisterEnterprise(
        epb.RegisterEnterpriseRequest(enterprise_id="ent-bp", name="BP", grid_area="CN-JS")
    )
    clients.enrollment.EnrollAsset(
        epb.EnrollAssetRequest(
            request_id="r-bp",
            enterprise_id="ent-bp",
            name="PV meter",
            asset_id="bp-pv",
            spec=epb.AssetSpec(
                generator=epb.Generator(
                    capacity_kw=10.0,
                    technology=epb.GENERATOR_TECHNOLOGY_PV,
                    grid_connection_id="GC-1",
                )
            ),
        )
    )
    yield broker, clients, stack
    clients.close()
    os.kill(broker.pid, signal.SIGCONT)
    stack.stop()
    broker.stop()


def batches(start: datetime, count: int, pulled: list[int]):
    """`count` batches of one meter's readings, one second apart, built as they are pulled."""
    for b in range(count):
        pulled.append(b)
        first = start + timedelta(seconds=b * READINGS_PER_BATCH)
        yield pb.ReadingBatch(
            readings=[
                pb.Reading(
                    asset_id="bp-pv", timestamp=to_ts(first + timedelta(seconds=n)), power_kw=1.0
                )
                for n in range(READINGS_PER_BATCH)
            ]
        )


def test_a_paused_broker_holds_acknowledged_readings_until_it_returns(paused_park):
    broker, clients, stack = paused_park
    start = datetime.now(UTC) - timedelta(days=20)
    ok = clients.telemetry.StreamReadings(batches(start, 10, []), timeout=60)
    assert ok.accepted == 10 * READINGS_PER_BATCH
    deadline = time.monotonic() + 60
    while stack.redis.xlen(stream_key("ent-bp")) and time.monotonic() < deadline:
        time.sleep(0.1)  # the relay publishes what was acknowledged
    os.kill(broker.pid, signal.SIGSTOP)
    pulled: list[int] = []
    acknowledged = 0
    try:
        later = start + timedelta(seconds=10 * READINGS_PER_BATCH)
        # Up to the backlog, readings are acknowledged from Redis while the broker sleeps.
        held = clients.telemetry.StreamReadings(batches(later, 15, []), timeout=60)
        acknowledged = held.accepted
        with pytest.raises(grpc.RpcError) as err:
            clients.telemetry.StreamReadings(batches(later, BATCHES, pulled), timeout=120)
    finally:
        os.kill(broker.pid, signal.SIGCONT)
    assert acknowledged == 15 * READINGS_PER_BATCH
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "PARKVPP_OUTBOX_MAX_BACKLOG" in err.value.details()
    # The service stopped reading: only what fits the HTTP/2 flow-control window left.
    assert len(pulled) < BATCHES / 2, f"{len(pulled)} of {BATCHES} batches were pulled"
    # With the broker back every acknowledged reading is rolled up, each once.
    expected = 25 * READINGS_PER_BATCH
    deadline = time.monotonic() + 90
    while rolled_up(clients, start) < expected and time.monotonic() < deadline:
        time.sleep(0.5)
    assert rolled_up(clients, start) == expected


def rolled_up(clients, start: datetime) -> int:
    """Readings of the meter rolled up on the market days around `start`."""
    day = start.astimezone(MARKET_TZ).date()
    profile = clients.telemetry.GetLoadProfile(
        pb.GetLoadProfileRequest(
            asset_id="bp-pv",
            from_market_day=(day - timedelta(days=1)).isoformat(),
            to_market_day=(day + timedelta(days=1)).isoformat(),
        ),
        timeout=30,
    )
    return sum(i.reading_count for i in profile.intervals)
