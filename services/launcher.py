"""`parkvpp up`: embedded Valkey and broker when none are configured, one process per service.

Every child dies with this process (PR_SET_PDEATHSIG), and a clean stop sends SIGTERM
to the services first (they drain and commit), then stops the embedded servers. With
`supervise` a child that dies is started again alone (services/supervisor.py).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.certificates.signing_key import ledger_key_for
from services.runtime import embedded
from services.runtime.channels import open_channel
from services.runtime.embedded import EmbeddedBroker, EmbeddedValkey, spawn_dying_with_parent
from services.runtime.events import ensure_topics
from services.runtime.kafka_config import kafka_client_options
from services.runtime.keys import data_dir_key
from services.runtime.outbox import note_broker_restart
from services.runtime.settings import (
    DEFAULT_GRPC_PORTS,
    DEFAULT_METRICS_PORTS,
    SERVICE_NAMES,
    Settings,
)
from services.runtime.store import connect
from services.stack_file import (
    StackInfo,
    now_utc,
    parkvpp_version,
    read_stack_file,
    remove_stack_file,
    write_stack_file,
)
from services.supervisor import Supervisor

log = logging.getLogger(__name__)


class StackError(RuntimeError):
    """A service did not become healthy, or exited while the stack was running."""


SECRET_FILE = "token-secret"
#: Where `parkvpp up` serves its own /metrics (the supervisor's), next to the services' ports.
UP_METRICS_PORT = max(DEFAULT_METRICS_PORTS.values()) + 1


def token_secret_for(settings: Settings, create: bool = True) -> str:
    """PARKVPP_TOKEN_SECRET, or the data directory's own key (made on first use, mode 0600).

    The embedded default keeps its signing key next to its data, so `parkvpp token` can
    issue tokens for a running `parkvpp up` without the key ever being printed. With
    `create` False a missing key is a SettingsError instead.
    """
    return data_dir_key(
        settings.token_secret, settings.data_dir, SECRET_FILE, "PARKVPP_TOKEN_SECRET", create
    )


@dataclass
class Stack:
    """The running stack: addresses of each service's gRPC and metrics endpoints.

    With `supervise` (`parkvpp up`, the demo) a supervisor restarts any child that exits
    once the stack is healthy; without it (tests that kill and `restart` children
    themselves) an exited child stays down and `check_children` reports it.
    """

    settings: Settings
    free_ports: bool = False
    supervise: bool = False
    grpc_addrs: dict[str, str] = field(default_factory=dict)
    metrics_urls: dict[str, str] = field(default_factory=dict)
    redis_url: str = ""
    kafka_bootstrap: str = ""
    token_secret: str = field(default="", repr=False)
    _children: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _embedded: list[EmbeddedValkey | EmbeddedBroker] = field(default_factory=list)
    _ports: dict[str, tuple[int, int]] = field(default_factory=dict)
    _env: dict[str, str] = field(default_factory=dict, repr=False)
    _up_metrics_port: int = UP_METRICS_PORT
    _started_at: str = ""
    _supervisor: Supervisor | None = None
    #: Held while children are spawned or stopped, so a restart never races `stop`.
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def start(self, timeout_s: float = 90.0) -> None:
        """Start everything and wait until every service answers SERVING.

        Raises StackError (after stopping what started) when a service fails, or at once
        when another `parkvpp up` runs from the same data dir (its stack.json names it).
        Once healthy it writes DATA_DIR/stack.json for the client commands.
        """
        running = read_stack_file(self.settings.data_dir)
        if running is not None and running.running and running.up_pid != os.getpid():
            raise StackError(
                f"a stack already runs from {running.data_dir} (parkvpp up pid "
                f"{running.up_pid}); see `parkvpp status --data-dir {running.data_dir}`, "
                "or stop it first"
            )
        try:
            self.token_secret = token_secret_for(self.settings)
            self._start_backends()
            self._start_services()
            self.wait_healthy(timeout_s)
            if self.supervise:
                self._supervisor = Supervisor(self, self._up_metrics_port)
                self._supervisor.start()
            self._started_at = now_utc()
            self.write_stack_file()
        except BaseException:
            self.stop()
            raise

    def stack_info(self) -> StackInfo:
        """What stack.json says about this stack now (pids as they are after restarts)."""
        s = self.settings
        return StackInfo(
            data_dir=str(Path(s.data_dir).resolve()),
            up_pid=os.getpid(),
            version=parkvpp_version(),
            started_at=self._started_at,
            grpc_addrs=dict(self.grpc_addrs),
            metrics_urls=dict(self.metrics_urls),
            pids={
                **{n: c.pid for n, c in self._children.items()},
                **{e.name: e.pid for e in self._embedded if e.pid is not None},
            },
            redis_url=self.redis_url,
            kafka_bootstrap=self.kafka_bootstrap,
            supervisor_metrics_url=self.supervisor_metrics_url,
            tls={
                "cert_file": s.tls_cert_file,
                "key_file": s.tls_key_file,
                "ca_file": s.tls_ca_file,
            },
        )

    def write_stack_file(self) -> Path:
        """(Re)write DATA_DIR/stack.json; the path."""
        return write_stack_file(self.stack_info())

    def _start_backends(self) -> None:
        self.redis_url = self.settings.redis_url
        self.kafka_bootstrap = self.settings.kafka_bootstrap_servers
        data_dir = Path(self.settings.data_dir).resolve()
        if not self.redis_url:
            valkey = EmbeddedValkey(data_dir / "valkey")
            valkey.start()
            self._embedded.append(valkey)
            self.redis_url = valkey.url
            log.info("embedded valkey", extra={"url": valkey.url, "data_dir": str(valkey.data_dir)})
        if not self.kafka_bootstrap:
            broker = EmbeddedBroker(data_dir / "broker")
            broker.start()
            self._embedded.append(broker)
            self.kafka_bootstrap = broker.bootstrap_servers
            log.info("embedded broker", extra={"bootstrap": self.kafka_bootstrap})
            self._broker_started()
        else:
            self._ensure_topics()

    def _ensure_topics(self) -> None:
        ensure_topics(
            self.kafka_bootstrap,
            self.settings.kafka_partitions,
            replication=self.settings.kafka_replication,
            topic_prefix=self.settings.kafka_topic_prefix,
            client_options=kafka_client_options(self.settings),
        )

    def _broker_started(self) -> None:
        """An embedded broker (re)started empty: its topics again, and the outbox's epoch
        bumped so the relay feeds it what the consumers have not applied yet."""
        self._ensure_topics()
        s = self.settings
        client = connect(self.redis_url, s.redis_password, s.redis_ca_file)
        try:
            epoch = note_broker_restart(client)
        finally:
            client.close()
        log.info("broker epoch %d", epoch, extra={"bootstrap": self.kafka_bootstrap})

    def _embedded_broker(self) -> bool:
        return any(isinstance(server, EmbeddedBroker) for server in self._embedded)

    def _pick_ports(self) -> dict[str, tuple[int, int]]:
        """(gRPC, metrics) port per service: the defaults, or distinct free ones."""
        if not self.free_ports:
            return {n: (DEFAULT_GRPC_PORTS[n], DEFAULT_METRICS_PORTS[n]) for n in SERVICE_NAMES}
        *ports, self._up_metrics_port = embedded.free_ports(2 * len(SERVICE_NAMES) + 1)
        return {n: (ports[2 * k], ports[2 * k + 1]) for k, n in enumerate(SERVICE_NAMES)}

    def _start_services(self) -> None:
        self._ports = self._pick_ports()
        host = self.settings.grpc_host
        self.grpc_addrs = {n: f"{host}:{g}" for n, (g, _) in self._ports.items()}
        self.metrics_urls = {n: f"http://{host}:{m}/metrics" for n, (_, m) in self._ports.items()}
        self._env = dict(os.environ)
        self._env.update(
            {
                "REDIS_URL": self.redis_url,
                "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap,
                "PYTHONUNBUFFERED": "1",
                "PARKVPP_TOKEN_SECRET": self.token_secret,
                "PARKVPP_LEDGER_SIGNING_KEY": ledger_key_for(self.settings),
                # A memory-only embedded broker: the outbox keeps events until applied.
                **({"PARKVPP_OUTBOX_RETAIN": "1"} if self._embedded_broker() else {}),
                **{f"PARKVPP_{n.upper()}_ADDR": a for n, a in self.grpc_addrs.items()},
            }
        )
        for name in self._ports:
            self._spawn(name)

    def _spawn(self, name: str) -> int:
        grpc_port, metrics_port = self._ports[name]
        env = dict(
            self._env, PARKVPP_GRPC_PORT=str(grpc_port), PARKVPP_METRICS_PORT=str(metrics_port)
        )
        logs = Path(self.settings.data_dir).resolve() / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        with open(logs / f"{name}.log", "ab") as out:
            self._children[name] = spawn_dying_with_parent(
                [sys.executable, "-m", "services.cli", "serve", name],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return self._children[name].pid

    def restart(self, name: str) -> None:
        """Start service `name` again on its ports once its process has exited (e.g. killed).

        Does not wait for it (see `wait_healthy`). The new child dies with the calling
        thread (PR_SET_PDEATHSIG), so call this from a thread that outlives the stack.
        Raises StackError when the old process is still running. With `supervise` the
        supervisor restarts it already: wait for that instead.
        """
        with self.lock:
            child = self._children[name]
            if child.poll() is None:
                raise StackError(f"service {name} is still running (pid {child.pid})")
            self._spawn(name)

    def supervised_children(self) -> list[tuple[str, Callable[[], int | None], Callable[[], int]]]:
        """(name, poll, restart) of every child: services, then the embedded servers."""
        found: list[tuple[str, Callable[[], int | None], Callable[[], int]]] = [
            (name, lambda n=name: self._children[n].poll(), lambda n=name: self._spawn(n))
            for name in self._children
        ]
        for server in self._embedded:
            found.append((server.name, server.poll, lambda s=server: self._restart_server(s)))
        return found

    def _restart_server(self, server: EmbeddedValkey | EmbeddedBroker) -> int:
        server.restart()
        if isinstance(server, EmbeddedBroker):
            self._broker_started()
        assert server.pid is not None
        return server.pid

    @property
    def supervisor_metrics_url(self) -> str:
        """The `up` process's own /metrics (restarts), "" without supervision."""
        return self._supervisor.metrics_url if self._supervisor else ""

    def wait_healthy(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        for name, addr in self.grpc_addrs.items():
            s = self.settings
            with open_channel(
                addr, None, s.tls_cert_file, s.tls_key_file, s.tls_ca_file
            ) as channel:
                stub = health_pb2_grpc.HealthStub(channel)
                while True:
                    if self._supervisor is None:
                        self.check_children()
                    try:
                        reply = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=1)
                        if reply.status == health_pb2.HealthCheckResponse.SERVING:
                            break
                    except grpc.RpcError:
                        pass
                    if time.monotonic() > deadline:
                        raise StackError(f"service {name} not healthy after {timeout_s:.0f}s")
                    time.sleep(0.2)

    def check_children(self) -> None:
        """Raises StackError naming a service whose process has exited."""
        for name, child in self._children.items():
            if child.poll() is not None:
                logs = Path(self.settings.data_dir).resolve() / "logs" / f"{name}.log"
                raise StackError(f"service {name} exited with {child.returncode}; see {logs}")

    @property
    def pids(self) -> list[int]:
        own = [c.pid for c in self._children.values()]
        return own + [s.pid for s in self._embedded if s.pid is not None]

    def stop(self, grace_s: float = 15.0) -> None:
        """SIGTERM the services, wait for them to drain, then stop the embedded servers.

        Removes the stack.json this process wrote first, so no client finds a stopping stack.
        """
        remove_stack_file(self.settings.data_dir, os.getpid())
        supervisor, self._supervisor = self._supervisor, None
        if supervisor is not None:
            supervisor.close()
        with self.lock:
            self._stop_children(grace_s)
        if supervisor is not None:
            supervisor.join()

    def _stop_children(self, grace_s: float) -> None:
        for child in self._children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        for child in self._children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        self._children.clear()
        for server in reversed(self._embedded):
            server.stop()
        self._embedded.clear()
