"""A day's dispatch instructions read back in one round trip (DispatchStore.of_day), on a
real Valkey: more instructions than one Lua HMGET may name, with acknowledgements and
superseded ones, equal to reading them id by id."""

from __future__ import annotations

import redis

from parkvpp.v1 import vpp_pb2 as pb
from services.vpp import dispatch_store
from services.vpp.dispatch_store import DispatchStore

DAY = "2026-12-04"


def _instruction(n: int, revision: int = 1, supersedes: str = "") -> pb.DispatchInstruction:
    item = pb.DispatchInstruction(
        instruction_id=f"ins-{revision}-{n}",
        enterprise_id="ent-day",
        asset_id=f"asset-{n // 96}",
        market_day=DAY,
        interval=n % 96,
        reduction_kw=1.5 + n,
        revision=revision,
        supersedes=supersedes,
    )
    item.deadline.seconds = 1_800_000_000 + n
    return item


def test_day_of_many_instructions_reads_like_one_by_one(redis_client: redis.Redis) -> None:
    store = DispatchStore(redis_client)
    count = 2 * dispatch_store._CHUNK + 123  # three HMGET chunks per field
    first = [_instruction(n) for n in range(count)]
    assert store.issue("ev-1", "ent-day", DAY, first) == count
    replaced = [_instruction(n, 2, f"ins-1-{n}") for n in range(0, count, 7)]
    assert store.issue("ev-2", "ent-day", DAY, replaced) == len(replaced)
    store.acknowledge("ent-day", [f"ins-1-{n}" for n in range(1, count, 5)])
    store.issue("ev-3", "ent-other", DAY, [_instruction(0)])  # another enterprise's day

    read = store.of_day("ent-day", DAY)

    assert len(read) == count + len(replaced)
    assert [i.sequence for i in read] == list(range(1, count + len(replaced) + 1))
    by_id = {i.instruction_id: i for i in read}
    assert by_id["ins-1-7"].status == pb.DISPATCH_STATUS_SUPERSEDED
    assert by_id["ins-1-7"].superseded_by == "ins-2-7"
    assert by_id["ins-1-6"].status == pb.DISPATCH_STATUS_ACKNOWLEDGED
    assert by_id["ins-1-2"].status == pb.DISPATCH_STATUS_SENT
    assert by_id[f"ins-1-{count - 1}"].reduction_kw == 1.5 + count - 1
    # the same as the pipelined read of every id (the resume path)
    assert read == store._load("ent-day", [i.instruction_id for i in read])


def test_unknown_day_is_empty(redis_client: redis.Redis) -> None:
    assert DispatchStore(redis_client).of_day("ent-none", DAY) == []
