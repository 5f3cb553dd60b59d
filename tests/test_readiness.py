"""Readiness follows Redis and Kafka; liveness stays SERVING; the plaintext health port.

Each test that makes a dependency unreachable uses its own Valkey and broker (never the
session ones) and freezes the server process with SIGSTOP: connections are accepted by
the kernel and never answered, the way a hung or partitioned server looks.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import signal
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from services.runtime.channels import open_channel
from services.runtime.context import Runtime
from services.runtime.embedded import EmbeddedBroker, EmbeddedValkey, free_ports
from services.runtime.health import (
    LIVENESS,
    NOT_SERVING,
    READINESS,
    SERVING,
    DependencyUnavailable,
    ReadinessWatcher,
)
from services.runtime.metrics import DEPENDENCY_READY
from services.runtime.server import ServiceParts, create_server
from services.runtime.settings import load_settings

SERVICE = "probe.Probe"
READINESS_NAMES = (READINESS, "", SERVICE)
DEADLINE_S = 30.0


def _settings(redis_url: str, bootstrap: str, **extra: str):
    return load_settings(
        {
            "REDIS_URL": redis_url,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "PARKVPP_TOKEN_SECRET": "r" * 32,
            "PARKVPP_KAFKA_TOPIC_PREFIX": f"ready-{uuid.uuid4().hex[:8]}.",
            **extra,
        }
    )


def _start(settings):
    parts = ServiceParts(SERVICE, lambda server: None)
    address = f"127.0.0.1:{settings.grpc_port}" if settings.grpc_port else "127.0.0.1:0"
    return create_server(Runtime(settings), [lambda runtime: parts], address)


def _status(channel: grpc.Channel, name: str) -> int:
    stub = health_pb2_grpc.HealthStub(channel)
    return stub.Check(health_pb2.HealthCheckRequest(service=name), timeout=5).status


def _wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        assert time.monotonic() < deadline, f"not within {DEADLINE_S:.0f} s: {what}"
        time.sleep(0.1)


def _all(channel: grpc.Channel, status: int) -> bool:
    return all(_status(channel, name) == status for name in READINESS_NAMES)


@contextmanager
def _frozen(pid: int | None) -> Iterator[None]:
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


@pytest.fixture()
def own_servers(tmp_path) -> Iterator[tuple[EmbeddedValkey, EmbeddedBroker]]:
    valkey, broker = EmbeddedValkey(tmp_path / "valkey"), EmbeddedBroker(tmp_path / "broker")
    valkey.start()
    broker.start()
    yield valkey, broker
    broker.stop()
    valkey.stop()


@pytest.mark.parametrize("dependency", ["redis", "kafka"])
def test_readiness_follows_the_dependency_and_liveness_stays_serving(own_servers, dependency):
    valkey, broker = own_servers
    app, port = _start(_settings(valkey.url, broker.bootstrap_servers))
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            assert _all(channel, SERVING)
            assert _status(channel, LIVENESS) == SERVING
            with _frozen(valkey.pid if dependency == "redis" else broker.pid):
                _wait_for(lambda: _all(channel, NOT_SERVING), f"NOT_SERVING without {dependency}")
                assert _status(channel, LIVENESS) == SERVING
            _wait_for(lambda: _all(channel, SERVING), f"SERVING once {dependency} is back")
            assert _status(channel, LIVENESS) == SERVING
    finally:
        app.stop(1.0)


def _certificate(folder) -> dict[str, str]:
    """One self-signed certificate for 127.0.0.1, its own CA, usable as server and client."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "parkvpp readiness test")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return {"cert": str(cert_path), "key": str(key_path)}


def test_under_mutual_tls_the_plaintext_health_port_answers_health_only(
    redis_url, kafka_bootstrap, tmp_path
):
    pem = _certificate(tmp_path)
    grpc_port, health_port = free_ports(2)
    settings = _settings(
        redis_url,
        kafka_bootstrap,
        PARKVPP_GRPC_PORT=str(grpc_port),
        PARKVPP_HEALTH_PORT=str(health_port),
        PARKVPP_TLS_CERT_FILE=pem["cert"],
        PARKVPP_TLS_KEY_FILE=pem["key"],
        PARKVPP_TLS_CA_FILE=pem["cert"],
    )
    app, _ = _start(settings)
    try:
        with grpc.insecure_channel(f"127.0.0.1:{health_port}") as probe:  # as the kubelet
            assert _status(probe, LIVENESS) == SERVING
            assert _all(probe, SERVING)
            with pytest.raises(grpc.RpcError) as err:  # health only: no service there
                probe.unary_unary(f"/{SERVICE}/Anything")(b"", timeout=5)
            assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED
        with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as plaintext:
            with pytest.raises(grpc.RpcError) as err:
                _status(plaintext, LIVENESS)
            assert err.value.code() == grpc.StatusCode.UNAVAILABLE
        address = f"127.0.0.1:{grpc_port}"
        with open_channel(address, None, pem["cert"], pem["key"], pem["cert"]) as mutual:
            assert _status(mutual, READINESS) == SERVING
    finally:
        app.stop(1.0)


class _Switch:
    """A dependency check whose outcome the test sets (a stand-in for a dependency)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.failure: Exception | None = None
        self.closed = False

    def check(self) -> None:
        if self.failure is not None:
            raise self.failure

    def close(self) -> None:
        self.closed = True


def test_the_watcher_sets_readiness_the_gauge_and_not_ready_on_a_broken_check():
    servicer = health.HealthServicer()
    dependency = _Switch("switch")
    watcher = ReadinessWatcher(servicer, [SERVICE], [dependency], interval_s=3600)
    watcher.start()

    def status(name: str) -> int:
        request = health_pb2.HealthCheckRequest(service=name)
        return servicer.Check(request, None).status

    assert [status(n) for n in (LIVENESS, *READINESS_NAMES)] == [SERVING] * 4
    assert DEPENDENCY_READY.labels("switch")._value.get() == 1.0
    dependency.failure = DependencyUnavailable("refused")
    assert watcher.check_now() is False
    assert [status(n) for n in READINESS_NAMES] == [NOT_SERVING] * 3
    assert status(LIVENESS) == SERVING
    assert DEPENDENCY_READY.labels("switch")._value.get() == 0.0
    dependency.failure = None
    assert watcher.check_now() is True
    dependency.failure = KeyError("a bug in the check")  # never reported as ready
    assert watcher.check_now() is False
    watcher.stop()
    assert status(LIVENESS) == NOT_SERVING and dependency.closed
