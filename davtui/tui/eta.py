"""A sober ETA for the jobs table: a smoothed rate, and no number until one means something.

The engine's rate is the average since the run began, which includes discovery and listing, so
early ETAs were far off (`2m48s` for a 12 s run). Here the rate is smoothed over the last few
seconds (an exponential moving average, weighted by time), and the ETA stays "estimating"
until the run has copied for `WARMUP` seconds or `FRACTION` of the items (and `FLOOR`
seconds at least, so a burst of the first few items does not count).
"""

from __future__ import annotations

import math

WARMUP = 10.0  # seconds of copying after which an ETA is shown in any case
FRACTION = 0.05  # ... or this share of the items done
FLOOR = 2.0  # ... but never before this many seconds
SMOOTHING = 3.0  # seconds: the weight of older rates halves every ~2 s


class Eta:
    """One run's estimate; `update` with each progress (times in seconds, e.g. monotonic)."""

    def __init__(self) -> None:
        self.started: float | None = None
        self.last: tuple[float, int] | None = None
        self.rate = 0.0  # items per second, smoothed

    def update(self, done: int, total: int, now: float) -> tuple[float, float | None]:
        """The smoothed rate and the seconds left, or None while still estimating."""
        if self.last is None or done < self.last[1]:  # first progress, or a new run
            self.started, self.last, self.rate = now, (now, done), 0.0
            return 0.0, None
        then, before = self.last
        elapsed = now - then
        if elapsed > 0:
            instant = (done - before) / elapsed
            weight = 1 - math.exp(-elapsed / SMOOTHING)
            self.rate = instant if self.rate == 0.0 else self.rate + weight * (instant - self.rate)
            self.last = (now, done)
        return self.rate, self.eta(done, total, now)

    def eta(self, done: int, total: int, now: float) -> float | None:
        assert self.started is not None
        running = now - self.started
        fraction = done / total if total else 0.0
        meaningful = running >= WARMUP or (fraction >= FRACTION and running >= FLOOR)
        if not meaningful or self.rate <= 0:
            return None
        return max(total - done, 0) / self.rate
