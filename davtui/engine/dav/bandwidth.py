"""One bandwidth budget for the whole process: every request body sent and every response body
read by any Transport of any job draws from it, so `--max-rate 5M` holds for 20 jobs at once.

The budget is a virtual clock (GCRA): each transfer books `size / rate` seconds after the
previous booking ends (or now, if that was earlier) and waits until its booking ends less
BURST, so on an idle link up to one second's worth goes at once and over any time T at most
rate * (T + BURST) bytes move.
"""

from __future__ import annotations

import re
import threading
import time

_RATE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?(?:/s)?\s*", re.I)
_UNITS = {"": 1, "k": 1_000, "m": 1_000_000, "g": 1_000_000_000}
BURST = 1.0  # seconds of budget that may be spent at once


class Bandwidth:
    """Bytes per second shared by all threads; `rate` None means no limit."""

    def __init__(self, rate: float | None = None) -> None:
        self._lock = threading.Lock()
        self._rate: float | None = None
        self._free_at = 0.0
        self.set(rate)

    @property
    def rate(self) -> float | None:
        return self._rate

    def set(self, rate: float | None) -> None:
        if rate is not None and rate <= 0:
            raise ValueError("a bandwidth limit must be above 0 bytes per second")
        with self._lock:
            self._rate = rate
            self._free_at = 0.0

    def take(self, size: int) -> None:
        """Wait until `size` bytes fit in the budget (at once when there is no limit)."""
        if self._rate is None or size <= 0:
            return
        with self._lock:
            rate = self._rate
            if rate is None:
                return
            now = time.monotonic()
            self._free_at = max(self._free_at, now) + size / rate
            wait = self._free_at - now - BURST
        if wait > 0:
            time.sleep(wait)


def parse_rate(text: str) -> float:
    """Bytes per second from `5M`, `500k`, `2.5MB/s`, `1200` (k, M, G are powers of 1000)."""
    found = _RATE.fullmatch(text)
    if found is None or float(found.group(1)) <= 0:
        raise ValueError(f"'{text}' is not a rate: use bytes per second, e.g. 500k or 5M.")
    return float(found.group(1)) * _UNITS[found.group(2).lower()]


#: The process's budget; `--max-rate` / DAVTUI_MAX_RATE set it.
LIMIT = Bandwidth()
