"""Server interceptor: per-method metrics and the mapping of errors to gRPC status codes."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import grpc

from services.runtime.errors import status_for
from services.runtime.metrics import RPC_LATENCY, RPC_REQUESTS

log = logging.getLogger(__name__)

_EXEMPT_PREFIXES = ("/grpc.health.", "/grpc.reflection.")


def _code_name(context: grpc.ServicerContext, default: str = "OK") -> str:
    code = context.code()
    if code is None:
        return default
    return code.name if isinstance(code, grpc.StatusCode) else str(code)


def _abort_for(exc: Exception, context: grpc.ServicerContext, method: str) -> None:
    """Abort the call with the status mapped from `exc`; a bug becomes INTERNAL and a log."""
    mapped = status_for(exc)
    if mapped is None:
        log.exception("unhandled error in %s", method)
        context.abort(grpc.StatusCode.INTERNAL, "internal error; see the service log")
    else:
        context.abort(*mapped)


@contextmanager
def _observed(method: str, context: grpc.ServicerContext) -> Iterator[None]:
    """Time the call, count it by method and final status, map errors to statuses."""
    started = time.perf_counter()
    outcome = ""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - mapped or reported as INTERNAL
        if context.code() is not None:  # the servicer aborted the call itself
            outcome = _code_name(context)
            raise
        mapped = status_for(exc)
        outcome = mapped[0].name if mapped else "INTERNAL"
        _abort_for(exc, context, method)
    finally:
        if not outcome:
            outcome = _code_name(context) if context.is_active() else "CANCELLED"
        RPC_REQUESTS.labels(method, outcome).inc()
        RPC_LATENCY.labels(method).observe(time.perf_counter() - started)


def _unary(behavior: Callable[..., Any], method: str) -> Callable[..., Any]:
    def handler(request: Any, context: grpc.ServicerContext) -> Any:
        with _observed(method, context):
            return behavior(request, context)

    return handler


def _streaming(behavior: Callable[..., Iterator[Any]], method: str) -> Callable[..., Any]:
    def handler(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        with _observed(method, context):
            yield from behavior(request, context)

    return handler


class ObservingInterceptor(grpc.ServerInterceptor):
    """Counts and times every RPC by method and status, and maps errors to status codes."""

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or method.startswith(_EXEMPT_PREFIXES):
            return handler
        if handler.unary_unary:
            return handler._replace(unary_unary=_unary(handler.unary_unary, method))
        if handler.stream_unary:
            return handler._replace(stream_unary=_unary(handler.stream_unary, method))
        if handler.unary_stream:
            return handler._replace(unary_stream=_streaming(handler.unary_stream, method))
        if handler.stream_stream:
            return handler._replace(stream_stream=_streaming(handler.stream_stream, method))
        return handler
