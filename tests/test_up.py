"""`parkvpp up` as a user runs it: seven healthy services, reflection, metrics, clean stop."""

from __future__ import annotations

import json
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
from google.protobuf import descriptor_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from parkvpp.v1 import enrollment_pb2, enrollment_pb2_grpc
from services.runtime.scrape import handled_calls, scrape, total

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
    yield proc, endpoints, token, data_dir, env
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    proc.stdout.close()


def test_reflection_lists_all_seven_services_and_health_is_serving(running_up):
    _, endpoints, *_ = running_up
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


def test_reflection_v1_answers_as_grpcurl_asks_first(running_up):
    """grpcurl and Postman ask grpc.reflection.v1 before v1alpha: the same messages under
    the v1 method path list the services and return their files."""
    _, endpoints, *_ = running_up
    grpc_addr, _ = endpoints["market"]
    with grpc.insecure_channel(grpc_addr) as channel:
        info = channel.stream_stream(
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
            request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
        )
        asks = [
            reflection_pb2.ServerReflectionRequest(list_services=""),
            reflection_pb2.ServerReflectionRequest(
                file_containing_symbol="parkvpp.v1.MarketService"
            ),
            reflection_pb2.ServerReflectionRequest(
                file_containing_symbol="grpc.reflection.v1.ServerReflection"
            ),
        ]
        listed, market, v1 = list(info(iter(asks), timeout=10))
    names = {s.name for s in listed.list_services_response.service}
    assert {"parkvpp.v1.MarketService", "grpc.reflection.v1.ServerReflection"} <= names
    assert "grpc.reflection.v1alpha.ServerReflection" in names
    files = [
        descriptor_pb2.FileDescriptorProto.FromString(raw)
        for raw in market.file_descriptor_response.file_descriptor_proto
    ]
    assert any(s.name == "MarketService" for f in files for s in f.service)
    (v1_file,) = (
        descriptor_pb2.FileDescriptorProto.FromString(raw)
        for raw in v1.file_descriptor_response.file_descriptor_proto
    )
    assert v1_file.package == "grpc.reflection.v1"
    assert v1_file.service[0].method[0].input_type == ".grpc.reflection.v1.ServerReflectionRequest"


def test_a_token_from_parkvpp_token_is_needed_and_calls_are_counted(running_up):
    _, endpoints, token, *_ = running_up
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
    samples = scrape(metrics_url)
    handled = handled_calls(samples)
    method = "/parkvpp.v1.EnrollmentService/GetEnterprise"
    assert handled[(method, "UNAUTHENTICATED")] == 1
    assert handled[(method, "NOT_FOUND")] == 1
    assert total(samples, "grpc_server_started_total", grpc_type="unary") >= 2
    assert "grpc_server_handling_seconds_bucket" in text
    assert "_created" not in text


def _cli(env, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_every_client_command_finds_the_stack_with_only_its_data_dir(running_up, tmp_path):
    proc, endpoints, _, data_dir, env = running_up
    stack = json.loads((Path(data_dir) / "stack.json").read_text())
    assert stack["up_pid"] == proc.pid
    assert {n: a for n, (a, _) in endpoints.items()} == stack["grpc_addrs"]
    env = {k: v for k, v in env.items() if not k.endswith("_ADDR")}
    flag = ("--data-dir", data_dir)
    status = _cli(env, "status", *flag)
    assert status.returncode == 0, status.stdout + status.stderr
    for name, (addr, _) in endpoints.items():
        row = next(line for line in status.stdout.splitlines() if f" {name} " in line)
        assert addr in row and row.count("serving") == 2, row
    token = _cli(env, "token", "--role", "esco", *flag)
    assert token.returncode == 0 and token.stdout.count(".") == 2
    ledger = _cli(env, "ledger", "verify", *flag)
    assert (ledger.returncode, ledger.stdout.split(":")[0]) == (0, "ledger sound")
    day = ("--from", "2026-03-02", "--to", "2026-03-02")
    out = str(tmp_path / "s.csv")
    statement = _cli(
        env, "statement", *flag, "--enterprise", "e", *day, "--format", "csv", "--out", out
    )
    assert statement.stderr.strip() == "parkvpp statement: no statement for e in the period"
    plot = _cli(env, "plot", "bids", *flag, "--day", "2026-03-02", "--interval", "18:00")
    assert plot.stderr.strip() == "parkvpp plot bids: NOT_FOUND: no bid plan for 2026-03-02"
    exported = _cli({**env, "PARKVPP_DATA_DIR": data_dir}, "env")
    assert f"export PARKVPP_SETTLEMENT_ADDR={endpoints['settlement'][0]}" in exported.stdout


def test_a_second_up_on_the_same_data_dir_is_refused(running_up):
    proc, _, _, data_dir, env = running_up
    second = _cli(env, "up", "--free-ports", "--data-dir", data_dir)
    assert second.returncode == 1
    assert second.stderr.strip().splitlines()[-1] == (
        f"parkvpp up: a stack already runs from {data_dir} (parkvpp up pid {proc.pid}); "
        f"see `parkvpp status --data-dir {data_dir}`, or stop it first"
    )


def test_sigterm_stops_every_process_including_valkey_and_the_broker(running_up):
    proc, _, _, data_dir, env = running_up
    family = _children(proc.pid)
    assert len(family) >= 9, "seven services plus valkey and the broker"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    assert not (Path(data_dir) / "stack.json").exists()
    gone = _cli(env, "status", "--data-dir", data_dir)
    assert gone.returncode == 2
    assert gone.stderr.strip() == (
        f"parkvpp status: no running stack in {data_dir} (no {data_dir}/stack.json); "
        f"start one with `parkvpp up --data-dir {data_dir}`"
    )
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
