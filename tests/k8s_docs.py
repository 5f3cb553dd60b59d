"""Reading rendered Kubernetes documents in the deploy tests (one definition each)."""

from __future__ import annotations


def named(docs: list[dict], kind: str) -> dict[str, dict]:
    """The documents of `kind`, by metadata.name."""
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


def config_data(docs: list[dict]) -> dict[str, str]:
    """Data of the shared ConfigMap (its name carries kustomize's content hash)."""
    (config,) = [
        d["data"]
        for d in docs
        if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("parkvpp-config-")
    ]
    return config
