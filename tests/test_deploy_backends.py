"""Offline checks that the overlays' Redis and Kafka are what the services can use safely.

Redis has a memory ceiling below its container limit (a full Redis refuses writes instead
of being OOM-killed); in prod it requires a password from a Secret and speaks TLS only,
Kafka has only a TLS listener with SCRAM logins and ACLs, one KafkaUser per service, and
the services are configured with exactly those. No placeholder in deploy/ signs tokens.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

import pytest
import yaml

from deploy.render import render
from services.runtime.events import ALL_TOPICS
from services.runtime.kafka_config import kafka_client_options
from services.runtime.settings import (
    PLACEHOLDER_SECRETS,
    SERVICE_NAMES,
    SettingsError,
    check_token_secret,
    load_settings,
)
from tests.k8s_docs import config_data, named

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "k8s"
MEMORY_UNITS = {"mb": 2**20, "gb": 2**30, "Mi": 2**20, "Gi": 2**30}


def _bytes(text: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([a-zA-Z]+)", text).groups()
    return int(number) * MEMORY_UNITS[unit]


def _container(doc: dict) -> dict:
    (container,) = doc["spec"]["template"]["spec"]["containers"]
    return container


def _arg(args: list[str], flag: str, env: dict[str, str | None]) -> str:
    """The value after `flag`, with a $(VAR) reference resolved from the container's env."""
    value = args[args.index(flag) + 1]
    if value.startswith("$("):
        return str(env[value[2:-1]])
    return value


@pytest.fixture(scope="module")
def prod() -> list[dict]:
    return render(K8S / "overlays/prod")


@pytest.mark.parametrize("overlay", ("overlays/dev", "overlays/prod"))
def test_redis_refuses_writes_before_its_container_is_oom_killed(overlay):
    redis = _container(named(render(K8S / overlay), "StatefulSet")["redis"])
    env = {e["name"]: e.get("value") for e in redis["env"]}
    args = redis["args"]
    assert _arg(args, "--maxmemory-policy", env) == "noeviction"
    limit = _bytes(redis["resources"]["limits"]["memory"])
    assert 0 < _bytes(_arg(args, "--maxmemory", env)) <= 0.6 * limit, "room for an AOF fork"


def test_prod_redis_wants_a_password_from_a_secret_and_speaks_tls_only(prod):
    redis = _container(named(prod, "StatefulSet")["redis"])
    env = {e["name"]: e for e in redis["env"]}
    args = redis["args"]
    password = args[args.index("--requirepass") + 1]
    assert password == "$(REDIS_PASSWORD)", "Kubernetes expands it from the env"
    secret = env["REDIS_PASSWORD"]["valueFrom"]["secretKeyRef"]
    assert args[args.index("--port") + 1] == "0"
    mounts = {m["mountPath"]: m["name"] for m in redis["volumeMounts"]}
    volumes = _named_volumes(named(prod, "StatefulSet")["redis"])
    for flag in ("--tls-cert-file", "--tls-key-file", "--tls-ca-cert-file"):
        folder, key = posixpath.split(args[args.index(flag) + 1])
        assert volumes[mounts[folder]]["secret"]["secretName"] == "parkvpp-redis-tls", flag
    assert "REDIS_PASSWORD" in " ".join(redis["readinessProbe"]["exec"]["command"])
    for name, deployment in named(prod, "Deployment").items():
        service_env = {e["name"]: e for e in _container(deployment)["env"]}
        ref = service_env["PARKVPP_REDIS_PASSWORD"]["valueFrom"]["secretKeyRef"]
        assert ref == secret, name


def _named_volumes(doc: dict) -> dict[str, dict]:
    return {v["name"]: v for v in doc["spec"]["template"]["spec"].get("volumes", [])}


def test_every_file_setting_points_at_a_mounted_secret_key(prod):
    config = config_data(prod)
    for name, deployment in named(prod, "Deployment").items():
        container = _container(deployment)
        env = {**config, **{e["name"]: e.get("value") for e in container["env"]}}
        mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
        volumes = _named_volumes(deployment)
        files = {k: v for k, v in env.items() if k.endswith("_FILE")}
        assert {"PARKVPP_KAFKA_CA_FILE", "PARKVPP_REDIS_CA_FILE"} <= set(files)
        for variable, path in files.items():
            folder, key = posixpath.split(path)
            assert mounts[folder]["readOnly"] is True, (name, variable)
            secret = volumes[mounts[folder]["name"]]["secret"]
            items = {item["path"]: item["key"] for item in secret.get("items", [])}
            assert not items or items.get(key) == key, (name, variable)


