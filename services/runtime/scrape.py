"""Reading a ParkVPP process's /metrics from outside (demo, status, soak, tests).

Parsed with prometheus_client's own text parser, so label order and escaping are the
exposition format's business, not a regular expression's.
"""

from __future__ import annotations

import urllib.request
from collections import Counter

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

SCRAPE_TIMEOUT_S = 10.0


def scrape(url: str, timeout_s: float = SCRAPE_TIMEOUT_S) -> list[Sample]:
    """Every sample served at `url` (a loopback or cluster /metrics endpoint)."""
    with urllib.request.urlopen(url, timeout=timeout_s) as reply:  # noqa: S310 - http only
        text = reply.read().decode()
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples]


def handled_calls(samples: list[Sample]) -> Counter[tuple[str, str]]:
    """RPCs handled per ("/service/Method", status code name), from grpc_server_handled_total."""
    counts: Counter[tuple[str, str]] = Counter()
    for sample in samples:
        if sample.name == "grpc_server_handled_total":
            labels = sample.labels
            method = f"/{labels['grpc_service']}/{labels['grpc_method']}"
            counts[(method, labels["grpc_code"])] += sample.value
    return counts


def total(samples: list[Sample], name: str, **labels: str) -> float:
    """Sum of the samples called `name` whose labels include `labels`."""
    return sum(
        s.value
        for s in samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )
