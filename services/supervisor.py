"""`parkvpp up`'s supervisor: restarts a child that died, alone, with back-off, logged and counted.

Services are started again on their ports; the embedded Valkey and broker on their port
and data folder (Valkey reloads its AOF). A restarted memory-only broker is empty, so the
supervisor creates the topics again and bumps the outbox's broker epoch, which makes the
relay publish again what the lost broker held.

The supervisor thread spawns the children it restarts, and a child dies with the thread
that spawned it (PR_SET_PDEATHSIG), so the thread lives until `Stack.stop` has stopped
every child (see `Supervisor.close`).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, ProcessCollector, start_http_server

if TYPE_CHECKING:
    from services.launcher import Stack

log = logging.getLogger("parkvpp.supervisor")

#: The `up` process's own metrics, apart from the services' (its /metrics shows only these).
REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
RESTARTS = Counter(
    "parkvpp_supervisor_restarts_total",
    "Children of `parkvpp up` started again after they exited, by process.",
    ["process"],
    registry=REGISTRY,
)
RESTART_FAILURES = Counter(
    "parkvpp_supervisor_restart_failures_total",
    "Restarts that failed (the child did not come up, or the broker's topics and epoch "
    "could not be set up again), by process; retried with back-off.",
    ["process"],
    registry=REGISTRY,
)


@dataclass
class Backoff:
    """Delay before the next restart: `first_s` doubling to `max_s`, reset after `stable_s` up."""

    first_s: float = 0.5
    max_s: float = 30.0
    stable_s: float = 60.0
    attempt: int = 0
    next_s: float = 0.0

    def after_exit(self, ran_s: float) -> tuple[int, float]:
        """(attempt number, delay) for a child that exited after running `ran_s` seconds."""
        if ran_s >= self.stable_s or self.attempt == 0:
            self.attempt, self.next_s = 0, self.first_s
        self.attempt += 1
        delay_s, self.next_s = self.next_s, min(self.next_s * 2, self.max_s)
        return self.attempt, delay_s


@dataclass
class Child:
    """One supervised process: how to see whether it exited, and how to start it again."""

    name: str
    poll: Callable[[], int | None]
    #: Starts it again; returns the new pid.
    restart: Callable[[], int]
    backoff: Backoff
    started_at: float = 0.0
    due_at: float | None = None


def describe_exit(code: int) -> str:
    """`exit code 1` or `signal SIGKILL` for a Popen returncode."""
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


class Supervisor:
    """Watches every child of a started Stack on its own thread and restarts the dead ones.

    Holds `stack.lock` while it restarts, so `Stack.stop` never races a spawn.
    """

    def __init__(
        self, stack: Stack, metrics_port: int, backoff: Callable[[], Backoff] = Backoff
    ) -> None:
        self._stack = stack
        now = time.monotonic()
        self.children = [
            Child(name, poll, restart, backoff(), started_at=now)
            for name, poll, restart in stack.supervised_children()
        ]
        self._closing = threading.Event()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="supervisor", daemon=True)
        host = stack.settings.grpc_host
        self._http, _ = start_http_server(metrics_port, addr=host, registry=REGISTRY)
        self.metrics_url = f"http://{host}:{self._http.server_port}/metrics"

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._closing.wait(0.2):
            for child in self.children:
                if self._closing.is_set():
                    break
                try:
                    self._check(child)
                except Exception:  # noqa: BLE001 - the supervisor must outlive any one failure
                    log.exception("supervising %s failed", child.name, extra={"child": child.name})
        self._closed.wait()  # the children this thread spawned die when it exits

    def _check(self, child: Child) -> None:
        if child.due_at is None:
            code = child.poll()
            if code is not None:
                self._schedule(child, f"exited with {describe_exit(code)}")
        elif time.monotonic() >= child.due_at:
            self._restart(child)

    def _schedule(self, child: Child, what: str) -> None:
        """Plan `child`'s next restart after its back-off delay, and log why."""
        now = time.monotonic()
        attempt, delay_s = child.backoff.after_exit(now - child.started_at)
        child.due_at = now + delay_s
        log.error(
            "%s %s; restart attempt %d in %.1f s",
            child.name,
            what,
            attempt,
            delay_s,
            extra={"child": child.name, "reason": what, "attempt": attempt, "delay_s": delay_s},
        )

    def _restart(self, child: Child) -> None:
        with self._stack.lock:
            if self._closing.is_set():
                return
            child.started_at = time.monotonic()
            child.due_at = None
            RESTARTS.labels(child.name).inc()
            try:
                pid = child.restart()
            except Exception as exc:  # noqa: BLE001 - a failed restart is retried like an exit
                RESTART_FAILURES.labels(child.name).inc()
                self._schedule(child, f"did not restart ({type(exc).__name__}: {exc})")
                return
        log.info("%s restarted, pid %d", child.name, pid, extra={"child": child.name, "pid": pid})
        try:
            self._stack.write_stack_file()  # its new pid, for `parkvpp status`
        except OSError as exc:
            log.warning("could not update stack.json: %s", exc)

    def close(self) -> None:
        """Stop restarting (waits for a restart in progress); call before stopping children."""
        self._closing.set()

    def join(self) -> None:
        """Let the thread end once every child is stopped; stop serving /metrics."""
        self._closed.set()
        self._thread.join(timeout=30)
        self._http.shutdown()
        self._http.server_close()
