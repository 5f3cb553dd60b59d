"""Each Deployment's environment names only what services/runtime/settings.py reads, and
the settings object accepts the values: a typo or a stale variable fails here, not in a pod."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from deploy.render import render
from services.runtime.settings import SERVICE_NAMES, load_settings

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "k8s"
SETTINGS_PY = ROOT / "services" / "runtime" / "settings.py"


def names_settings_reads() -> set[str]:
    """Environment names in settings.py: string literals and the per-peer address pattern."""
    source = SETTINGS_PY.read_text()
    names = set(re.findall(r"[\"']((?:PARKVPP|REDIS|KAFKA)_[A-Z0-9_]*[A-Z0-9])[\"']", source))
    if 'f"PARKVPP_{service.upper()}_ADDR"' in source:
        names |= {f"PARKVPP_{name.upper()}_ADDR" for name in SERVICE_NAMES}
    return names


def deployment_env(docs: list[dict], name: str) -> dict[str, str | None]:
    """Name -> literal value (None when it comes from a Secret) of one Deployment's env."""
    configmaps = {d["metadata"]["name"]: d["data"] for d in docs if d["kind"] == "ConfigMap"}
    deployment = next(
        d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == name
    )
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    env: dict[str, str | None] = {}
    for source in container.get("envFrom", []):
        env.update(configmaps[source["configMapRef"]["name"]])
    for item in container.get("env", []):
        env[item["name"]] = item.get("value")
    return env


@pytest.fixture(scope="module", params=("overlays/dev", "overlays/prod"))
def docs(request) -> list[dict]:
    return render(K8S / request.param)


def test_settings_names_are_found_in_settings_py():
    names = names_settings_reads()
    assert {"REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS", "PARKVPP_GRPC_PORT"} <= names
    assert "PARKVPP_MARKET_ADDR" in names


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_deployment_env_names_are_all_read_by_the_settings(docs, service):
    unknown = set(deployment_env(docs, service)) - names_settings_reads()
    assert not unknown, f"{service} sets variables settings.py never reads: {sorted(unknown)}"


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_the_settings_accept_each_deployments_values(docs, service, tmp_path):
    env = deployment_env(docs, service)
    assert env["PARKVPP_TOKEN_SECRET"] is None, "the token key comes from a Secret"
    # Values from Secrets stand in as made-up strings, mounted files as files here.
    values = {k: v if v is not None else "k" * 32 for k, v in env.items()}
    for name in [n for n in values if n.endswith("_FILE")]:
        stand_in = tmp_path / name
        stand_in.write_text("PEM")
        values[name] = str(stand_in)
    settings = load_settings(values)
    assert settings.grpc_host == "0.0.0.0"
    assert (settings.grpc_port, settings.metrics_port) == (50051, 9100)
    assert settings.redis_url and settings.kafka_bootstrap_servers
    for peer in SERVICE_NAMES:
        assert settings.addr_of(peer) == f"{peer}:50051", "peers by their Service name"
    deployment = next(
        d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == service
    )
    kill_after_s = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert 0 < settings.shutdown_grace_s < kill_after_s, "drain before the kubelet kills"
