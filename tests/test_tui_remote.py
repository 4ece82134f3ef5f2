"""A job another process runs shows its live progress in the TUI, as one the TUI runs would.

The TUI here runs nothing (`run_jobs=False`, as each browser tab of `davtui serve` does); a real
`davtui --headless` subprocess copies 200 items into a real Xandikos behind a slow proxy. Its
recorder stores the run's counts on the run row every 2 s, and the Jobs screen rereads the run
rows of the running jobs in view: the Progress, Done and Rate cells and the job's detail fill
in, and the status ends "completed" when the runner is done.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from davtui.store import close_database
from davtui.store.models import Account, Job, Run
from davtui.tui.app import DavtuiApp
from davtui.tui.messages import JobProgress, JobsChanged
from tests.proxy import Proxy
from tests.servers import Server
from tests.test_headless import dav_login, folder, make_job, seed_folder, start_runner
from tests.test_tui import text_of

ITEMS = 200
#: Generous bounds for a shared 2-CPU machine: the runner starts a Python process, lists and
#: plans before its first count, then the row is written every 2 s and reread every 2 s.
FIRST_COUNT_WITHIN = 60.0
COMPLETED_WITHIN = 300.0


@pytest.fixture
def slow(fresh_xandikos: Server) -> Iterator[Proxy]:
    with Proxy(fresh_xandikos.url, latency=0.05) as proxy:
        yield proxy


def cells(app: DavtuiApp, job: str = "1") -> dict[str, str]:
    """The jobs table's row of a job (the first: j): column key -> the cell's text."""
    table = app.screen.query_one("#jobs", DataTable)
    row = table.get_row(job)
    return {str(column.key.value): str(row[i]) for i, column in enumerate(table.ordered_columns)}


async def until(pilot: Pilot, condition, within: float, what: str) -> float:
    """Seconds until `condition()` holds, letting the App run meanwhile."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < within, f"{what}: {cells(pilot.app)}"
        await pilot.pause(0.2)
    return time.monotonic() - started


@pytest.mark.slow
async def test_a_job_run_by_another_process_shows_its_progress(
    slow: Proxy, home: Path, tmp_path: Path
) -> None:
    make_job(home, folder(seed_folder(tmp_path / "source", ITEMS)), dav_login(slow.url))
    app = DavtuiApp(str(home / "davtui.db"), run_jobs=False)
    runner = None
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            assert cells(app)["status"].strip().startswith("queued")
            runner = start_runner(home)

            def counting() -> bool:
                shown = cells(app)
                done = re.fullmatch(rf"(\d+)/{ITEMS}", shown["done"])
                return done is not None and int(done[1]) > 0 and "%" in shown["progress"]

            waited = await until(pilot, counting, FIRST_COUNT_WITHIN, "no count shown")
            print(f"first count shown {waited:.1f} s after the runner started")
            detail = text_of(app.screen.query_one("#run-stats", Static).content)
            assert re.search(rf"Progress: \d+/{ITEMS}", detail), detail
            shown = cells(app)
            percent = int(shown["progress"].split()[-1].rstrip("%"))
            assert 0 <= percent < 100
            await until(
                pilot,
                lambda: cells(app)["status"].strip() == "completed",
                COMPLETED_WITHIN,
                "not completed",
            )
            assert cells(app)["done"] == ""  # finished: nothing under way any more
            assert runner.wait(60) == 0
    finally:
        if runner is not None:
            runner.kill()
            runner.communicate()
        close_database()


async def test_held_jobs_show_their_rows_and_the_tuis_own_progress_wins(home: Path) -> None:
    """A paused job keeps its stored counts; a run without a total yet shows none; a job this
    App runs shows the progress its worker posts, not the (older) row; the row's update is
    picked up by the timer, without any change bumped."""
    app = DavtuiApp(str(home / "davtui.db"), run_jobs=False)
    try:
        source = Account.create(name="src", url="https://old.example.org/")
        destination = Account.create(name="dst", url="https://new.example.org/")
        for name, status in (("paused", "paused"), ("listing", "running"), ("own", "running")):
            Job.create(name=name, source=source, destination=destination, status=status)
        paused = Run.create(job=1, status="running", items_done=30, items_total=120, rate=5.0)
        Run.create(job=2, status="running")  # listing: no total yet
        Run.create(job=3, status="running", items_done=1, items_total=10, rate=1.0)
        async with app.run_test(size=(120, 36)) as pilot:
            app.post_message(JobProgress(3, 7, 10, rate=2.0, eta=1.5))
            app.post_message(JobsChanged())
            await pilot.pause(0.3)
            shown = {job: cells(app, job) for job in ("1", "2", "3")}
            assert shown["1"]["done"] == "30/120" and "25%" in shown["1"]["progress"]
            assert shown["1"]["rate"] == "5/s" and shown["1"]["eta"] == "18s"
            assert (shown["2"]["progress"], shown["2"]["done"]) == ("", "")
            assert shown["3"]["done"] == "7/10"  # the worker's message, not the row's 1/10
            detail = text_of(app.screen.query_one("#run-stats", Static).content)
            assert "Progress: 30/120 5.0/s ETA 0:00:18" in detail, detail
            Run.update(items_done=60).where(Run.id == paused.id).execute()  # no bump
            await until(pilot, lambda: cells(app)["done"] == "60/120", 10.0, "not reread")
    finally:
        close_database()
