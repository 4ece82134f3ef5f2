"""Screen switches on a fleet-sized database do only the work that changed: the footer's keys and
the jobs table's rows are kept when they would be the same, and are redrawn when they are not
(a job another process changed while the screen was hidden); the Logs screen reads and counts
its lines once when it first opens."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual import on
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import Footer

from davtui.store import changes, close_database
from davtui.store.models import Job, database
from davtui.tui import app as app_module
from davtui.tui.app import DavtuiApp
from davtui.tui.screens import JobsScreen, LogsScreen
from davtui.tui.widgets.job_table import JobTable
from davtui.tui.widgets.log_view import LogView
from tests.test_tui import until
from tests.test_tui_fleet import fleet


class CountingApp(DavtuiApp):
    """The App, counting the log counts that reach it (`LogView.Counted` bubbles up)."""

    CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))  # not beside this file
    counted = 0

    @on(LogView.Counted)
    def _count(self) -> None:
        self.counted += 1


@pytest.fixture
def app(home: Path) -> Iterator[CountingApp]:
    db = home / "fleet.db"
    fleet(db)
    yield CountingApp(str(db), run_jobs=False)
    close_database()


def footer_keys(app: DavtuiApp) -> list[object]:
    """The key widgets of the footer on display, in order."""
    return list(app.screen.query_one(Footer).query("FooterKey"))


def descriptions(app: DavtuiApp) -> set[str]:
    return {str(getattr(key, "description", "")) for key in footer_keys(app)}


async def test_a_switch_there_and_back_keeps_the_footer_and_the_rows(app: CountingApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(JobTable)
        keys, rows = footer_keys(app), dict(table.rows)
        assert "Start" in descriptions(app) and "Logs" in descriptions(app)
        for mode in ("3", "2", "4", "2"):
            await pilot.press(mode)
            await pilot.pause()
        assert isinstance(app.screen, JobsScreen)
        assert footer_keys(app) == keys  # the same widgets: not rebuilt on the way back
        assert all(table.rows[key] is row for key, row in rows.items())  # nor the rows

        await pilot.press("down")  # job 2 failed: the same keys apply
        await pilot.pause()
        assert footer_keys(app) == keys


async def test_what_changed_while_hidden_shows_on_the_way_back(app: CountingApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(JobTable)
        assert "Stop" not in descriptions(app)  # job 1 completed: it starts, it does not stop
        await pilot.press("3")
        with database.atomic():  # as another process queues it
            Job.update(status="queued").where(Job.id == 1).execute()
            changes.bump()
        await pilot.pause(1.0)  # the App looks at the change counter twice a second
        await pilot.press("2")
        await until(pilot, lambda: table.status_of(1) == "queued")
        await pilot.pause()
        assert "queued" in str(table.get_row("1")[1])  # the row is redrawn
        assert {"Stop"} <= descriptions(app) and "Start" not in descriptions(app)
        assert "Jobs" not in descriptions(app) and "Logs" in descriptions(app)


async def test_the_logs_screen_reads_and_counts_once_when_it_opens(app: CountingApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("3")
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        log = screen.query_one(LogView)
        await until(pilot, lambda: log.counted)
        await pilot.pause(0.5)
        assert app.counted == 1 and log.total == 3000  # its selects' first "changed" reread
        assert "3,000 lines" in str(screen.query_one("#log-status").render())
        await pilot.press("f")  # a level chosen: read and counted again
        await until(pilot, lambda: app.counted == 2)


async def test_the_first_visit_of_logs_shows_the_newest_lines(app: CountingApp) -> None:
    """The view is not laid out yet when the screen's first filter applies: it scrolls to the
    end once it is, so the count's arrival keeps the newest line at the bottom (it showed the
    oldest of all 3,000 lines, a jump to the last page)."""
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("3")
        log = app.screen.query_one(LogView)
        await until(pilot, lambda: log.counted)
        await pilot.pause()
        assert log.total > log.size.height > 0
        assert log.scroll_y == log.max_scroll_y
        bottom = log.line(round(log.scroll_y) + log.size.height - 1)
        assert bottom is not None and bottom.uid == "uid-2999@example.org"


def drawn(table: JobTable) -> list[Strip]:
    """The table's visible lines as it paints them now (from its caches where it kept them)."""
    return table.render_lines(Region(0, 0, table.size.width, table.size.height))


def fresh(table: JobTable) -> list[Strip]:
    """The same lines rendered from nothing (every cache dropped)."""
    table.forget_rendered()
    return drawn(table)


async def test_rows_kept_across_a_return_look_as_rows_rendered_anew(app: CountingApp) -> None:
    """The table keeps its rendered rows when a screen comes back unchanged, and drops them
    when the look changed while it was hidden (another theme) or changes on it (focus)."""
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(JobTable)
        before = drawn(table)
        await pilot.press("3")
        await pilot.pause()
        await pilot.press("2")
        await pilot.pause()
        assert drawn(table) == before == fresh(table)

        await pilot.press("3")
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await pilot.pause()
        await pilot.press("2")
        await pilot.pause()
        relit = drawn(table)
        assert relit != before and relit == fresh(table)

        app.screen.set_focus(None)  # the cursor row loses its focused colour
        await pilot.pause()
        unfocused = drawn(table)
        assert unfocused != relit and unfocused == fresh(table)
