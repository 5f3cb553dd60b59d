"""The per-process runtime handed to servicers: settings, Redis, the event publisher, peers."""

from __future__ import annotations

import threading

import grpc
import redis

from services.runtime.channels import open_channel
from services.runtime.events import EventPublisher
from services.runtime.ratelimit import Limit, RateLimiter
from services.runtime.settings import Settings
from services.runtime.store import connect


class Runtime:
    """Clients one process shares between its servicers; created once, closed once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.redis: redis.Redis = connect(settings.redis_url)
        self._publisher: EventPublisher | None = None
        self._limiter: RateLimiter | None = None
        self._channels: dict[str, grpc.Channel] = {}
        self._lock = threading.Lock()
        #: Set when the server begins to stop; long-lived streams end when they see it.
        self.stopping = threading.Event()

    @property
    def publisher(self) -> EventPublisher:
        """The process's Kafka producer, created on first use."""
        with self._lock:
            if self._publisher is None:
                self._publisher = EventPublisher(
                    self.settings.kafka_bootstrap_servers,
                    max_pending=self.settings.kafka_max_pending,
                    flush_timeout_s=self.settings.kafka_publish_timeout_s,
                    topic_prefix=self.settings.kafka_topic_prefix,
                )
            return self._publisher

    @property
    def limiter(self) -> RateLimiter:
        """Per-tenant rate limits of this process (buckets shared in Redis)."""
        s = self.settings
        with self._lock:
            if self._limiter is None:
                self._limiter = RateLimiter(
                    self.redis,
                    {
                        "write": Limit("write", s.rate_writes_per_s, s.rate_writes_burst),
                        "ingest": Limit("ingest", s.rate_readings_per_s, s.rate_readings_burst),
                    },
                )
            return self._limiter

    def channel(self, service: str) -> grpc.Channel:
        """A channel to a peer service (e.g. the market gateway), cached per process."""
        with self._lock:
            if service not in self._channels:
                s = self.settings
                self._channels[service] = open_channel(
                    s.addr_of(service),
                    cert_file=s.tls_cert_file,
                    key_file=s.tls_key_file,
                    ca_file=s.tls_ca_file,
                )
            return self._channels[service]

    def close(self) -> None:
        with self._lock:
            if self._publisher is not None:
                self._publisher.close()
                self._publisher = None
            for channel in self._channels.values():
                channel.close()
            self._channels.clear()
        self.redis.close()
