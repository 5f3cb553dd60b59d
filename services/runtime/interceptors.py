"""Server interceptor: authentication and permissions, per-method metrics, error mapping."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import grpc
from google.protobuf.message import Message

from services.runtime.auth import (
    Caller,
    TokenCache,
    bearer,
    calling_as,
    current_caller,
    own_enterprise,
)
from services.runtime.errors import NotFound, PermissionDenied, Unauthenticated, status_for
from services.runtime.metrics import RpcMetrics
from services.runtime.permissions import OPEN_PREFIXES, PERMISSIONS, Rule
from services.runtime.ratelimit import RateLimiter

log = logging.getLogger(__name__)


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
        code, details = mapped
        context.abort(code, _bounded(details))


#: Longest error text sent back: details echo request values, and a 1 MB value would
#: push the reply past the client's metadata limit and hide the real status code.
MAX_DETAILS = 512


def _bounded(details: str) -> str:
    """`details` cut to MAX_DETAILS characters (marked with an ellipsis when cut)."""
    return details if len(details) <= MAX_DETAILS else details[: MAX_DETAILS - 1] + "…"


def _ended_by_client(exc: Exception, context: grpc.ServicerContext) -> bool:
    """True when `exc` is gRPC's own error for a call the client cancelled or let expire.

    A request iterator raises a bare grpc.RpcError (not a grpc.Call, unlike a peer's
    error) once the client has gone; anything else is the servicer's own failure.
    """
    own_error = isinstance(exc, grpc.RpcError) and not isinstance(exc, grpc.Call)
    return own_error and not context.is_active()


def _client_outcome(method: str, context: grpc.ServicerContext) -> str:
    """How a call the client left ended (its deadline passed, or it cancelled), logged."""
    outcome = "DEADLINE_EXCEEDED" if context.time_remaining() <= 0 else "CANCELLED"
    log.info("call ended by the client: %s", outcome, extra={"method": method, "code": outcome})
    return outcome


@contextmanager
def _observed(metrics: RpcMetrics, context: grpc.ServicerContext) -> Iterator[None]:
    """Time the call, count it by method and final status, map errors to statuses."""
    started = time.perf_counter()
    metrics.started.inc()
    method = metrics.full_method
    outcome = ""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - mapped or reported as INTERNAL
        if context.code() is not None:  # the servicer aborted the call itself
            outcome = _code_name(context)
            raise
        if _ended_by_client(exc, context):
            outcome = _client_outcome(method, context)
            raise  # gRPC knows this error as its own: no status to send, nothing to log
        mapped = status_for(exc)
        outcome = mapped[0].name if mapped else "INTERNAL"
        _abort_for(exc, context, method)
    finally:
        if not outcome:
            outcome = (
                _code_name(context) if context.is_active() else _client_outcome(method, context)
            )
        metrics.handled(outcome).inc()
        metrics.seconds.observe(time.perf_counter() - started)


class Gatekeeper:
    """Authenticates the bearer token, applies the permission table and the rate limits."""

    def __init__(
        self,
        secret: str,
        owner_of: Callable[[str], str | None],
        limiter: RateLimiter | None,
        permissions: Mapping[str, Rule] = PERMISSIONS,
    ) -> None:
        self._tokens = TokenCache(secret)
        self._owner_of = owner_of
        self._limiter = limiter
        self._permissions = permissions

    def admit(self, method: str, context: grpc.ServicerContext) -> tuple[Caller, str, Rule]:
        """The caller of `method`; Unauthenticated or PermissionDenied when not allowed."""
        rule = self._permissions.get(method)
        if rule is None:
            raise PermissionDenied(f"{method} is not in the permission table")
        token = bearer(context.invocation_metadata())
        if token is None:
            raise Unauthenticated("missing bearer token (metadata authorization: Bearer ...)")
        caller = self._tokens.verify(token)
        if caller.role not in rule.roles:
            raise PermissionDenied(f"role {caller.role} may not call {method.rsplit('/', 1)[1]}")
        return caller, token, rule

    def scope(self, rule: Rule, request: Message) -> None:
        """Point an enterprise caller's request at its own enterprise; NotFound for others'.

        Runs with the caller current. Empty enterprise fields become the caller's own
        (fields in a oneof only when set); assets must belong to the caller.
        """
        caller = current_caller()
        if caller is None or caller.role != "enterprise":
            return
        fields = request.DESCRIPTOR.fields_by_name
        for name in rule.enterprise_fields:
            if fields[name].containing_oneof is not None and not request.HasField(name):
                continue
            setattr(request, name, own_enterprise(getattr(request, name)))
        for name in rule.asset_fields:
            asset_id = getattr(request, name)
            if asset_id and self._owner_of(asset_id) != caller.enterprise_id:
                raise NotFound(f"asset {asset_id} not found")

    def charge(self, caller: Caller, rule: Rule) -> None:
        if rule.rate and self._limiter is not None:
            self._limiter.charge(caller, rule.rate)


@contextmanager
def _admitted(
    gate: Gatekeeper | None, method: str, request: Any, context: grpc.ServicerContext
) -> Iterator[None]:
    """Run the block as the authenticated caller, scoped and charged (no gate: as nobody)."""
    if gate is None:
        yield
        return
    caller, token, rule = gate.admit(method, context)
    with calling_as(caller, token):
        if isinstance(request, Message):
            gate.scope(rule, request)
            gate.charge(caller, rule)
        yield


def _counted(requests: Iterator[Any], metrics: RpcMetrics) -> Iterator[Any]:
    """A request stream that counts each message it hands on."""
    for request in requests:
        metrics.received.inc()
        yield request


def _unary(behavior: Callable[..., Any], metrics: RpcMetrics, gate: Gatekeeper | None):
    """A unary-reply handler (unary or client streaming) observed and admitted."""
    method, streaming = metrics.full_method, metrics.labels[0] == "client_stream"

    def handler(request: Any, context: grpc.ServicerContext) -> Any:
        with _observed(metrics, context):
            if streaming:
                request = _counted(request, metrics)
            else:
                metrics.received.inc()
            with _admitted(gate, method, request, context):
                reply = behavior(request, context)
            metrics.sent.inc()
            return reply

    return handler


def _streaming(
    behavior: Callable[..., Iterator[Any]], metrics: RpcMetrics, gate: Gatekeeper | None
):
    """A streaming-reply handler (server or bidi streaming) observed and admitted."""
    method, streaming = metrics.full_method, metrics.labels[0] == "bidi_stream"

    def handler(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        with _observed(metrics, context):
            if streaming:
                request = _counted(request, metrics)
            else:
                metrics.received.inc()
            with _admitted(gate, method, request, context):
                for reply in behavior(request, context):
                    metrics.sent.inc()
                    yield reply

    return handler


#: The handler field of each RPC type and its grpc_type label.
_KINDS = (
    ("unary_unary", "unary", _unary),
    ("stream_unary", "client_stream", _unary),
    ("unary_stream", "server_stream", _streaming),
    ("stream_stream", "bidi_stream", _streaming),
)


class ObservingInterceptor(grpc.ServerInterceptor):
    """Counts and times every RPC by method and status, maps errors to status codes and,
    with a Gatekeeper, admits only callers the permission table allows.

    Health checking and reflection are served to anyone: they carry no tenant data. The
    wrapped handler of a method is built once and reused for its later calls.
    """

    def __init__(self, gate: Gatekeeper | None = None) -> None:
        self._gate = gate
        self._wrapped: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or method.startswith(OPEN_PREFIXES):
            return handler
        known = self._wrapped.get(method)
        if known is not None and known[0] is handler:
            return known[1]
        wrapped = handler
        for field, grpc_type, wrap in _KINDS:
            behavior = getattr(handler, field)
            if behavior:
                metrics = RpcMetrics(method, grpc_type)
                wrapped = handler._replace(**{field: wrap(behavior, metrics, self._gate)})
                break
        self._wrapped[method] = (handler, wrapped)
        return wrapped
