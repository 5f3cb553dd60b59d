"""The demo day's books do not depend on killed services or a paused broker.

Each run is `parkvpp up` as a user starts it (one process per service, a fresh embedded
Valkey and broker in its own folder) driven by the demo day's client, which repeats
UNAVAILABLE calls until their deadline. The undisturbed day's books are read once and
compared with those of a day on which every service was killed (SIGKILL) once at a
seeded random moment of a step that uses it and restarted, and of a day on which the
broker was stopped (SIGSTOP) for 30 s while the day's meter readings were streamed.
"""

from __future__ import annotations

import os
import random
import re
import signal
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from google.protobuf import json_format

from parkvpp.v1 import certificates_pb2, market_pb2, settlement_pb2, telemetry_pb2, vpp_pb2
from services.demo.clients import Clients
from services.demo.day import DaySummary, MarketDay, market_day_for
from services.demo.park import ASSETS, ENTERPRISES
from services.launcher import Stack
from services.runtime.auth import issue_token
from services.runtime.embedded import EmbeddedBroker
from services.runtime.settings import SERVICE_NAMES, load_settings

pytestmark = pytest.mark.timeout(420)

#: Seed of the kill plan; set PARKVPP_FAULTS_SEED to try other moments.
SEED = int(os.environ.get("PARKVPP_FAULTS_SEED", "20251106"))
#: The demo day's steps that use each service (vpp's dispatch consumer handles clearing).
STEPS_USING = {
    "enrollment": ("enrol",),
    "telemetry": ("history telemetry", "metering the day"),
    "vpp": ("flexibility and baselines", "clearing", "dispatch", "baselines of the event"),
    "bidding": ("bidding",),
    "market": ("bidding", "clearing"),
    "settlement": ("settlement",),
    "certificates": ("certificates and carbon",),
}
STEPS = (
    "enrol",
    "history telemetry",
    "flexibility and baselines",
    "bidding",
    "clearing",
    "dispatch",
    "metering the day",
    "baselines of the event",
    "settlement",
    "certificates and carbon",
)
#: Fields that legitimately differ between two runs of the same day: wall-clock times.
CLOCK_FIELDS = frozenset({"created_at", "cleared_at", "deadline"})
#: Bid plan ids end in a random suffix (one per PrepareBids call); the market's order and
#: award ids are made from them.
PLAN_ID = re.compile(r"plan-(\d{4}-\d{2}-\d{2})-[0-9a-f]{8}")
PAUSE_S = 30.0


@contextmanager
def running_stack(data_dir, supervise: bool = False) -> Iterator[Stack]:
    """`parkvpp up` on fresh embedded backends in `data_dir` (settings from the environment)."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS")}
    settings = load_settings(env).with_overrides(data_dir=str(data_dir))
    stack = Stack(settings, free_ports=True, supervise=supervise)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop(grace_s=5)


def _plain(message, drop: frozenset[str] = CLOCK_FIELDS):
    """A message as nested dicts without the `drop` fields at any depth."""

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in drop}
        if isinstance(value, list):
            return [strip(v) for v in value]
        if isinstance(value, str):
            return PLAN_ID.sub(r"plan-\1-<random>", value)
        return value

    return strip(json_format.MessageToDict(message, preserving_proto_field_name=True))


def read_books(clients: Clients, summary: DaySummary, token_for) -> dict[str, object]:
    """The day's books as plain data: settlement, statements, ledger, footprints, and the
    clearing, dispatch and meter rollups they were computed from."""
    day = summary.market_day.isoformat()

    def as_(role: str):
        return Clients.bearer_metadata(token_for(role))

    books: dict[str, object] = {"settlement_run": _plain(summary.settlement)}
    for enterprise_id, _, _ in ENTERPRISES:
        mine = as_(f"enterprise:{enterprise_id}")
        books[f"statement/{enterprise_id}"] = _plain(
            clients.settlement.GetStatement(
                settlement_pb2.GetStatementRequest(enterprise_id=enterprise_id, market_day=day),
                metadata=mine,
                timeout=30,
            )
        )
        books[f"balance/{enterprise_id}"] = _plain(
            clients.certificates.GetBalance(
                certificates_pb2.GetBalanceRequest(enterprise_id=enterprise_id),
                metadata=mine,
                timeout=30,
            )
        )
        books[f"lots/{enterprise_id}"] = _plain(
            clients.certificates.ListLots(
                certificates_pb2.ListLotsRequest(owner_enterprise_id=enterprise_id, page_size=500),
                metadata=mine,
                timeout=30,
            )
        )
        books[f"footprint/{enterprise_id}"] = _plain(
            clients.certificates.GetCarbonFootprint(
                certificates_pb2.GetCarbonFootprintRequest(
                    enterprise_id=enterprise_id, from_market_day=day, to_market_day=day
                ),
                metadata=mine,
                timeout=30,
            )
        )
    books["park_indicators"] = _plain(
        clients.certificates.GetParkIndicators(
            certificates_pb2.GetParkIndicatorsRequest(from_market_day=day, to_market_day=day),
            timeout=30,
        )
    )
    books["clearing"] = _plain(
        clients.market.GetClearingResult(
            market_pb2.GetClearingResultRequest(market_day=day), timeout=30
        )
    )
    books["dispatch"] = _plain(
        clients.vpp.ListDispatch(vpp_pb2.ListDispatchRequest(market_day=day), timeout=30)
    )
    for asset in ASSETS:
        books[f"metered/{asset.asset_id}"] = _plain(
            clients.telemetry.GetLoadProfile(
                telemetry_pb2.GetLoadProfileRequest(asset_id=asset.asset_id, from_market_day=day),
                timeout=30,
            )
        )
    return books


@dataclass
class DayRun:
    summary: DaySummary
    books: dict[str, object]
    #: Notes of what was done to the stack during the day, for failure messages.
    faults: list[str] = field(default_factory=list)


class StepClock:
    """The demo day's log callback: when each step started, and which step runs now."""

    def __init__(self) -> None:
        self.started: dict[str, float] = {}
        self.events = {name: threading.Event() for name in STEPS}
        self.current = "before the day"
        self.on_step = lambda name: None

    def __call__(self, line: str) -> None:
        if line.startswith("-- ") and line[3:] in self.events:
            name = line[3:]
            self.current = name
            self.started[name] = time.monotonic()
            self.on_step(name)
            self.events[name].set()


