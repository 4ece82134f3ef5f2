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
from davtui.tui.app import DavtuiApp
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


def cells(app: DavtuiApp) -> dict[str, str]:
    """The jobs table's row of job j: column key -> the cell's text."""
    table = app.screen.query_one("#jobs", DataTable)
    row = table.get_row("1")
    return {str(column.key.value): str(row[i]) for i, column in enumerate(table.ordered_columns)}


async def until(pilot: Pilot, condition, within: float, what: str) -> float:
    """Seconds until `condition()` holds, letting the App run meanwhile."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < within, f"{what}: {cells(pilot.app)}"
        await pilot.pause(0.2)
    return time.monotonic() - started


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
