"""Key press to screen in a real terminal (tmux, 120x36) on a fleet-sized database.

    python -m bench.fleet [--db PATH] [--rounds 3]

Builds (or reuses, with --db) the database of `bench.fleet_db` — 1,000 jobs, 2,000 accounts,
1,000,000 log rows — copies it for each round, starts `davtui` in a detached tmux pane and
times, from the key press to the first capture of the pane that shows the expected text:
first frame, Logs (3), back to Jobs (2), a job's log (l), a log search for one UID over all
rows, Fleet (4), Logs (3) once more (a screen already built), and the first frame on an empty
database beside them. Medians are printed; a benchmark,
not a test (the machine is shared: compare figures taken the same hour).

Then, with ten more jobs copying between two local Radicale servers (`bench.fleet_live`: four
at once, by the TUI's own queue), 40 keys at a person's pace — moving in the jobs table and
switching screens there and back — each timed from the press to the screen showing its
result: key-to-screen p95 (and median, max) on the fleet database and on a database holding
only those ten jobs. `--no-live` leaves this out.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from bench.fleet_db import KEY, NEEDLE, batch_import, fill
from bench.fleet_live import add_live_jobs, first_rows, live_destination, live_source
from tests.servers import Server

SESSION = f"davtui-fleet-{os.getpid()}"  # its own: another session may run this bench too
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
    tmux("new-session", "-d", "-s", SESSION, "-e", f"DAVTUI_KEY={KEY}", "-c", where, *size, command)
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
    time.sleep(0.5)
    press(["2"], lambda s: "user0000" in s and "Progress" in s)
    time.sleep(0.5)
    out["Fleet (4), first visit"] = press(["4"], lambda s: "Mailboxes" in s)
    time.sleep(0.5)
    out["Logs (3) again"] = press(
        ["3"], lambda s: "Progress" not in s and JOB_LINES.search(s) is not None
    )
    out["peak RSS, MB"] = peak_rss_mb()
    tmux("kill-session", "-t", SESSION)
    empty = work / "empty"
    empty.mkdir()
    out["first frame, empty db"] = launch(empty / "db", empty, lambda s: "Last test" in s)
    tmux("kill-session", "-t", SESSION)
    db.unlink()
    shutil.rmtree(empty)
    return out


#: Seconds between key presses in the live part: a person's pace, not a burst.
PACE = 0.3
LOGS_SHOWN = re.compile(r"[\d+] lines|searching…")


def live_keys(rows: list[str]) -> list[tuple[str, Callable[[str], bool]]]:
    """40 keys and how the screen shows each one's result: down and up in the jobs table
    (the detail panel names the job under the cursor), Logs, Fleet and back to Jobs."""

    def job(row: int) -> Callable[[str], bool]:
        return lambda s: "Progress" in s and rows[row] in s

    def logs(s: str) -> bool:
        return "Progress" not in s and LOGS_SHOWN.search(s) is not None

    def fleet(s: str) -> bool:
        return "Progress" not in s and "Mailboxes" in s

    cycle = [("Down", job(1)), ("Down", job(2)), ("3", logs), ("2", job(2)),
             ("Up", job(1)), ("Up", job(0)), ("4", fleet), ("2", job(0))]  # fmt: skip
    return cycle * 5


def live_round(db: Path, home: Path, source: Server) -> dict[str, float]:
    """Key-to-screen while four of the ten live jobs copy (seconds; p95 of 40 keys)."""
    with live_destination(home) as destination:
        add_live_jobs(db, home, source, destination)
        rows = first_rows(db, 3)
        launch(db, home, lambda s: rows[0] in s)
        copying = wait_for(lambda s: "running 4 jobs" in s, time.monotonic())
        time.sleep(5.0)  # past the discovery: copying
        took: dict[str, list[float]] = {"move": [], "switch": []}
        four = 0
        for key, shown in live_keys(rows):
            took["move" if key in ("Up", "Down") else "switch"].append(press([key], shown))
            four += "running 4 jobs" in screen()
            time.sleep(PACE)
        tmux("kill-session", "-t", SESSION)
    every = sorted(took["move"] + took["switch"])
    return {
        "until 4 copy": copying,
        "p95": p95(every),
        "median": statistics.median(every),
        "max": every[-1],
        "p95 of the 20 moves": p95(took["move"]),
        "p95 of the 20 switches": p95(took["switch"]),
        "keys with 4 copying": float(four),
    }


def p95(values: list[float]) -> float:
    return sorted(values)[math.ceil(0.95 * len(values)) - 1]


def live_figures(source_db: Path, work: Path, source: Server) -> dict[str, float]:
    """`live_round` on the fleet database and on one holding only the ten live jobs."""
    out: dict[str, float] = {}
    for label, copy in (("fleet db", True), ("10-job db", False)):
        home = work / f"live-{'fleet' if copy else 'empty'}"
        home.mkdir()
        db = home / "live.db"
        if copy:
            shutil.copy(source_db, db)
        figures = live_round(db, home, source)
        out.update({f"live {label}: {key}": value for key, value in figures.items()})
        shutil.rmtree(home)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a database made by bench.fleet_db")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--code", help="the checkout whose davtui to time (default: this one)")
    parser.add_argument("--no-live", action="store_true", help="leave out the copying jobs")
    args = parser.parse_args()
    CODE.extend([args.code] if args.code else [])
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        source = args.db
        if source is None:
            source = Path(tmp) / "source.db"
            print(f"batch import of 1,000 rows: {batch_import(source, 1000):.1f} s")
            fill(source, 1000)
        live = None if args.no_live else stack.enter_context(live_source(Path(tmp)))
        rounds = []
        for number in range(args.rounds):
            work = Path(tmp) / f"round{number}"
            work.mkdir()
            rounds.append(one_round(source, work))
            if live is not None:
                rounds[-1].update(live_figures(source, work, live))
            print(
                f"round {number + 1}: " + ", ".join(f"{k} {v:.3f}" for k, v in rounds[-1].items())
            )
        print(f"\nmedians of {args.rounds} rounds, tmux {'x'.join(SIZE)}, {os.cpu_count()} CPUs:")
        for key in rounds[0]:
            unit = "" if "MB" in key or "keys" in key else " s"
            # milliseconds: a goal of 100 ms is not read off two decimals
            print(f"  {key:40} {statistics.median(r[key] for r in rounds):7.3f}{unit}")


if __name__ == "__main__":
    main()
