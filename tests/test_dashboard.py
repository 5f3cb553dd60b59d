"""The Grafana dashboard and the alert rules query only metrics the code exports.

Every PromQL expression is parsed (promql-parser) and each metric it selects must be one
that services.runtime.metrics (or prometheus_client's process collector) registers,
with the suffixes Prometheus gives counters and histograms. Every parkvpp_ metric has a
panel, and the alerts the issue asks for exist.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path

import promql_parser
import pytest
from prometheus_client import GC_COLLECTOR, PLATFORM_COLLECTOR, PROCESS_COLLECTOR, REGISTRY
from prometheus_client.metrics import MetricWrapperBase

from certificates.store import CertificateLedger
from deploy.render import render
from services.bidding.readiness import next_market_day
from services.certificates.audit_job import audit_once
from services.runtime import metrics

MONITORING = Path(__file__).resolve().parents[1] / "deploy" / "k8s" / "components" / "monitoring"
DASHBOARD = MONITORING / "dashboards" / "parkvpp-market-day.json"
SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("", "_count", "_sum", "_created"),
    "info": ("_info",),
}
#: Series Prometheus itself adds for every target (usable in alerts, not exported by us).
SCRAPE_SERIES = {"up"}
#: kube-state-metrics series (deploy/k8s/README.md lists it beside the Prometheus
#: Operator): a Deployment with no pod has no target, so only these see it.
KUBE_STATE_SERIES = {"kube_deployment_status_replicas_available"}
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1d"}


def exported_names() -> set[str]:
    """Sample names of every metric the code defines, and of the default collectors."""
    names = set()
    for value in vars(metrics).values():
        if isinstance(value, MetricWrapperBase):
            for family in value.describe():
                names |= {family.name + suffix for suffix in SUFFIXES[family.type]}
    for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
        for family in collector.collect():
            names |= {sample.name for sample in family.samples}
    return names


def parkvpp_families() -> dict[str, set[str]]:
    """Each parkvpp_ metric of services.runtime.metrics -> its sample names."""
    out = {}
    for value in vars(metrics).values():
        if isinstance(value, MetricWrapperBase):
            (family,) = value.describe()
            out[family.name] = {family.name + suffix for suffix in SUFFIXES[family.type]}
    return out


def selected_metrics(expr: str) -> set[str]:
    """Metric names a PromQL expression selects; ValueError if it does not parse."""
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    names: set[str] = set()

    def visit(node) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            assert node.name, f"selector without a metric name in {expr!r}"
            names.add(node.name)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names


def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def panels(board: dict) -> list[dict]:
    return [p for p in board["panels"] if p["type"] != "row"]


def dashboard_exprs(board: dict) -> list[str]:
    exprs = [t["expr"] for p in panels(board) for t in p["targets"]]
    for variable in board["templating"]["list"]:
        if variable["type"] == "query":
            query = variable["query"]["query"]
            exprs.append(re.fullmatch(r"label_values\((\w+), *\w+\)", query).group(1))
    return exprs


def alert_rules() -> list[dict]:
    (rule,) = [
        d for d in render(MONITORING.parents[1] / "overlays/prod") if d["kind"] == "PrometheusRule"
    ]
    return [r for group in rule["spec"]["groups"] for r in group["rules"]]


def test_every_dashboard_query_names_only_exported_metrics():
    exported = exported_names()
    for expr in dashboard_exprs(dashboard()):
        names = selected_metrics(expr)
        assert names, f"query selects no metric: {expr}"
        assert names <= exported, f"not exported by the code: {names - exported} in {expr}"


def test_every_parkvpp_metric_has_a_panel():
    used = set().union(*(selected_metrics(e) for e in dashboard_exprs(dashboard())))
    missing = [name for name, samples in parkvpp_families().items() if not samples & used]
    assert not missing, f"metrics without a panel: {missing}"


def test_the_dashboard_is_a_well_formed_grafana_model():
    board = dashboard()
    assert board["uid"] and board["title"] and board["schemaVersion"] >= 36
    assert board["timezone"] == "Asia/Shanghai", "market days are Asia/Shanghai dates"
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    cells: set[tuple[int, int]] = set()
    for panel in board["panels"]:
        box = panel["gridPos"]
        assert 0 <= box["x"] and box["x"] + box["w"] <= 24, panel["title"]
        area = {
            (x, y)
            for x in range(box["x"], box["x"] + box["w"])
            for y in range(box["y"], box["y"] + box["h"])
        }
        assert not area & cells, f"{panel['title']} overlaps another panel"
        cells |= area
    for panel in panels(board):
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert panel["targets"] and panel["description"], panel["title"]
        assert panel["fieldConfig"]["defaults"]["unit"], panel["title"]
    titles = " ".join(p["title"] for p in board["panels"]).lower()
    for part in ("flexibility", "award", "deliver", "revenue", "certificate", "latency", "kafka"):
        assert part in titles, f"no panel about {part}"


def test_the_rendered_configmap_carries_the_dashboard_file():
    (configmap,) = [
        d
        for d in render(MONITORING.parents[1] / "overlays/prod")
        if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "parkvpp-grafana-dashboards"
    ]
    assert configmap["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(configmap["data"][DASHBOARD.name]) == dashboard()


def test_alert_expressions_parse_and_name_only_exported_metrics():
    exported = exported_names() | SCRAPE_SERIES | KUBE_STATE_SERIES
    for rule in alert_rules():
        names = selected_metrics(rule["expr"])
        assert names <= exported, f"{rule['alert']}: not exported {names - exported}"


@pytest.mark.parametrize(
    "metric",
    [
        "grpc_server_handled_total",  # error rate
        "parkvpp_kafka_consumer_lag",  # consumer lag
        "parkvpp_dispatch_overdue",  # unacknowledged dispatch past its deadline
        "parkvpp_ledger_verify_ok",  # ledger verify failure
        "parkvpp_bid_plan_next_day_ready",  # bid plan not ready before gate closure
    ],
)
def test_an_operator_is_alerted_on(metric):
    alerting = [r["alert"] for r in alert_rules() if metric in selected_metrics(r["expr"])]
    assert alerting, f"no alert watches {metric}"


def _sample(name: str) -> float | None:
    return REGISTRY.get_sample_value(name)


def test_the_bid_plan_and_ledger_gauges_report_a_running_stack(stack_factory, monkeypatch):
    stack = stack_factory(db=13)
    assert _sample("parkvpp_bid_plan_next_day_ready") == 0.0, "no plan for tomorrow yet"
    assert _sample("parkvpp_bid_plan_next_day_submitted") == 0.0
    ledger = CertificateLedger(stack.redis)
    hour = datetime(2026, 3, 10, 4, tzinfo=UTC)
    ledger.issue("r1", "gen-1", "pv", "CN-JS", "ent-a", [(hour, 3_000)])
    assert audit_once(ledger) is True
    assert _sample("parkvpp_ledger_verify_ok") == 1.0
    assert time.time() - _sample("parkvpp_ledger_verify_timestamp_seconds") < 60
    log_key = "parkvpp:{ledger}:audit:log"
    entry_hash, prev, body = stack.redis.lindex(log_key, 0).decode().split(" ", 2)
    stack.redis.lset(log_key, 0, f"{entry_hash} {prev} {body.replace('3000', '9000')}")
    assert audit_once(ledger) is False, "an edited audit entry fails the audit"
    assert _sample("parkvpp_ledger_verify_ok") == 0.0


def test_the_next_market_day_is_tomorrow_in_asia_shanghai():
    # 17:00 UTC on 1 January is 01:00 on 2 January in Shanghai: D-1 bids are for the 3rd.
    assert next_market_day(datetime(2026, 1, 1, 17, 0, tzinfo=UTC)) == "2026-01-03"
    assert next_market_day(datetime(2026, 1, 1, 15, 59, tzinfo=UTC)) == "2026-01-02"


def test_every_alert_links_to_its_own_runbook_section():
    runbook = MONITORING.parents[3] / "docs/runbooks/alerts.md"
    sections = {
        line[3:].strip().lower() for line in runbook.read_text().splitlines() if line[:3] == "## "
    }
    for rule in alert_rules():
        anchor = rule["annotations"]["runbook_url"].rsplit("#", 1)[1]
        assert anchor == rule["alert"].lower(), f"{rule['alert']} links to #{anchor}"
        assert anchor in sections, f"docs/runbooks/alerts.md has no section {rule['alert']}"


def _unit_of(panel: dict, target: dict) -> str:
    """The unit Grafana shows `target` in: a refId override, else the panel's default."""
    unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "")
    for override in panel.get("fieldConfig", {}).get("overrides", []):
        matcher = override["matcher"]
        legend = target.get("legendFormat", "")
        hit = (matcher["id"] == "byFrameRefID" and matcher["options"] == target.get("refId")) or (
            matcher["id"] == "byRegexp" and re.fullmatch(matcher["options"], legend)
        )
        for prop in override["properties"] if hit else ():
            unit = prop["value"] if prop["id"] == "unit" else unit
    return unit


def test_every_series_is_drawn_in_the_unit_of_what_it_measures():
    """Seconds only for durations, a ratio as a percentage, counts never on a time axis."""
    for panel in panels(dashboard()):
        for target in panel["targets"]:
            names = selected_metrics(target["expr"])
            unit = _unit_of(panel, target)
            where = f"{panel['title']!r} {target['expr'][:60]}"
            if unit == "s":
                assert all("_seconds" in n for n in names), f"not a duration on seconds: {where}"
            if names and all(n.endswith("_ratio") for n in names):
                assert unit == "percentunit", f"a ratio in {unit}: {where}"
            if names and all(n.endswith("_watts") for n in names):
                assert unit == "watt", f"power in {unit}: {where}"
