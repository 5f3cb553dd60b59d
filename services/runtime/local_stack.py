"""All seven services on one in-process gRPC server: for tests and benchmarks.

`parkvpp up` runs one process per service (services/launcher.py); this runs them in
the caller's process on one loopback port, over given Redis/Kafka or embedded ones.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import redis

from services.runtime.auth import issue_token
from services.runtime.catalog import all_builders
from services.runtime.context import Runtime
from services.runtime.embedded import EmbeddedBroker, EmbeddedValkey, free_port
from services.runtime.server import AppServer, create_server
from services.runtime.settings import SERVICE_NAMES, Settings, load_settings

if TYPE_CHECKING:
    from services.demo.clients import Clients


class LocalStack:
    """Start with `start()`, stop with `stop()`; `addrs` maps each service to its address.

    With no `redis_url`/`kafka_bootstrap` it starts an embedded Valkey and broker in a
    temporary folder and removes them at `stop()`. `db` picks the Redis database and
    `topic_prefix` the stack's own topics, so several stacks can share one Redis and one
    broker without seeing each other's data or events.
    """

    def __init__(
        self,
        redis_url: str = "",
        kafka_bootstrap: str = "",
        db: int = 0,
        group_prefix: str = "",
        rebalance_timeout_ms: int = 3000,
        env: dict[str, str] | None = None,
        topic_prefix: str = "",
    ) -> None:
        self._redis_url = redis_url
        self._kafka = kafka_bootstrap
        self._db = db
        self._group_prefix = group_prefix or f"local-{uuid.uuid4().hex[:8]}"
        self._rebalance_ms = rebalance_timeout_ms
        self.topic_prefix = topic_prefix
        self._env = dict(env or {})
        self._env.setdefault("PARKVPP_TOKEN_SECRET", secrets.token_urlsafe(48))
        self._env.setdefault("PARKVPP_LEDGER_SIGNING_KEY", secrets.token_urlsafe(48))
        # Test and benchmark brokers are the embedded memory-only one: keep events until
        # the consumers applied them (see services/runtime/relay.py).
        self._env.setdefault("PARKVPP_OUTBOX_RETAIN", "1")
        self._embedded: list[EmbeddedValkey | EmbeddedBroker] = []
        self._data_dir: Path | None = None
        self.app: AppServer | None = None
        self.addr = ""

    def _backends(self) -> tuple[str, str]:
        if self._redis_url and self._kafka:
            return self._redis_url, self._kafka
        self._data_dir = Path(tempfile.mkdtemp(prefix="parkvpp-local-"))
        valkey = EmbeddedValkey(self._data_dir / "valkey")
        broker = EmbeddedBroker(self._data_dir / "broker")
        for server in (valkey, broker):
            server.start()
            self._embedded.append(server)
        return valkey.url, broker.bootstrap_servers

    def start(self, ready_timeout_s: float = 60.0, flush: bool = True) -> LocalStack:
        """Start (backends and) services; waits until every consumer has partitions.

        `flush` empties the Redis database first; without it the stack takes over what an
        earlier stack on the same database left (e.g. its unpublished outbox).

        Raises RuntimeError, after stopping what started, when consumers are not
        assigned within `ready_timeout_s`.
        """
        redis_url, kafka = self._backends()
        self.addr = f"127.0.0.1:{free_port()}"
        env = {
            "REDIS_URL": redis_url.rsplit("/", 1)[0] + f"/{self._db}",
            "KAFKA_BOOTSTRAP_SERVERS": kafka,
            "PARKVPP_KAFKA_GROUP_PREFIX": self._group_prefix,
            "PARKVPP_KAFKA_TOPIC_PREFIX": self.topic_prefix,
            # A short rebalance timeout makes first joins quick on the embedded broker.
            "PARKVPP_KAFKA_REBALANCE_TIMEOUT_MS": str(self._rebalance_ms),
            **{f"PARKVPP_{name.upper()}_ADDR": self.addr for name in SERVICE_NAMES},
            **self._env,
        }
        runtime = Runtime(load_settings(env))
        if flush:
            runtime.redis.flushdb()
        self.app, _ = create_server(runtime, all_builders(), self.addr)
        if not self.app.wait_ready(ready_timeout_s):
            self.stop()
            raise RuntimeError(f"consumers not assigned partitions in {ready_timeout_s:.0f}s")
        return self

    def topic(self, name: str) -> str:
        """The broker's name of a ParkVPP topic in this stack (its topic prefix + name)."""
        return self.topic_prefix + name

    def token(self, role: str = "operator", ttl_s: int = 3600) -> str:
        """A token this stack accepts, e.g. for "operator" or "enterprise:ent-1"."""
        return issue_token(self._env["PARKVPP_TOKEN_SECRET"], role, ttl_s)

    def auth(self, role: str) -> tuple[tuple[str, str], ...]:
        """Per-call metadata to make one call as `role`."""
        return (("authorization", f"Bearer {self.token(role)}"),)

    def clients(self, role: str = "operator") -> Clients:
        """Stubs of every service calling as `role` (close them when done)."""
        from services.demo.clients import Clients

        return Clients.connect(self.addrs, token=self.token(role))

    @property
    def addrs(self) -> dict[str, str]:
        return {name: self.addr for name in SERVICE_NAMES}

    @property
    def runtime(self) -> Runtime:
        assert self.app is not None, "start() first"
        return self.app.runtime

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    @property
    def redis(self) -> redis.Redis:
        return self.runtime.redis

    def stop(self) -> None:
        """Stop services (1 s grace), then any embedded servers; safe to call twice."""
        if self.app is not None:
            self.app.stop(1.0)
            self.app = None
        for server in reversed(self._embedded):
            server.stop()
        self._embedded.clear()
        if self._data_dir is not None:
            shutil.rmtree(self._data_dir, ignore_errors=True)
            self._data_dir = None
