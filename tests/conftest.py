"""Session fixtures: one real embedded Valkey and one real embedded Kafka broker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from services.runtime.embedded import EmbeddedBroker, EmbeddedValkey


@pytest.fixture(scope="session")
def valkey(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedValkey]:
    server = EmbeddedValkey(tmp_path_factory.mktemp("valkey"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_url(valkey: EmbeddedValkey) -> str:
    return valkey.url


@pytest.fixture()
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """A client on a freshly flushed database."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    server = EmbeddedBroker(tmp_path_factory.mktemp("broker"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(broker: EmbeddedBroker) -> str:
    return broker.bootstrap_servers


class InProcessStack:
    """All seven services on one real gRPC server (port 0 style) over the real backends."""

    def __init__(self, redis_url: str, kafka_bootstrap: str, db: int) -> None:
        from services.runtime.catalog import all_builders
        from services.runtime.context import Runtime
        from services.runtime.embedded import free_port
        from services.runtime.settings import SERVICE_NAMES, load_settings

        port = free_port()
        addr = f"127.0.0.1:{port}"
        env = {
            "REDIS_URL": redis_url.rsplit("/", 1)[0] + f"/{db}",
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "PARKVPP_KAFKA_GROUP_PREFIX": f"test-db{db}",
            # A short rebalance timeout makes first joins quick on the embedded broker.
            "PARKVPP_KAFKA_REBALANCE_TIMEOUT_MS": "3000",
            **{f"PARKVPP_{name.upper()}_ADDR": addr for name in SERVICE_NAMES},
        }
        self.settings = load_settings(env)
        self.runtime = Runtime(self.settings)
        self.runtime.redis.flushdb()
        from services.runtime.server import create_server

        self.app, self.port = create_server(self.runtime, all_builders(), addr)
        # Waits on the condition (partitions assigned) with a deadline, not a sleep.
        assert self.app.wait_ready(60), "consumers did not join their groups in 60 s"
        self.addr = addr
        self.addrs = {name: addr for name in SERVICE_NAMES}
        self.redis = self.runtime.redis
        self.stopped = False

    def stop(self) -> None:
        if not self.stopped:
            self.stopped = True
            self.app.stop(1.0)


@pytest.fixture(scope="module")
def stack_factory(redis_url: str, kafka_bootstrap: str):
    """Start in-process stacks, each on its own Redis database; stopped after the module."""
    started: list[InProcessStack] = []

    def make(db: int) -> InProcessStack:
        stack = InProcessStack(redis_url, kafka_bootstrap, db)
        started.append(stack)
        return stack

    yield make
    for stack in started:
        stack.stop()
