# /// script
# requires-python = ">=3.11"
# dependencies = ["pyyaml>=6"]
# ///
"""Render the kustomize overlays in deploy/k8s without kustomize: the subset they use.

`kubectl kustomize` is the reference; this renderer exists so the offline tests (and a
machine without kubectl) can build the same manifests from Python alone. It supports
what deploy/k8s uses and refuses anything else with UnsupportedKustomization, so a new
feature in the manifests cannot be silently ignored: resources (files and folders),
components, namespace, labels (pairs, includeSelectors false, includeTemplates),
images, replicas, JSON 6902 patches (inline or from a file; target by kind, name regex
and label selector) and configMapGenerator (files, literals and env files; the name
suffixed with kustomize's content hash unless disableNameSuffixHash, and references to
it in pod specs rewritten). The tests compare its output with `kubectl kustomize`
wherever kubectl is installed.

It needs Python 3.11 and PyYAML, nothing of the project. Any one of:

    pip install pyyaml && python deploy/render.py deploy/k8s/overlays/prod > prod.yaml
    uv run deploy/render.py deploy/k8s/overlays/prod > prod.yaml    # reads the header
    pipx run deploy/render.py deploy/k8s/overlays/prod > prod.yaml  # reads the header
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

try:
    import yaml
except ModuleNotFoundError:  # pragma: no cover - exercised by a subprocess test
    sys.exit(
        "deploy/render.py needs PyYAML: `pip install pyyaml` (or run it with "
        "`uv run deploy/render.py ...` / `pipx run deploy/render.py ...`, which install it "
        "from the script's header); `kubectl kustomize <folder>` builds the same manifests."
    )

Resource = dict[str, Any]

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
SUPPORTED_KEYS = {
    "apiVersion",
    "kind",
    "namespace",
    "resources",
    "components",
    "labels",
    "images",
    "replicas",
    "patches",
    "configMapGenerator",
}
CLUSTER_SCOPED = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "APIService",
}
#: Where `labels` with includeTemplates adds labels besides metadata.labels.
TEMPLATE_LABEL_PATHS = {
    "Deployment": [("spec", "template", "metadata", "labels")],
    "ReplicaSet": [("spec", "template", "metadata", "labels")],
    "DaemonSet": [("spec", "template", "metadata", "labels")],
    "Job": [("spec", "template", "metadata", "labels")],
    "StatefulSet": [("spec", "template", "metadata", "labels")],
    "CronJob": [
        ("spec", "jobTemplate", "metadata", "labels"),
        ("spec", "jobTemplate", "spec", "template", "metadata", "labels"),
    ],
}
POD_SPEC_PATHS = {
    "Pod": ("spec",),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
#: Marks a generated ConfigMap whose name gets the content hash once everything is built
#: (kustomize's own internal annotation has the same role); removed from the output.
NEEDS_HASH = "internal.parkvpp.io/needs-hash"


class UnsupportedKustomization(ValueError):
    """A kustomization uses a feature this renderer does not implement (names it)."""


def _load_yaml_docs(path: Path) -> list[Resource]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _kustomization_file(folder: Path) -> Path:
    for name in KUSTOMIZATION_FILES:
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"no kustomization file in {folder}")


def render(folder: str | Path) -> list[Resource]:
    """The resources kustomize builds from `folder` (a kustomization root).

    Raises UnsupportedKustomization for features outside the supported subset,
    FileNotFoundError for a missing file, and ValueError for a patch that does not apply.
    """
    resources = _build(Path(folder), [])
    _suffix_hashes(resources)
    return resources


def _build(folder: Path, accumulated: list[Resource]) -> list[Resource]:
    """Apply the kustomization (or component) in `folder` on top of `accumulated`."""
    spec = yaml.safe_load(_kustomization_file(folder).read_text()) or {}
    unknown = set(spec) - SUPPORTED_KEYS
    if unknown:
        raise UnsupportedKustomization(f"{folder}: unsupported fields {sorted(unknown)}")
    resources = list(accumulated)
    for entry in spec.get("resources", []):
        target = folder / entry
        resources += _build(target, []) if target.is_dir() else _load_yaml_docs(target)
    for entry in spec.get("components", []):
        resources = _build(folder / entry, resources)
    resources += [_generate_configmap(folder, gen) for gen in spec.get("configMapGenerator", [])]
    for patch in spec.get("patches", []):
        _apply_patch(folder, patch, resources)
    if "namespace" in spec:
        for res in resources:
            if res["kind"] not in CLUSTER_SCOPED:
                res.setdefault("metadata", {})["namespace"] = spec["namespace"]
    for label_set in spec.get("labels", []):
        _add_labels(label_set, resources)
    for replica in spec.get("replicas", []):
        for res in resources:
            if res["metadata"]["name"] == replica["name"] and "replicas" in res.get("spec", {}):
                res["spec"]["replicas"] = replica["count"]
    for image in spec.get("images", []):
        for res in resources:
            _set_image(image, res)
    return resources


def _generate_configmap(folder: Path, gen: dict[str, Any]) -> Resource:
    options = gen.get("options", {})
    if gen.get("behavior", "create") != "create":
        raise UnsupportedKustomization(
            f"{folder}: configMapGenerator {gen['name']} needs behavior create"
        )
    data: dict[str, str] = {}
    for entry in gen.get("files", []):
        key, _, file_name = entry.rpartition("=") if "=" in entry else ("", "", entry)
        data[key or Path(file_name).name] = (folder / file_name).read_text()
    for env_file in gen.get("envs", []):
        data.update(_env_file(folder / env_file))
    for literal in gen.get("literals", []):
        key, _, value = literal.partition("=")
        data[key] = value
    metadata: dict[str, Any] = {"name": gen["name"]}
    if options.get("labels"):
        metadata["labels"] = dict(options["labels"])
    if not options.get("disableNameSuffixHash"):
        metadata["annotations"] = {NEEDS_HASH: "true"}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data}


def _env_file(path: Path) -> dict[str, str]:
    """KEY=value lines of an env file; blank lines and `#` comments skipped.

    A line without `=` (kustomize would read the variable from its own environment) is
    refused, so the output never depends on the machine that renders it.
    """
    data: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.lstrip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise UnsupportedKustomization(f"{path}:{number}: no `=` in {line!r}")
        data[key] = value
    return data


def kustomize_hash(configmap: Resource) -> str:
    """kustomize's name suffix for a ConfigMap: 10 characters of the SHA-256 of its kind,
    name and data as sorted JSON, with 0, 1, 3, a and e swapped for g, h, k, m and t.

    The name hashes as "": kustomize v5 (kubectl 1.27 and later) looks the name up with
    a path its lookup does not split, finds nothing and hashes an empty name, so that
    is what its output carries (kustomize v4 and older hashed the real name).
    """
    encoded: dict[str, Any] = {"kind": "ConfigMap", "name": "", "data": configmap.get("data")}
    if encoded["data"] is None:
        encoded["data"] = ""
    if configmap.get("binaryData"):
        encoded["binaryData"] = configmap["binaryData"]
    text = json.dumps(encoded, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # Go's json.Marshal escapes these three; the hash is over its bytes.
    for char, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e")):
        text = text.replace(char, escaped)
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    return digest.translate(str.maketrans("013ae", "ghkmt"))


def _suffix_hashes(resources: list[Resource]) -> None:
    """Append the content hash to each generated ConfigMap's name, then point every pod
    spec's references in the same namespace (envFrom, env, volumes) at the new name."""
    renamed: dict[tuple[str | None, str], str] = {}
    for res in resources:
        annotations = res["metadata"].get("annotations", {})
        if res["kind"] != "ConfigMap" or annotations.pop(NEEDS_HASH, None) is None:
            continue
        if not annotations:
            del res["metadata"]["annotations"]
        old = res["metadata"]["name"]
        res["metadata"]["name"] = f"{old}-{kustomize_hash(res)}"
        renamed[(res["metadata"].get("namespace"), old)] = res["metadata"]["name"]
    for res in resources:
        spec = _pod_spec(res)
        if spec is not None:
            namespace = res["metadata"].get("namespace")
            for ref in _configmap_refs(spec):
                ref["name"] = renamed.get((namespace, ref.get("name", "")), ref.get("name"))


