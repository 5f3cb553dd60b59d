"""Fair limits on long-lived streams: slots per tenant and per server, and an idle timeout.

Each open stream holds one thread of the gRPC server's pool. `StreamSlots` admits a
stream only while its tenant is below PARKVPP_STREAMS_PER_TENANT streams of that kind and
the server below its total (PARKVPP_GRPC_WORKERS less PARKVPP_GRPC_RESERVED_WORKERS, the
threads kept for unary calls and health checks); otherwise ResourceExhausted naming the
limit. `IdleLimited` ends a client stream that sends nothing for a while.
"""

from __future__ import annotations

import queue
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from services.runtime.auth import current_caller
from services.runtime.errors import ResourceExhausted
from services.runtime.settings import Settings

T = TypeVar("T")


def current_tenant() -> str:
    """Whose slots the current call uses: its enterprise, or the role of other callers."""
    caller = current_caller()
    if caller is None:
        return "anonymous"
    return f"enterprise {caller.enterprise_id}" if caller.role == "enterprise" else caller.role


class StreamSlots:
    """Open-stream accounting of one server, shared by all its servicers; thread-safe."""

    def __init__(self, per_tenant: int, total: int, total_rule: str = "") -> None:
        self.per_tenant = per_tenant
        self.total = total
        self._total_rule = total_rule or f"limit {total}"
        self._lock = threading.Lock()
        self._open: Counter[tuple[str, str]] = Counter()
        self._open_total = 0

    @classmethod
    def of(cls, settings: Settings) -> StreamSlots:
        """Slots of a server configured by `settings`: at least one stream overall."""
        workers, reserved = settings.grpc_workers, settings.grpc_reserved_workers
        rule = (
            f"PARKVPP_GRPC_WORKERS={workers} less PARKVPP_GRPC_RESERVED_WORKERS={reserved} "
            "kept for unary calls and health checks"
        )
        return cls(settings.streams_per_tenant, max(1, workers - reserved), rule)

    @contextmanager
    def hold(self, kind: str) -> Iterator[None]:
        """Hold a slot of `kind` (e.g. "dispatch") for the current caller while in the block.

        Raises ResourceExhausted, naming the limit and its setting, when the caller's
        tenant holds its share of `kind` streams or every slot of the server is held.
        """
        key = (kind, current_tenant())
        self._take(key)
        try:
            yield
        finally:
            with self._lock:
                self._open[key] -= 1
                self._open_total -= 1

    def _take(self, key: tuple[str, str]) -> None:
        kind, tenant = key
        with self._lock:
            if self._open[key] >= self.per_tenant:
                raise ResourceExhausted(
                    f"{tenant} already holds {self._open[key]} open {kind} streams on this "
                    f"server, its limit (PARKVPP_STREAMS_PER_TENANT={self.per_tenant}); "
                    "close one or retry later"
                )
            if self._open_total >= self.total:
                raise ResourceExhausted(
                    f"all {self.total} stream slots of this server are held "
                    f"({self._total_rule}); retry later"
                )
            self._open[key] += 1
            self._open_total += 1

    def open_count(self, kind: str | None = None) -> int:
        """Streams open now (of `kind` when given)."""
        with self._lock:
            if kind is None:
                return self._open_total
            return sum(n for (k, _), n in self._open.items() if k == kind)


_MESSAGE, _END, _FAILED = "message", "end", "failed"


class IdleLimited(Generic[T]):
    """The messages of a client stream, ending early when none arrives for `idle_s`.

    A reader thread takes the client's next message only when asked, one at a time, so
    gRPC flow control still holds a fast client back. When the client sends nothing for
    `idle_s` seconds iteration stops and `timed_out` is set: the caller finishes what it
    received and then ends the call (see `idle_details`). An error of the stream (e.g.
    the client cancelled) is raised as is. Use as a context manager: leaving it lets the
    reader thread end as soon as the call ends.

    `time_left_s` is how long the call may still run (its deadline, gRPC's
    `context.time_remaining()`). When that is at most `idle_s` no reader thread is
    started: gRPC ends the call at its deadline before any idle spell could reach the
    limit, so the messages are read directly (a thread start and two hand-offs a message
    cost more than a meter gateway's short stream itself).
    """

    def __init__(
        self,
        messages: Iterator[T],
        idle_s: float,
        what: str = "message",
        time_left_s: float | None = None,
    ) -> None:
        self._messages = messages
        self.idle_s = idle_s
        self._what = what
        self._wanted = threading.Semaphore(0)
        self._arrived: queue.SimpleQueue[tuple[str, object]] = queue.SimpleQueue()
        self._closed = False
        self._finished = False
        self.received = 0
        self.timed_out = False
        self.watched = time_left_s is None or time_left_s > idle_s
        self._reader = threading.Thread(target=self._read, name="stream-reader", daemon=True)

    def __enter__(self) -> IdleLimited[T]:
        if self.watched:
            self._reader.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._closed = True
        self._wanted.release()  # a reader waiting for demand ends now, a reading one later

    def __iter__(self) -> IdleLimited[T]:
        return self

    def __next__(self) -> T:
        if self._finished:
            raise StopIteration
        if not self.watched:  # the call's deadline bounds the wait
            message = next(self._messages)
            self.received += 1
            return message
        self._wanted.release()
        try:
            kind, value = self._arrived.get(timeout=self.idle_s)
        except queue.Empty:
            self._finished = self.timed_out = True
            raise StopIteration from None
        if kind == _MESSAGE:
            self.received += 1
            return value  # type: ignore[return-value]
        self._finished = True
        if kind == _FAILED:
            assert isinstance(value, BaseException)
            raise value  # the same object: gRPC knows its own errors and stays quiet
        raise StopIteration

    def _read(self) -> None:
        while True:
            self._wanted.acquire()
            if self._closed:
                return
            try:
                message = next(self._messages)
            except StopIteration:
                self._arrived.put((_END, None))
                return
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                self._arrived.put((_FAILED, exc))
                return
            self._arrived.put((_MESSAGE, message))

    def idle_details(self) -> str:
        """Why the stream ended: the idle limit and its setting, and what was received."""
        plural = "" if self.received == 1 else "s"
        return (
            f"no {self._what} for {self.idle_s:g} s, the idle limit "
            f"(PARKVPP_STREAM_IDLE_TIMEOUT_S); stream closed after {self.received} "
            f"{self._what}{plural}"
        )
