"""The README's five-minute tour, run as a new operator runs it.

`parkvpp demo --keep-running --data-dir D` (with --free-ports, so the test holds no fixed
port), then every line of the tour's second shell in order: `export PARKVPP_DATA_DIR`,
`DAY=...`, `parkvpp status`, `TOKEN=$(parkvpp token ...)`, `eval "$(parkvpp env)"`, the
statement, the day report, the plot and the ledger audit, each through `sh` with the
variables the earlier lines set. grpcurl is not installable here, so its line is made by
the same call from Python: the method, the JSON body and the address variable read from
the README, the request built from that JSON, the token from the tour's own `TOKEN`.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest
from google.protobuf import json_format

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FENCE = re.compile(r"```sh\n(.*?)```", re.S)
HOLDS = re.compile(r"It holds the demo day (\d{4}-\d{2}-\d{2})")

pytestmark = pytest.mark.timeout(420)


def _blocks() -> list[str]:
    return [b.replace("\\\n", " ") for b in FENCE.findall(README.read_text())]


def _tour_lines() -> list[str]:
    """The shell lines after the demo command (comments dropped), in README order."""
    lines: list[str] = []
    for block in _blocks():
        for raw in block.splitlines():
            line = raw.split("   #")[0].strip()
            if line.startswith(("export ", "DAY=", "TOKEN=", "eval ", "parkvpp ", "grpcurl ")):
                lines.append(line)
    start = next(i for i, line in enumerate(lines) if line.startswith("export PARKVPP_DATA_DIR"))
    return lines[start:]


@pytest.fixture(scope="module")
def demo_stack(tmp_path_factory):
    data_dir = str(tmp_path_factory.mktemp("tour"))
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS")}
    env["PARKVPP_SHUTDOWN_GRACE_S"] = "5"
    command = [sys.executable, "-m", "services.cli", "demo", "--keep-running", "--free-ports"]
    proc = subprocess.Popen(
        [*command, "--data-dir", data_dir],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    day, seen = "", []
    deadline = time.monotonic() + 300
    while not day and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        match = HOLDS.search(line)
        day = match.group(1) if match else ""
    if not day:
        proc.kill()
        proc.wait()
        pytest.fail("demo --keep-running never said which day it holds:\n" + "".join(seen[-20:]))
    yield data_dir, day, env, seen
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    proc.stdout.close()


def _grpcurl(line: str, variables: dict[str, str]) -> dict:
    """The grpcurl line's call made from Python: same address, method, body and token."""
    args = shlex.split(line)
    body = args[args.index("-d") + 1]
    header = args[args.index("-H") + 1]
    target, method = args[-2], args[-1]
    for name, value in variables.items():
        body, header, target = (
            s.replace(f"${name}", value).replace(f"${{{name}}}", value)
            for s in (body, header, target)
        )
    service, rpc = method.rsplit("/", 1)
    package, service_name = service.rsplit(".", 1)
    module = importlib.import_module(
        f"parkvpp.v1.{service_name.removesuffix('Service').lower()}_pb2"
    )
    descriptor = module.DESCRIPTOR.services_by_name[service_name].methods_by_name[rpc]
    request_class = getattr(module, descriptor.input_type.name, None)
    if request_class is None:  # a request type from another file of the package
        request_class = json_format.symbol_database.Default().GetSymbol(
            descriptor.input_type.full_name
        )
    reply_class = json_format.symbol_database.Default().GetSymbol(descriptor.output_type.full_name)
    request = json_format.Parse(body, request_class())
    key, value = header.split(": ", 1)
    with grpc.insecure_channel(target) as channel:
        call = channel.unary_unary(
            f"/{service}/{rpc}",
            request_serializer=request_class.SerializeToString,
            response_deserializer=reply_class.FromString,
        )
        reply = call(request, metadata=((key.lower(), value),), timeout=30)
    return json_format.MessageToDict(reply)


