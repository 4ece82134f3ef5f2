"""Terminal output of headless runs and `davtui migrate`: a live line on a terminal, plain
timestamped lines in a pipe or a log file; the same events either way."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from davtui.engine.events import Event, Finished, ItemDone, Phase, Progress
from davtui.engine.jobs.lifecycle import words
from davtui.engine.jobs.recorder import WOULD, describe

QUIET_LEVELS = {"debug"}


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _counts(counts: dict[str, int], dry_run: bool) -> str:
    """`created 5, updated 0, …`; a dry run's as what a real run would do, since it wrote
    nothing: `would create 5, update 0, skip 0; unchanged 0, failed 0`."""
    if not dry_run:
        return ", ".join(f"{k} {v}" for k, v in counts.items())
    would = [f"{WOULD[k].removeprefix('would ')} {v}" for k, v in counts.items() if k in WOULD]
    rest = ", ".join(f"{k} {v}" for k, v in counts.items() if k not in WOULD)
    return "would " + ", ".join(would) + (f"; {rest}" if rest else "")


def summary_lines(finished: Finished) -> list[str]:
    """The run's statistics in a few human lines."""
    stats = finished.stats
    lines = []
    for key in ("calendars", "addressbooks"):
        counts = stats.get(key, {})
        if any(counts.values()):
            lines.append(f"{key:13} " + _counts(counts, finished.dry_run))
    for key in ("events", "tasks", "journals", "contacts", "other"):
        counts = stats.get(key, {})
        if any(counts.values()):
            lines.append(f"{key:13} " + _counts(counts, finished.dry_run))
    if stats.get("fixups"):
        would = "would apply " if finished.dry_run else ""
        lines.append(
            f"fix-ups       {would}" + ", ".join(f"{k} {v}" for k, v in stats["fixups"].items())
        )
    if listed := {k: v for k, v in stats.get("ledger", {}).items() if v}:
        lines.append("ledger        " + ", ".join(f"{k} {v}" for k, v in listed.items()))
    verification = finished.verification
    if verification is not None:
        state = "ok" if verification["ok"] else "FAILED"
        lines.append(
            f"verification  {state}: {verification['checked']} checked, "
            f"{len(verification['missing'])} missing, {len(verification['different'])} different"
            + (f", {n} converted by the server" if (n := verification.get("converted")) else "")
        )
    return lines


class Console:
    """A listener that prints events; `verbose` adds a line per item."""

    def __init__(self, out: TextIO = sys.stderr, verbose: int = 0, label: str = "") -> None:
        self.out = out
        self.live = out.isatty()
        self.verbose = verbose
        self.label = f"{label}: " if label else ""
        self._phase = ""
        self._lock = threading.Lock()
        self._line_shown = False

    def __call__(self, event: Event) -> None:
        with self._lock:
            if isinstance(event, Progress):
                if self.live:
                    self._status(event)
                return
            if isinstance(event, Phase):
                self._phase = event.name
            described = describe(event)
            if described is None:
                return
            level, text = described
            if level in QUIET_LEVELS and self.verbose < 2:
                return
            if isinstance(event, ItemDone) and level == "info" and not self.verbose:
                return
            self._print(f"{level.upper():7} {self.label}{text}")

    def _status(self, progress: Progress) -> None:
        width = 24
        filled = int(width * progress.done / progress.total) if progress.total else width
        bar = "█" * filled + "░" * (width - filled)
        line = (
            f"\r{self.label}{self._phase:7} {bar} {progress.done}/{progress.total} "
            f"{progress.rate:6.1f}/s ETA {_duration(progress.eta)}"
        )
        self.out.write(line + "\x1b[K")
        self.out.flush()
        self._line_shown = True

    def _print(self, text: str) -> None:
        if self.live:
            if self._line_shown:
                self.out.write("\r\x1b[K")
                self._line_shown = False
            self.out.write(text + "\n")
        else:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            self.out.write(f"{stamp} {text}\n")
        self.out.flush()

    def finish(self, finished: Finished, duration: float) -> None:
        with self._lock:
            if self._line_shown:
                self.out.write("\n")
                self._line_shown = False
            for line in summary_lines(finished):
                self.out.write(f"{self.label}{line}\n")
            if finished.dry_run:
                ended = f"dry run {words(finished.status)} in {duration:.1f} s: nothing was written"
            else:
                ended = f"{words(finished.status)} in {duration:.1f} s"
            self.out.write(f"{self.label}{ended}\n")
            self.out.flush()
