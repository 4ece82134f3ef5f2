"""Writes side by side, or one alone: the gate a write that keeps failing is retried through.

Some servers fail writes only while several run at once (DAViCal answers some parallel PUTs
with 500; the same PUT sent again alone succeeds). A conditional write (`If-None-Match: *`,
`If-Match`, a MKCOL that fails if the collection exists) is safe to repeat, so it is retried;
after its second failure it is retried alone: it waits for the writes in flight to end, and
no other write starts until it is answered. Reads are not held back.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Solo:
    """`turn(alone)` around each write attempt: shared by default, exclusive when `alone`.
    A write waiting to go alone is let in before new shared ones (it is not starved)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._shared = 0
        self._alone = False
        self._waiting = 0

    @contextmanager
    def turn(self, alone: bool) -> Iterator[None]:
        with self._cond:
            if alone:
                self._waiting += 1
                self._cond.wait_for(lambda: not self._alone and self._shared == 0)
                self._waiting -= 1
                self._alone = True
            else:
                self._cond.wait_for(lambda: not self._alone and self._waiting == 0)
                self._shared += 1
        try:
            yield
        finally:
            with self._cond:
                if alone:
                    self._alone = False
                else:
                    self._shared -= 1
                self._cond.notify_all()
