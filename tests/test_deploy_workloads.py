"""Offline checks of the rendered workloads: one Deployment, Service and ServiceAccount per
service, probes, resources, a locked-down security context, disruption budgets, HPAs."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.render import render
from services.runtime.settings import SERVICE_NAMES
from tests.k8s_docs import config_data, named

K8S = Path(__file__).resolve().parents[1] / "deploy" / "k8s"
OVERLAYS = ("overlays/dev", "overlays/prod")
#: Quantities as kubernetes writes them here: CPU in cores or millicores, memory in Mi/Gi.
UNITS = {"m": 1e-3, "": 1.0, "Mi": 2**20, "Gi": 2**30}


def _quantity(text: str) -> float:
    number = text.rstrip("mMiG")
    return float(number) * UNITS[text[len(number) :]]


@pytest.fixture(scope="module", params=OVERLAYS)
def docs(request) -> list[dict]:
    return render(K8S / request.param)


def _container(deployment: dict) -> dict:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def test_each_service_has_a_deployment_a_grpc_service_and_its_own_account(docs):
    deployments = named(docs, "Deployment")
    services = named(docs, "Service")
    accounts = named(docs, "ServiceAccount")
    assert set(deployments) == set(SERVICE_NAMES)
    for name in SERVICE_NAMES:
        pod = deployments[name]["spec"]["template"]
        container = _container(deployments[name])
        assert container["args"] == [name], "the image's entrypoint is `parkvpp serve`"
        assert container["image"].split(":")[0] == "parkvpp"
        assert pod["spec"]["serviceAccountName"] == name and name in accounts
        assert pod["spec"]["automountServiceAccountToken"] is False
        service = services[name]
        selector = service["spec"]["selector"]
        assert selector.items() <= pod["metadata"]["labels"].items()
        ports = {p["name"]: p for p in service["spec"]["ports"]}
        assert ports["grpc"]["appProtocol"] == "grpc"
        container_ports = {p["name"] for p in container["ports"]}
        assert {p["targetPort"] for p in ports.values()} <= container_ports


def test_probes_ask_liveness_and_readiness_in_plaintext_also_under_tls(docs):
    """Startup and liveness ask `liveness`, readiness asks `readiness` (health.py). The
    kubelet's gRPC probe cannot speak TLS: with TLS they ask the plaintext health port."""
    for name, deployment in named(docs, "Deployment").items():
        container = _container(deployment)
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        tls = "PARKVPP_TLS_CERT_FILE" in env
        probed = ports["health"] if tls else ports["grpc"]
        if tls:
            assert env["PARKVPP_HEALTH_PORT"] == str(probed), name
        for probe, service in (
            ("startupProbe", "liveness"),
            ("readinessProbe", "readiness"),
            ("livenessProbe", "liveness"),
        ):
            assert container[probe]["grpc"] == {"port": probed, "service": service}, (name, probe)


def test_every_container_has_requests_within_limits(docs):
    for doc in docs:
        if doc["kind"] not in ("Deployment", "StatefulSet"):
            continue
        for container in doc["spec"]["template"]["spec"]["containers"]:
            resources = container["resources"]
            for resource in ("cpu", "memory"):
                request = _quantity(resources["requests"][resource])
                limit = _quantity(resources["limits"][resource])
                assert 0 < request <= limit, (doc["metadata"]["name"], resource)


def test_every_pod_runs_non_root_read_only_with_no_capabilities(docs):
    for doc in docs:
        if doc["kind"] not in ("Deployment", "StatefulSet"):
            continue
        pod = doc["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] > 0
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]
            assert "add" not in context["capabilities"]


def test_services_write_only_to_tmp_which_is_an_empty_dir(docs):
    for name, deployment in named(docs, "Deployment").items():
        volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
        for mount in _container(deployment)["volumeMounts"]:
            volume = volumes[mount["name"]]
            assert "emptyDir" in volume or mount.get("readOnly") is True, (name, mount)
        tmp = next(m for m in _container(deployment)["volumeMounts"] if m["mountPath"] == "/tmp")
        assert "emptyDir" in volumes[tmp["name"]]


def test_a_disruption_budget_covers_each_service(docs):
    budgets = named(docs, "PodDisruptionBudget")
    for name, deployment in named(docs, "Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        budget = budgets[name]["spec"]
        assert budget["selector"]["matchLabels"].items() <= labels.items()
        assert budget.get("maxUnavailable") == 1 or budget.get("minAvailable") == 1


def test_prod_autoscales_every_service_and_leaves_it_the_replica_count():
    docs = render(K8S / "overlays/prod")
    deployments = named(docs, "Deployment")
    autoscalers = named(docs, "HorizontalPodAutoscaler")
    assert set(autoscalers) == set(SERVICE_NAMES)
    for name, hpa in autoscalers.items():
        target = hpa["spec"]["scaleTargetRef"]
        assert (target["kind"], target["name"]) == ("Deployment", name)
        assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
        assert "replicas" not in deployments[name]["spec"]
        assert "requests" in _container(deployments[name])["resources"]  # CPU % needs them
        spread = deployments[name]["spec"]["template"]["spec"]["topologySpreadConstraints"]
        assert spread[0]["topologyKey"] == "kubernetes.io/hostname"


def test_dev_runs_one_replica_of_each_service_without_autoscaling():
    docs = render(K8S / "overlays/dev")
    assert not named(docs, "HorizontalPodAutoscaler")
    assert {d["spec"]["replicas"] for d in named(docs, "Deployment").values()} == {1}
    assert config_data(docs)["PARKVPP_LOG_LEVEL"] == "DEBUG"


def test_prod_mounts_the_tls_secret_where_the_settings_point():
    for deployment in named(render(K8S / "overlays/prod"), "Deployment").values():
        container = _container(deployment)
        env = {e["name"]: e.get("value") for e in container["env"]}
        (mount,) = [m for m in container["volumeMounts"] if m["name"] == "tls"]
        assert mount["readOnly"] is True
        for name, key in (
            ("PARKVPP_TLS_CERT_FILE", "tls.crt"),
            ("PARKVPP_TLS_KEY_FILE", "tls.key"),
            ("PARKVPP_TLS_CA_FILE", "ca.crt"),
        ):
            assert env[name] == f"{mount['mountPath']}/{key}"
