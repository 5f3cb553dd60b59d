"""The per-process runtime handed to servicers: settings, Redis, the event outbox, peers."""

from __future__ import annotations

import threading
from collections.abc import Callable

import grpc
import redis

from services.runtime.channels import open_channel
from services.runtime.outbox import Outbox, OutboxEvent
from services.runtime.priority import BackgroundWork
from services.runtime.ratelimit import Limit, RateLimiter
from services.runtime.settings import Settings
from services.runtime.store import connect
from services.runtime.streams import StreamSlots


class Runtime:
    """Clients one process shares between its servicers; created once, closed once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.redis: redis.Redis = connect(
            settings.redis_url, settings.redis_password, settings.redis_ca_file
        )
        self.outbox = Outbox(self.redis)
        #: Called after this process wrote to the outbox (the server wakes its relay).
        self.on_outbox_write: list[Callable[[], None]] = []
        self._limiter: RateLimiter | None = None
        self._background: BackgroundWork | None = None
        self._channels: dict[str, grpc.Channel] = {}
        self._lock = threading.Lock()
        #: Set when the server begins to stop; long-lived streams end when they see it.
        self.stopping = threading.Event()
        #: Open long-lived streams of this process's server, per tenant and in total.
        self.streams = StreamSlots.of(settings)

    def events_written(self) -> None:
        """Say that events were just written to the outbox, so the relay looks now."""
        for wake in self.on_outbox_write:
            wake()

    def append_events(self, tag: str, events: list[OutboxEvent]) -> None:
        """Write events that record no other change to `tag`'s outbox (one transaction)."""
        self.outbox.append(tag, events)
        self.events_written()

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

    @property
    def background(self) -> BackgroundWork:
        """Lower-priority threads for heavy solves (see services.runtime.priority)."""
        with self._lock:
            if self._background is None:
                self._background = BackgroundWork()
            return self._background

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
            for channel in self._channels.values():
                channel.close()
            self._channels.clear()
            if self._background is not None:
                self._background.close()
                self._background = None
        self.redis.close()
