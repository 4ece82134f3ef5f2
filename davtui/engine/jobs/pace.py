"""A run's pace: items done, total, failed and the rate over the last half minute.

The recorder keeps one per run and stores it on the run row every few seconds, so that many
processes (the CLI's `status`, `job list`, the TUI) can read a running job's progress from the
database without the runner's events. The rate is over a recent window rather than since the
start: a run that spent minutes planning, or that a server slowed down, shows its pace now.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

#: Seconds of samples the rate is measured over.
WINDOW = 30.0
#: Seconds between two writes of the same run's progress row.
EVERY = 2.0


class Pace:
    """Counts of one run and samples (time, done) for its recent rate; events come from the
    run's writer threads, hence the lock."""

    def __init__(self, clock=time.monotonic) -> None:
        self.clock = clock
        self.done = 0
        self.total: int | None = None
        self.failed = 0
        self._samples: deque[tuple[float, int]] = deque()
        self._stored: float | None = None
        self._lock = threading.RLock()

    def progress(self, done: int, total: int | None) -> None:
        with self._lock:
            now = self.clock()
            self.done, self.total = done, total
            self._samples.append((now, done))
            while len(self._samples) > 2 and now - self._samples[1][0] >= WINDOW:
                self._samples.popleft()

    def count_failed(self) -> None:
        with self._lock:
            self.failed += 1

    def rate(self) -> float | None:
        """Items per second over the window (None before two samples)."""
        with self._lock:
            if len(self._samples) < 2:
                return None
            (start, first), (end, last) = self._samples[0], self._samples[-1]
            return (last - first) / (end - start) if end > start else None

    def due(self, force: bool = False) -> dict[str, Any] | None:
        """The run row's progress columns when a write is due (`force`: at the end), else None."""
        with self._lock:
            return self._due(force)

    def _due(self, force: bool) -> dict[str, Any] | None:
        now = self.clock()
        if not force and self._stored is not None and now - self._stored < EVERY:
            return None
        if self.total is None and not self.failed and not force:
            return None  # still planning: nothing worth a write
        self._stored = now
        return {
            "items_done": self.done,
            "items_total": self.total,
            "items_failed": self.failed,
            "rate": self.rate(),
        }
