"""Live log lines on the Logs screen: kept aside while it is hidden, and the end kept in view
(Textual's anchor) until the user scrolls away from it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from davtui.store import close_database
from davtui.store.models import Account, Job
from davtui.tui.app import DavtuiApp
from davtui.tui.messages import JobLog, LogLine
from davtui.tui.widgets.log_view import LogView


@pytest.fixture
async def app(home: Path) -> AsyncIterator[DavtuiApp]:
    yield DavtuiApp(str(home / "davtui.db"), run_jobs=False)
    close_database()


async def test_live_lines_while_the_logs_are_hidden_show_when_they_return(
    app: DavtuiApp,
) -> None:
    """A hidden log view only keeps the lines that come (no measuring, no scrolling while
    nobody sees it); back on display it shows them all, counted, following the end."""
    a = Account.create(name="a", url="https://a.example/")
    job = Job.create(name="j", source=a, destination=a, status="running")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await pilot.pause()
        log = app.screen.query_one(LogView)
        await pilot.press("2")
        for i in range(1, 101):
            wide = "x" * 150 if i == 50 else ""
            app.post_message(JobLog(job.id, None, [LogLine("09:00:00", "info", f"line {i}{wide}")]))
        await pilot.pause()
        assert log.total == 0  # kept aside
        await pilot.press("3")
        await pilot.pause()
        assert log.total == 100 and log.scroll_y == log.max_scroll_y > 0
        assert log.virtual_size.width > 150  # the widest line was measured
        last = log.line(round(log.scroll_y) + log.scrollable_content_region.height - 1)
        assert last is not None and last.message == "line 100"
        assert "100 lines" in str(app.screen.query_one("#log-status").render())


async def test_live_lines_keep_the_end_in_view_until_the_user_scrolls_up(app: DavtuiApp) -> None:
    """Lines coming one by one into an empty view: once they overflow it (and the widest
    brings a horizontal scrollbar) the newest is still the last line shown; scrolled up,
    the view stays where the user put it; at the end again, it follows again."""
    a = Account.create(name="a", url="https://a.example/")
    job = Job.create(name="j", source=a, destination=a, status="running")

    def post(first: int, last: int) -> None:
        for i in range(first, last + 1):
            text = f"line {i}" + ("x" * 150 if i == 30 else "")
            app.post_message(JobLog(job.id, None, [LogLine("09:00:00", "info", text)]))

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await pilot.pause()
        log = app.screen.query_one(LogView)
        post(1, 60)
        await pilot.pause()
        assert log.scroll_y == log.max_scroll_y > 0
        await pilot.press("pageup")
        await pilot.pause()
        kept = log.scroll_y
        post(61, 70)
        await pilot.pause()
        assert log.scroll_y == kept < log.max_scroll_y
        await pilot.press("end")
        post(71, 80)
        await pilot.pause()
        assert log.scroll_y == log.max_scroll_y
        last = log.line(round(log.scroll_y) + log.scrollable_content_region.height - 1)
        assert last is not None and last.message == "line 80"
