"""One lifecycle, two front ends: `davtui job start|pause|resume|stop|remove` (real subprocesses)
and the Jobs screen's keys s, p, r, x, d (a Pilot) leave a job in the same state, from each
starting state, and both follow the table of README "Jobs and their states".

Jobs said to be running or paused are held by a runner "on another host" under a live lease, so
that no front end takes them for the leftovers of a dead process; nothing runs for real.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from textual.widgets import DataTable

from davtui.engine.jobs import lifecycle
from davtui.engine.jobs.lifecycle import JobStatus, Refused
from davtui.store import close_database, open_database
from davtui.store.models import Account, Job, utcnow
from davtui.tui.app import DavtuiApp
from davtui.tui.screens import ConfirmScreen, JobsScreen

STATES = ("pending", "queued", "running", "paused", "interrupted", "completed")
GONE = ("gone", None)
#: action -> starting state -> (status, control) afterwards; None: refused, nothing changes.
EXPECTED: dict[str, dict[str, tuple[str, str | None] | None]] = {
    "start": {
        "pending": ("queued", None),
        "queued": None,
        "running": None,
        "paused": None,
        "interrupted": ("queued", None),
        "completed": ("queued", None),
    },
    "pause": {
        "pending": None,
        "queued": None,
        "running": ("running", "pause"),
        "paused": None,
        "interrupted": None,
        "completed": None,
    },
    "resume": {
        "pending": None,
        "queued": None,
        "running": None,
        "paused": ("paused", "resume"),
        "interrupted": None,
        "completed": None,
    },
    "stop": {
        "pending": None,
        "queued": ("pending", None),  # taken off the queue: it never started
        "running": ("running", "stop"),  # the runner ends the run cancelled
        "paused": ("paused", "stop"),
        "interrupted": ("cancelled", None),  # it will not resume by itself
        "completed": None,
    },
    "remove": {
        "pending": GONE,
        "queued": None,  # stop it first
        "running": None,
        "paused": None,
        "interrupted": GONE,
        "completed": GONE,
    },
}
KEYS = {"start": "s", "pause": "p", "resume": "r", "stop": "x", "remove": "d"}


def seed() -> None:
    """One job per starting state, named after it, in the open database."""
    source = Account.create(name="src", url="https://old.example.org/")
    destination = Account.create(name="dst", url="https://new.example.org/")
    for status in STATES:
        held = status in ("running", "paused")
        Job.create(
            name=status,
            source=source,
            destination=destination,
            status=status,
            queue_position=1 if status == "queued" else None,
            runner="elsewhere.example:4242" if held else None,
            lease_until=utcnow() + timedelta(hours=1) if held else None,
        )


def outcomes() -> dict[str, tuple[str, str | None]]:
    """Each starting state's job as it is now: (status, control), or gone."""
    jobs = {job.name: (job.status, job.control) for job in Job.select()}
    return {state: jobs.get(state, GONE) for state in STATES}


def expected(action: str) -> dict[str, tuple[str, str | None]]:
    return {state: after or (state, None) for state, after in EXPECTED[action].items()}


def cli_outcomes(db: Path, action: str) -> tuple[dict, dict[str, int]]:
    """Every starting state's job after `davtui job ACTION NAME`; and each command's exit code."""
    open_database(str(db))
    seed()
    close_database()
    codes = {}
    for state in STATES:
        done = subprocess.run(
            [sys.executable, "-m", "davtui", "--db", str(db), "job", action, state],
            capture_output=True,
            text=True,
            timeout=120,
            env=dict(os.environ),
        )
        assert "Traceback" not in done.stderr, done.stderr
        refused = EXPECTED[action][state] is None
        assert (done.stderr.startswith("davtui: Job ") and done.stderr.count("\n") == 1) or (
            not refused
        ), (state, done.stderr)
        codes[state] = done.returncode
    open_database(str(db))
    try:
        return outcomes(), codes
    finally:
        close_database()


async def tui_outcomes(db: Path, action: str) -> dict:
    """Every starting state's job after the action's key (and yes to the question it asks)."""
    app = DavtuiApp(str(db), run_jobs=False)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            seed()
            await pilot.press("2")
            screen = app.screen
            assert isinstance(screen, JobsScreen)
            screen.reload()
            table = screen.query_one("#jobs", DataTable)
            for state in STATES:
                job = Job.get(Job.name == state)
                table.move_cursor(row=table.get_row_index(str(job.id)))
                await pilot.pause()
                await pilot.press(KEYS[action])
                await pilot.pause()
                if isinstance(app.screen, ConfirmScreen):
                    await pilot.press("y")
                    await pilot.pause()
                assert app.screen is screen, state
            return outcomes()
    finally:
        close_database()


@pytest.mark.parametrize("action", list(EXPECTED))
async def test_both_front_ends_apply_the_same_transition(
    action: str, home: Path, tmp_path: Path
) -> None:
    cli, codes = cli_outcomes(tmp_path / "cli.db", action)
    tui = await tui_outcomes(tmp_path / "tui.db", action)
    assert cli == expected(action), "the CLI"
    assert tui == expected(action), "the TUI"
    assert codes == {s: 2 if after is None else 0 for s, after in EXPECTED[action].items()}


def test_refusals_say_one_sentence(job_id: int) -> None:
    """What a transition refuses, it says in one sentence naming the job and its state."""
    job = Job.get_by_id(job_id)
    with pytest.raises(Refused, match=r"^Job 'job' is not running \(it is pending\)\.$"):
        lifecycle.pause(job)
    with pytest.raises(Refused, match=r"^Job 'job' is not paused \(it is pending\)\.$"):
        lifecycle.resume(job)
    lifecycle.start(job)
    job = Job.get_by_id(job_id)
    with pytest.raises(Refused, match=r"^Job 'job' is queued already\.$"):
        lifecycle.start(job)
    with pytest.raises(Refused, match=r"^Job 'job' is queued: stop it first\.$"):
        lifecycle.remove(job)


def test_stop_refuses_a_job_that_changed_meanwhile(job_id: int) -> None:
    """A stale view (another process claimed the queued job) is refused, not overwritten."""
    lifecycle.start(Job.get_by_id(job_id))
    seen = Job.get_by_id(job_id)
    assert seen.status == JobStatus.QUEUED
    lifecycle.begin(job_id, "elsewhere.example:1")
    with pytest.raises(Refused, match="changed meanwhile"):
        lifecycle.stop(seen)
    assert Job.get_by_id(job_id).status == "running"


def test_duplicate_is_pending_with_a_free_name(job_id: int) -> None:
    job = Job.get_by_id(job_id)
    lifecycle.start(job)
    first = lifecycle.duplicate(Job.get_by_id(job_id))
    second = lifecycle.duplicate(Job.get_by_id(job_id))
    assert [(j.name, j.status) for j in (first, second)] == [
        ("job copy", "pending"),
        ("job copy 2", "pending"),
    ]


def test_an_account_used_by_a_job_cannot_be_removed(job_id: int) -> None:
    source = Job.get_by_id(job_id).source
    with pytest.raises(Refused, match=r"^Account 'src' is used by job\(s\) job: remove those"):
        lifecycle.check_account_removable(source)
    lifecycle.remove(Job.get_by_id(job_id))
    lifecycle.check_account_removable(source)  # no job left: it may go
