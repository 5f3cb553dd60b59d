"""Session fixtures: one real embedded Valkey and one real embedded Kafka broker."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis

from services.runtime.embedded import EmbeddedBroker, EmbeddedValkey
from services.runtime.local_stack import LocalStack


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


@pytest.fixture(scope="module")
def stack_factory(redis_url: str, kafka_bootstrap: str):
    """Start in-process stacks, each on its own Redis database; stopped after the module."""
    started: list[LocalStack] = []

    def make(db: int, env: dict[str, str] | None = None) -> LocalStack:
        # Own topics per stack: a new consumer group reads its topics from the start, and
        # must not replay the events of every stack that ran before it.
        stack = LocalStack(
            redis_url,
            kafka_bootstrap,
            db,
            group_prefix=f"test-db{db}",
            topic_prefix=f"test-db{db}-{uuid.uuid4().hex[:8]}.",
            env=env,
        ).start()
        started.append(stack)
        return stack

    yield make
    for stack in started:
        stack.stop()
