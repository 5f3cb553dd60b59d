"""Throughput and p50/p95/p99 latency per RPC, as a table and as JSON, with the goal line."""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any

import numpy as np

from loadtests.loadgen import Recorder

#: The issue's goal: unary RPC p99 at most 10 ms at 1,000 requests/s on 2 cores.
GOAL_P99_MS = 10.0
GOAL_RATE = 1000.0


def latency_row(latencies_s: list[float], codes: Counter[str], seconds: float) -> dict[str, Any]:
    ms = np.array(latencies_s) * 1000.0
    p50, p95, p99 = (float(np.percentile(ms, q)) for q in (50, 95, 99)) if len(ms) else (0, 0, 0)
    calls = int(sum(codes.values()))
    return {
        "calls": calls,
        "ok": int(codes.get("OK", 0)),
        "errors": {code: n for code, n in sorted(codes.items()) if code != "OK"},
        "per_s": calls / seconds,
        "p50_ms": p50,
        "p95_ms": p95,
        "p99_ms": p99,
        "max_ms": float(ms.max()) if len(ms) else 0.0,
    }


def summarise(
    recorder: Recorder, seconds: float, heavy: set[str], config: dict[str, Any]
) -> dict[str, Any]:
    """The report as a dict: config, per-RPC rows, all unary RPCs together, and the goal."""
    rpcs = {
        rpc: latency_row(recorder.latencies_s[rpc], recorder.codes[rpc], seconds)
        for rpc in sorted(recorder.codes)
    }
    unary = [rpc for rpc in rpcs if rpc not in heavy]
    unary_codes: Counter[str] = Counter()
    for rpc in unary:
        unary_codes.update(recorder.codes[rpc])
    unary_row = latency_row(
        [x for rpc in unary for x in recorder.latencies_s[rpc]], unary_codes, seconds
    )
    met = unary_row["p99_ms"] <= GOAL_P99_MS and unary_row["per_s"] >= 0.95 * GOAL_RATE
    return {
        "cores": os.cpu_count(),
        "config": config,
        "rpcs": rpcs,
        "unary_total": unary_row,
        "skipped_arrivals": recorder.skipped,
        "scenario_errors": dict(recorder.scenario_errors),
        "goal": {
            "unary_p99_ms_at_most": GOAL_P99_MS,
            "at_requests_per_s": GOAL_RATE,
            "measured_unary_p99_ms": unary_row["p99_ms"],
            "measured_unary_per_s": unary_row["per_s"],
            "met": met,
        },
    }


