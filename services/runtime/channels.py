"""gRPC channels and server ports with optional TLS / mutual TLS, and bearer-token metadata.

TLS is switched by settings: with PARKVPP_TLS_CERT_FILE and PARKVPP_TLS_KEY_FILE a server
listens with TLS; with PARKVPP_TLS_CA_FILE as well it requires client certificates signed
by that CA (mutual TLS), and peer channels verify servers against the CA and present the
same certificate as their client certificate.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc

from services.runtime.auth import forwarded_metadata

#: Channel options that make gRPC itself repeat a call answered UNAVAILABLE (a server
#: restarting, a connection refused) up to 5 times with exponential backoff from 0.2 s to
#: 2 s, within the call's deadline. Only for idempotent calls (reads, or writes carrying a
#: request id): gRPC sends the same request again.
RETRY_OPTIONS: list[tuple[str, Any]] = [
    ("grpc.enable_retries", 1),
    (
        "grpc.service_config",
        json.dumps(
            {
                "methodConfig": [
                    {
                        "name": [{}],
                        "retryPolicy": {
                            "maxAttempts": 5,
                            "initialBackoff": "0.2s",
                            "maxBackoff": "2s",
                            "backoffMultiplier": 2,
                            "retryableStatusCodes": ["UNAVAILABLE"],
                        },
                    }
                ]
            }
        ),
    ),
]


def _read(path: str) -> bytes | None:
    return Path(path).read_bytes() if path else None


def server_credentials(cert_file: str, key_file: str, ca_file: str) -> grpc.ServerCredentials:
    """TLS credentials for a server; client certificates required when `ca_file` is set."""
    pair = (_read(key_file), _read(cert_file))
    return grpc.ssl_server_credentials(
        [pair], root_certificates=_read(ca_file), require_client_auth=bool(ca_file)
    )


def add_port(server: grpc.Server, address: str, cert_file="", key_file="", ca_file="") -> int:
    """Bind `address`, with TLS when a certificate is given; returns the port (0: failed)."""
    if cert_file:
        return server.add_secure_port(address, server_credentials(cert_file, key_file, ca_file))
    return server.add_insecure_port(address)


class _Metadata(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """Adds metadata from `source()` to every call that does not carry its own token."""

    def __init__(self, source: Callable[[], tuple[tuple[str, str], ...]]) -> None:
        self._source = source

    def _details(self, details: Any) -> Any:
        extra = self._source()
        present = {key for key, _ in details.metadata or ()}
        if not extra or "authorization" in present:
            return details
        return details._replace(metadata=[*(details.metadata or ()), *extra])

    def intercept_unary_unary(self, continuation, client_call_details, request):
        return continuation(self._details(client_call_details), request)

    def intercept_unary_stream(self, continuation, client_call_details, request):
        return continuation(self._details(client_call_details), request)

    def intercept_stream_unary(self, continuation, client_call_details, request_iterator):
        return continuation(self._details(client_call_details), request_iterator)

    def intercept_stream_stream(self, continuation, client_call_details, request_iterator):
        return continuation(self._details(client_call_details), request_iterator)


def open_channel(
    address: str,
    token: str | None = None,
    cert_file: str = "",
    key_file: str = "",
    ca_file: str = "",
    options: list[tuple[str, Any]] | None = None,
) -> grpc.Channel:
    """A channel to `address`.

    With `token` every call carries it; without, calls made while serving an RPC carry
    that RPC's caller's token (a peer call on the caller's behalf). With `ca_file` the
    channel uses TLS, verifying the server against it, and presents `cert_file`/`key_file`
    as its client certificate when given (mutual TLS).
    """
    if ca_file:
        credentials = grpc.ssl_channel_credentials(
            root_certificates=_read(ca_file),
            private_key=_read(key_file),
            certificate_chain=_read(cert_file),
        )
        channel = grpc.secure_channel(address, credentials, options=options)
    else:
        channel = grpc.insecure_channel(address, options=options)
    fixed = (("authorization", f"Bearer {token}"),) if token else ()
    source = (lambda: fixed) if token else forwarded_metadata
    return grpc.intercept_channel(channel, _Metadata(source))
