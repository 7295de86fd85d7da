"""A time limit on a block of code, by SIGALRM, that nests with an outer one."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable


@contextlib.contextmanager
def time_limit(seconds: float | None, error: Callable[[], BaseException]):
    """Raise ``error()`` inside the block after ``seconds``; an outer timer that was
    running (pytest-timeout's, another limit's) gets back what is left of it.

    A signal handler runs between Python bytecodes, so a long call into C returns first.
    No limit without ``seconds``, or off the main thread, where no signal is delivered:
    a caller that must stop there checks the elapsed time afterwards.
    """
    if (seconds is None or not hasattr(signal, "setitimer")
            or threading.current_thread() is not threading.main_thread()):
        yield
        return

    def alarm(signum, frame):
        raise error()

    old = signal.signal(signal.SIGALRM, alarm)
    t0 = time.monotonic()
    outer, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        if outer:
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - t0), 1e-3))
