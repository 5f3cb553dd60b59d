"""`parkvpp up` supervises: a child killed with SIGKILL comes back alone; only SIGTERM stops all."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import grpc
import pytest
import redis
from grpc_health.v1 import health_pb2, health_pb2_grpc
from kafka import KafkaAdminClient

from services.runtime.events import ALL_TOPICS
from services.runtime.outbox import BROKER_EPOCH_KEY
from services.runtime.settings import SERVICE_NAMES
from services.supervisor import Backoff

pytestmark = pytest.mark.timeout(300)

SERVICE_LINE = re.compile(r"^\s+(\w+)\s+grpc (\S+)\s+metrics (\S+)$")
FIELD_LINE = re.compile(r"^\s+(redis|kafka)\s+(\S+)$")
UP_METRICS_LINE = re.compile(r"^\s+up\s+metrics (\S+)")


def test_backoff_doubles_to_its_cap_and_starts_over_after_a_stable_run():
    backoff = Backoff(first_s=0.5, max_s=4.0, stable_s=60.0)
    delays = [backoff.after_exit(ran_s=1.0) for _ in range(6)]
    assert delays == [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 4.0), (6, 4.0)]
    assert backoff.after_exit(ran_s=60.0) == (1, 0.5)


def children_of(pid: int) -> dict[str, int]:
    """Name -> pid of `up`'s children: each service, `valkey` and `broker`, from /proc."""
    found: dict[str, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                argv = cmdline.read().decode().rstrip("\0").split("\0")
        except (OSError, IndexError):
            continue
        if int(fields[1]) != pid or fields[0] == "Z":
            continue
        if len(argv) > 2 and argv[-2] == "serve":
            found[argv[-1]] = int(entry)
        elif any("valkey-server" in arg for arg in argv):
            found["valkey"] = int(entry)
        elif "broker" in argv:
            found["broker"] = int(entry)
    return found


def wait_for(condition, timeout_s: float, what: str):
    """condition()'s first truthy value, polled until `timeout_s`; fails naming `what`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"not within {timeout_s:.0f}s: {what}")


def serving(addr: str) -> bool:
    with grpc.insecure_channel(addr) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=2
            )
        except grpc.RpcError:
            return False
    return reply.status == health_pb2.HealthCheckResponse.SERVING


def restarts(metrics_url: str, child: str) -> float:
    text = urllib.request.urlopen(metrics_url, timeout=5).read().decode()
    found = re.search(
        rf'^parkvpp_supervisor_restarts_total\{{process="{child}"\}} (\S+)$', text, re.M
    )
    return float(found.group(1)) if found else 0.0


class Up:
    """A running `parkvpp up --free-ports` and what it printed."""

    def __init__(self, proc: subprocess.Popen[str], log_path) -> None:
        self.proc = proc
        self.log_path = log_path
        self.grpc: dict[str, str] = {}
        self.fields: dict[str, str] = {}
        self.metrics_url = ""
        deadline = time.monotonic() + 120
        while len(self.grpc) < len(SERVICE_NAMES) and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            if match := SERVICE_LINE.match(line):
                self.grpc[match.group(1)] = match.group(2)
            elif match := FIELD_LINE.match(line):
                self.fields[match.group(1)] = match.group(2)
            elif match := UP_METRICS_LINE.match(line):
                self.metrics_url = match.group(1)

    def children(self) -> dict[str, int]:
        return children_of(self.proc.pid)

    def log(self) -> str:
        return self.log_path.read_text()


@pytest.fixture(scope="module")
def up(tmp_path_factory):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS")}
    env["PARKVPP_SHUTDOWN_GRACE_S"] = "5"
    data_dir = tmp_path_factory.mktemp("supervised")
    log_path = data_dir / "up.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "services.cli",
                "up",
                "--free-ports",
                "--data-dir",
                str(data_dir),
            ],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=env,
        )
    running = Up(proc, log_path)
    try:
        if len(running.grpc) < len(SERVICE_NAMES) or not running.metrics_url:
            pytest.fail(f"parkvpp up did not report its services: {running.log()[-3000:]}")
        yield running
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def kill_and_wait_back(up: Up, name: str) -> tuple[dict[str, int], dict[str, int]]:
    """SIGKILL child `name`; returns (children before, children once it runs again)."""
    before = up.children()
    assert set(before) == {*SERVICE_NAMES, "valkey", "broker"}, before
    os.kill(before[name], signal.SIGKILL)
    after = wait_for(
        lambda: (now := up.children()).get(name, before[name]) != before[name] and now,
        60,
        f"{name} running again",
    )
    return before, after


def others_unchanged(before: dict[str, int], after: dict[str, int], name: str) -> None:
    assert {k: v for k, v in after.items() if k != name} == {
        k: v for k, v in before.items() if k != name
    }


def test_a_killed_service_is_restarted_alone_logged_and_counted(up):
    before, after = kill_and_wait_back(up, "telemetry")
    wait_for(lambda: serving(up.grpc["telemetry"]), 60, "telemetry SERVING again")
    others_unchanged(before, up.children(), "telemetry")
    assert restarts(up.metrics_url, "telemetry") == 1.0
    assert "telemetry exited with signal SIGKILL; restart attempt 1 in 0.5 s" in up.log()
    assert all(serving(addr) for addr in up.grpc.values())


def test_a_killed_valkey_comes_back_on_its_port_with_its_data(up):
    client = redis.Redis.from_url(up.fields["redis"], socket_timeout=5)
    client.set("supervisor-test:probe", "written before the kill")
    before, _ = kill_and_wait_back(up, "valkey")
    value = wait_for(
        lambda: _get_or_none(client, "supervisor-test:probe"), 60, "valkey answering again"
    )
    assert value == b"written before the kill"
    assert restarts(up.metrics_url, "valkey") == 1.0
    others_unchanged(before, up.children(), "valkey")
    client.close()


def _get_or_none(client: redis.Redis, key: str) -> bytes | None:
    try:
        return client.get(key)
    except redis.exceptions.ConnectionError:
        return None


def test_a_killed_broker_comes_back_on_its_port_with_topics_and_a_new_epoch(up):
    client = redis.Redis.from_url(up.fields["redis"], socket_timeout=5)
    epoch = int(client.get(BROKER_EPOCH_KEY) or 0)
    assert epoch >= 1, "the first start of the embedded broker counts as one"
    before, _ = kill_and_wait_back(up, "broker")
    wait_for(lambda: int(client.get(BROKER_EPOCH_KEY) or 0) > epoch, 60, "the epoch bumped")
    assert int(client.get(BROKER_EPOCH_KEY)) == epoch + 1
    admin = KafkaAdminClient(bootstrap_servers=up.fields["kafka"], client_id="supervisor-test")
    try:
        assert set(ALL_TOPICS) <= set(admin.list_topics())
    finally:
        admin.close()
    assert restarts(up.metrics_url, "broker") == 1.0
    others_unchanged(before, up.children(), "broker")
    client.close()


def test_sigterm_of_up_stops_every_child(up):
    family = up.children()
    assert len(family) == len(SERVICE_NAMES) + 2
    up.proc.send_signal(signal.SIGTERM)
    assert up.proc.wait(timeout=60) == 0
    wait_for(
        lambda: not [pid for pid in family.values() if _alive(pid)],
        30,
        f"every child of up gone: {family}",
    )


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
