"""Tear down on SIGTERM, SIGHUP and SIGINT: what the engine and the live stack both need."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any


class SignalTeardown:
    """While installed, a signal runs `teardown` and then ends the program as the signal asks
    (KeyboardInterrupt for SIGINT, exit 128 + signum otherwise). Only the main thread can install
    signal handlers, so elsewhere this does nothing."""

    SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)

    def __init__(self, teardown: Callable[[], None]) -> None:
        self._teardown = teardown
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in self.SIGNALS:
            self._previous[signum] = signal.getsignal(signum)
            signal.signal(signum, self._on_signal)

    def restore(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        previous = self._previous.get(signum)
        self._teardown()
        if signum == signal.SIGINT:
            if callable(previous):
                previous(signum, frame)
            raise KeyboardInterrupt
        raise SystemExit(128 + signum)
