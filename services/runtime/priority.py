"""Heavy optimisation at background CPU priority, so short calls stay quick beside it.

A bid plan or a dispatch solve keeps a core busy for seconds; on a node it shares with
services answering reads in milliseconds, it should take the CPU only when they leave it.
`BackgroundWork.run` runs a function on threads whose nice value is raised (Linux: nice
is per thread, and the solver threads they start inherit it), in the caller's context
(the current caller, its token for peer calls), and hands back its result or raises its
exception. Raising nice needs no privilege; where it is refused the work runs at normal
priority.
"""

from __future__ import annotations

import contextvars
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

log = logging.getLogger(__name__)

R = TypeVar("R")

#: Nice value of background threads: a nice-10 thread gets about a tenth of the CPU a
#: nice-0 thread gets while both want it, and all of it when nothing else runs.
BACKGROUND_NICE = 10


def _lower_priority(nice: int) -> None:
    """This thread's nice value raised to `nice` (a thread already nicer keeps its own)."""
    try:
        me = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, me, max(nice, os.getpriority(os.PRIO_PROCESS, me)))
    except (AttributeError, OSError) as exc:  # not Linux, or refused
        log.warning("background work runs at normal priority: %s", exc)


class BackgroundWork:
    """A small pool of lower-priority threads; `run` blocks the caller until done."""

    def __init__(self, workers: int = 4, nice: int = BACKGROUND_NICE, name: str = "background"):
        self._pool = ThreadPoolExecutor(
            workers, thread_name_prefix=name, initializer=_lower_priority, initargs=(nice,)
        )

    def run(self, fn: Callable[..., R], *args: object) -> R:
        context = contextvars.copy_context()
        return self._pool.submit(context.run, fn, *args).result()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
