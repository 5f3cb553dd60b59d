"""Liveness and readiness in gRPC health checking, and the watcher that keeps readiness true.

Health service names (grpc.health.v1) of every ParkVPP server:

- "liveness": SERVING from start until the server stops. Kubernetes' startup and
  liveness probes ask it: restarting a pod does not bring Redis or Kafka back.
- "readiness", "" and each service's full name (e.g. "parkvpp.v1.VppService"): SERVING
  while Redis answers PING and a Kafka bootstrap server answers an ApiVersions request,
  NOT_SERVING while either does not, so Kubernetes takes the pod out of its Service.

The watcher checks both every `interval_s` (1 s) with 1-s timeouts, logs each change,
and sets `parkvpp_dependency_ready{dependency="redis"|"kafka"}` to 1 or 0. With
PARKVPP_HEALTH_PORT a second, plaintext server answers the same health service (and
nothing else) on that port, for the kubelet's gRPC probes, which cannot speak TLS.
"""

from __future__ import annotations

import logging
import socket
import ssl
import struct
import threading
from collections.abc import Sequence
from concurrent import futures
from typing import Protocol

import grpc
import redis
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from redis.backoff import NoBackoff
from redis.retry import Retry

from services.runtime.kafka_config import kafka_client_options
from services.runtime.metrics import DEPENDENCY_READY
from services.runtime.settings import Settings
from services.runtime.store import connect

log = logging.getLogger(__name__)

LIVENESS = "liveness"
READINESS = "readiness"
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
CHECK_TIMEOUT_S = 1.0
_API_VERSIONS_KEY = 18
_CORRELATION_ID = 0x5056  # "PV"


class DependencyUnavailable(Exception):
    """A dependency did not answer its readiness check in time (the message says how)."""


class DependencyCheck(Protocol):
    name: str

    def check(self) -> None:
        """Return when the dependency answers; raise DependencyUnavailable otherwise."""

    def close(self) -> None: ...


