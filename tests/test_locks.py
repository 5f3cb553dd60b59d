"""The lock files pin every dependency pyproject.toml declares, and CI installs with them.

`requirements/dev.txt` (the README's two commands and `.ci/run`, as constraints) and
`requirements/runtime.txt` (the service image, with hashes) are compiled by uv from
pyproject.toml (the command is in each file's header); a dependency added to pyproject
without recompiling would install unlocked, which this test catches.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pinned(lock: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements" / lock).read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^ \\;]+)", line)
        if match:
            pins[_normal(match.group(1))] = match.group(2)
    return pins


def _declared(*extras: str) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for extra in extras:
        specs += project["optional-dependencies"][extra]
    names = {_normal(NAME.match(spec).group(1)) for spec in specs}
    return {n for n in names if n != "parkvpp"}


def test_every_declared_dependency_is_locked():
    runtime, dev = _pinned("runtime.txt"), _pinned("dev.txt")
    assert _declared() <= set(runtime), _declared() - set(runtime)
    assert _declared("exports", "embedded", "dev") <= set(dev), _declared("dev") - set(dev)
    shared = set(runtime) & set(dev)
    assert {n for n in shared if runtime[n] != dev[n]} == set()


def test_ci_and_the_readme_install_with_the_lock():
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    command = next(line for line in ci.splitlines() if "pip install" in line)
    assert "-c requirements/dev.txt" in command
    assert command.strip() in readme
    assert "pip install -q -c requirements/dev.txt -e '.[local]'" in readme


def test_kafka_python_checksums_record_batches_in_c():
    """The locked `crc32c` is what kafka-python uses: its pure-Python CRC-32C was most of
    the telemetry pipeline's CPU (loadtests/bench_ingest.py)."""
    from services.runtime.kafka_config import crc32c_implementation

    assert crc32c_implementation() == "c"
