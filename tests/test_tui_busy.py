"""The UI while jobs copy: progress cells are redrawn at most a few times a second (a new phase
at once), and the Jobs screen leaves what happens while another screen shows to its resume."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import DataTable

from davtui.store import close_database
from davtui.store.models import Account, Job
from davtui.tui import app as app_module
from davtui.tui.app import DavtuiApp
from davtui.tui.messages import JobProgress
from davtui.tui.screens import JobsScreen


class SlowJobs(JobsScreen):
    """A pause between drawings no Pilot step comes near, so what is held back shows."""

    PROGRESS_SECONDS = 30.0


class SlowApp(DavtuiApp):
    CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))  # not beside this file
    MODES = {**DavtuiApp.MODES, "jobs": SlowJobs}


@pytest.fixture
def app(home: Path) -> Iterator[SlowApp]:
    app = SlowApp(str(home / "davtui.db"), run_jobs=False)
    a = Account.create(name="a", url="https://a.example/")
    Job.create(name="j", source=a, destination=a, status="running")
    yield app
    close_database()


def done(app: DavtuiApp) -> str:
    table = app.screen.query_one("#jobs", DataTable)
    return str(table.get_cell("1", "done"))


async def test_progress_is_drawn_at_once_then_held_back_until_the_phase_changes(
    app: SlowApp,
) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        app.post_message(JobProgress(1, 1, 100, phase="act"))
        await pilot.pause()
        assert done(app) == "1/100"  # the first: at once
        app.post_message(JobProgress(1, 2, 100, phase="act"))
        await pilot.pause()
        assert done(app) == "1/100"  # held back: drawn within PROGRESS_SECONDS
        app.post_message(JobProgress(1, 3, 100, phase="verify"))
        await pilot.pause()
        assert done(app) == "3/100"  # a new phase: at once


async def test_a_hidden_jobs_screen_shows_the_latest_progress_when_it_returns(
    app: SlowApp,
) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("3")
        for n in (5, 6, 7):
            app.post_message(JobProgress(1, n, 100, phase="act"))
            await pilot.pause()
        await pilot.press("2")
        await pilot.pause()
        assert done(app) == "7/100"
