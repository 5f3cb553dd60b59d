"""The async gRPC load engine: weighted scenarios at a target rate or concurrency, timed.

A scenario is a coroutine `scenario(ctx)` that makes one or more RPCs through
`ctx.call(name, awaitable)`, which times each RPC and records its status code. The engine
starts scenarios open-loop at `rate` per second (arrivals do not wait for replies, so a
slow server shows as latency rather than as fewer requests; a cap on calls in flight
turns overload into counted `skipped` arrivals) or closed-loop with `concurrency`
workers, for `duration_s`, after `warmup_s` that is run but not recorded.
"""

from __future__ import annotations

import asyncio
import contextvars
import random
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
from grpc import aio

#: Most scenarios in flight in open-loop mode; arrivals beyond it are counted as skipped.
MAX_IN_FLIGHT = 2000
#: Whether the scenario running in this task started inside the measured window.
_MEASURED: contextvars.ContextVar[bool] = contextvars.ContextVar("measured", default=False)


@dataclass
class Recorder:
    """Latencies (seconds) and status codes per RPC of scenarios started in the window."""

    latencies_s: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    codes: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    skipped: int = 0
    scenario_errors: Counter[str] = field(default_factory=Counter)

    def add(self, rpc: str, seconds: float, code: str) -> None:
        if _MEASURED.get():
            self.latencies_s[rpc].append(seconds)
            self.codes[rpc][code] += 1


class Credentials:
    """Bearer tokens per role: one fixed token for every role, or minted from a secret."""

    def __init__(self, token: str = "", mint: Callable[[str], str] | None = None) -> None:
        self._token = token
        self._mint = mint
        self._cache: dict[str, tuple[tuple[str, str], ...]] = {}

    def metadata(self, role: str) -> tuple[tuple[str, str], ...]:
        """`authorization: Bearer <token>` for `role` (e.g. "enterprise:ent-chem"), or ()."""
        if role not in self._cache:
            token = self._token or (self._mint(role) if self._mint else "")
            self._cache[role] = (("authorization", f"Bearer {token}"),) if token else ()
        return self._cache[role]


class Context:
    """What a scenario uses: channels per service, credentials, the recorder, a RNG."""

    def __init__(
        self,
        channels: dict[str, aio.Channel],
        credentials: Credentials,
        recorder: Recorder,
        seed: int,
        timeout_s: float,
    ) -> None:
        self.channels = channels
        self.credentials = credentials
        self.recorder = recorder
        self.rng = random.Random(seed)
        self.timeout_s = timeout_s
        self.state: dict[str, Any] = {}

    def meta(self, role: str) -> tuple[tuple[str, str], ...]:
        return self.credentials.metadata(role)

    async def call(self, rpc: str, pending: Awaitable[Any]) -> Any:
        """Await one RPC, recording its latency and code; re-raises a failed call."""
        started = time.perf_counter()
        try:
            reply = await pending
        except aio.AioRpcError as exc:
            self.recorder.add(rpc, time.perf_counter() - started, exc.code().name)
            raise
        self.recorder.add(rpc, time.perf_counter() - started, "OK")
        return reply


Scenario = Callable[[Context], Awaitable[None]]


def open_channels(
    addrs: dict[str, str], ca_file: str = "", cert_file: str = "", key_file: str = ""
) -> dict[str, aio.Channel]:
    """One aio channel per distinct address (plaintext, or TLS when `ca_file` is given)."""
    by_addr: dict[str, aio.Channel] = {}
    for addr in set(addrs.values()):
        if ca_file:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=_read(ca_file),
                private_key=_read(key_file),
                certificate_chain=_read(cert_file),
            )
            by_addr[addr] = aio.secure_channel(addr, credentials)
        else:
            by_addr[addr] = aio.insecure_channel(addr)
    return {name: by_addr[addr] for name, addr in addrs.items()}


def _read(path: str) -> bytes | None:
    if not path:
        return None
    with open(path, "rb") as handle:
        return handle.read()


class Mix:
    """Weighted choice among named scenarios."""

    def __init__(self, scenarios: dict[str, Scenario], weights: dict[str, float]) -> None:
        chosen = {name: w for name, w in weights.items() if w > 0}
        unknown = set(chosen) - set(scenarios)
        if unknown or not chosen:
            raise ValueError(f"scenario weights {weights} name none or unknown scenarios")
        self.names = list(chosen)
        self.weights = [chosen[n] for n in self.names]
        self.scenarios = scenarios

    def pick(self, rng: random.Random) -> tuple[str, Scenario]:
        name = rng.choices(self.names, self.weights)[0]
        return name, self.scenarios[name]


async def _run_one(ctx: Context, name: str, scenario: Scenario, measured: bool) -> None:
    _MEASURED.set(measured)
    try:
        await scenario(ctx)
    except aio.AioRpcError:
        pass  # recorded by ctx.call
    except Exception as exc:  # noqa: BLE001 - a broken scenario is reported, not fatal
        if measured:
            ctx.recorder.scenario_errors[f"{name}: {type(exc).__name__}: {exc}"] += 1


async def run_open_loop(ctx: Context, mix: Mix, rate: float, warmup_s: float, duration_s: float):
    """Start `rate` scenarios per second (evenly spaced); returns the recorded seconds."""
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task] = set()
    start = loop.time()
    record_from, end = start + warmup_s, start + warmup_s + duration_s
    next_at = start
    while next_at < end:
        now = loop.time()
        if next_at > now:
            await asyncio.sleep(next_at - now)
        while next_at <= loop.time() and next_at < end:
            measured = next_at >= record_from
            next_at += 1.0 / rate
            if len(tasks) >= MAX_IN_FLIGHT:
                ctx.recorder.skipped += measured
                continue
            name, scenario = mix.pick(ctx.rng)
            task = asyncio.create_task(_run_one(ctx, name, scenario, measured))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(tasks, timeout=ctx.timeout_s)
    return duration_s


async def run_closed_loop(
    ctx: Context, mix: Mix, concurrency: int, warmup_s: float, duration_s: float
):
    """`concurrency` workers each run one scenario after another; returns recorded seconds."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    record_from, end = start + warmup_s, start + warmup_s + duration_s

    async def worker() -> None:
        while loop.time() < end:
            name, scenario = mix.pick(ctx.rng)
            await _run_one(ctx, name, scenario, record_from <= loop.time())

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return duration_s
