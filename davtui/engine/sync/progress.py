"""The progress of a run: done/total with rate and ETA, as `Progress` events."""

from __future__ import annotations

import threading
import time

from davtui.engine.events import Listener, Progress


class ProgressMeter:
    """done/total with rate and ETA, emitted at most five times a second, once the total is
    known (None while the collections are being planned). Writers in several threads advance
    it: the count is taken under a lock (`+=` is no atomic step)."""

    def __init__(self, listener: Listener) -> None:
        self.listener = listener
        self.done = 0
        self.total: int | None = None
        self.started = time.monotonic()
        self._last = 0.0
        self._lock = threading.Lock()

    def advance(self, count: int = 1) -> None:
        with self._lock:
            self.done += count
            if self.total is None:
                return
            now = time.monotonic()
            due = now - self._last >= 0.2 or self.done >= self.total
            if due:
                self._last = now
        if due:
            self.emit()

    def emit(self) -> None:
        assert self.total is not None
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = self.done / elapsed
        eta = (self.total - self.done) / rate if rate > 0 else None
        self.listener(Progress(self.done, self.total, rate, eta))