def table(report: dict[str, Any]) -> str:
    """The report as a fixed-width table for a terminal."""
    config = report["config"]
    lines = [
        f"ParkVPP load test: {config['mode']} for {config['duration_s']:.0f} s "
        f"(+{config['warmup_s']:.0f} s warm-up) against {config['target']}; "
        f"client and servers on {report['cores']} cores",
        "",
        f"{'rpc':<36} {'calls':>7} {'errors':>7} {'req/s':>8} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}",
    ]

    def line(name: str, row: dict[str, Any]) -> str:
        errors = sum(row["errors"].values())
        return (
            f"{name:<36} {row['calls']:>7} {errors:>7} {row['per_s']:>8.1f} "
            f"{row['p50_ms']:>8.2f} {row['p95_ms']:>8.2f} {row['p99_ms']:>8.2f} "
            f"{row['max_ms']:>8.1f}"
        )

    for rpc, row in report["rpcs"].items():
        lines.append(line(rpc, row))
    lines.append(line("all unary RPCs", report["unary_total"]))
    for rpc, row in report["rpcs"].items():
        if row["errors"]:
            lines.append(f"  {rpc}: " + ", ".join(f"{c} {n}" for c, n in row["errors"].items()))
    if report["skipped_arrivals"]:
        lines.append(f"  {report['skipped_arrivals']} arrivals skipped (too many in flight)")
    for error, count in report["scenario_errors"].items():
        lines.append(f"  scenario error x{count}: {error}")
    cpu_s, (load_before, load_after) = config["client_cpu_s"], config["loadavg_1m_before_after"]
    lines.append(
        f"client{' (and the servers in it)' if config['client_includes_servers'] else ''}: "
        f"{config['processes']} process(es) used {cpu_s:.1f} CPU-s "
        f"({100 * cpu_s / (config['duration_s'] + config['warmup_s']):.0f}% of a core); "
        f"1-min load average {load_before:.2f} before, {load_after:.2f} after"
    )
    by_process = config.get("server_cpu_s")
    calls = sum(row["calls"] for row in report["rpcs"].values())
    if by_process and calls:
        seconds = config["duration_s"] + config["warmup_s"]
        busy_cores = sum(by_process.values()) / seconds
        lines.append(
            "server CPU by process: "
            + ", ".join(
                f"{name} {100 * cpu / seconds:.0f}%"
                for name, cpu in sorted(by_process.items(), key=lambda kv: -kv[1])
            )
        )
        per_call_ms = 1000 * busy_cores / (calls / config["duration_s"])
        lines.extend(_per_service(report, by_process, seconds))
        lines.extend(_relay_line(config.get("relay_leaders_before_after")))
        lines.append(
            f"servers (services, Valkey, broker) kept {busy_cores:.2f} cores busy: "
            f"{per_call_ms:.2f} CPU-ms per RPC, so {report['cores']} dedicated cores would "
            f"serve at most ~{1000 * report['cores'] / per_call_ms:,.0f} RPC/s of this mix"
        )
    goal = report["goal"]
    lines.append(
        f"goal: unary p99 <= {goal['unary_p99_ms_at_most']:.0f} ms at "
        f"{goal['at_requests_per_s']:,.0f} req/s on 2 cores; measured p99 "
        f"{goal['measured_unary_p99_ms']:.2f} ms at {goal['measured_unary_per_s']:,.0f} req/s "
        f"on {report['cores']} cores: {'met' if goal['met'] else 'NOT met'}"
    )
    return "\n".join(lines)


def _process_of(rpc: str) -> str:
    """The `parkvpp up` process serving `rpc` ("CertificateService/GetBalance" ->
    "certificates"): the service name without "Service", lower case, as SERVICE_NAMES
    spell it."""
    from services.runtime.settings import SERVICE_NAMES

    name = rpc.split("/")[0].removesuffix("Service").lower()
    return name if name in SERVICE_NAMES else f"{name}s" if f"{name}s" in SERVICE_NAMES else name


def _relay_line(leaders: list[list[str]] | None) -> list[str]:
    """Which process led the outbox relay: it publishes every process's events, so its
    line above carries that work too."""
    if not leaders or not any(leaders):
        return []
    before, after = (", ".join(names) or "none" for names in leaders)
    held = before if before == after else f"{before} before, {after} after"
    return [f"  outbox relay led by {held} (its line includes publishing every service's events)"]


def _per_service(report: dict[str, Any], by_process: dict[str, float], seconds: float) -> list[str]:
    """Server CPU-ms per RPC of each service process, over the calls of its methods.

    Each service runs in its own process, so its CPU over its calls is the cost of its
    methods (the mix of them the load made); Valkey and the broker serve them all.
    """
    calls: Counter[str] = Counter()
    for rpc, row in report["rpcs"].items():
        calls[_process_of(rpc)] += row["calls"]
    duration = report["config"]["duration_s"]
    lines = ["server CPU-ms per RPC by service (process CPU over the calls of its methods):"]
    for name, count in sorted(calls.items()):
        if name in by_process and count:
            rate = count / duration
            cpu_ms = 1000 * by_process[name] / seconds / rate
            methods = ", ".join(
                f"{rpc.split('/')[1]} {row['calls']}"
                for rpc, row in report["rpcs"].items()
                if _process_of(rpc) == name
            )
            lines.append(f"  {name:<13} {cpu_ms:6.2f} CPU-ms/RPC ({methods})")
    shared = sum(cpu for name, cpu in by_process.items() if name in ("valkey", "broker"))
    total_calls = sum(calls.values())
    if total_calls:
        lines.append(
            f"  valkey+broker {1000 * shared / seconds / (total_calls / duration):6.2f} "
            "CPU-ms/RPC (shared by every service)"
        )
    return lines


def to_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, sort_keys=False)
