"""DATA_DIR/stack.json: where a running `parkvpp up` is, so every client command finds it.

`parkvpp up` writes the file once every service is healthy (and again when its supervisor
restarts a child) and removes it when it stops. It holds no secret: addresses, ports,
pids, the TLS files and the version; the signing keys stay in their own 0600 files.
A client reads it through `find_stack`, which treats a file whose `up` process is gone
as no stack at all (a `parkvpp up` killed with SIGKILL cannot remove it).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

STACK_FILE = "stack.json"


def parkvpp_version() -> str:
    """The installed package's version ("unknown" when run from an uninstalled tree)."""
    try:
        return version("parkvpp")
    except PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class StackInfo:
    """What stack.json says about one running `parkvpp up`."""

    data_dir: str
    up_pid: int
    version: str
    started_at: str
    grpc_addrs: dict[str, str]
    metrics_urls: dict[str, str]
    pids: dict[str, int]
    redis_url: str = ""
    kafka_bootstrap: str = ""
    supervisor_metrics_url: str = ""
    tls: dict[str, str] = field(default_factory=dict)

    @property
    def running(self) -> bool:
        """True while the `up` process that wrote the file is alive."""
        return pid_alive(self.up_pid)


def pid_alive(pid: int) -> bool:
    """True when a process `pid` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def stack_path(data_dir: str | Path) -> Path:
    return Path(data_dir).resolve() / STACK_FILE


def write_stack_file(info: StackInfo) -> Path:
    """Write `info` atomically (a reader never sees half a file); returns the path."""
    path = stack_path(info.data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{STACK_FILE}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(asdict(info), indent=2) + "\n")
    os.replace(tmp, path)
    return path


def read_stack_file(data_dir: str | Path) -> StackInfo | None:
    """The stack.json of `data_dir`, or None when there is none or it cannot be read."""
    try:
        raw = json.loads(stack_path(data_dir).read_text())
        return StackInfo(**raw)
    except (OSError, ValueError, TypeError):
        return None


def remove_stack_file(data_dir: str | Path, up_pid: int) -> None:
    """Remove stack.json when it is the one `up_pid` wrote (never another stack's)."""
    info = read_stack_file(data_dir)
    if info is not None and info.up_pid == up_pid:
        stack_path(data_dir).unlink(missing_ok=True)


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
