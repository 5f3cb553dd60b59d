"""A stalled broker slows the meter stream instead of filling the telemetry service's memory.

Runs its own broker (so pausing it disturbs no other test) under a stack whose publisher
may hold 5 unacknowledged events and waits 3 s for the broker.
"""

from __future__ import annotations

import os
import signal
import time
from datetime import UTC, datetime, timedelta

import grpc
import pytest

from parkvpp.v1 import enrollment_pb2 as epb
from parkvpp.v1 import telemetry_pb2 as pb
from services.runtime.embedded import EmbeddedBroker
from services.runtime.local_stack import LocalStack
from services.runtime.rpc import to_ts

pytestmark = pytest.mark.timeout(300)
#: 2,000 batches of 500 one-second readings of one meter: about 25 MB of stream.
BATCHES = 2000
READINGS_PER_BATCH = 500


@pytest.fixture(scope="module")
def paused_park(redis_url, tmp_path_factory):
    broker = EmbeddedBroker(tmp_path_factory.mktemp("own-broker"))
    broker.start()
    env = {"PARKVPP_KAFKA_MAX_PENDING": "5", "PARKVPP_KAFKA_PUBLISH_TIMEOUT_S": "3"}
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
    yield broker, clients
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


def test_a_paused_broker_stops_the_stream_with_unavailable_and_reads_no_further(paused_park):
    broker, clients = paused_park
    start = datetime.now(UTC) - timedelta(days=20)
    ok = clients.telemetry.StreamReadings(batches(start, 10, []), timeout=60)
    assert ok.accepted == 10 * READINGS_PER_BATCH
    os.kill(broker.pid, signal.SIGSTOP)
    pulled: list[int] = []
    try:
        began = time.monotonic()
        with pytest.raises(grpc.RpcError) as err:
            clients.telemetry.StreamReadings(batches(start, BATCHES, pulled), timeout=120)
        waited = time.monotonic() - began
    finally:
        os.kill(broker.pid, signal.SIGCONT)
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE
    # Publishing waited for the broker once 5 events were unacknowledged, so the service
    # stopped reading: only what fits the HTTP/2 flow-control window left the client.
    assert len(pulled) < BATCHES / 2, f"{len(pulled)} of {BATCHES} batches were pulled"
    assert waited >= 3.0
    # With the broker back the stream goes through again (resent readings are idempotent).
    again = clients.telemetry.StreamReadings(batches(start, 10, []), timeout=60)
    assert again.accepted == 10 * READINGS_PER_BATCH
