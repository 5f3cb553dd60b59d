"""The ledger's fsync policy: what docs/certificates.md promises is what Valkey runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.render import render
from services.runtime.embedded import EmbeddedValkey

ROOT = Path(__file__).resolve().parents[1]


def _valkey_args(overlay: str) -> list[str]:
    docs = render(ROOT / "deploy" / "k8s" / "overlays" / overlay)
    (redis,) = [d for d in docs if d["kind"] == "StatefulSet" and d["metadata"]["name"] == "redis"]
    return redis["spec"]["template"]["spec"]["containers"][0]["args"]


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_the_kubernetes_valkey_fsyncs_before_every_reply(overlay):
    args = _valkey_args(overlay)
    assert args[args.index("--appendonly") + 1] == "yes"
    assert args[args.index("--appendfsync") + 1] == "always"


def test_the_embedded_valkey_fsyncs_before_every_reply_as_documented(tmp_path):
    valkey = EmbeddedValkey(tmp_path)
    valkey._command()
    conf = (tmp_path / "valkey.conf").read_text().splitlines()
    assert "appendonly yes" in conf and "appendfsync always" in conf
    promised = (ROOT / "docs" / "certificates.md").read_text()
    assert "`appendfsync always` (the Kubernetes Valkey" in promised
    assert "The embedded Valkey of `parkvpp up`\n  uses `always` too" in promised
