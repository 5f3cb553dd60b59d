"""`parkvpp status`: each service's address, health, readiness, consumer lag and version."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from rich.console import Console
from rich.table import Table

from services import terminal
from services.runtime.channels import open_channel
from services.runtime.scrape import scrape, total
from services.runtime.settings import SERVICE_NAMES
from services.stack_client import StackTarget
from services.stack_file import parkvpp_version, pid_alive

CHECK_TIMEOUT_S = 2.0
LAG_METRIC = "parkvpp_kafka_consumer_lag"


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    addr: str
    pid: int | None
    live: str
    ready: str
    lag: float | None

    @property
    def ok(self) -> bool:
        return self.live == "SERVING" and self.ready == "SERVING"


def _health(channel: grpc.Channel, service: str) -> str:
    """SERVING, NOT_SERVING, or why there is no answer ("unreachable", "DEADLINE_EXCEEDED")."""
    stub = health_pb2_grpc.HealthStub(channel)
    try:
        reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=CHECK_TIMEOUT_S)
    except grpc.RpcError as exc:
        code = exc.code()  # type: ignore[attr-defined]
        return "unreachable" if code == grpc.StatusCode.UNAVAILABLE else code.name
    return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)


def consumer_lag(metrics_url: str) -> float | None:
    """Messages behind, summed over the process's consumer groups (None: no /metrics)."""
    try:
        return total(scrape(metrics_url, CHECK_TIMEOUT_S), LAG_METRIC)
    except OSError:
        return None


def service_status(target: StackTarget, name: str) -> ServiceStatus:
    addr = target.addr(name)
    cert, key, ca = target.tls
    with open_channel(addr, None, cert, key, ca) as channel:
        live, ready = _health(channel, "liveness"), _health(channel, "readiness")
    info = target.info
    pid = info.pids.get(name) if info is not None else None
    lag = consumer_lag(info.metrics_urls[name]) if info is not None else None
    return ServiceStatus(name, addr, pid, live, ready, lag)


def _word(state: str) -> str:
    colour = "green" if state in ("SERVING", "RUNNING") else "red"
    return f"[{colour}]{state.lower().replace('_', ' ')}[/{colour}]"


def render(target: StackTarget, rows: list[ServiceStatus], console: Console) -> None:
    """A header naming the stack, then one table row per service and embedded server."""
    info = target.info
    if info is not None:
        console.print(
            f"Stack in {info.data_dir}: parkvpp up pid {info.up_pid}, version {info.version}, "
            f"up since {info.started_at}"
        )
    else:
        console.print(f"Services at {target.describe()}; client version {parkvpp_version()}")
    table = Table("service", "address", "pid", "alive", "ready", "consumer lag", "version")
    version = info.version if info is not None else "?"
    for row in rows:
        lag = "" if row.lag is None else f"{row.lag:,.0f} messages"
        pid = "" if row.pid is None else str(row.pid)
        table.add_row(row.name, row.addr, pid, _word(row.live), _word(row.ready), lag, version)
    if info is not None:
        for name, where in (("valkey", info.redis_url), ("broker", info.kafka_bootstrap)):
            pid = info.pids.get(name)
            if pid is None:
                continue
            alive = _word("RUNNING" if pid_alive(pid) else "EXITED")
            table.add_row(name, where, str(pid), alive, "", "", "embedded")
    console.print(table)


def status(target: StackTarget, console: Console | None = None) -> int:
    """Print the table; 0 when every service is alive and ready, 1 otherwise.

    Raises NoStack when the data dir was named and runs no stack.
    """
    console = console or terminal.console()
    rows = [service_status(target, name) for name in SERVICE_NAMES]
    render(target, rows, console)
    down = [row.name for row in rows if not row.ok]
    if down:
        console.print(f"not ready: {', '.join(down)} (logs in {target.data_dir / 'logs'})")
        return 1
    return 0