def test_the_readme_tour_runs_against_the_demo_stack(demo_stack, tmp_path):
    data_dir, day, env, _ = demo_stack
    lines = _tour_lines()
    assert any(line.startswith("grpcurl ") for line in lines)
    assert sum(line.startswith("parkvpp ") for line in lines) >= 5
    # The tour's own values: the data dir it names becomes the test's, DAY the demo's.
    readme_dir = re.search(r"PARKVPP_DATA_DIR=(\S+)", lines[0]).group(1)
    script, variables = [], {}
    for line in lines:
        line = line.replace(readme_dir, data_dir)
        if line.startswith("DAY="):
            line = f"DAY={day}"
        if line.startswith("grpcurl "):
            # Run what came before, keep its variables, then make the call from Python.
            shown = "; ".join(f"{n}=${{{n}}}" for n in ("DAY", "TOKEN", "PARKVPP_SETTLEMENT_ADDR"))
            variables = _run_sh([*script, f'printf "%s\\n" "{shown}"'], env, tmp_path)
            values = dict(item.split("=", 1) for item in variables.splitlines()[-1].split("; "))
            reply = _grpcurl(line, values)
            assert reply["enterpriseId"] == "ent-chem" and reply["marketDay"] == day, reply
            assert reply["lines"], reply
            continue
        script.append(line)
    out = _run_sh(script, env, tmp_path)
    assert "ledger sound" in out
    statement = (tmp_path / "statement.csv").read_text().splitlines()
    assert statement[0].startswith("enterprise_id") or "amount_fen" in statement[0]
    assert len(statement) > 2
    assert (tmp_path / f"bids-{day}-1900.png").stat().st_size > 10_000


def _run_sh(script: list[str], env: dict, cwd: Path) -> str:
    """The lines in one `sh -e` with the venv's parkvpp first on PATH; stdout."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(
        ["sh", "-ec", "\n".join(script)],
        cwd=cwd,
        env={**env, "PATH": path},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def test_the_tour_lines_are_what_the_readme_shows():
    lines = _tour_lines()
    assert lines[0].startswith("export PARKVPP_DATA_DIR=")
    assert json.dumps(lines)  # plain strings, in README order
    assert [line.split()[1] for line in lines if line.startswith("parkvpp ")] == [
        "status",
        "statement",
        "report",
        "plot",
        "ledger",
    ]


CLOCK = re.compile(r"\b\d{2}:\d{2}\b")
#: What a person should not have to decode in the demo's output, and how it shows.
UNREADABLE = {
    "an interval number without its clock time": lambda line: bool(
        re.search(r"#\d", line) or (re.search(r"\binterval \d", line) and not CLOCK.search(line))
    ),
    "a price not in CNY/MWh (one unit for DR and ENERGY)": lambda line: bool(
        re.search(r"CNY/kWh|yuan|RMB", line)
    ),
    "a raw field name": lambda line: bool(re.search(r"\b[a-z]+(?:_[a-z0-9]+)+\b", line)),
    "a Python literal": lambda line: bool(re.search(r"\b(True|False|None)\b", line)),
    "a number without thousands separators": lambda line: bool(
        # digits inside a word are part of an id (a plan's random hex), not a number read
        re.search(r"(?<![\w.,:/\-])\d{5,}(?!\w)", line)
    ),
    "7 or more digits of Wh or g (kWh and kg read better)": lambda line: bool(
        re.search(r"\d{1,3}(?:,\d{3}){2,}(?:\.\d+)? (?:Wh|g)\b", line)
    ),
}


def test_the_demo_output_reads_without_decoding(demo_stack):
    *_, seen = demo_stack
    demo = seen[: next(i for i, line in enumerate(seen) if line.startswith("Bringing"))]
    assert any("Demo day complete" in line for line in demo)
    found = [
        f"{what}: {line.strip()}"
        for line in demo
        for what, broken in UNREADABLE.items()
        if broken(line)
    ]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    ("what", "line"),
    [
        ("an interval number without its clock time", "   #72 5,998 kW"),
        ("an interval number without its clock time", "cannot follow from interval 76"),
        ("a price not in CNY/MWh (one unit for DR and ENERGY)", "at 12.92 CNY/kWh"),
        ("a raw field name", "carbon_intensity_t_co2_per_tce: 2.981"),
        ("a Python literal", "lines sum to the amount: True"),
        ("a number without thousands separators", "13441 readings"),
        ("7 or more digits of Wh or g (kWh and kg read better)", "9,135,899 Wh from PV"),
    ],
)
def test_each_check_catches_what_it_names(what, line):
    assert UNREADABLE[what](line)
    assert not UNREADABLE[what]("   18:00-18:15 5,998 kW at 12,919 CNY/MWh, 9,135.899 kWh")


def test_an_id_with_digits_in_its_random_part_is_no_number():
    """The demo's plan ids end in random hex; "6d804345" once failed CI as a number."""
    check = UNREADABLE["a number without thousands separators"]
    assert not check("plan plan-2026-12-07-6d804345: 8 interval curves")
    assert not check("event ev-2026-12-07-123456ab")
    assert check("plan plan-1: 123456 kW")
