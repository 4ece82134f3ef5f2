"""Terminal output of headless runs and `davtui migrate`: live progress bars on a terminal,
plain timestamped lines (and a progress line every 10 s) in a pipe or a log file; the same
events either way."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from davtui.cli.progress import board_for, eta_text, is_terminal
from davtui.engine.events import Event, Finished, ItemDone, Phase, Progress
from davtui.engine.jobs.lifecycle import words
from davtui.engine.jobs.recorder import WOULD, describe
from davtui.engine.run_stats import Counts

if TYPE_CHECKING:
    from rich.progress import TaskID

QUIET_LEVELS = {"debug"}
#: Seconds between two plain progress lines when the output is not a terminal.
PLAIN_EVERY = 10.0


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
    if stats is not None:
        rows: list[tuple[str, Counts]] = [
            *stats.collection_rows(),
            *stats.item_rows(),
            *stats.direction_rows(),
        ]
        for key, counts in rows:
            if counts.any():
                lines.append(f"{key:13} " + _counts(counts.as_json(), finished.dry_run))
        if stats.fixups:
            would = "would apply " if finished.dry_run else ""
            lines.append(
                f"fix-ups       {would}" + ", ".join(f"{k} {v}" for k, v in stats.fixups.items())
            )
        if listed := {k: v for k, v in stats.ledger.items() if v}:
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
    """A listener that prints events; `verbose` adds a line per item. On a terminal the
    progress is a live bar (`davtui.cli.progress`); elsewhere a plain line every `every`
    seconds and at each collection, so a log file shows a long run moving."""

    def __init__(
        self,
        out: TextIO = sys.stderr,
        verbose: int = 0,
        label: str = "",
        every: float = PLAIN_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.out = out
        self.live = is_terminal(out)
        self.verbose = verbose
        self.label = f"{label}: " if label else ""
        self.every = every
        self.clock = clock
        self._phase = ""
        self._lock = threading.Lock()
        self._board = board_for(out) if self.live else None
        self._task: TaskID | None = None
        self._last: Progress | None = None
        self._plain_at = clock()

    def __call__(self, event: Event) -> None:
        with self._lock:
            if isinstance(event, Progress):
                self._progress(event)
                return
            if isinstance(event, Phase):
                self._phase = event.name
                if self._board is not None and self._task is not None:
                    self._board.phase(self._task, event.name)
                elif not self.live and event.collection and event.name == "act":
                    self._plain_progress(f"collection '{event.collection}'")
            described = describe(event)
            if described is None:
                return
            level, text = described
            if level in QUIET_LEVELS and self.verbose < 2:
                return
            if isinstance(event, ItemDone) and level == "info" and not self.verbose:
                return
            self._print(f"{level.upper():7} {self.label}{text}")

    def _progress(self, progress: Progress) -> None:
        self._last = progress
        if self._board is not None:
            if self._task is None:
                self._task = self._board.add(self.label.rstrip(": ") or "davtui")
            self._board.update(self._task, self._phase, progress.done, progress.total,
                               progress.rate, progress.eta)  # fmt: skip
        elif self.clock() - self._plain_at >= self.every:
            self._plain_progress(self._phase)

    def _plain_progress(self, where: str) -> None:
        """`INFO    job: act 120/800 items, 15.2/s, ETA 0:00:45` (nothing before a count)."""
        self._plain_at = self.clock()
        progress = self._last
        if progress is None:
            return
        said = f"{where} " if where else ""
        self._print(
            f"{'INFO':7} {self.label}{said}{progress.done}/{progress.total} items, "
            f"{progress.rate:.1f}/s, ETA {eta_text(progress.eta)}"
        )

    def _print(self, text: str) -> None:
        if self._board is not None:
            self._board.print(text)
            return
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        self.out.write(f"{stamp} {text}\n")
        self.out.flush()

    def finish(self, finished: Finished, duration: float) -> None:
        with self._lock:
            if self._board is not None and self._task is not None:
                self._board.remove(self._task)
                self._task = None
            lines = [f"{self.label}{line}" for line in summary_lines(finished)]
            if finished.dry_run:
                ended = f"dry run {words(finished.status)} in {duration:.1f} s: nothing was written"
            else:
                ended = f"{words(finished.status)} in {duration:.1f} s"
            lines.append(f"{self.label}{ended}")
            for line in lines:
                if self._board is not None:
                    self._board.print(line)  # other jobs' bars may still be live
                else:
                    self.out.write(line + "\n")
            self.out.flush()
