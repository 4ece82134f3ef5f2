"""The pause/stop gate: the engine calls `checkpoint()` between items, never inside a request.

Requests come from this process (`pause()`, `resume()`, `stop()`) or from elsewhere through a
`poll` callable (the job row in the database, so a CLI or another process can steer a run);
`poll` is asked at most every `poll_interval` seconds, so it costs nothing per item.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Stopped(Exception):
    """Raised by `checkpoint()` once a stop was requested: the run ends at an item boundary."""


class Gate:
    def __init__(
        self,
        poll: Callable[[], str | None] | None = None,
        poll_interval: float = 0.5,
        on_change: Callable[[str], None] | None = None,
    ) -> None:
        self._run = threading.Event()
        self._run.set()
        self._stop = threading.Event()
        self._poll = poll
        self._poll_interval = poll_interval
        self._last_poll = 0.0
        self._on_change = on_change

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._run.is_set()

    def pause(self) -> None:
        if self._run.is_set():
            self._run.clear()
            self._notify("paused")

    def resume(self) -> None:
        if not self._run.is_set():
            self._run.set()
            self._notify("running")

    def stop(self) -> None:
        self._stop.set()
        self._run.set()

    def _notify(self, state: str) -> None:
        if self._on_change:
            self._on_change(state)

    def _apply(self, request: str | None) -> None:
        if request == "stop":
            self.stop()
        elif request == "pause":
            self.pause()
        elif request == "resume":
            self.resume()

    def _maybe_poll(self, force: bool = False) -> None:
        now = time.monotonic()
        if self._poll and (force or now - self._last_poll >= self._poll_interval):
            self._last_poll = now
            self._apply(self._poll())

    def checkpoint(self) -> None:
        """Return when the run may go on; block while paused; raise `Stopped` on stop."""
        self._maybe_poll()
        while not self._stop.is_set() and not self._run.is_set():
            self._run.wait(0.2)
            self._maybe_poll()
        if self._stop.is_set():
            raise Stopped
