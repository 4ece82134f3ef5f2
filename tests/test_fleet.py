"""The fleet summary (`davtui status`): counts by state, the items and pace of the runs in
progress, the estimate for the queued jobs, the jobs with the most failures and the slowest
servers, from a real SQLite file, through the real command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from textual.widgets import DataTable

from davtui.engine.jobs.pace import Pace
from davtui.store import close_database, open_database
from davtui.store.models import Account, Job, Run, utcnow
from davtui.tui.app import DavtuiApp


def status(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "davtui", "--db", str(db), "status", *args],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def seed(db: Path) -> None:
    """Two running jobs on two servers, three queued (one ran before), finished ones."""
    open_database(str(db))
    fast = Account.create(name="fast", url="https://fast.example.org/dav/")
    slow = Account.create(name="slow", url="https://slow.example.org/dav/")
    local = Account.create(name="local", kind="vdir", url="/srv/cal")

    def job(name: str, status: str, source=fast, destination=local) -> Job:
        return Job.create(name=name, status=status, source=source, destination=destination)

    def run(job: Job, done, total, failed=0, rate=None, finished=True) -> None:
        Run.create(
            job=job,
            status="completed",
            items_done=done,
            items_total=total,
            items_failed=failed,
            rate=rate,
            finished_at=utcnow() if finished else None,
        )

    run(job("a", "running"), 100, 400, rate=20.0, finished=False)
    run(job("b", "paused", source=slow), 50, 200, rate=5.0, finished=False)
    run(job("again", "queued"), 300, 300, failed=7)
    job("new1", "queued")
    job("new2", "interrupted")
    run(job("ok", "completed"), 100, 100)
    run(job("bad", "completed_with_errors"), 90, 100, failed=10)
    run(job("broken", "failed"), 0, 0, failed=3)
    job("idle", "pending")
    close_database()


def test_status_json_sums_runs_in_progress_and_estimates_the_queue(tmp_path: Path) -> None:
    db = tmp_path / "davtui.db"
    seed(db)
    done = status(db, "--json")
    assert done.returncode == 0, done.stderr
    fleet = json.loads(done.stdout)
    assert fleet["mailboxes"] == {"total": 9, "done": 1, "with_errors": 1, "running": 1,
                                  "paused": 1, "queued": 2, "failed": 1}  # fmt: skip
    assert fleet["by_status"]["pending"] == 1 and fleet["by_status"]["interrupted"] == 1
    # running 400 + 200; queued: "again" ran with 300, "new1"/"new2" never: the average run
    # (400+200+300+100+100+0)/6 = 183.3 -> 367 for the two
    assert fleet["items_done"] == 150
    assert fleet["items_total"] == 600 + 300 + 367
    assert fleet["items_estimated"] is True
    assert fleet["rate"] == 25.0
    assert fleet["eta"] == (1267 - 150) / 25.0
    assert [(j["name"], j["failed"]) for j in fleet["most_failed"]] == [
        ("bad", 10), ("again", 7), ("broken", 3)]  # fmt: skip
    # only the running job's servers: the paused one on slow.example.org is not slow, waiting
    assert [(h["host"], h["rate"]) for h in fleet["slowest"]] == [
        ("fast.example.org", 20.0), ("local", 20.0)]  # fmt: skip


def test_status_text_fits_80_columns(tmp_path: Path) -> None:
    db = tmp_path / "davtui.db"
    seed(db)
    done = status(db)
    assert done.returncode == 0, done.stderr
    text = done.stdout.splitlines()
    assert all(len(line) <= 80 for line in text), text
    assert text[0] == "Mailboxes  9 jobs: 1 done, 1 with errors, 1 failed"
    assert "150 done of about 1,267" in done.stdout
    assert "25.0 items/s; everything queued done in 45s" in done.stdout


def test_status_on_an_empty_database_says_nothing_runs(tmp_path: Path) -> None:
    done = status(tmp_path / "davtui.db")
    assert done.returncode == 0, done.stderr
    assert "Pace       nothing running or queued" in done.stdout


def test_pace_is_the_rate_of_the_last_half_minute_and_writes_every_few_seconds() -> None:
    now = [0.0]
    pace = Pace(clock=lambda: now[0])
    assert pace.due() is None  # planning: nothing to write
    for second in range(0, 61):
        now[0] = float(second)
        pace.progress(done=second * (1 if second <= 30 else 10), total=1000)
    assert pace.rate() is not None and pace.rate() > 9  # the recent pace, not the average
    assert pace.due() == {"items_done": 600, "items_total": 1000, "items_failed": 0,
                          "rate": pace.rate()}  # fmt: skip
    assert pace.due() is None  # written a moment ago
    assert pace.due(force=True) is not None  # the end of the run is always written


async def test_slowest_servers_are_those_of_running_jobs_on_the_screen_and_in_status(
    home: Path,
) -> None:
    """The paused job's server (slow.example.org, 5 items/s when it paused) is not listed:
    the Fleet screen and `davtui status` rank the running jobs' servers only."""
    db = home / "fleet.db"
    seed(db)
    done = status(db)
    assert done.returncode == 0, done.stderr
    listed = done.stdout.split("Slowest servers")[1]
    assert "fast.example.org" in listed and "local" in listed
    assert "slow.example.org" not in done.stdout

    app = DavtuiApp(str(db), run_jobs=False)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            await pilot.press("4")
            await pilot.pause()
            table = app.screen.query_one("#fleet-slowest", DataTable)
            hosts = [str(table.get_row_at(row)[1]) for row in range(table.row_count)]
            assert hosts == ["fast.example.org", "local"]
    finally:
        close_database()
