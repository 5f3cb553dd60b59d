"""Every RPC, fed adversarial and almost-valid requests, answers OK or a client error.

The RPCs are read from the generated service descriptors, so a new RPC is fuzzed as soon
as it exists (`test_every_rpc_has_a_valid_request_and_a_permission_rule` fails until
tests/fuzz_strategies.py has a valid request for it). Each of the 32 RPCs runs
EXAMPLES_PER_RPC = 30 hypothesis examples (PARKVPP_FUZZ_EXAMPLES raises it for a deeper
local run), about half generic and half almost valid (see fuzz_strategies), against all
seven services after the demo's market day, as a role the permission table allows, with
rate limits off so that no call is refused for speed.

A refused write changes no state. Approach: whole-state snapshots, compared before and
after the call. A snapshot is a digest of every Redis key but rate-limit buckets (its
type and content, hash fields and set members sorted, hashed inside Redis by _DIGEST)
plus the broker's end offsets, so a refusal must neither write to Redis nor publish an
event. Why this is sound although consumers apply accepted events asynchronously: the
snapshot before a write first waits until every consumer group of the stack has
committed past the end of its topics and Redis then held still for QUIET_S. This test
is the stack's only client, so from then on any difference is the call's own, and an
event the call itself published shows in the offsets. A wait that ended too early can
only add a difference (a false alarm), never hide one. Digests are recomputed only when
Valkey's change counter moved, which keeps refused writes cheap. A client stream that
failed after its first batch may rightly have taken earlier batches, so it is checked
only when it sent one batch, or when its summary says nothing was accepted.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

import grpc
import pytest
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kafka import KafkaAdminClient, KafkaConsumer
from kafka.structs import TopicPartition

import parkvpp.v1
from parkvpp.v1 import bidding_pb2 as bpb
from parkvpp.v1 import certificates_pb2 as cpb
from parkvpp.v1 import enrollment_pb2 as epb
from parkvpp.v1 import market_pb2 as mpb
from parkvpp.v1 import settlement_pb2 as spb
from parkvpp.v1 import telemetry_pb2 as tpb
from parkvpp.v1 import vpp_pb2 as vpb
from services.demo.day import DaySummary, MarketDay, market_day_for
from services.demo.park import ASSETS, ENTERPRISES, curtailable_spec
from services.runtime import outbox
from services.runtime.events import TOPICS
from services.runtime.local_stack import LocalStack
from services.runtime.permissions import PERMISSIONS, Rule
from services.runtime.settings import SERVICE_NAMES
from services.telemetry.servicer import MAX_BATCH_READINGS
from tests.fuzz_strategies import ONE_MB, VALID, ParkIds, RequestStrategies, rpc_path

EXAMPLES_PER_RPC = int(os.environ.get("PARKVPP_FUZZ_EXAMPLES", "30"))
CLIENT_ERRORS = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.OUT_OF_RANGE,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
}
#: A server stream not asked to end when caught up is cut by this deadline.
CUT_STREAM_S = 0.3
QUIET_S = 0.2
FUZZ = settings(
    max_examples=EXAMPLES_PER_RPC,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
UNLIMITED = {"PARKVPP_RATE_WRITES_PER_S": "0", "PARKVPP_RATE_READINGS_PER_S": "0"}


def _all_rpcs() -> list[MethodDescriptor]:
    """Every RPC of every generated service: reads first, so writes cannot starve them."""
    methods = []
    for module in pkgutil.iter_modules(parkvpp.v1.__path__):
        if module.name.endswith("_pb2"):
            descriptor = importlib.import_module(f"parkvpp.v1.{module.name}").DESCRIPTOR
            for service in descriptor.services_by_name.values():
                methods.extend(service.methods)
    rule = PERMISSIONS.get
    return sorted(methods, key=lambda m: rule(rpc_path(m)) is None or bool(rule(rpc_path(m)).rate))


RPCS = _all_rpcs()
#: Per key, SHA-1 of its type and content, computed in Redis in one round trip. Not DUMP:
#: a hash or set stored as a hash table dumps in table order, which a lookup can change
#: (incremental rehashing), so hash fields and set members are sorted first.
_DIGEST = """
local out, cursor = {}, "0"
repeat
  local page = redis.call("SCAN", cursor, "COUNT", 1000)
  cursor = page[1]
  for _, key in ipairs(page[2]) do
    if not string.find(key, "ratelimit", 1, true) and not string.find(key, "{outbox}", 1, true) then
      local kind = redis.call("TYPE", key)["ok"]
      local items
      if kind == "hash" then
        local flat = redis.call("HGETALL", key)
        items = {}
        for i = 1, #flat, 2 do items[#items + 1] = #flat[i] .. ":" .. flat[i] .. flat[i + 1] end
        table.sort(items)
      elseif kind == "set" then
        items = redis.call("SMEMBERS", key)
        table.sort(items)
      elseif kind == "zset" then
        items = redis.call("ZRANGE", key, 0, -1, "WITHSCORES")
      elseif kind == "list" then
        items = redis.call("LRANGE", key, 0, -1)
      elseif kind == "string" then
        items = {redis.call("GET", key)}
      else
        items = {redis.call("DUMP", key) or ""}
      end
      local parts = {kind}
      for _, item in ipairs(items) do parts[#parts + 1] = #item .. ":" .. item end
      out[#out + 1] = key
      out[#out + 1] = redis.sha1hex(table.concat(parts, ","))
    end
  end
until cursor == "0"
return out
"""


class StateProbe:
    """The stack's state: a digest per Redis key and the broker's end offsets."""

    def __init__(self, stack: LocalStack) -> None:
        self.redis = stack.redis
        self._digest = self.redis.register_script(_DIGEST)
        bootstrap = stack.settings.kafka_bootstrap_servers
        self._admin = KafkaAdminClient(bootstrap_servers=bootstrap)
        self._offsets = KafkaConsumer(bootstrap_servers=bootstrap)
        self._groups = [
            (c.spec.group, {stack.topic(t) for t in c.spec.topics}) for c in stack.app.consumers
        ]
        self._partitions = [
            TopicPartition(stack.topic(topic), p)
            for topic in TOPICS
            for p in sorted(self._offsets.partitions_for_topic(stack.topic(topic)) or ())
        ]
        self._quiet_at: dict[TopicPartition, int] | None = None
        self._digests: tuple[int, dict[bytes, bytes]] | None = None

    def keys(self) -> dict[bytes, bytes]:
        """A digest per key of its content in canonical order. Rate-limit buckets and the
        relay's bookkeeping (`{outbox}` keys: lease, retained events, done marks) are left
        out; the outbox streams of the state's own hash tags are in."""
        flat = self._digest()
        return dict(zip(flat[::2], flat[1::2], strict=True))

    def ends(self) -> dict[TopicPartition, int]:
        return self._offsets.end_offsets(self._partitions)

    def _consumed(self, ends: dict[TopicPartition, int]) -> dict[TopicPartition, int]:
        """The end offsets of topics some consumer of the stack reads."""
        topics = {t for _, group_topics in self._groups for t in group_topics}
        return {p: end for p, end in ends.items() if p.topic in topics}

    def _caught_up(self, ends: dict[TopicPartition, int]) -> bool:
        for group, topics in self._groups:
            committed = self._admin.list_group_offsets({group: None})[group]
            for partition, end in ends.items():
                if partition.topic in topics and end > 0:
                    done = committed.get(partition)
                    if done is None or done.offset < end:
                        return False
        return True

    def _outbox_drained(self) -> bool:
        """Every outbox event published and applied by every group (retained log empty)."""
        streams = list(self.redis.smembers(outbox.STREAMS_KEY))
        waiting = sum(int(self.redis.xlen(s)) for s in streams)
        return waiting == 0 and int(self.redis.xlen(outbox.RETAINED_KEY)) == 0

    def changes(self) -> int:
        """Valkey's count of changes to its data (never reset: the server saves no RDB)."""
        return int(self.redis.info("persistence")["rdb_changes_since_last_save"])

    def quiesce(self, timeout_s: float = 120.0) -> None:
        """Wait until the consumers applied every event published so far.

        Done when every group has committed past the end of its partitions and Redis
        then took no change for QUIET_S. Raises AssertionError after `timeout_s`.
        """
        if self._consumed(self.ends()) == self._quiet_at and self._outbox_drained():
            return
        deadline = time.monotonic() + timeout_s
        previous = None
        while time.monotonic() < deadline:
            ends = self.ends()
            settled = self._caught_up(ends) and self._outbox_drained()
            changes = self.changes() if settled else None
            if changes is not None and changes == previous:
                self._quiet_at = self._consumed(ends)
                return
            previous = changes
            time.sleep(QUIET_S)
        raise AssertionError(f"consumers still busy after {timeout_s:.0f}s")

    def snapshot(self) -> tuple[dict[bytes, bytes], dict[TopicPartition, int]]:
        """The quiesced state; digests are read again only when Redis counted a change."""
        self.quiesce()
        changes = self.changes()
        if self._digests is None or self._digests[0] != changes:
            self._digests = (changes, self.keys())
        return self._digests[1], self.ends()

    def close(self) -> None:
        self._admin.close()
        self._offsets.close()


@dataclass
class Outcome:
    code: grpc.StatusCode
    details: str
    reply: Message | None
    #: A server stream this test cut short by its deadline.
    cut: bool


class Fuzzer:
    """Calls any RPC of the stack by its descriptor, as a given role."""

    def __init__(self, stack: LocalStack, park: ParkIds) -> None:
        self.stack = stack
        self.park = park
        self.strategies = RequestStrategies(park)
        self.probe = StateProbe(stack)
        self.channel = grpc.insecure_channel(stack.addr)
        self._stubs: dict[str, object] = {}

    def stub(self, method: MethodDescriptor):
        service = method.containing_service
        if service.full_name not in self._stubs:
            module = importlib.import_module(
                service.file.name[: -len(".proto")].replace("/", ".") + "_pb2_grpc"
            )
            self._stubs[service.full_name] = getattr(module, f"{service.name}Stub")(self.channel)
        return getattr(self._stubs[service.full_name], method.name)

    def call(self, method: MethodDescriptor, request, role: str) -> Outcome:
        """One call; a server stream not asked to end when caught up is cut by deadline."""
        cut = method.server_streaming and not getattr(request, "until_caught_up", False)
        payload = iter(request) if method.client_streaming else request
        try:
            reply = self.stub(method)(
                payload, metadata=self.stack.auth(role), timeout=CUT_STREAM_S if cut else 120
            )
            if method.server_streaming:
                reply = list(reply)
            return Outcome(grpc.StatusCode.OK, "", reply, cut)
        except grpc.RpcError as err:
            return Outcome(err.code(), err.details() or "", None, cut)

    def close(self) -> None:
        self.channel.close()
        self.probe.close()


def _method(module, service: str, name: str) -> MethodDescriptor:
    return module.DESCRIPTOR.services_by_name[service].methods_by_name[name]


def _park_ids(stack: LocalStack, summary: DaySummary) -> ParkIds:
    """The seeded day's ids, two spare assets for WithdrawAsset and a plan not yet submitted."""
    spares = ["fz-spare-1", "fz-spare-2"]
    clients = stack.clients()
    try:
        for asset_id in spares:
            clients.enrollment.EnrollAsset(
                epb.EnrollAssetRequest(
                    request_id=f"enrol-{asset_id}",
                    enterprise_id="ent-foundry",
                    name="Spare compressor",
                    spec=curtailable_spec(50.0),
                    asset_id=asset_id,
                )
            )
            clients.enrollment.ApproveAsset(epb.ApproveAssetRequest(asset_id=asset_id))
        lots = clients.certificates.ListLots(
            cpb.ListLotsRequest(status=cpb.LOT_STATUS_ACTIVE, page_size=1000)
        ).lots
        next_day = summary.market_day + timedelta(days=1)
        while next_day.isoweekday() > 5:
            next_day += timedelta(days=1)
        unsubmitted = clients.bidding.PrepareBids(
            bpb.PrepareBidsRequest(market_day=next_day.isoformat()), timeout=120
        )
    finally:
        clients.close()
    return ParkIds(
        market_day=summary.market_day,
        enterprises=[e for e, _, _ in ENTERPRISES],
        asset_owner={a.asset_id: a.enterprise_id for a in ASSETS}
        | dict.fromkeys(spares, "ent-foundry"),
        asset_specs={a.asset_id: a.spec for a in ASSETS}
        | dict.fromkeys(spares, curtailable_spec(50.0)),
        generators=[a.asset_id for a in ASSETS if a.spec.WhichOneof("kind") == "generator"],
        plans=[summary.plan.plan_id, unsubmitted.plan_id],
        lots=[(lot.lot_id, lot.owner_enterprise_id, lot.energy_wh) for lot in lots],
        instructions={
            e: [i.instruction_id for i in items] for e, items in summary.instructions.items()
        },
        spares=spares,
    )


@pytest.fixture(scope="module")
def fuzz(redis_url, kafka_bootstrap):
    """All services on Redis db 10 after the demo's market day, rate limits off."""
    stack = LocalStack(
        redis_url,
        kafka_bootstrap,
        10,
        group_prefix="test-db10",
        env=UNLIMITED,
        topic_prefix=f"test-db10-{uuid.uuid4().hex[:8]}.",
    )
    stack.start()
    try:
        clients = stack.clients()
        try:
            summary = MarketDay(clients, market_day_for(), lambda _line: None, stack.token).run()
        finally:
            clients.close()
        fuzzer = Fuzzer(stack, _park_ids(stack, summary))
        fuzzer.probe.quiesce()
        yield fuzzer
        fuzzer.close()
    finally:
        stack.stop()


def _roles(rule: Rule, request, park: ParkIds) -> st.SearchStrategy[str]:
    """Roles allowed to call; an enterprise is one the request names, when it names one."""
    first = request[0] if isinstance(request, list) and request else request
    named = []
    if isinstance(first, Message):
        named = [getattr(first, f) for f in rule.enterprise_fields]
        named += [park.asset_owner.get(getattr(first, f), "") for f in rule.asset_fields]
    own = [e for e in named if e in park.enterprises] or park.enterprises
    roles = [r for r in sorted(rule.roles) if r != "enterprise"]
    if "enterprise" in rule.roles:
        roles += [f"enterprise:{e}" for e in dict.fromkeys(own)]
    return st.sampled_from(roles)


def _must_change_nothing(method: MethodDescriptor, request, outcome: Outcome) -> bool:
    if outcome.code == grpc.StatusCode.OK:
        return isinstance(outcome.reply, tpb.IngestSummary) and outcome.reply.accepted == 0
    return not method.client_streaming or len(request) <= 1


def _differences(before, after) -> str:
    """What changed between two snapshots, or "" when nothing did."""
    keys_before, ends_before = before
    keys_after, ends_after = after
    every = keys_before.keys() | keys_after.keys()
    changed = sorted(k for k in every if keys_before.get(k) != keys_after.get(k))
    published = sorted(str(p) for p in ends_after if ends_after[p] != ends_before.get(p))
    if not changed and not published:
        return ""
    return f"Redis keys changed: {changed[:10]}; events published on: {published}"


def test_every_rpc_has_a_valid_request_and_a_permission_rule():
    paths = {rpc_path(m) for m in RPCS}
    assert len({m.containing_service.full_name for m in RPCS}) == len(SERVICE_NAMES)
    assert paths - VALID.keys() == set(), "add a valid request to tests/fuzz_strategies.VALID"
    assert paths == PERMISSIONS.keys()


@pytest.mark.parametrize("method", RPCS, ids=lambda m: f"{m.containing_service.name}.{m.name}")
@FUZZ
@given(data=st.data())
def test_every_rpc_answers_ok_or_a_client_error(fuzz, method, data):
    request = data.draw(fuzz.strategies.requests(method), label="request")
    rule = PERMISSIONS[rpc_path(method)]
    role = data.draw(_roles(rule, request, fuzz.park), label="role")
    before = fuzz.probe.snapshot() if rule.rate else None
    outcome = fuzz.call(method, request, role)
    allowed = CLIENT_ERRORS | ({grpc.StatusCode.DEADLINE_EXCEEDED} if outcome.cut else set())
    answered = outcome.code == grpc.StatusCode.OK or outcome.code in allowed
    assert answered, f"{method.name} as {role}: {outcome.code.name} {outcome.details[:300]}"
    if before is not None and _must_change_nothing(method, request, outcome):
        changes = _differences(before, fuzz.probe.snapshot())
        assert not changes, f"refused {method.name} ({outcome.code.name}) changed state: {changes}"


#: Inputs the fuzz found answered INTERNAL (the load profile: listed 3.6 million days first),
#: and the field their refusal names now.
DAY = "2026-01-05"
FOUND = [
    (mpb.ClearMarketRequest(market_day=DAY, product=-1), "product"),
    (mpb.GetClearingResultRequest(market_day=DAY, product=1001), "product"),
    (vpb.GetBaselineRequest(market_day=DAY, asset_id="chem-chillers", method=96), "method"),
    (spb.RunSettlementRequest(market_day=DAY, baseline_method=-(2**31)), "baseline_method"),
    (vpb.GetFlexibilityRequest(market_day="0001-01-01"), "market_day"),
    (
        vpb.GetForecastAccuracyRequest(market_day="0001-01-01", asset_id="chem-chillers"),
        "market_day",
    ),
    (
        tpb.GetLoadProfileRequest(
            asset_id="chem-chillers", from_market_day="0001-01-01", to_market_day="9999-12-31"
        ),
        "from_market_day",
    ),
    (cpb.ListLotsRequest(page_token="١٢٣"), "page_token"),
]


@pytest.mark.parametrize(("request_", "field"), FOUND, ids=[type(r).__name__ for r, _ in FOUND])
def test_inputs_the_fuzz_found_are_refused_naming_the_field(fuzz, request_, field):
    method = next(m for m in RPCS if m.input_type.full_name == request_.DESCRIPTOR.full_name)
    outcome = fuzz.call(method, request_, "operator")
    assert outcome.code == grpc.StatusCode.INVALID_ARGUMENT, outcome
    assert outcome.details.startswith(f"{field}:"), outcome.details


REGISTER = _method(epb, "EnrollmentService", "RegisterEnterprise")
STREAM_READINGS = _method(tpb, "TelemetryService", "StreamReadings")


def _readings(count: int, asset_id: str = "foundry-furnace-1") -> tpb.ReadingBatch:
    """`count` valid readings of `asset_id`, one a minute up to now."""
    now = int(time.time())
    return tpb.ReadingBatch(
        readings=[
            tpb.Reading(asset_id=asset_id, timestamp={"seconds": now - 60 * n}, power_kw=100.0)
            for n in range(1, count + 1)
        ]
    )


def test_a_message_over_16_mb_is_refused_as_resource_exhausted(fuzz):
    huge = "x" * (17 << 20)
    before = fuzz.probe.snapshot()
    register = epb.RegisterEnterpriseRequest(enterprise_id="fz-huge", name=huge, grid_area="CN-JS")
    batch = tpb.ReadingBatch(readings=[tpb.Reading(asset_id=huge, power_kw=1.0)])
    for method, request in ((REGISTER, register), (STREAM_READINGS, [batch])):
        outcome = fuzz.call(method, request, "operator")
        assert outcome.code == grpc.StatusCode.RESOURCE_EXHAUSTED, outcome
        assert "larger than max" in outcome.details, outcome.details
    assert not _differences(before, fuzz.probe.snapshot())


def test_a_reading_batch_over_the_maximum_is_refused_naming_readings(fuzz):
    before = fuzz.probe.snapshot()
    too_many = fuzz.call(STREAM_READINGS, [_readings(MAX_BATCH_READINGS + 1)], "operator")
    assert too_many.code == grpc.StatusCode.INVALID_ARGUMENT
    assert too_many.details.startswith("readings:"), too_many.details
    assert not _differences(before, fuzz.probe.snapshot())
    at_most = fuzz.call(STREAM_READINGS, [_readings(MAX_BATCH_READINGS, "ast-ghost")], "operator")
    assert (at_most.reply.accepted, at_most.reply.rejected) == (0, MAX_BATCH_READINGS)


def test_an_asset_spec_too_big_for_its_event_is_refused_before_anything_is_stored(fuzz):
    generator = epb.AssetSpec(
        generator=epb.Generator(capacity_kw=10.0, technology=1, grid_connection_id=ONE_MB)
    )
    windows = curtailable_spec(10.0)
    windows.curtailable_load.availability.extend(
        [windows.curtailable_load.availability[0]] * 99_999
    )
    enrol = _method(epb, "EnrollmentService", "EnrollAsset")
    before = fuzz.probe.snapshot()
    for n, spec in enumerate((generator, windows)):
        request = epb.EnrollAssetRequest(
            request_id=f"fz-big-{n}", enterprise_id="ent-foundry", name="Big", spec=spec
        )
        outcome = fuzz.call(enrol, request, "operator")
        assert outcome.code == grpc.StatusCode.INVALID_ARGUMENT, outcome.details[:200]
        assert outcome.details.startswith("spec:"), outcome.details[:200]
    assert not _differences(before, fuzz.probe.snapshot())


def test_a_huge_bad_value_is_refused_with_its_own_code(fuzz):
    flexibility = _method(vpb, "VppService", "GetFlexibility")
    outcome = fuzz.call(flexibility, vpb.GetFlexibilityRequest(market_day=ONE_MB), "operator")
    assert outcome.code == grpc.StatusCode.INVALID_ARGUMENT, outcome.details[:200]
    assert outcome.details.startswith("market_day") and len(outcome.details) <= 512


def test_after_the_fuzz_every_service_serves_and_answers(fuzz):
    health = health_pb2_grpc.HealthStub(fuzz.channel)
    for name in ["", *fuzz.stack.app.names]:
        reply = health.Check(health_pb2.HealthCheckRequest(service=name), timeout=10)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING, name
    get = _method(epb, "EnrollmentService", "GetEnterprise")
    outcome = fuzz.call(get, epb.GetEnterpriseRequest(enterprise_id="ent-foundry"), "operator")
    assert outcome.code == grpc.StatusCode.OK and outcome.reply.grid_area == "CN-JS"
