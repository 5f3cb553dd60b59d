"""Offline checks of deploy/k8s: the overlays render, and every manifest passes a schema.

Built-in kinds are validated strictly against the Kubernetes OpenAPI schemas bundled in
kubernetes-validate (no cluster, no network); the custom resources (Strimzi, Prometheus
Operator) against schemas of the fields used here, written in this file, so a typo in a
field name fails. Where kubectl is installed, the Python renderer's output must equal
`kubectl kustomize`.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import SchemaNotFoundError

from deploy.render import render
from services.runtime.events import ALL_TOPICS
from tests.k8s_docs import config_data, named

K8S = Path(__file__).resolve().parents[1] / "deploy" / "k8s"
TARGETS = ("base", "overlays/dev", "overlays/prod")
#: The oldest Kubernetes these manifests are for (matchLabelKeys needs 1.27+) and a newer one.
K8S_VERSIONS = ("1.29", "1.33")

DURATION = {"type": "string", "pattern": r"^([0-9]+(ms|s|m|h|d|w|y))+$"}
LABELS = {"type": "object", "additionalProperties": {"type": "string"}}
METADATA = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"},
        "namespace": {"type": "string"},
        "labels": LABELS,
        "annotations": LABELS,
    },
    "additionalProperties": False,
}
SELECTOR = {
    "type": "object",
    "properties": {"matchLabels": LABELS, "matchExpressions": {"type": "array"}},
    "additionalProperties": False,
}
RESOURCES = {
    "type": "object",
    "properties": {"requests": LABELS, "limits": LABELS},
    "additionalProperties": False,
}
VOLUME = {
    "type": "object",
    "required": ["id", "type", "size"],
    "properties": {
        "id": {"type": "integer", "minimum": 0},
        "type": {"enum": ["persistent-claim", "ephemeral"]},
        "size": {"type": "string", "pattern": r"^[0-9]+(Mi|Gi|Ti)$"},
        "class": {"type": "string"},
        "deleteClaim": {"type": "boolean"},
        "kraftMetadata": {"enum": ["shared"]},
    },
    "additionalProperties": False,
}


def _cr(group: str, kind: str, spec: dict, version: str = "v1beta2") -> dict:
    return {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": f"{group}/{version}"},
            "kind": {"const": kind},
            "metadata": METADATA,
            "spec": spec,
        },
        "additionalProperties": False,
    }


def _obj(required: list[str], **properties: dict) -> dict:
    return {
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": False,
    }


CUSTOM_SCHEMAS = {
    "KafkaTopic": _cr(
        "kafka.strimzi.io",
        "KafkaTopic",
        _obj(
            ["partitions", "replicas"],
            partitions={"type": "integer", "minimum": 1},
            replicas={"type": "integer", "minimum": 1, "maximum": 32767},
            topicName={"type": "string"},
            config={"type": "object"},
        ),
    ),
    "KafkaNodePool": _cr(
        "kafka.strimzi.io",
        "KafkaNodePool",
        _obj(
            ["replicas", "roles", "storage"],
            replicas={"type": "integer", "minimum": 0},
            roles={
                "type": "array",
                "minItems": 1,
                "items": {"enum": ["controller", "broker"]},
                "uniqueItems": True,
            },
            storage=_obj(
                ["type"],
                type={"enum": ["jbod", "persistent-claim", "ephemeral"]},
                volumes={"type": "array", "minItems": 1, "items": VOLUME},
            ),
            resources=RESOURCES,
        ),
    ),
    "Kafka": _cr(
        "kafka.strimzi.io",
        "Kafka",
        _obj(
            ["kafka"],
            kafka=_obj(
                ["listeners"],
                version={"type": "string"},
                metadataVersion={"type": "string"},
                rack=_obj(["topologyKey"], topologyKey={"type": "string"}),
                listeners={
                    "type": "array",
                    "minItems": 1,
                    "items": _obj(
                        ["name", "port", "type", "tls"],
                        name={"type": "string", "pattern": "^[a-z0-9]{1,11}$"},
                        port={"type": "integer", "minimum": 9092},
                        type={"enum": ["internal", "route", "loadbalancer", "nodeport", "ingress"]},
                        tls={"type": "boolean"},
                        authentication=_obj(["type"], type={"enum": ["tls", "scram-sha-512"]}),
                        networkPolicyPeers={"type": "array"},
                    ),
                },
                authorization=_obj(
                    ["type"], type={"enum": ["simple"]}, superUsers={"type": "array"}
                ),
                config={"type": "object"},
            ),
            entityOperator=_obj(
                [], topicOperator={"type": "object"}, userOperator={"type": "object"}
            ),
        ),
    ),
    "KafkaUser": _cr(
        "kafka.strimzi.io",
        "KafkaUser",
        _obj(
            ["authentication", "authorization"],
            authentication=_obj(["type"], type={"enum": ["tls", "scram-sha-512"]}),
            authorization=_obj(
                ["type", "acls"],
                type={"enum": ["simple"]},
                acls={
                    "type": "array",
                    "minItems": 1,
                    "items": _obj(
                        ["resource", "operations"],
                        resource=_obj(
                            ["type"],
                            type={"enum": ["topic", "group", "cluster", "transactionalId"]},
                            name={"type": "string"},
                            patternType={"enum": ["literal", "prefix"]},
                        ),
                        operations={
                            "type": "array",
                            "minItems": 1,
                            "items": {
                                "enum": [
                                    "Read",
                                    "Write",
                                    "Create",
                                    "Delete",
                                    "Alter",
                                    "Describe",
                                    "ClusterAction",
                                    "AlterConfigs",
                                    "DescribeConfigs",
                                    "IdempotentWrite",
                                    "All",
                                ]
                            },
                        },
                        host={"type": "string"},
                    ),
                },
            ),
        ),
    ),
    "ServiceMonitor": _cr(
        "monitoring.coreos.com",
        "ServiceMonitor",
        _obj(
            ["selector", "endpoints"],
            jobLabel={"type": "string"},
            selector=SELECTOR,
            endpoints={
                "type": "array",
                "minItems": 1,
                "items": _obj(
                    ["port"],
                    port={"type": "string"},
                    path={"type": "string"},
                    interval=DURATION,
                    scrapeTimeout=DURATION,
                ),
            },
        ),
        version="v1",
    ),
    "PrometheusRule": _cr(
        "monitoring.coreos.com",
        "PrometheusRule",
        _obj(
            ["groups"],
            groups={
                "type": "array",
                "minItems": 1,
                "items": _obj(
                    ["name", "rules"],
                    name={"type": "string"},
                    rules={
                        "type": "array",
                        "minItems": 1,
                        "items": _obj(
                            ["alert", "expr", "labels", "annotations"],
                            alert={"type": "string", "pattern": "^[A-Z][A-Za-z0-9]+$"},
                            expr={"type": "string", "minLength": 1},
                            labels=_obj(["severity"], severity={"enum": ["warning", "critical"]}),
                            annotations=_obj(
                                ["summary", "description", "runbook_url"],
                                summary={"type": "string"},
                                description={"type": "string"},
                                runbook_url={
                                    "type": "string",
                                    "pattern": r"^https://[^ ]+/docs/runbooks/alerts\.md#[a-z]+$",
                                },
                            ),
                            **{"for": DURATION},
                        ),
                    },
                ),
            },
        ),
        version="v1",
    ),
}


@pytest.fixture(scope="module", params=TARGETS)
def rendered(request) -> tuple[str, list[dict]]:
    return request.param, render(K8S / request.param)


def _key(doc: dict) -> tuple[str, str, str]:
    meta = doc["metadata"]
    return doc["kind"], meta.get("namespace", ""), meta["name"]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
@pytest.mark.parametrize("target", TARGETS)
def test_python_renderer_builds_what_kubectl_kustomize_builds(target):
    out = subprocess.run(
        ["kubectl", "kustomize", str(K8S / target)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    reference = {_key(doc): doc for doc in yaml.safe_load_all(out) if doc}
    ours = {_key(doc): doc for doc in render(K8S / target)}
    assert sorted(ours) == sorted(reference)
    for key, doc in reference.items():
        assert ours[key] == doc, f"{key} differs from kubectl kustomize"


def test_overlays_render_one_namespace_and_no_duplicates(rendered):
    target, docs = rendered
    keys = [_key(doc) for doc in docs]
    assert len(keys) == len(set(keys))
    expected = {"base": "", "overlays/dev": "parkvpp-dev", "overlays/prod": "parkvpp"}[target]
    assert {doc["metadata"].get("namespace", "") for doc in docs} == {expected}


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_every_manifest_passes_its_schema(rendered, version):
    _target, docs = rendered
    for doc in docs:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except SchemaNotFoundError:
            assert doc["kind"] in CUSTOM_SCHEMAS, f"no schema for {doc['kind']}"
            jsonschema.validate(doc, CUSTOM_SCHEMAS[doc["kind"]])


def test_secret_templates_pass_the_schema_and_hold_the_referenced_keys():
    templates = {}
    for path in sorted((K8S / "secrets").glob("*.template.yaml")):
        (doc,) = [d for d in yaml.safe_load_all(path.read_text()) if d]
        kubernetes_validate.validate(doc, K8S_VERSIONS[-1], strict=True)
        templates[doc["metadata"]["name"]] = set(doc["stringData"])
    referenced: dict[str, set[str]] = {}
    for target in TARGETS:
        for doc in render(K8S / target):
            if doc["kind"] != "Deployment":
                continue
            pod = doc["spec"]["template"]["spec"]
            for container in pod["containers"]:
                for env in container.get("env", []):
                    ref = env.get("valueFrom", {}).get("secretKeyRef")
                    if ref:
                        referenced.setdefault(ref["name"], set()).add(ref["key"])
            for volume in pod.get("volumes", []):
                if "secret" in volume:
                    referenced.setdefault(volume["secret"]["secretName"], set())
    # Strimzi makes the cluster CA's Secret and one per KafkaUser; the rest are templates.
    users = named(render(K8S / "overlays/prod"), "KafkaUser")
    made_by_strimzi = {"parkvpp-kafka-cluster-ca-cert", *users}
    assert set(referenced) - made_by_strimzi == set(templates)
    for name, keys in referenced.items():
        if name in templates:
            assert keys <= templates[name], f"template of {name} lacks {keys - templates[name]}"
        else:
            assert keys <= {"password", "ca.crt"}, name  # what Strimzi writes
    assert templates["parkvpp-tls"] >= {"tls.crt", "tls.key", "ca.crt"}
    assert templates["parkvpp-redis-tls"] >= {"tls.crt", "tls.key", "ca.crt"}


def test_prod_kafka_topics_are_the_services_topics_replicated_three_times():
    docs = render(K8S / "overlays/prod")
    (kafka,) = named(docs, "Kafka").values()
    config = config_data(docs)
    topics = named(docs, "KafkaTopic")
    assert set(topics) == set(ALL_TOPICS)
    for topic in topics.values():
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
        assert topic["spec"]["partitions"] == int(config["PARKVPP_KAFKA_PARTITIONS"])
        assert topic["spec"]["replicas"] == 3
        assert topic["spec"]["config"]["min.insync.replicas"] == 2
    brokers = sum(
        pool["spec"]["replicas"]
        for pool in named(docs, "KafkaNodePool").values()
        if "broker" in pool["spec"]["roles"]
    )
    assert brokers >= 3


@pytest.mark.parametrize("target", ("overlays/dev", "overlays/prod"))
def test_config_points_at_the_kafka_and_redis_the_overlay_runs(target):
    docs = render(K8S / target)
    config = config_data(docs)
    (kafka,) = named(docs, "Kafka").values()
    host, _, port = config["KAFKA_BOOTSTRAP_SERVERS"].rpartition(":")
    assert host == f"{kafka['metadata']['name']}-kafka-bootstrap"
    (listener,) = [x for x in kafka["spec"]["kafka"]["listeners"] if x["port"] == int(port)]
    protocol = config.get("PARKVPP_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
    assert listener["tls"] == (protocol in ("SSL", "SASL_SSL"))
    login = listener.get("authentication", {}).get("type")
    assert login == {"PLAINTEXT": None, "SSL": "tls", "SASL_SSL": "scram-sha-512"}[protocol]
    for pool in named(docs, "KafkaNodePool").values():
        assert pool["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
    redis_service = named(docs, "Service")["redis"]
    port = redis_service["spec"]["ports"][0]["port"]
    redis = named(docs, "StatefulSet")["redis"]
    args = redis["spec"]["template"]["spec"]["containers"][0]["args"]
    if "--tls-port" in args:  # TLS only: the plaintext port is off
        assert args[args.index("--port") + 1] == "0"
        assert args[args.index("--tls-port") + 1] == str(port)
        assert config["REDIS_URL"] == f"rediss://redis:{port}/0"
    else:
        assert config["REDIS_URL"] == f"redis://redis:{port}/0"
    assert args[args.index("--appendonly") + 1] == "yes"
    assert args[args.index("--maxmemory-policy") + 1] == "noeviction"
    (claim,) = redis["spec"]["volumeClaimTemplates"]
    mount = redis["spec"]["template"]["spec"]["containers"][0]["volumeMounts"][0]
    assert mount["name"] == claim["metadata"]["name"]
    assert args[args.index("--dir") + 1] == mount["mountPath"]
