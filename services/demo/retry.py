"""A client interceptor that retries UNAVAILABLE calls until their deadline (demo day client)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import grpc

#: The deadline of a call made without a timeout.
DEFAULT_DEADLINE_S = 60.0
FIRST_BACKOFF_S = 0.1
MAX_BACKOFF_S = 2.0
#: Channel options so that a restarted server is reconnected to within about a second.
RECONNECT_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1000),
]


class _Details(grpc.ClientCallDetails):
    def __init__(self, base: grpc.ClientCallDetails, timeout_s: float) -> None:
        self.method = base.method
        self.timeout = timeout_s
        self.metadata = base.metadata
        self.credentials = base.credentials
        self.wait_for_ready = True
        self.compression = getattr(base, "compression", None)


class _ReadStream:
    """A response stream that was read to its end: its messages, then the call's status."""

    def __init__(self, messages: list[Any], call: Any) -> None:
        self._messages = iter(messages)
        self._call = call

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        return next(self._messages)

    def __getattr__(self, name: str) -> Any:  # code(), details(), trailing_metadata(), ...
        return getattr(self._call, name)


class RetryUnavailable(
    grpc.UnaryUnaryClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
):
    """Calls again, with the same request, while the answer is UNAVAILABLE and time is left.

    Every attempt is sent with wait_for_ready, so while a server restarts the call waits
    for the channel to connect (bounded by the deadline) instead of failing at once;
    when the server itself answers UNAVAILABLE (its Redis, broker or a peer is down) the
    next attempt follows an exponential backoff, never past the deadline. The last
    answer, UNAVAILABLE or DEADLINE_EXCEEDED included, is returned as it came.

    Repeating a call is safe only because every ParkVPP write is idempotent (request ids,
    natural keys). Request streams are buffered to be sent again; response streams are
    read to their end before the first message is handed out, so a retried stream never
    yields a message twice — use it only for finite streams (e.g. `until_caught_up`).
    `retried` counts the repeated attempts per method.
    """

    def __init__(self) -> None:
        self.retried: Counter[str] = Counter()
        self._lock = threading.Lock()

    def intercept_unary_unary(self, continuation, client_call_details, request):
        return self._retry(lambda details: continuation(details, request), client_call_details)

    def intercept_stream_unary(self, continuation, client_call_details, request_iterator):
        requests = list(request_iterator)
        return self._retry(
            lambda details: continuation(details, iter(requests)), client_call_details
        )

    def intercept_unary_stream(self, continuation, client_call_details, request):
        def read_all(details: grpc.ClientCallDetails) -> Any:
            call = continuation(details, request)
            try:
                return _ReadStream(list(call), call)
            except grpc.RpcError:
                return call  # iterating it raises its error again

        return self._retry(read_all, client_call_details)

    def _retry(self, attempt: Callable[[grpc.ClientCallDetails], Any], details: Any) -> Any:
        timeout_s = details.timeout if details.timeout is not None else DEFAULT_DEADLINE_S
        deadline = time.monotonic() + timeout_s
        backoff_s = FIRST_BACKOFF_S
        pause = threading.Event()
        while True:
            outcome = attempt(_Details(details, max(0.0, deadline - time.monotonic())))
            if outcome.code() != grpc.StatusCode.UNAVAILABLE:
                return outcome
            wait_s = min(backoff_s, deadline - time.monotonic())
            if wait_s <= 0:
                return outcome
            pause.wait(wait_s)
            backoff_s = min(backoff_s * 2, MAX_BACKOFF_S)
            with self._lock:
                self.retried[details.method] += 1
