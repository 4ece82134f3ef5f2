"""Writes side by side, or one alone: the gate a write that keeps failing is retried through.

Some servers fail writes only while several run at once (DAViCal answers some parallel PUTs
with 500; the same PUT sent again alone succeeds). A conditional write (`If-None-Match: *`,
`If-Match`, a MKCOL that fails if the collection exists) is safe to repeat, so it is retried;
after its second failure it is retried alone: it waits for the writes in flight to end, and
no other write starts until it is answered. Reads are not held back.
"""

from __future__ import annotations

import threading


class Solo:
    """`with solo.turn(alone):` around each write attempt: shared by default, exclusive when
    `alone`. A write waiting to go alone is let in before new shared ones (it is not starved).

    Every request passes here, nearly always shared with nobody waiting: that path takes the
    lock twice and allocates nothing (a generator-based context manager with `wait_for` and a
    `notify_all` on each exit cost 9 us a request, 1.5 us is the bare lock)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._shared = 0
        self._alone = False
        self._waiting = 0
        self._turns = (_Turn(self, False), _Turn(self, True))

    def turn(self, alone: bool) -> _Turn:
        return self._turns[alone]

    def enter(self, alone: bool) -> None:
        with self._cond:
            if alone:
                self._waiting += 1
                self._cond.wait_for(lambda: not self._alone and self._shared == 0)
                self._waiting -= 1
                self._alone = True
                return
            if self._alone or self._waiting:
                self._cond.wait_for(lambda: not self._alone and self._waiting == 0)
            self._shared += 1

    def leave(self, alone: bool) -> None:
        with self._cond:
            if alone:
                self._alone = False
                self._cond.notify_all()  # shared writes and other lone ones wait on this
                return
            self._shared -= 1
            if self._waiting and not self._shared:
                self._cond.notify_all()  # only a lone write waits for the shared ones to end


class _Turn:
    """One of the two reusable context managers of a `Solo`."""

    __slots__ = ("_alone", "_solo")

    def __init__(self, solo: Solo, alone: bool) -> None:
        self._solo = solo
        self._alone = alone

    def __enter__(self) -> None:
        self._solo.enter(self._alone)

    def __exit__(self, *_exc: object) -> None:
        self._solo.leave(self._alone)
