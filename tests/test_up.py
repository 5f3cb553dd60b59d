"""`parkvpp up` as a user runs it: seven healthy services, reflection, metrics, clean stop."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from parkvpp.v1 import enrollment_pb2, enrollment_pb2_grpc

pytestmark = pytest.mark.timeout(240)

LINE = re.compile(r"^\s+(\w+)\s+grpc (\S+)\s+metrics (\S+)$")


def _children(pid: int) -> set[int]:
    """All descendants of `pid`, from /proc."""
    found: set[int] = set()
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == parent and int(entry) not in found:
                found.add(int(entry))
                frontier.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture(scope="module")
def running_up(tmp_path_factory):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS")}
    env["PARKVPP_SHUTDOWN_GRACE_S"] = "5"
    data_dir = str(tmp_path_factory.mktemp("up"))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "services.cli",
            "up",
            "--free-ports",
            "--data-dir",
            data_dir,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    endpoints: dict[str, tuple[str, str]] = {}
    deadline = time.monotonic() + 120
    while len(endpoints) < 7 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        match = LINE.match(line)
        if match:
            endpoints[match.group(1)] = (match.group(2), match.group(3))
    if len(endpoints) < 7:
        proc.kill()
        proc.wait()
        proc.stdout.close()
        pytest.fail(f"parkvpp up did not report seven services: {endpoints}")
    token = subprocess.run(
        [
            sys.executable,
            "-m",
            "services.cli",
            "token",
            "--role",
            "operator",
            "--data-dir",
            data_dir,
        ],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout.strip()
    yield proc, endpoints, token
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    proc.stdout.close()


def test_reflection_lists_all_seven_services_and_health_is_serving(running_up):
    _, endpoints, _ = running_up
    wanted = {
        "EnrollmentService",
        "TelemetryService",
        "VppService",
        "BiddingService",
        "MarketService",
        "SettlementService",
        "CertificateService",
    }
    listed = set()
    for grpc_addr, _ in endpoints.values():
        with grpc.insecure_channel(grpc_addr) as channel:
            stub = reflection_pb2_grpc.ServerReflectionStub(channel)
            replies = stub.ServerReflectionInfo(
                iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=10
            )
            for reply in replies:
                listed |= {s.name.split(".")[-1] for s in reply.list_services_response.service}
            health = health_pb2_grpc.HealthStub(channel)
            status = health.Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
            assert status.status == health_pb2.HealthCheckResponse.SERVING
    assert wanted <= listed


def test_a_token_from_parkvpp_token_is_needed_and_calls_are_counted(running_up):
    _, endpoints, token = running_up
    grpc_addr, metrics_url = endpoints["enrollment"]
    request = enrollment_pb2.GetEnterpriseRequest(enterprise_id="nobody")
    with grpc.insecure_channel(grpc_addr) as channel:
        stub = enrollment_pb2_grpc.EnrollmentServiceStub(channel)
        with pytest.raises(grpc.RpcError) as anonymous:
            stub.GetEnterprise(request)
        assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.RpcError) as unknown:
            stub.GetEnterprise(request, metadata=(("authorization", f"Bearer {token}"),))
        assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
    text = urllib.request.urlopen(metrics_url, timeout=5).read().decode()
    for code in ("UNAUTHENTICATED", "NOT_FOUND"):
        assert re.search(
            rf'parkvpp_grpc_requests_total\{{code="{code}",'
            r'method="/parkvpp.v1.EnrollmentService/GetEnterprise"\} 1\.0',
            text,
        ), text[:2000]
    assert "parkvpp_grpc_request_seconds_bucket" in text


def test_sigterm_stops_every_process_including_valkey_and_the_broker(running_up):
    proc, _, _ = running_up
    family = _children(proc.pid)
    assert len(family) >= 9, "seven services plus valkey and the broker"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in family) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in family if _alive(pid)]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[-200:]
    except OSError:
        return "?"


def test_a_killed_up_takes_its_children_with_it(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "up", "--free-ports", "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line or line.strip().startswith("certificates"):
                break
        family = _children(proc.pid)
        assert len(family) >= 9
    finally:
        proc.kill()  # SIGKILL: no chance to clean up
        proc.wait()
        proc.stdout.close()
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in family) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = {pid: _cmdline(pid) for pid in family if _alive(pid)}
    assert not alive, f"still running 30 s after `up` was killed: {alive}"
