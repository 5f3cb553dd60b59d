"""kill -9 of every process of `parkvpp up` at seeded moments loses and doubles nothing.

Runs loadtests/chaos.py at CI size: a supervised stack (seven service processes, the
embedded Valkey with its AOF and the memory-only embedded broker), workers streaming
meter readings, enrolling assets, clearing demand-response days and settling green-power
trades, each call repeated until acknowledged, and at least 20 seeded SIGKILLs spread
over every process kind. After the stack converges every acknowledged reading must be
rolled up once, every enrolment be in the registry and the portfolio, every clearing be
dispatched once, every trade be in the ledger (whose audit replay is clean) and the outbox
and its retained log be empty. PARKVPP_CHAOS_SEED and PARKVPP_CHAOS_KILLS pick other plans.
"""

from __future__ import annotations

import os

import pytest

from loadtests.chaos import PROCESSES, run_chaos

pytestmark = pytest.mark.timeout(420)

SEED = int(os.environ.get("PARKVPP_CHAOS_SEED", "20261207"))
KILLS = max(20, int(os.environ.get("PARKVPP_CHAOS_KILLS", "20")))


def test_seeded_kills_of_every_process_lose_and_diverge_nothing(tmp_path):
    report = run_chaos(KILLS, SEED, tmp_path, progress=print)
    print(report.table())
    assert set(report.kills) == set(PROCESSES), report.kills
    assert sum(report.kills.values()) == KILLS
    acknowledged = report.findings.acknowledged
    for kind in ("readings", "enrolments", "dispatch", "trades"):
        assert acknowledged[kind] > 0, f"no {kind} acknowledged: the workers did not run"
    assert report.converged, "the stack did not converge before the deadline"
    assert report.lost_total == 0 and report.diverged_total == 0, report.findings.details
    assert not report.refused, report.refused
