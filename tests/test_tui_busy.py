"""The UI while jobs copy: progress cells are redrawn at most a few times a second (a new phase
at once), and the Jobs screen leaves what happens while another screen shows to its resume;
the screens built ahead, switches to them not held back, and what is alive then moved out of
the collector's reach."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.timer import Timer, TimerCallback
from textual.widgets import DataTable, Static

from davtui.store import close_database
from davtui.store.models import Account, Job
from davtui.tui import app as app_module
from davtui.tui.app import DavtuiApp
from davtui.tui.collector import NEVER
from davtui.tui.messages import JobProgress
from davtui.tui.screens import JobsScreen
from davtui.tui.widgets.log_view import LogView


class SlowJobs(JobsScreen):
    """A pause between drawings no Pilot step comes near, so what is held back shows."""

    PROGRESS_SECONDS = 30.0


class SlowApp(DavtuiApp):
    CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))  # not beside this file
    MODES = {**DavtuiApp.MODES, "jobs": SlowJobs}
    holds = 0  # how many times the frames were held for a mode switch (`delay_update`)

    def set_timer(self, delay: float, callback: TimerCallback | None = None, *,
                  name: str | None = None, pause: bool = False) -> Timer:  # fmt: skip
        self.holds += name == "delay_update"
        return super().set_timer(delay, callback, name=name, pause=pause)


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


async def test_screens_built_ahead_leave_the_jobs_screen_as_it_was(app: SlowApp) -> None:
    """What a terminal App does after its first frame (a headless one does not by itself)."""
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        focused = app.focused
        app.prebuild_screens()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, JobsScreen) and app.current_mode == "jobs"
        assert app.focused is focused
        assert gc.get_freeze_count() > 0  # full collections walk only what comes after
        assert gc.get_threshold()[2] == NEVER  # and wait for a quiet moment
        await pilot.press("3")
        await pilot.pause()
        log = app.screen.query_one(LogView)
        assert app.current_mode == "logs" and log.has_focus
        await pilot.press("4")
        await pilot.pause()
        assert "Mailboxes" in str(app.screen.query_one("#fleet-summary", Static).render())
    assert gc.get_threshold()[2] != NEVER  # given back with the App


async def test_keys_pressed_while_screens_are_built_ahead_wait_for_them(app: SlowApp) -> None:
    """A switch in the middle of the build would meet a screen half mounted: it waits."""
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        app.prebuild_screens()
        await pilot.press("3", "2", "4", "l")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.current_mode == "fleet"
        await pilot.press("2", "3")
        await pilot.pause()
        assert app.current_mode == "logs" and app.screen.query_one(LogView).has_focus


async def test_a_switch_to_a_screen_composed_before_is_not_held_back(app: SlowApp) -> None:
    """Textual holds the frames of a mode switch for 50 ms, lest a screen show half composed:
    only a first visit composes one."""
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("3")
        await pilot.pause()
        assert app.current_mode == "logs" and app.holds == 1  # composed now
        await pilot.press("2", "3", "4")
        await pilot.pause()
        assert app.current_mode == "fleet" and app.holds == 2  # Fleet's first visit
        await pilot.press("3", "2", "4")
        await pilot.pause()
        assert app.current_mode == "fleet" and app.holds == 2
        assert "Mailboxes" in str(app.screen.query_one("#fleet-summary", Static).render())
