"""Heavy solves run on lower-priority threads (services.runtime.priority), in the
caller's context, with their result or error handed back."""

from __future__ import annotations

import os
import threading

import pytest

from services.runtime.auth import Caller, calling_as, current_caller
from services.runtime.priority import BACKGROUND_NICE, BackgroundWork


def _nice_of_this_thread() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_work_runs_niced_in_the_callers_context_and_the_caller_keeps_its_priority():
    work = BackgroundWork(workers=1)
    before = _nice_of_this_thread()
    caller = Caller("enterprise", "ent-a", "gateway-1")
    try:
        with calling_as(caller, "token-1"):
            nice, seen = work.run(lambda: (_nice_of_this_thread(), current_caller()))
    finally:
        work.close()
    assert nice == max(before, BACKGROUND_NICE)
    assert seen == caller
    assert _nice_of_this_thread() == before


def test_errors_reach_the_caller():
    work = BackgroundWork(workers=1)

    def fails(field: str) -> None:
        raise ValueError(f"bad {field}")

    try:
        with pytest.raises(ValueError, match="bad market_day"):
            work.run(fails, "market_day")
        assert work.run(lambda x: x + 1, 41) == 42  # the pool still works after an error
    finally:
        work.close()
