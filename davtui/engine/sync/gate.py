"""The pause/stop gate: the engine calls `checkpoint()` between items, never inside a request.

Writers carry each item inside `working()`: a pause is announced ("paused") only once no item
is in hand any more, so a job shown as paused copies nothing, not even the writes that were
already on the wire when the user asked.

Requests come from this process (`pause()`, `resume()`, `stop()`) or from elsewhere through a
`poll` callable (the job row in the database, so a CLI or another process can steer a run);
`poll` is asked at most every `poll_interval` seconds, so it costs nothing per item.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


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
        self._lock = threading.Lock()
        self._busy = 0  # items in hand (inside `working()`)
        self._announced = False  # "paused" was told to on_change

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._run.is_set()

    def pause(self) -> None:
        with self._lock:
            if not self._run.is_set():
                return
            self._run.clear()
            quiet = self._busy == 0
        if quiet:
            self._announce_pause()

    def resume(self) -> None:
        with self._lock:
            if self._run.is_set():
                return
            self._run.set()
            told, self._announced = self._announced, False
        if told:
            self._notify("running")

    def _announce_pause(self) -> None:
        with self._lock:
            if self._run.is_set() or self._announced:
                return
            self._announced = True
        self._notify("paused")

    @contextmanager
    def working(self) -> Iterator[None]:
        """Hold one item: wait while paused (raise `Stopped` on stop), then count the item as
        in hand until it is done; the last item to finish during a pause announces it."""
        while True:
            self.checkpoint()
            with self._lock:
                if self._run.is_set():
                    self._busy += 1
                    break
        try:
            yield
        finally:
            with self._lock:
                self._busy -= 1
                quiet = self._busy == 0 and not self._run.is_set()
            if quiet:
                self._announce_pause()

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
