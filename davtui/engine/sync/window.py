"""How many writes are in flight: a window that follows the destination's queue (TCP Vegas).

A server answers a write in its fastest time when the write does not wait; anything beyond is
time in a queue. From each answer the window estimates the writes queued at the server,
`in flight x (1 - fastest / this answer)`, and opens one more slot while fewer than QUEUE_LOW
wait, closes one when more than QUEUE_HIGH do, always between START and the pool's size.

Why not simply the pool's size: a burst of 16 requests overflows a SOGo's default listen queue
(5 connections beside its workers): the kernel drops the connections that do not fit and TCP
tries them again only after a second (the lab's SOGo: 5 of 16 updates of a 1%-changed run
took 1.1 s instead of 0.1 s, and a first copy on the LAN dropped ~100 connections). Over a
40 ms link most writes are on the way, not at the server, and the window opens wide; on a LAN
each write waits at the server, and it stays near the server's own width.
"""

from __future__ import annotations

import threading

#: Writes in flight at the start, and the fewest the window closes down to.
START = 4
#: Writes estimated waiting at the server below which the window opens one more slot...
QUEUE_LOW = 2.0
#: ... and above which it closes one.
QUEUE_HIGH = 4.0


class Window:
    """Slots for writes in flight: `slot()` around each write, `answered(seconds)` after it."""

    def __init__(self, size: int) -> None:
        self._size = max(1, size)
        self._open = min(self._size, START)
        self._slots = threading.Semaphore(self._open)
        self._debt = 0  # slots to take back as writes end (closed while all were taken)
        self._in_flight = 0
        self._fastest = float("inf")
        self._lock = threading.Lock()

    @property
    def open(self) -> int:
        return self._open

    def acquire(self) -> None:
        self._slots.acquire()
        with self._lock:
            self._in_flight += 1

    def release(self) -> None:
        with self._lock:
            self._in_flight -= 1
            if self._debt:
                self._debt -= 1
                return
        self._slots.release()

    def answered(self, seconds: float) -> None:
        """A write was answered in `seconds`: open or close a slot by the queue it shows."""
        with self._lock:
            self._fastest = min(self._fastest, seconds)
            queued = self._in_flight * (1 - self._fastest / seconds) if seconds > 0 else 0.0
            if queued < QUEUE_LOW and self._open < self._size:
                self._open += 1
                if self._debt:
                    self._debt -= 1
                else:
                    self._slots.release()
            elif queued > QUEUE_HIGH and self._open > min(self._size, START):
                self._open -= 1
                if not self._slots.acquire(blocking=False):  # taken back as a write ends
                    self._debt += 1
