"""Full garbage collections between keys, not in the middle of one.

A full collection stops every thread of the process, the UI's too, for as long as it walks
every object the copying jobs hold: 50-100 ms with four jobs copying, about every five seconds,
and a key that met one waited that long for its frame. So once the App is built, what is alive
(the App and its screens, which live as long as it) is moved out of the collector's reach
(`gc.freeze`), Python's own full collections are turned off (the young generations are still
collected as usual), and the App makes them itself when they are due by Python's own count and
no key or mouse event came for a moment; when input never pauses, a due collection waits
`LATEST` seconds at most.
"""

from __future__ import annotations

import gc
import time

#: No input for this long (seconds): the user is reading, not waiting for a frame.
QUIET = 1.0
#: A due full collection waits at most this long (seconds) for a quiet moment.
LATEST = 30.0
#: What stands in for the oldest generation's threshold: Python then never collects it itself.
NEVER = 1_000_000_000


class QuietCollector:
    """Takes over the full collections from the interpreter (`start`, once what lasts is
    built; `stop` gives them back) and makes them at quiet moments (`tick`, often; `input` on
    every key or mouse event)."""

    def __init__(self) -> None:
        self.last_input = time.monotonic()
        self.due_since: float | None = None
        self.kept: tuple[int, int, int] | None = None
        """The interpreter's thresholds while this collector runs (None: not running)."""

    def start(self) -> None:
        """Collect once and freeze what is alive (later full passes walk only what comes
        after), then take the full passes over."""
        if self.kept is None:
            gc.collect()
            gc.freeze()
            self.kept = gc.get_threshold()
            gc.set_threshold(self.kept[0], self.kept[1], NEVER)

    def stop(self) -> None:
        if self.kept is not None:
            gc.set_threshold(*self.kept)
            gc.unfreeze()
            self.kept = None

    def input(self) -> None:
        self.last_input = time.monotonic()

    def tick(self) -> bool:
        """Make the full collection the interpreter would have made by now, if the user is
        not waiting for a frame or it waited long enough; whether it did."""
        if self.kept is None or gc.get_count()[2] < self.kept[2]:
            return False
        now = time.monotonic()
        self.due_since = self.due_since or now
        if now - self.last_input < QUIET and now - self.due_since < LATEST:
            return False
        gc.collect()
        self.due_since = None
        return True