class RedisPing:
    """PING over the process's Redis settings (password, TLS), no retries, 1-s timeouts."""

    name = "redis"

    def __init__(self, settings: Settings, timeout_s: float = CHECK_TIMEOUT_S) -> None:
        self._client = connect(
            settings.redis_url,
            settings.redis_password,
            settings.redis_ca_file,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            health_check_interval=0,
            retry=Retry(NoBackoff(), 0),
        )

    def check(self) -> None:
        try:
            self._client.ping()
        except (redis.RedisError, OSError) as exc:
            raise DependencyUnavailable(f"{type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        self._client.close()


class KafkaApiVersions:
    """One ApiVersions round trip (over TLS when configured) to any bootstrap server.

    A raw request on a short-lived socket: bounded by its timeout, no client threads
    (a kafka-python client that fails to bootstrap keeps its I/O thread). It proves the
    broker answers the Kafka protocol; a SASL login is checked by the real clients.
    """

    name = "kafka"

    def __init__(self, settings: Settings, timeout_s: float = CHECK_TIMEOUT_S) -> None:
        self._servers = [s.strip() for s in settings.kafka_bootstrap_servers.split(",") if s]
        self._timeout_s = timeout_s
        self._tls = _tls_context(kafka_client_options(settings))

    def check(self) -> None:
        errors = []
        for server in self._servers:
            host, _, port = server.rpartition(":")
            try:
                self._api_versions(host.strip("[]"), int(port))
                return
            except (OSError, ValueError) as exc:
                errors.append(f"{server}: {type(exc).__name__}: {exc}")
        raise DependencyUnavailable("; ".join(errors) or "no bootstrap servers")

    def _api_versions(self, host: str, port: int) -> None:
        client_id = b"parkvpp-readiness"
        header = struct.pack(">hhih", _API_VERSIONS_KEY, 0, _CORRELATION_ID, len(client_id))
        request = header + client_id
        with socket.create_connection((host, port), timeout=self._timeout_s) as raw:
            sock = self._tls.wrap_socket(raw, server_hostname=host) if self._tls else raw
            with sock:
                sock.sendall(struct.pack(">i", len(request)) + request)
                size, correlation_id = struct.unpack(">ii", _receive(sock, 8))
        if correlation_id != _CORRELATION_ID or size < 6:
            raise ValueError(f"not a Kafka ApiVersions response (correlation {correlation_id})")

    def close(self) -> None:
        pass


def _tls_context(options: dict[str, object]) -> ssl.SSLContext | None:
    if options["security_protocol"] == "PLAINTEXT":
        return None
    context = ssl.create_default_context(cafile=options.get("ssl_cafile"))  # type: ignore[arg-type]
    if "ssl_certfile" in options:
        context.load_cert_chain(str(options["ssl_certfile"]), str(options["ssl_keyfile"]))
    return context


def _receive(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ConnectionError("connection closed before the response")
        data += chunk
    return data


class ReadinessWatcher:
    """Sets liveness and readiness on `servicer` and keeps readiness following the checks."""

    def __init__(
        self,
        servicer: health.HealthServicer,
        service_names: Sequence[str],
        checks: Sequence[DependencyCheck],
        interval_s: float = 1.0,
    ) -> None:
        self._servicer = servicer
        self._readiness_names = [READINESS, "", *service_names]
        self._checks = list(checks)
        self._interval_s = interval_s
        self._down: dict[str, str] = {}
        self._ready: bool | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="readiness", daemon=True)
        self._health_server: grpc.Server | None = None

    def start(self, health_address: str = "") -> None:
        """Check once, then every interval on a thread; with `health_address` also serve
        the health service there in plaintext. RuntimeError if it cannot be bound."""
        if health_address:
            self._health_server = _plaintext_health_server(self._servicer, health_address)
        self._servicer.set(LIVENESS, SERVING)
        self.check_now()
        self._thread.start()

    def check_now(self) -> bool:
        """Run every check once and set readiness from the outcome; True when ready."""
        for check in self._checks:
            try:
                check.check()
            except DependencyUnavailable as exc:
                self._record(check.name, str(exc))
            except Exception as exc:  # a bug in a check: say so, and never claim ready
                log.exception("readiness check of %s failed unexpectedly", check.name)
                self._record(check.name, f"check failed: {type(exc).__name__}")
            else:
                self._record(check.name, "")
        ready = not self._down
        if ready != self._ready:
            self._ready = ready
            for name in self._readiness_names:
                self._servicer.set(name, SERVING if ready else NOT_SERVING)
        return ready

    def _record(self, dependency: str, failure: str) -> None:
        DEPENDENCY_READY.labels(dependency).set(0.0 if failure else 1.0)
        if failure and dependency not in self._down:
            log.warning("not ready: %s unreachable (%s)", dependency, failure)
            self._down[dependency] = failure
        elif not failure and dependency in self._down:
            log.info("%s reachable again", dependency)
            del self._down[dependency]

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            self.check_now()

    def stop(self) -> None:
        """Stop checking, say NOT_SERVING everywhere (liveness too) and close the port."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        for name in [LIVENESS, *self._readiness_names]:
            self._servicer.set(name, NOT_SERVING)
        if self._health_server is not None:
            self._health_server.stop(0)
        for check in self._checks:
            check.close()


def _plaintext_health_server(servicer: health.HealthServicer, address: str) -> grpc.Server:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="health"))
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    if server.add_insecure_port(address) == 0:
        raise RuntimeError(f"could not bind the health port {address}")
    server.start()
    return server


def watch_readiness(
    servicer: health.HealthServicer, service_names: Sequence[str], settings: Settings
) -> ReadinessWatcher:
    """Start a ReadinessWatcher over Redis and Kafka of `settings`, on the health port too
    when PARKVPP_HEALTH_PORT is set. RuntimeError if that port cannot be bound."""
    checks = [RedisPing(settings), KafkaApiVersions(settings)]
    watcher = ReadinessWatcher(servicer, service_names, checks)
    address = f"{settings.grpc_host}:{settings.health_port}" if settings.health_port else ""
    watcher.start(address)
    return watcher
