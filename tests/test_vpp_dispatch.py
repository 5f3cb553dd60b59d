"""The dispatch stream over real gRPC and Redis: resume after reconnect, overdue instructions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY

from parkvpp.v1 import enrollment_pb2 as epb
from parkvpp.v1 import vpp_pb2 as pb
from services.runtime.rpc import to_ts
from services.vpp.dispatch_store import DispatchStore

DAY = "2026-11-20"
OTHER_DAY = "2026-11-21"


@pytest.fixture(scope="module")
def park(stack_factory):
    stack = stack_factory(db=7)
    clients = stack.clients()
    for enterprise_id in ("ent-d", "ent-other"):
        clients.enrollment.RegisterEnterprise(
            epb.RegisterEnterpriseRequest(
                enterprise_id=enterprise_id, name=enterprise_id, grid_area="CN-JS"
            )
        )
    now = datetime.now(UTC)
    store = DispatchStore(stack.redis)
    for enterprise_id in ("ent-d", "ent-other"):
        items = [
            pb.DispatchInstruction(
                instruction_id=f"{enterprise_id}-{n}",
                enterprise_id=enterprise_id,
                asset_id=f"{enterprise_id}-load",
                market_day=DAY,
                interval=40 + n,
                reduction_kw=100.0,
                # The first two are already past their deadline.
                deadline=to_ts(now + timedelta(hours=-1 if n < 2 else 1)),
            )
            for n in range(4)
        ]
        assert store.issue(f"evt-{enterprise_id}", enterprise_id, DAY, items) == 4
    yield stack, clients
    clients.close()


def subscribe(clients, enterprise_id: str, after: int = 0) -> list[pb.DispatchInstruction]:
    request = pb.SubscribeDispatchRequest(
        enterprise_id=enterprise_id, after_sequence=after, until_caught_up=True
    )
    return list(clients.vpp.SubscribeDispatch(request, timeout=10))


def ack(clients, enterprise_id: str, *ids: str) -> pb.AcknowledgeDispatchResponse:
    return clients.vpp.AcknowledgeDispatch(
        pb.AcknowledgeDispatchRequest(enterprise_id=enterprise_id, instruction_ids=list(ids))
    )


def overdue_gauge() -> float:
    return REGISTRY.get_sample_value("parkvpp_dispatch_overdue")


def test_a_reconnecting_subscriber_gets_every_unacknowledged_instruction_once(park):
    _, clients = park
    first = subscribe(clients, "ent-d")
    assert [i.instruction_id for i in first] == [f"ent-d-{n}" for n in range(4)]
    assert [i.sequence for i in first] == [1, 2, 3, 4]
    # Acknowledged out of order: the watermark stops before the unacknowledged ent-d-1.
    reply = ack(clients, "ent-d", "ent-d-0", "ent-d-2")
    assert (reply.acknowledged, reply.last_acknowledged_sequence) == (2, 1)
    # Reconnect: nothing lost (1 and 3), nothing applied twice (2 is skipped).
    assert [i.instruction_id for i in subscribe(clients, "ent-d")] == ["ent-d-1", "ent-d-3"]
    again = ack(clients, "ent-d", "ent-d-1", "ent-d-2")
    assert (again.acknowledged, again.last_acknowledged_sequence) == (1, 3)
    assert [i.instruction_id for i in subscribe(clients, "ent-d")] == ["ent-d-3"]
    # An explicit sequence replays everything after it, with each one's status.
    replay = subscribe(clients, "ent-d", after=1)
    assert [(i.sequence, i.status) for i in replay] == [
        (2, pb.DISPATCH_STATUS_ACKNOWLEDGED),
        (3, pb.DISPATCH_STATUS_ACKNOWLEDGED),
        (4, pb.DISPATCH_STATUS_SENT),
    ]


def test_acknowledging_another_enterprises_instructions_changes_nothing(park):
    _, clients = park
    reply = ack(clients, "ent-other", "ent-d-3")
    assert (reply.acknowledged, reply.last_acknowledged_sequence) == (0, 0)
    assert "ent-d-3" in [i.instruction_id for i in subscribe(clients, "ent-d")]


def test_overdue_instructions_are_listed_for_the_operator_and_counted(park):
    _, clients = park
    listed = clients.vpp.ListDispatch(pb.ListDispatchRequest(market_day=DAY, only_overdue=True))
    # ent-d acknowledged its two overdue ones in the test above (or not, if run alone).
    overdue_ids = {i.instruction_id for i in listed.instructions}
    assert {"ent-other-0", "ent-other-1"} <= overdue_ids
    assert not {"ent-other-2", "ent-other-3"} & overdue_ids
    assert overdue_gauge() == len(overdue_ids)
    ack(clients, "ent-other", "ent-other-0")
    assert overdue_gauge() == len(overdue_ids) - 1


def test_a_superseded_instruction_is_not_pending_not_streamed_and_counts_as_done(park):
    stack, clients = park
    clients.enrollment.RegisterEnterprise(
        epb.RegisterEnterpriseRequest(enterprise_id="ent-s", name="ent-s", grid_area="CN-JS")
    )
    store = DispatchStore(stack.redis)
    past = to_ts(datetime.now(UTC) - timedelta(hours=1))

    def instruction(instruction_id, kw, supersedes="", revision=1):
        return pb.DispatchInstruction(
            instruction_id=instruction_id,
            enterprise_id="ent-s",
            asset_id="ent-s-load",
            market_day=OTHER_DAY,
            interval=50,
            reduction_kw=kw,
            deadline=past,
            revision=revision,
            supersedes=supersedes,
        )

    assert store.issue("evt-s1", "ent-s", OTHER_DAY, [instruction("s-1", 80.0)]) == 1
    assert store.overdue("ent-s", datetime.now(UTC)) == 1
    assert store.issue("evt-s2", "ent-s", OTHER_DAY, [instruction("s-1-r2", 0.0, "s-1", 2)]) == 1
    old, new = store.of_day("ent-s", OTHER_DAY)
    assert (old.status, old.superseded_by) == (pb.DISPATCH_STATUS_SUPERSEDED, "s-1-r2")
    assert new.status == pb.DISPATCH_STATUS_SENT and new.sequence > old.sequence
    assert store.overdue("ent-s", datetime.now(UTC)) == 1  # only the new one is owed
    assert store.last_acknowledged("ent-s") == 1  # the superseded one is done with
    assert [i.instruction_id for i in subscribe(clients, "ent-s")] == ["s-1-r2"]
    assert [i.instruction_id for i in subscribe(clients, "ent-s", after=0)] == ["s-1-r2"]
    reply = ack(clients, "ent-s", "s-1-r2")
    assert (reply.acknowledged, reply.last_acknowledged_sequence) == (1, 2)
    assert store.overdue("ent-s", datetime.now(UTC)) == 0
