"""The writer threads of one run, shared by all its collections.

One pool for the run, not one per collection: the next collection's items are read while the
last ones of this one are still being written, so the writers never stand idle at the end of
a collection. The bound on items in hand keeps memory flat whatever the size of an account:
the writers' own items plus about one multiget batch read ahead, so that the next batch is on
its way while they work (with only a few items queued, the writers waited for every batch).

How many write at once follows the destination's queue: `window.Window`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from davtui.engine.errors import DavError
from davtui.engine.sync.window import Window

#: Items read ahead of the writers: one multiget batch and a little more.
READ_AHEAD = 128
#: After this many transient item failures in a row the server is taken as down.
MAX_TRANSIENT_STREAK = 25


class ServerDown(DavError):
    """Too many transient failures in a row: the server is as good as unreachable."""

    exit_code = 4


class Streak:
    """Transient failures in a row. Items are numbered as they are handed to the writers; a
    success resets the count only if its item was handed out after the run of failures began,
    so the late answer of an item sent before an outage cannot hide the outage."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._issued = 0
        self._since = 0
        self.count = 0

    def ticket(self) -> int:
        with self._lock:
            self._issued += 1
            return self._issued

    def add(self, ticket: int, failed: bool) -> int:
        """Count one outcome; return the failures in a row so far."""
        with self._lock:
            if failed:
                if self.count == 0:
                    self._since = self._issued
                self.count += 1
            elif ticket > self._since:
                self.count = 0
            return self.count


class Writers:
    """A bounded pool of writer threads. `fatal` is the first error that concerns the whole
    server (set by any writer): after it, no item is handed out and the run stops."""

    def __init__(self, size: int) -> None:
        size = max(1, size)
        self._pool = ThreadPoolExecutor(size, thread_name_prefix="davtui-write")
        self._room = threading.BoundedSemaphore(size * 2 + READ_AHEAD)
        self.window = Window(size)
        self._futures: list[Future[None]] = []  # handed out by the run's thread only
        self.streak = Streak()
        self.fatal: BaseException | None = None
        #: some write (create, update, delete) reached the destination this run
        self.wrote = False

    def submit(self, work: Callable[[int], None]) -> None:
        """Hand out one item (`work(ticket)`), waiting while too many are in hand."""
        self.raise_fatal()
        self._room.acquire()
        future = self._pool.submit(self._fly, work, self.streak.ticket())
        future.add_done_callback(lambda _f: self._room.release())
        self._futures.append(future)
        if len(self._futures) > 1024:  # forget finished ones, once checked
            for done in [f for f in self._futures if f.done()]:
                done.result()
            self._futures = [f for f in self._futures if not f.done()]

    def _fly(self, work: Callable[[int], None], ticket: int) -> None:
        """`work(ticket)` once the window has a slot for it."""
        self.window.acquire()
        try:
            work(ticket)
        finally:
            self.window.release()

    def raise_fatal(self) -> None:
        if self.fatal is not None:
            raise self.fatal

    def drain(self) -> None:
        """Wait for every item handed out; a writer's unexpected exception surfaces here."""
        futures, self._futures = self._futures, []
        for future in futures:
            future.result()

    def __enter__(self) -> Writers:
        return self

    def __exit__(self, *_exc: object) -> None:
        try:
            self.drain()
        finally:
            self._pool.shutdown()
