"""The certificate ledger's periodic audit (chain, replay, invariants) as Prometheus metrics.

Each CertificateService process verifies the whole ledger shortly after start and then
every VERIFY_EVERY_S, and sets parkvpp_ledger_verify_ok and _timestamp_seconds, so an
alert fires on a failed audit and on audits that stopped happening.
"""

from __future__ import annotations

import logging
import threading

import redis

from certificates.exceptions import LedgerBusy
from certificates.store import CertificateLedger
from services.runtime.context import Runtime
from services.runtime.metrics import record_ledger_verify

log = logging.getLogger(__name__)

VERIFY_EVERY_S = 900.0
FIRST_AFTER_S = 30.0


def audit_once(ledger: CertificateLedger) -> bool | None:
    """Verify the ledger and record the outcome; None (nothing recorded) when it could not run.

    A Redis outage or a ledger changing on every snapshot attempt (LedgerBusy) is logged
    and retried at the next round; an inconsistent ledger is an outcome, logged as an error.
    """
    try:
        report = ledger.verify()
    except (redis.RedisError, LedgerBusy) as exc:
        log.warning("ledger audit could not run: %s", exc)
        return None
    record_ledger_verify(report.ok)
    if not report.ok:
        log.error(
            "ledger audit failed: %s",
            report.reason or "state differs from the replayed log",
            extra={"first_broken_seq": report.first_broken_seq, "entries": report.entries},
        )
    return report.ok


def start_ledger_audit(
    runtime: Runtime,
    ledger: CertificateLedger,
    every_s: float = VERIFY_EVERY_S,
    first_after_s: float = FIRST_AFTER_S,
) -> threading.Thread:
    """Run `audit_once` on a daemon thread until the runtime stops."""

    def loop() -> None:
        wait_s = first_after_s
        while not runtime.stopping.wait(wait_s):
            audit_once(ledger)
            wait_s = every_s

    thread = threading.Thread(target=loop, name="ledger-audit", daemon=True)
    thread.start()
    return thread
