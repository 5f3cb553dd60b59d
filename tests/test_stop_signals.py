"""A process waiting for a stop signal stops on a burst of them, and on one sent early.

`parkvpp serve` once hung for good when its killed `parkvpp up` left it three SIGTERMs at
once: its handler (Event.set) ran nested in itself and waited for its own lock. These run
the waiting of `serve` and `up` (StopSignals) in a child process and signal it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

CHILD = """
import sys, threading, time
from services.runtime.signals import StopSignals
stop = StopSignals()
busy = threading.Event()  # a thread that sets and waits events all the time, as services do
def churn():
    while True:
        busy.set(); busy.clear(); busy.wait(0.0001)
threading.Thread(target=churn, daemon=True).start()
print("ready", flush=True)
if len(sys.argv) > 1:
    time.sleep(float(sys.argv[1]))  # signals arrive before the wait starts
print("stopped" if stop.wait(60) else "timed out", stop.received, flush=True)
"""


def _child(*args: str) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, *args], stdout=subprocess.PIPE, text=True, cwd=os.getcwd()
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    return child


def _outcome(child: subprocess.Popen[str]) -> str:
    try:
        out, _ = child.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        pytest.fail("the child did not stop within 30 s of its signals")
    # A signal of the burst that comes after the interpreter has restored the default
    # handlers on its way out ends it with that signal: it had stopped already.
    assert child.returncode in (0, -signal.SIGTERM, -signal.SIGINT), child.returncode
    return out.strip()


def test_a_burst_of_signals_stops_the_waiting_process():
    for _ in range(5):
        child = _child()
        for signum in (signal.SIGTERM, signal.SIGTERM, signal.SIGINT, signal.SIGTERM):
            os.kill(child.pid, signum)
        assert _outcome(child).startswith("stopped [")


def test_a_signal_before_the_wait_is_not_lost():
    child = _child("1.0")
    os.kill(child.pid, signal.SIGTERM)
    time.sleep(0.1)
    assert _outcome(child) == f"stopped [{int(signal.SIGTERM)}]"
