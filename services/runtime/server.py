"""Building and running a gRPC server for one or more ParkVPP services.

`create_server` builds (server, port) with health checking, reflection and the
observing interceptor, and starts the services' Kafka consumers; `serve` runs one
process until SIGTERM/SIGINT and then stops gracefully: health goes NOT_SERVING, new
calls are refused, in-flight calls drain for the grace period, consumers commit.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent import futures
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from services.runtime import outbox
from services.runtime.channels import add_port
from services.runtime.context import Runtime
from services.runtime.events import ConsumerSpec, DoneMarks, EventConsumer, ensure_topics
from services.runtime.health import ReadinessWatcher, watch_readiness
from services.runtime.interceptors import Gatekeeper, ObservingInterceptor
from services.runtime.kafka_config import kafka_client_options
from services.runtime.logs import configure_logging
from services.runtime.metrics import serve_metrics
from services.runtime.permissions import PERMISSIONS, Rule
from services.runtime.reflection import enable_reflection
from services.runtime.relay import OutboxRelay
from services.runtime.settings import Settings, SettingsError, check_token_secret, load_settings
from services.runtime.signals import StopSignals

log = logging.getLogger(__name__)


@dataclass
class ServiceParts:
    """What one service adds to a server: its servicer and its consumers."""

    full_name: str
    register: Callable[[grpc.Server], None]
    consumers: list[ConsumerSpec] = field(default_factory=list)

    @classmethod
    def of(
        cls,
        servicer: object,
        add_to_server: Callable[[object, grpc.Server], None],
        full_name: str,
        consumers: Sequence[ConsumerSpec] = (),
    ) -> ServiceParts:
        """Parts of a servicer registered with its generated `add_..._to_server`."""
        return cls(full_name, lambda server: add_to_server(servicer, server), list(consumers))


Builder = Callable[[Runtime], ServiceParts]


class AppServer:
    """A started gRPC server with its consumers; `stop(grace)` shuts all down in order."""

    def __init__(
        self,
        server: grpc.Server,
        health_servicer: health.HealthServicer,
        consumers: list[EventConsumer],
        runtime: Runtime,
        names: list[str],
        relay: OutboxRelay,
        readiness: ReadinessWatcher | None = None,
    ) -> None:
        self.server = server
        self.health = health_servicer
        self.consumers = consumers
        self.runtime = runtime
        self.names = names
        self.relay = relay
        self.readiness = readiness

    def wait_ready(self, timeout_s: float = 60.0) -> bool:
        """True once every consumer has joined its group and received partitions."""
        return all(c.wait_assigned(timeout_s) for c in self.consumers)

    def stop(self, grace_s: float) -> None:
        if self.readiness is not None:
            self.readiness.stop()  # first: it would set readiness back to SERVING
        for name in ["", *self.names]:
            self.health.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
        self.runtime.stopping.set()  # long-lived streams end instead of using up the grace
        self.server.stop(grace_s).wait()
        for consumer in self.consumers:
            consumer.stop()
        self.relay.stop()
        self.runtime.close()


def _gatekeeper(runtime: Runtime, permissions: Mapping[str, Rule]) -> Gatekeeper:
    from services.enrollment.registry import AssetOwners, Registry  # who owns an asset

    owners = AssetOwners(Registry(runtime.redis))
    return Gatekeeper(runtime.settings.token_secret, owners, runtime.limiter, permissions)


def create_server(
    runtime: Runtime,
    builders: Sequence[Builder],
    address: str,
    permissions: Mapping[str, Rule] = PERMISSIONS,
) -> tuple[AppServer, int]:
    """Build and start a server for `builders` on `address` (port 0 picks one).

    Returns the running AppServer and the bound port. Raises RuntimeError when the
    address cannot be bound.
    """
    settings = runtime.settings
    check_token_secret(settings.token_secret)  # also when `settings` bypassed load_settings
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=settings.grpc_workers),
        interceptors=[ObservingInterceptor(_gatekeeper(runtime, permissions))],
        options=[("grpc.max_receive_message_length", 16 * 1024 * 1024)],
    )
    parts = [build(runtime) for build in builders]
    health_servicer = health.HealthServicer(experimental_non_blocking=True)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for part in parts:
        part.register(server)
    names = [p.full_name for p in parts]
    enable_reflection([*names, health.SERVICE_NAME], server)
    port = add_port(
        server, address, settings.tls_cert_file, settings.tls_key_file, settings.tls_ca_file
    )
    if port == 0:
        raise RuntimeError(f"could not bind gRPC server to {address}")
    consumer_specs = [spec for part in parts for spec in part.consumers]
    ensure_topics(
        settings.kafka_bootstrap_servers,
        settings.kafka_partitions,
        replication=settings.kafka_replication,
        topic_prefix=settings.kafka_topic_prefix,
        client_options=kafka_client_options(settings),
    )
    marks = None
    if settings.outbox_retain:
        marks = DoneMarks(runtime.redis, outbox.GROUPS_KEY, outbox.done_key)
    consumers = [
        EventConsumer(
            spec,
            settings.kafka_bootstrap_servers,
            settings.kafka_rebalance_timeout_ms,
            settings.kafka_topic_prefix,
            marks,
            kafka_client_options(settings),
        )
        for spec in consumer_specs
    ]
    relay = OutboxRelay(runtime.redis, settings)
    runtime.on_outbox_write.append(relay.wake)
    server.start()
    for consumer in consumers:
        consumer.start()
    relay.start()
    readiness = watch_readiness(health_servicer, names, settings)  # see health.py for names
    return AppServer(server, health_servicer, consumers, runtime, names, relay, readiness), port


def serve(service: str, builder: Builder, settings: Settings | None = None) -> None:
    """Run one service in this process until SIGTERM or SIGINT.

    Raises SettingsError (naming the variable) before anything starts when settings
    are bad or Redis or Kafka are not configured.
    """
    settings = settings or load_settings()
    configure_logging(service, settings.log_level)
    if not settings.redis_url or not settings.kafka_bootstrap_servers:
        raise SettingsError(
            "REDIS_URL and KAFKA_BOOTSTRAP_SERVERS must be set for `parkvpp serve`; "
            "`parkvpp up` starts embedded ones when both are unset"
        )
    runtime = Runtime(settings)
    metrics_port = serve_metrics(settings.metrics_port, settings.grpc_host)
    app, port = create_server(runtime, [builder], f"{settings.grpc_host}:{settings.grpc_port}")
    log.info("serving", extra={"service": service, "grpc_port": port, "metrics_port": metrics_port})
    StopSignals().wait()
    log.info("stopping", extra={"grace_s": settings.shutdown_grace_s})
    # A stop must end: consumers leaving a group or a relay flushing to a broker that died
    # with the same signal (e.g. `parkvpp up` killed) can each wait for their timeouts.
    watchdog = threading.Timer(settings.shutdown_grace_s + STOP_OVERRUN_S, _stop_overdue)
    watchdog.daemon = True
    watchdog.start()
    app.stop(settings.shutdown_grace_s)
    log.info("stopped")


#: Seconds past the grace period after which a stopping process exits anyway.
STOP_OVERRUN_S = 10.0


def _stop_overdue() -> None:
    log.error("stop did not finish in time; exiting now", extra={"overrun_s": STOP_OVERRUN_S})
    logging.shutdown()
    os._exit(1)