def run_day(stack: Stack, clock: StepClock) -> tuple[Clients, MarketDay]:
    """Clients that ride out restarts, and the day ready to run (the caller runs it)."""
    token_for = lambda role: issue_token(stack.token_secret, role)  # noqa: E731
    clients = Clients.connect(stack.grpc_addrs, token=token_for("operator"), retry_unavailable=True)
    return clients, MarketDay(clients, market_day_for(), clock, token_for)


@pytest.fixture(scope="module")
def undisturbed(tmp_path_factory) -> DayRun:
    with running_stack(tmp_path_factory.mktemp("undisturbed")) as stack:
        clients, day = run_day(stack, StepClock())
        try:
            summary = day.run()
            books = read_books(clients, summary, lambda r: issue_token(stack.token_secret, r))
        finally:
            clients.close()
    return DayRun(summary, books)


def first_difference(expected: object, got: object, path: str = "") -> str:
    """Where two plain values first differ, e.g. `intervals[3].reading_count: 1 != 2`."""
    if isinstance(expected, dict) and isinstance(got, dict):
        for key in sorted(set(expected) | set(got)):
            if expected.get(key) != got.get(key):
                return first_difference(expected.get(key), got.get(key), f"{path}.{key}")
    if isinstance(expected, list) and isinstance(got, list):
        if len(expected) != len(got):
            return f"{path}: {len(expected)} items != {len(got)} items"
        for n, (a, b) in enumerate(zip(expected, got, strict=True)):
            if a != b:
                return first_difference(a, b, f"{path}[{n}]")
    return f"{path}: {expected!r} != {got!r}"


def assert_same_books(run: DayRun, reference: DayRun) -> None:
    different = {
        name: first_difference(reference.books[name], run.books.get(name))
        for name in reference.books
        if run.books.get(name) != reference.books[name]
    }
    assert not different, (
        f"books differ (undisturbed != disturbed): {different}; faults: {run.faults}"
    )


@dataclass(frozen=True)
class Kill:
    service: str
    step: str
    #: Seconds after the step started (a share of its undisturbed duration).
    after_s: float


def kill_plan(step_seconds: dict[str, float], seed: int = SEED) -> list[Kill]:
    """One kill per service at a random moment of a random step that uses it, in day order."""
    rng = random.Random(seed)
    plan = []
    for service in SERVICE_NAMES:
        step = rng.choice(STEPS_USING[service])
        # In the first half of the step: a kill planned near its end can miss a quicker run.
        plan.append(Kill(service, step, 0.5 * rng.random() * step_seconds[step]))
    return sorted(plan, key=lambda k: (STEPS.index(k.step), k.after_s))