def test_prod_kafka_has_only_tls_listeners_with_logins_and_acls(prod):
    (kafka,) = named(prod, "Kafka").values()
    spec = kafka["spec"]["kafka"]
    for listener in spec["listeners"]:
        assert listener["tls"] is True, listener["name"]
        assert listener["authentication"]["type"] == "scram-sha-512", listener["name"]
    assert spec["authorization"]["type"] == "simple"
    assert "userOperator" in kafka["spec"]["entityOperator"]


def _consumer_groups(service: str) -> set[str]:
    """Consumer group names a service's code builds (after the group prefix)."""
    found = set()
    for path in (ROOT / "services" / service).glob("*.py"):
        found |= set(re.findall(r"kafka_group_prefix}-([\w.-]+)\"", path.read_text()))
    return found


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_each_service_logs_in_as_its_own_kafka_user_whose_acls_fit_it(prod, service):
    config = config_data(prod)
    env = {e["name"]: e for e in _container(named(prod, "Deployment")[service])["env"]}
    user = named(prod, "KafkaUser")[env["PARKVPP_KAFKA_SASL_USERNAME"]["value"]]
    (kafka,) = named(prod, "Kafka").values()
    assert user["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
    assert user["spec"]["authentication"]["type"] == "scram-sha-512"
    assert config["PARKVPP_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
    secret = env["PARKVPP_KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"]
    assert secret == {"name": user["metadata"]["name"], "key": "password"}, "Strimzi's Secret"
    acls = user["spec"]["authorization"]["acls"]
    topics = [a for a in acls if a["resource"]["type"] == "topic"]
    groups = [a for a in acls if a["resource"]["type"] == "group"]
    for topic in ALL_TOPICS:
        assert any(
            topic.startswith(a["resource"]["name"]) and {"Read", "Write"} <= set(a["operations"])
            for a in topics
        ), topic
    assert not any({"Create", "Delete", "Alter", "All"} & set(a["operations"]) for a in acls)
    prefix = f"{config['PARKVPP_KAFKA_GROUP_PREFIX']}-{service}-"
    assert [a["resource"] for a in groups] == [
        {"type": "group", "name": prefix, "patternType": "prefix"}
    ]
    for group in _consumer_groups(service):
        assert f"{config['PARKVPP_KAFKA_GROUP_PREFIX']}-{group}".startswith(prefix), group


def test_the_settings_of_prod_give_the_kafka_clients_tls_and_scram(prod, tmp_path):
    config = config_data(prod)
    env = {e["name"]: e for e in _container(named(prod, "Deployment")["vpp"])["env"]}
    ca = tmp_path / "ca.crt"
    ca.write_text("PEM")
    values = {k: v for k, v in config.items()}
    values |= {
        "PARKVPP_KAFKA_CA_FILE": str(ca),
        "PARKVPP_REDIS_CA_FILE": str(ca),
        "PARKVPP_KAFKA_SASL_USERNAME": env["PARKVPP_KAFKA_SASL_USERNAME"]["value"],
        "PARKVPP_KAFKA_SASL_PASSWORD": "from-the-user-operator",
        "PARKVPP_REDIS_PASSWORD": "from-parkvpp-redis-auth",
    }
    settings = load_settings(values)
    assert kafka_client_options(settings) == {
        "security_protocol": "SASL_SSL",
        "ssl_cafile": str(ca),
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "parkvpp-vpp",
        "sasl_plain_password": "from-the-user-operator",
    }
    assert settings.redis_url.startswith("rediss://")
    assert (settings.redis_password, settings.redis_ca_file) == ("from-parkvpp-redis-auth", str(ca))


def _strings(node: object) -> list[str]:
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return [node] if isinstance(node, str) else []


def test_every_placeholder_in_deploy_is_refused_as_a_token_secret():
    """PLACEHOLDER_SECRETS is kept in code (an installed package has no deploy/): every
    value of a Secret under deploy/, and anything else reading REPLACE..., is in it."""
    found = set()
    for path in sorted((ROOT / "deploy").rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if not isinstance(doc, dict):
                continue
            if doc.get("kind") == "Secret":
                found |= set(_strings(doc.get("stringData", {})))
                found |= set(_strings(doc.get("data", {})))
            found |= {s for s in _strings(doc) if s.strip().upper().startswith("REPLACE")}
    assert found, "the Secret templates hold placeholders"
    assert found <= PLACEHOLDER_SECRETS, sorted(found - PLACEHOLDER_SECRETS)
    for placeholder in found:
        with pytest.raises(SettingsError, match="PARKVPP_TOKEN_SECRET"):
            check_token_secret(placeholder)
