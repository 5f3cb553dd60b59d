"""Errors of the service layer and the one mapping from domain errors to gRPC codes.

    ServiceError                 (each carries its grpc.StatusCode)
    ├── InvalidArgument          INVALID_ARGUMENT, names the field and the rule
    ├── NotFound                 NOT_FOUND (also for other tenants' things: no oracle)
    ├── AlreadyExists            ALREADY_EXISTS
    ├── FailedPrecondition       FAILED_PRECONDITION
    ├── PermissionDenied         PERMISSION_DENIED
    ├── Unauthenticated          UNAUTHENTICATED (no, forged or expired token)
    ├── ResourceExhausted        RESOURCE_EXHAUSTED (back-pressure, rate and stream limits)
    ├── DeadlineExceeded         DEADLINE_EXCEEDED (a stream idle past its limit)
    └── Unavailable              UNAVAILABLE (Redis, Kafka or a peer is down)

Errors of peer services (grpc.RpcError) keep their code. Domain errors
(`bidding.exceptions`, `settlement.exceptions`, `certificates.exceptions`) are mapped by
`status_for`; anything else is a bug and becomes INTERNAL with a log line.
"""

from __future__ import annotations

import grpc
import kafka.errors
import redis

import bidding.exceptions as bx
import certificates.exceptions as cx
import settlement.exceptions as sx


class ServiceError(Exception):
    """Base of the service layer's errors; `code` is the gRPC status to answer with."""

    code = grpc.StatusCode.INTERNAL


class InvalidArgument(ServiceError):
    code = grpc.StatusCode.INVALID_ARGUMENT

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule


class NotFound(ServiceError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(ServiceError):
    code = grpc.StatusCode.ALREADY_EXISTS


class FailedPrecondition(ServiceError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class PermissionDenied(ServiceError):
    code = grpc.StatusCode.PERMISSION_DENIED


class Unauthenticated(ServiceError):
    code = grpc.StatusCode.UNAUTHENTICATED


class ResourceExhausted(ServiceError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class DeadlineExceeded(ServiceError):
    code = grpc.StatusCode.DEADLINE_EXCEEDED


class Unavailable(ServiceError):
    code = grpc.StatusCode.UNAVAILABLE


_DOMAIN_CODES: tuple[tuple[type[BaseException], grpc.StatusCode], ...] = (
    (bx.InvalidInput, grpc.StatusCode.INVALID_ARGUMENT),
    (sx.InvalidInput, grpc.StatusCode.INVALID_ARGUMENT),
    (cx.InvalidInput, grpc.StatusCode.INVALID_ARGUMENT),
    (bx.InsufficientHistory, grpc.StatusCode.FAILED_PRECONDITION),
    (bx.InfeasibleProblem, grpc.StatusCode.FAILED_PRECONDITION),
    (bx.BiddingError, grpc.StatusCode.FAILED_PRECONDITION),
    (sx.SettlementError, grpc.StatusCode.FAILED_PRECONDITION),
    (cx.LotNotFound, grpc.StatusCode.NOT_FOUND),
    (cx.NotOwner, grpc.StatusCode.NOT_FOUND),
    (cx.OverlappingIssuance, grpc.StatusCode.ALREADY_EXISTS),
    (cx.TradeExists, grpc.StatusCode.ALREADY_EXISTS),
    (cx.TradeNotFound, grpc.StatusCode.NOT_FOUND),
    (cx.MandateExists, grpc.StatusCode.ALREADY_EXISTS),
    (cx.MandateNotFound, grpc.StatusCode.NOT_FOUND),
    (cx.LedgerBusy, grpc.StatusCode.UNAVAILABLE),
    (cx.CertificateError, grpc.StatusCode.FAILED_PRECONDITION),
    (redis.exceptions.ConnectionError, grpc.StatusCode.UNAVAILABLE),
    (redis.exceptions.TimeoutError, grpc.StatusCode.UNAVAILABLE),
    (kafka.errors.KafkaTimeoutError, grpc.StatusCode.UNAVAILABLE),
)


def status_for(exc: BaseException) -> tuple[grpc.StatusCode, str] | None:
    """The gRPC code and details for a known error, or None for a bug.

    NotOwner is answered exactly like LotNotFound (same code, same words) so that a
    caller cannot learn that a lot of another enterprise exists. A request id reused for
    something else is ALREADY_EXISTS naming request_id, in every service.
    """
    if isinstance(exc, ServiceError):
        return exc.code, str(exc)
    if isinstance(exc, grpc.RpcError) and isinstance(exc, grpc.Call):
        # A peer service (e.g. the market gateway) refused: pass its answer on.
        return exc.code(), f"peer: {exc.details()}"
    if isinstance(exc, cx.NotOwner):
        return grpc.StatusCode.NOT_FOUND, str(cx.LotNotFound(exc.lot_id))
    if isinstance(exc, cx.DuplicateRequest):
        return (
            grpc.StatusCode.ALREADY_EXISTS,
            f"request_id: {exc.request_id} was already used with other parameters",
        )
    for cls, code in _DOMAIN_CODES:
        if isinstance(exc, cls):
            return code, str(exc)
    return None