def _configmap_refs(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The objects in a pod spec whose `name` names a ConfigMap."""
    refs = []
    for container in spec.get("containers", []) + spec.get("initContainers", []):
        refs += [e["configMapRef"] for e in container.get("envFrom", []) if "configMapRef" in e]
        refs += [
            e["valueFrom"]["configMapKeyRef"]
            for e in container.get("env", [])
            if "configMapKeyRef" in e.get("valueFrom", {})
        ]
    for volume in spec.get("volumes", []):
        if "configMap" in volume:
            refs.append(volume["configMap"])
        for source in volume.get("projected", {}).get("sources", []):
            if "configMap" in source:
                refs.append(source["configMap"])
    return refs


def _matches(target: dict[str, Any], res: Resource) -> bool:
    if "kind" in target and res["kind"] != target["kind"]:
        return False
    if "name" in target and not re.fullmatch(target["name"], res["metadata"]["name"]):
        return False
    labels = res["metadata"].get("labels", {})
    for term in filter(None, target.get("labelSelector", "").split(",")):
        key, sep, value = term.partition("=")
        if not sep or labels.get(key.strip()) != value.strip():
            return False
    return True


def _apply_patch(folder: Path, patch: dict[str, Any], resources: list[Resource]) -> None:
    text = patch["patch"] if "patch" in patch else (folder / patch["path"]).read_text()
    ops = yaml.safe_load(text)
    if not isinstance(ops, list) or "target" not in patch:
        raise UnsupportedKustomization(f"{folder}: only JSON 6902 patches with a target")
    hits = [res for res in resources if _matches(patch["target"], res)]
    if not hits:
        raise ValueError(f"{folder}: patch target {patch['target']} matches nothing")
    for res in hits:
        for op in ops:
            _json_patch(res, op)


def _pointer(path: str) -> list[str]:
    return [part.replace("~1", "/").replace("~0", "~") for part in path.split("/")[1:]]


def _json_patch(doc: Resource, op: dict[str, Any]) -> None:
    """One RFC 6902 operation (add, remove, replace) on `doc`, in place."""
    *parents, last = _pointer(op["path"])
    node: Any = doc
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    kind = op["op"]
    if kind not in ("add", "remove", "replace"):
        raise UnsupportedKustomization(f"JSON patch op {kind!r}")
    if isinstance(node, list):
        index = len(node) if last == "-" else int(last)
        if kind == "add":
            node.insert(index, copy.deepcopy(op["value"]))
        elif kind == "remove":
            del node[index]
        else:
            node[index] = copy.deepcopy(op["value"])
        return
    if kind in ("remove", "replace") and last not in node:
        raise ValueError(f"JSON patch {kind} of missing {op['path']}")
    if kind == "remove":
        del node[last]
    else:
        node[last] = copy.deepcopy(op["value"])


def _add_labels(label_set: dict[str, Any], resources: list[Resource]) -> None:
    if label_set.get("includeSelectors"):
        raise UnsupportedKustomization("labels with includeSelectors: true")
    pairs = label_set["pairs"]
    for res in resources:
        res.setdefault("metadata", {}).setdefault("labels", {}).update(pairs)
        if not label_set.get("includeTemplates"):
            continue
        for path in TEMPLATE_LABEL_PATHS.get(res["kind"], []):
            node = res
            for part in path[:-1]:
                node = node.setdefault(part, {})
            node.setdefault(path[-1], {}).update(pairs)
        if res["kind"] == "StatefulSet":
            for claim in res["spec"].get("volumeClaimTemplates", []):
                claim.setdefault("metadata", {}).setdefault("labels", {}).update(pairs)


def _pod_spec(res: Resource) -> dict[str, Any] | None:
    node: Any = res
    for part in POD_SPEC_PATHS.get(res["kind"], ("spec", "template", "spec")):
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else None


def _set_image(image: dict[str, Any], res: Resource) -> None:
    spec = _pod_spec(res)
    if spec is None:
        return
    for container in spec.get("containers", []) + spec.get("initContainers", []):
        ref = container.get("image", "")
        name = re.split(r"[@]", ref)[0]
        name = name.rsplit(":", 1)[0] if ":" in name.rsplit("/", 1)[-1] else name
        if name != image["name"]:
            continue
        new = image.get("newName", name)
        if "digest" in image:
            container["image"] = f"{new}@{image['digest']}"
        else:
            tag = image.get("newTag") or (ref[len(name) + 1 :] if ref != name else "")
            container["image"] = f"{new}:{tag}" if tag else new


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python deploy/render.py <kustomization folder>", file=sys.stderr)
        return 2
    yaml.safe_dump_all(render(argv[0]), sys.stdout, sort_keys=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
