"""Key press to screen in a real terminal (tmux, 120x36) on a fleet-sized database.

    python -m bench.fleet [--db PATH] [--rounds 3]

Builds (or reuses, with --db) the database of `bench.fleet_db` — 1,000 jobs, 2,000 accounts,
1,000,000 log rows — copies it for each round, starts `davtui` in a detached tmux pane and
times, from the key press to the first capture of the pane that shows the expected text:
first frame, Logs (3), back to Jobs (2), a job's log (l), a log search for one UID over all
rows, and the first frame on an empty database beside them. Medians are printed; a benchmark,
not a test (the machine is shared: compare figures taken the same hour).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.fleet_db import NEEDLE, batch_import, fill

SESSION = "davtui-fleet"
SIZE = ("120", "36")
DEADLINE = 60.0
LINES = re.compile(r"\d lines")
JOB_LINES = re.compile(r"(?<![\d,])1,000 lines")


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True).stdout


def screen() -> str:
    return tmux("capture-pane", "-p", "-t", SESSION)


def wait_for(test: Callable[[str], bool], started: float) -> float:
    """Seconds from `started` until the pane passes `test` (or DEADLINE: inf)."""
    while time.monotonic() - started < DEADLINE:
        if test(screen()):
            return time.monotonic() - started
        time.sleep(0.01)
    return float("inf")


def press(keys: list[str], test: Callable[[str], bool]) -> float:
    started = time.monotonic()
    for key in keys:
        tmux("send-keys", "-t", SESSION, key)
    return wait_for(test, started)


#: Another checkout's davtui to time instead of this one (`--code`: "before" figures).
CODE: list[str] = []


def launch(db: Path, home: Path, ready: Callable[[str], bool]) -> float:
    tmux("kill-session", "-t", SESSION)
    started = time.monotonic()
    path = f"PYTHONPATH={CODE[0]} " if CODE else ""
    command = f"{path}DAVTUI_DB={db} XDG_DATA_HOME={home} {sys.executable} -m davtui"
    # `python -m` puts the working directory first on sys.path: the checkout timed.
    where = CODE[0] if CODE else str(Path(__file__).resolve().parent.parent)
    size = ("-x", SIZE[0], "-y", SIZE[1])
    tmux("new-session", "-d", "-s", SESSION, "-c", where, *size, command)
    return wait_for(ready, started)


def peak_rss_mb() -> float:
    """The TUI's peak resident memory so far (the pane's process: sh execs the command)."""
    pid = tmux("display-message", "-p", "-t", SESSION, "#{pane_pid}").strip()
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return float("nan")
    kb = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))
    return int(kb) / 1024


def one_round(source: Path, work: Path) -> dict[str, float]:
    db = work / "fleet.db"
    shutil.copy(source, db)
    out: dict[str, float] = {}
    out["first frame"] = launch(db, work, lambda s: "user0000" in s)
    time.sleep(1.0)
    out["Logs (3), lines shown"] = press(["3"], lambda s: "copied" in s)
    out["Logs (3), counted"] = wait_for(lambda s: LINES.search(s) is not None, time.monotonic())
    out["Logs (3), counted"] += out["Logs (3), lines shown"]
    time.sleep(0.5)
    keys = ["/", *NEEDLE]  # over every job's lines
    out["search, 1 of 1,000,000"] = press(keys, lambda s: "1 line matching" in s)
    tmux("send-keys", "-t", SESSION, "Enter")
    time.sleep(0.5)
    out["Jobs (2)"] = press(["2"], lambda s: "user0000" in s and "Progress" in s)
    time.sleep(0.5)
    out["a job's log (l)"] = press(["l"], lambda s: JOB_LINES.search(s) is not None)
    out["peak RSS, MB"] = peak_rss_mb()
    tmux("kill-session", "-t", SESSION)
    empty = work / "empty"
    empty.mkdir()
    out["first frame, empty db"] = launch(empty / "db", empty, lambda s: "Last test" in s)
    tmux("kill-session", "-t", SESSION)
    db.unlink()
    shutil.rmtree(empty)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a database made by bench.fleet_db")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--code", help="the checkout whose davtui to time (default: this one)")
    args = parser.parse_args()
    CODE.extend([args.code] if args.code else [])
    with tempfile.TemporaryDirectory() as tmp:
        source = args.db
        if source is None:
            source = Path(tmp) / "source.db"
            print(f"batch import of 1,000 rows: {batch_import(source, 1000):.1f} s")
            fill(source, 1000)
        rounds = []
        for number in range(args.rounds):
            work = Path(tmp) / f"round{number}"
            work.mkdir()
            rounds.append(one_round(source, work))
            print(
                f"round {number + 1}: " + ", ".join(f"{k} {v:.2f}" for k, v in rounds[-1].items())
            )
        print(f"\nmedians of {args.rounds} rounds, tmux {'x'.join(SIZE)}, {os.cpu_count()} CPUs:")
        for key in rounds[0]:
            unit = "" if "MB" in key else " s"
            print(f"  {key:26} {statistics.median(r[key] for r in rounds):7.2f}{unit}")


if __name__ == "__main__":
    main()
