"""The TUI notices what other processes do to the jobs within a second: every write that changes
the jobs screen bumps one counter in the database, and the App polls that one integer.

The other processes are real: `davtui job add|stop|pause` subprocesses, and a runner "on another
host" (a live lease) whose pause is applied by a subprocess calling the lifecycle, as a headless
runner's gate would. The bound (1.5 s) is a behaviour bound for a 0.5 s poll, not a benchmark.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from textual.widgets import DataTable

from davtui.engine.jobs import lifecycle
from davtui.engine.jobs.queue import claim
from davtui.engine.jobs.run import runner_id
from davtui.store import changes, close_database
from davtui.store.models import Account, Job, utcnow
from davtui.tui.app import DavtuiApp
from davtui.tui.screens import JobsScreen
from davtui.tui.widgets.format import status_label

ELSEWHERE = "elsewhere.example:4242"
NOTICED_WITHIN = 1.5  # seconds after the command's exit; the App polls every 0.5 s


def davtui(db: Path, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "davtui", "--db", str(db), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )
    assert done.returncode == 0, done.stderr


def runner_pauses(db: Path, job_id: int) -> None:
    """Another process, as a headless runner's gate does when its job is asked to pause."""
    code = (
        "import sys; from davtui.store import open_database;"
        "from davtui.engine.jobs import lifecycle;"
        f"open_database(sys.argv[1]); lifecycle.hold({job_id}, paused=True)"
    )
    subprocess.run([sys.executable, "-c", code, str(db)], check=True, timeout=120)


def statuses(screen: JobsScreen) -> dict[str, str]:
    """What the jobs table shows: job name -> its status cell's text."""
    table = screen.query_one("#jobs", DataTable)
    return {str(row[0]): str(row[1]) for row in (table.get_row(key) for key in table.rows)}


async def until_shown(pilot, screen: JobsScreen, name: str, status: str | None) -> float:
    """Seconds until the table shows job `name` (with `status`, when given); fails after the
    bound."""
    started = time.monotonic()
    while time.monotonic() - started < NOTICED_WITHIN:
        shown = statuses(screen)
        if name in shown and (status is None or shown[name] == status):
            return time.monotonic() - started
        await pilot.pause(0.05)
    raise AssertionError(f"{name} {status} not shown within {NOTICED_WITHIN} s: {shown}")


async def test_the_tui_notices_other_processes_within_a_second(home: Path) -> None:
    db = home / "davtui.db"
    app = DavtuiApp(str(db), run_jobs=False)  # this TUI runs nothing: all comes from outside
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            source = Account.create(name="src", url="https://old.example.org/")
            destination = Account.create(name="dst", url="https://new.example.org/")
            Job.create(name="waiting", source=source, destination=destination)
            held = Job.create(
                name="busy",
                source=source,
                destination=destination,
                status="running",
                runner=ELSEWHERE,
                lease_until=utcnow() + timedelta(hours=1),
            )
            await pilot.press("2")
            screen = app.screen
            assert isinstance(screen, JobsScreen)
            screen.reload()
            await asyncio.to_thread(davtui, db, "job", "add", "newcomer", "-s", "src", "-d", "dst")
            added = await until_shown(pilot, screen, "newcomer", "pending")
            await asyncio.to_thread(davtui, db, "job", "start", "waiting")
            queued = await until_shown(pilot, screen, "waiting", "queued")
            await asyncio.to_thread(davtui, db, "job", "stop", "waiting")
            stopped = await until_shown(pilot, screen, "waiting", "pending")
            await asyncio.to_thread(davtui, db, "job", "pause", "busy")
            await asyncio.to_thread(runner_pauses, db, held.id)
            paused = await until_shown(pilot, screen, "busy", "paused")
            print(f"noticed after {added:.2f} {queued:.2f} {stopped:.2f} {paused:.2f} s")
    finally:
        close_database()


def test_every_lifecycle_transition_moves_the_counter(job_id: int) -> None:
    def moved(step) -> bool:
        before = changes.current()
        step()
        return changes.current() > before

    job = lambda: Job.get_by_id(job_id)  # noqa: E731  (the row as it is now)
    assert moved(lambda: lifecycle.start(job()))  # pending -> queued
    assert moved(lambda: lifecycle.stop(job()))  # queued -> pending
    assert moved(lambda: lifecycle.enqueue(job_id))
    assert moved(lambda: claim(job_id))  # queued -> running, this runner's
    assert moved(lambda: lifecycle.begin(job_id, runner_id()))
    assert moved(lambda: lifecycle.pause(job()))
    assert moved(lambda: lifecycle.hold(job_id, paused=True))
    assert moved(lambda: lifecycle.resume(job()))
    assert moved(lambda: lifecycle.hold(job_id, paused=False))
    assert moved(lambda: lifecycle.stop(job()))  # asks the runner
    assert moved(lambda: lifecycle.finish(job_id, "cancelled", runner_id()))
    copy = lifecycle.duplicate(job())
    assert moved(lambda: lifecycle.remove(copy))
    assert moved(lambda: lifecycle.start(job()))
    assert moved(lambda: claim(job_id))
    assert moved(lambda: lifecycle.interrupt(job_id, runner_id()))
    assert Job.get_by_id(job_id).status == "interrupted"
    assert moved(lambda: lifecycle.stop(job()))  # interrupted -> cancelled
    assert moved(lambda: lifecycle.duplicate(job()))


def test_the_tui_says_the_lifecycle_words() -> None:
    """One vocabulary: the badge says what the CLI, JSON and logs say, shortened only where the
    cell is too narrow for it."""
    assert status_label("completed") == "completed"
    assert status_label("completed_with_errors") == "completed with errors"
    assert status_label("completed_with_errors", width=15) == "with errors"
    assert status_label("completed", dry_run=True) == "dry run completed"
    assert status_label("completed", dry_run=True, width=15) == "dry completed"
    assert status_label("completed_with_errors", dry_run=True, width=15) == "dry with errors"
    assert status_label("running", dry_run=True) == "running"
    for status in lifecycle.JobStatus:
        assert (
            len(status_label(status, True, 15)) <= 15 and len(status_label(status, False, 15)) <= 15
        )
        assert status_label(status, width=15).split()[0] in status.value  # no other words
