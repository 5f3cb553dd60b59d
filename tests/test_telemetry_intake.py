"""Telemetry's outbox write on real Valkey: one round trip, refused per enterprise when full."""

from __future__ import annotations

import pytest

from parkvpp.v1 import telemetry_pb2 as pb
from services.runtime.errors import Unavailable
from services.runtime.events import TOPIC_TELEMETRY
from services.runtime.outbox import Outbox, OutboxEvent, stream_key
from services.telemetry.intake import CheckedOutbox


def event(enterprise_id: str) -> OutboxEvent:
    message = pb.ReadingsAcceptedColumns(bidirectional=[False])
    return OutboxEvent.of(TOPIC_TELEMETRY, enterprise_id, message, enterprise_id)


def test_events_are_appended_as_the_relay_reads_them(redis_client):
    intake = CheckedOutbox(redis_client, Outbox(redis_client))
    events = {"ent-a": event("ent-a"), "ent-b": event("ent-b")}
    intake.append(events, max_backlog=10)
    for enterprise_id, sent in events.items():
        [(_, fields)] = redis_client.xrange(stream_key(enterprise_id))
        assert fields == {
            k.encode(): v if isinstance(v, bytes) else v.encode() for k, v in sent.fields().items()
        }


def test_a_full_outbox_refuses_its_event_and_names_the_setting(redis_client):
    intake = CheckedOutbox(redis_client, Outbox(redis_client))
    for _ in range(3):
        intake.append({"ent-full": event("ent-full")}, max_backlog=3)
    with pytest.raises(Unavailable) as refused:
        intake.append({"ent-full": event("ent-full"), "ent-ok": event("ent-ok")}, max_backlog=3)
    assert "ent-full" in str(refused.value) and "PARKVPP_OUTBOX_MAX_BACKLOG=3" in str(refused.value)
    assert redis_client.xlen(stream_key("ent-full")) == 3  # nothing beyond the backlog
    assert redis_client.xlen(stream_key("ent-ok")) == 1  # written; a resend changes no rollup


def test_a_lost_script_is_loaded_again(redis_client):
    intake = CheckedOutbox(redis_client, Outbox(redis_client))
    redis_client.script_flush()
    intake.append({"ent-a": event("ent-a")}, max_backlog=10)
    assert redis_client.xlen(stream_key("ent-a")) == 1
