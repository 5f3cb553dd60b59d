"""deploy/render.py runs with Python and PyYAML alone, and the shared ConfigMap's name
carries a hash of its content, so changing a setting rolls every Deployment."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from deploy.render import render

ROOT = Path(__file__).resolve().parents[1]
RENDER = ROOT / "deploy" / "render.py"
K8S = ROOT / "deploy" / "k8s"


def _run_without_site_packages(path_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """render.py under `python -S` (no site-packages), seeing only what `path_dir` holds."""
    return subprocess.run(
        [sys.executable, "-S", str(RENDER), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(path_dir), "PATH": "/usr/bin:/bin"},
        cwd=path_dir,
    )


def test_render_runs_with_the_standard_library_and_pyyaml_only(tmp_path):
    (tmp_path / "yaml").symlink_to(Path(yaml.__file__).parent)
    result = _run_without_site_packages(tmp_path, str(K8S / "overlays/prod"))
    assert result.returncode == 0, result.stderr
    printed = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    assert printed == render(K8S / "overlays/prod")


def test_render_without_pyyaml_says_what_to_install(tmp_path):
    result = _run_without_site_packages(tmp_path, str(K8S / "overlays/prod"))
    assert result.returncode == 1
    assert "pip install pyyaml" in result.stderr and "Traceback" not in result.stderr


def _config_refs(docs: list[dict]) -> tuple[str, set[str]]:
    """The ConfigMap's name, and the names the Deployments' envFrom refer to."""
    (name,) = [
        d["metadata"]["name"]
        for d in docs
        if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("parkvpp-config")
    ]
    refs = {
        source["configMapRef"]["name"]
        for d in docs
        if d["kind"] == "Deployment"
        for container in d["spec"]["template"]["spec"]["containers"]
        for source in container.get("envFrom", [])
    }
    return name, refs


def test_a_changed_setting_renames_the_configmap_and_every_deployment_follows(tmp_path):
    before, before_refs = _config_refs(render(K8S / "overlays/prod"))
    assert before.startswith("parkvpp-config-") and before_refs == {before}
    copy = tmp_path / "k8s"
    shutil.copytree(K8S, copy)
    env_file = copy / "base" / "config.env"
    env_file.write_text(
        env_file.read_text().replace("PARKVPP_LOG_LEVEL=INFO", "PARKVPP_LOG_LEVEL=WARNING")
    )
    after, after_refs = _config_refs(render(copy / "overlays/prod"))
    assert after != before, "a new name is what makes the Deployments roll their pods"
    assert after_refs == {after}


def test_overlays_patching_the_configmap_get_their_own_name():
    prod, _ = _config_refs(render(K8S / "overlays/prod"))
    dev, _ = _config_refs(render(K8S / "overlays/dev"))
    base, _ = _config_refs(render(K8S / "base"))
    assert len({prod, dev, base}) == 3, "the hash covers the overlays' patches"
