"""Waiting for a stop signal (SIGTERM, SIGINT) with handlers that take no lock.

A Python signal handler runs in the main thread between two bytecodes, maybe while that
thread holds a lock, and a second signal runs its handler nested inside the first. A
handler that takes a lock (threading.Event.set does) can then wait for itself forever: a
`parkvpp serve` process whose `parkvpp up` was killed got SIGTERM three times at once,
stopped inside the handler's Event.set and never exited. Here a handler only appends to
a list, and the waiting thread wakes through the wakeup fd, which the interpreter writes
from its C-level handler.
"""

from __future__ import annotations

import signal
import socket
import time
from types import FrameType


class StopSignals:
    """Handlers for `signals`, installed when made (in the main thread). `wait` returns
    once one of them has arrived, at once when one already has; any number may arrive."""

    def __init__(self, signals: tuple[int, ...] = (signal.SIGTERM, signal.SIGINT)) -> None:
        self.received: list[int] = []
        self._wake_read, self._wake_write = socket.socketpair()
        self._wake_write.setblocking(False)
        signal.set_wakeup_fd(self._wake_write.fileno(), warn_on_full_buffer=False)
        for signum in signals:
            signal.signal(signum, self._note)

    def _note(self, signum: int, _frame: FrameType | None) -> None:
        self.received.append(signum)  # no lock: see the module's docstring

    def wait(self, timeout_s: float | None = None) -> bool:
        """True once a stop signal has arrived; False if `timeout_s` passes first."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while not self.received:
            left_s = None if deadline is None else deadline - time.monotonic()
            if left_s is not None and left_s <= 0:
                return False
            self._wake_read.settimeout(left_s)
            try:
                self._wake_read.recv(64)  # a byte per signal; the handler has run by now
            except TimeoutError:
                continue
        return True
