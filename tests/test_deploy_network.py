"""The NetworkPolicies let each service talk only to what it needs.

Who calls whom is read from the code (`runtime.channel("<peer>")` in services/<name>/);
the rendered policies are then evaluated for every pair of services, for Redis, Kafka,
DNS and the metrics scrape, the way a CNI would for pods in one namespace.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from deploy.render import render
from services.runtime.settings import SERVICE_NAMES

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "k8s"
GRPC_PORT, METRICS_PORT, REDIS_PORT = 50051, 9100, 6379
#: The brokers' plaintext and TLS listener ports; the ConfigMap's bootstrap names one.
KAFKA_PORTS = (9092, 9093)
KAFKA_POD = {"strimzi.io/cluster": "parkvpp-kafka", "strimzi.io/kind": "Kafka"}
NAMED_PORTS = {"grpc": GRPC_PORT, "metrics": METRICS_PORT, "redis": REDIS_PORT}


def calls_in_code() -> set[tuple[str, str]]:
    """(caller, callee) pairs: a service opening a channel to a peer service."""
    pairs = set()
    for name in SERVICE_NAMES:
        for path in (ROOT / "services" / name).glob("*.py"):
            for peer in re.findall(r"\.channel\(\s*\"(\w+)\"", path.read_text()):
                pairs.add((name, peer))
    return pairs


def _selects(selector: dict, labels: dict[str, str]) -> bool:
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expr in selector.get("matchExpressions", []):
        assert expr["operator"] == "In", "only In is evaluated here"
        if labels.get(expr["key"]) not in expr["values"]:
            return False
    return True


def _peer_allows(peers: list[dict] | None, labels: dict[str, str], namespace: dict) -> bool:
    if peers is None:
        return True
    for peer in peers:
        if "namespaceSelector" in peer:
            if not _selects(peer["namespaceSelector"], namespace):
                continue
        if "podSelector" in peer and not _selects(peer["podSelector"], labels):
            continue
        if "ipBlock" in peer:
            continue
        return True
    return False


def _port_allows(ports: list[dict] | None, port: int) -> bool:
    return ports is None or any(NAMED_PORTS.get(p["port"], p["port"]) == port for p in ports)


class Cluster:
    """Pods of one namespace (by labels) and the policies that select them."""

    def __init__(self, docs: list[dict]) -> None:
        self.policies = [d["spec"] for d in docs if d["kind"] == "NetworkPolicy"]
        self.pods = {
            d["metadata"]["name"]: d["spec"]["template"]["metadata"]["labels"]
            for d in docs
            if d["kind"] in ("Deployment", "StatefulSet")
        }
        self.namespace = {"kubernetes.io/metadata.name": "parkvpp"}
        config = next(
            d["data"]
            for d in docs
            if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("parkvpp-config-")
        )
        self.kafka_port = int(config["KAFKA_BOOTSTRAP_SERVERS"].rpartition(":")[2])

    def _isolated(self, labels: dict, policy_type: str) -> list[dict]:
        return [
            p
            for p in self.policies
            if policy_type in p["policyTypes"] and _selects(p["podSelector"], labels)
        ]

    def egress(self, src: dict, dst: dict, port: int, dst_namespace: dict | None = None) -> bool:
        policies = self._isolated(src, "Egress")
        namespace = self.namespace if dst_namespace is None else dst_namespace
        return not policies or any(
            _port_allows(rule.get("ports"), port) and _peer_allows(rule.get("to"), dst, namespace)
            for p in policies
            for rule in p.get("egress", [])
        )

    def ingress(self, src: dict, dst: dict, port: int, src_namespace: dict | None = None) -> bool:
        policies = self._isolated(dst, "Ingress")
        namespace = self.namespace if src_namespace is None else src_namespace
        return not policies or any(
            _port_allows(rule.get("ports"), port) and _peer_allows(rule.get("from"), src, namespace)
            for p in policies
            for rule in p.get("ingress", [])
        )

    def connects(self, src: str, dst: str, port: int) -> bool:
        a, b = self.pods[src], self.pods[dst]
        return self.egress(a, b, port) and self.ingress(a, b, port)


@pytest.fixture(scope="module", params=("overlays/dev", "overlays/prod"))
def cluster(request) -> Cluster:
    return Cluster(render(K8S / request.param))


def test_the_code_calls_the_market_from_bidding_and_settlement_only():
    assert calls_in_code() == {("bidding", "market"), ("settlement", "market")}


def test_services_reach_exactly_the_peers_the_code_calls(cluster):
    calls = calls_in_code()
    for src in SERVICE_NAMES:
        for dst in SERVICE_NAMES:
            if src != dst:
                assert cluster.connects(src, dst, GRPC_PORT) == ((src, dst) in calls), (src, dst)


def test_every_service_pod_is_isolated_both_ways(cluster):
    for name in SERVICE_NAMES:
        assert cluster._isolated(cluster.pods[name], "Ingress"), name
        assert cluster._isolated(cluster.pods[name], "Egress"), name
    assert cluster._isolated(cluster.pods["redis"], "Ingress")


def test_services_reach_redis_kafka_and_dns_and_nothing_else_reaches_redis(cluster):
    dns = {"k8s-app": "kube-dns"}
    kube_system = {"kubernetes.io/metadata.name": "kube-system"}
    stranger = {"app.kubernetes.io/name": "someone-else"}
    for name in SERVICE_NAMES:
        assert cluster.connects(name, "redis", REDIS_PORT), name
        for port in KAFKA_PORTS:  # only the listener the services are configured for
            reached = cluster.egress(cluster.pods[name], KAFKA_POD, port)
            assert reached == (port == cluster.kafka_port), (name, port)
        assert cluster.egress(cluster.pods[name], dns, 53, dst_namespace=kube_system), name
        assert not cluster.egress(cluster.pods[name], stranger, 443), name
    assert not cluster.ingress(stranger, cluster.pods["redis"], REDIS_PORT)
    assert not cluster.egress(cluster.pods["redis"], stranger, 443)


def test_api_clients_and_the_monitoring_namespace_get_in_strangers_do_not(cluster):
    client = {"parkvpp.io/api-access": "true"}
    monitoring = {"kubernetes.io/metadata.name": "monitoring"}
    stranger = {"app.kubernetes.io/name": "someone-else"}
    for name in SERVICE_NAMES:
        pod = cluster.pods[name]
        assert cluster.ingress(client, pod, GRPC_PORT)
        assert cluster.ingress({}, pod, METRICS_PORT, src_namespace=monitoring)
        assert not cluster.ingress(stranger, pod, GRPC_PORT)
        assert not cluster.ingress(client, pod, METRICS_PORT)