def test_killing_every_service_once_mid_day_leaves_the_books_unchanged(undisturbed, tmp_path):
    plan = kill_plan(undisturbed.summary.timings_s)
    assert {k.service for k in plan} == set(SERVICE_NAMES)
    clock = StepClock()
    outcome: dict[str, object] = {}
    faults: list[str] = []
    with running_stack(tmp_path) as stack:
        clients, day = run_day(stack, clock)

        def run() -> None:
            try:
                outcome["summary"] = day.run()
            except BaseException:  # noqa: BLE001 - reported by the test below
                outcome["error"] = traceback.format_exc()
            finally:
                for started in clock.events.values():
                    started.set()

        worker = threading.Thread(target=run, name="market-day", daemon=True)
        worker.start()
        killed_in = []
        for kill in plan:
            clock.events[kill.step].wait()
            at = clock.started.get(kill.step, 0.0) + kill.after_s
            worker.join(timeout=max(0.0, at - time.monotonic()))  # returns early if the day ends
            child = stack._children[kill.service]
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            killed_in.append(clock.current if worker.is_alive() else "after the day")
            # Restarted here: a child dies with the thread that started it (PDEATHSIG).
            stack.restart(kill.service)
            faults.append(
                f"{kill.service} killed during '{killed_in[-1]}' "
                f"(planned: '{kill.step}' +{kill.after_s:.2f}s)"
            )
        worker.join(timeout=360)
        try:
            assert not worker.is_alive(), f"the day did not finish; faults: {faults}"
            assert "error" not in outcome, f"the day failed: {outcome.get('error')}; {faults}"
            stack.wait_healthy(60)
            summary = outcome["summary"]
            books = read_books(clients, summary, lambda r: issue_token(stack.token_secret, r))
        finally:
            clients.close()
    print("\n".join(faults), f"\ncalls retried: {dict(clients.retry.retried)}")
    assert "after the day" not in killed_in, f"a kill missed the day: {faults}"
    assert_same_books(DayRun(summary, books, faults), undisturbed)


def test_a_broker_paused_for_30_s_mid_day_loses_and_doubles_nothing(
    undisturbed, tmp_path, monkeypatch
):
    # The relay gives up a round after 10 s and sends it again; meter readings are
    # acknowledged from the outbox meanwhile, so the day does not wait for the broker.
    monkeypatch.setenv("PARKVPP_KAFKA_PUBLISH_TIMEOUT_S", "10")
    clock = StepClock()
    with running_stack(tmp_path) as stack:
        (broker,) = [s for s in stack._embedded if isinstance(s, EmbeddedBroker)]
        resumed = threading.Event()
        paused_at: list[float] = []

        def resume() -> None:
            os.kill(broker.pid, signal.SIGCONT)
            resumed.set()

        def pause_on_metering(step: str) -> None:
            if step == "metering the day":
                os.kill(broker.pid, signal.SIGSTOP)
                paused_at.append(time.monotonic())
                threading.Timer(PAUSE_S, resume).start()

        clock.on_step = pause_on_metering
        clients, day = run_day(stack, clock)
        try:
            summary = day.run()
            books = read_books(clients, summary, lambda r: issue_token(stack.token_secret, r))
        finally:
            resumed.wait(PAUSE_S + 5)
            os.kill(broker.pid, signal.SIGCONT)
            clients.close()
    assert paused_at and resumed.is_set()
    for asset in ASSETS:
        intervals = books[f"metered/{asset.asset_id}"]["intervals"]
        counts = [i.get("reading_count", 0) for i in intervals]
        assert set(counts) <= {0, 1}, f"{asset.asset_id}: a reading was rolled up twice"
    faults = [f"broker stopped for {PAUSE_S:.0f}s from the start of 'metering the day'"]
    assert_same_books(DayRun(summary, books, faults), undisturbed)


def test_telemetry_killed_while_the_day_is_metered_settles_to_the_same_fen(undisturbed, tmp_path):
    """`parkvpp up` (supervised) loses no acknowledged reading when telemetry dies as the day's
    readings are streamed.

    Before the outbox, `up` tore the stack down and the memory-only broker lost all 474
    readings of the day: settlement turned revenue into penalties for every enterprise.
    """
    clock = StepClock()
    killed: list[int] = []
    with running_stack(tmp_path, supervise=True) as stack:

        def kill_on_metering(step: str) -> None:
            if step == "metering the day":
                pid = stack._children["telemetry"].pid
                threading.Timer(0.05, os.kill, (pid, signal.SIGKILL)).start()
                killed.append(pid)

        clock.on_step = kill_on_metering
        clients, day = run_day(stack, clock)
        try:
            summary = day.run()
            stack.wait_healthy(60)
            books = read_books(clients, summary, lambda r: issue_token(stack.token_secret, r))
        finally:
            clients.close()
        assert killed and stack._children["telemetry"].pid != killed[0], "telemetry restarted"
    faults = ["telemetry killed 0.05 s into 'metering the day' (restarted by the supervisor)"]
    assert books["settlement_run"] == undisturbed.books["settlement_run"]
    assert_same_books(DayRun(summary, books, faults), undisturbed)
