"""The live progress of runs on a terminal: one rich progress bar per job on stderr.

One board per process, shared by every job's console (`davtui --headless --workers 4` shows
four bars, not four `\\r` lines overwriting each other); log lines print above the bars. The
board stops when its last job finishes, so the summaries after it are plain lines. Only on a
terminal: in a pipe or a log file the console prints plain periodic lines instead, and rich
is not even imported (it costs a run in cron about 3 MB and 70 modules).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.progress import TaskID


def eta_text(seconds: float | None) -> str:
    """`1:02:03`; `--:--` when unknown."""
    if seconds is None:
        return "--:--"
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Board:
    """A rich Progress on `out`, started with its first task and stopped after its last."""

    def __init__(self, out: TextIO) -> None:
        from rich.console import Console as RichConsole
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._progress = Progress(
            TextColumn("{task.description}", markup=False),
            TextColumn("{task.fields[phase]:7}", markup=False),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>8}", markup=False),
            TextColumn("ETA {task.fields[eta]}", markup=False),
            console=RichConsole(file=out, highlight=False),
            transient=True,  # the bars go; the summaries that follow stay
        )
        self._lock = threading.Lock()
        self._tasks = 0

    def add(self, label: str) -> TaskID:
        with self._lock:
            if self._tasks == 0:
                self._progress.start()
            self._tasks += 1
            return self._progress.add_task(label, total=None, phase="", rate="", eta="--:--")

    def update(self, task: TaskID, phase: str, done: int, total: int | None, rate, eta) -> None:
        rate_text = "" if rate is None else f"{rate:.1f}/s"
        self._progress.update(task, completed=done, total=total, phase=phase, rate=rate_text,
                              eta=eta_text(eta))  # fmt: skip

    def phase(self, task: TaskID, phase: str) -> None:
        self._progress.update(task, phase=phase)

    def print(self, text: str) -> None:
        """A line above the bars (never parsed as markup: server data may hold brackets)."""
        self._progress.console.print(text, markup=False, highlight=False, soft_wrap=True)

    def remove(self, task: TaskID) -> None:
        with self._lock:
            self._progress.refresh()  # the last counts drawn once, however short the run
            self._progress.remove_task(task)
            self._tasks -= 1
            if self._tasks == 0:
                self._progress.stop()


_boards: dict[int, Board] = {}
_boards_lock = threading.Lock()


def board_for(out: TextIO) -> Board:
    """The process's board on `out` (one per stream)."""
    with _boards_lock:
        board = _boards.get(id(out))
        if board is None:
            board = _boards[id(out)] = Board(out)
        return board


def is_terminal(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False
