"""The TUI at fleet scale, driven with keys on a real SQLite file: the jobs table holds pages
read by keyset (never every job), filters and sorts in the database, `End` goes to the last
job; the log pages from the newest, searches the full-text index over every row, and counts
in a thread."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input

from davtui.store import close_database, open_database
from davtui.store.models import Account, Job, LogEntry, Run, database
from davtui.tui.app import DavtuiApp
from davtui.tui.screens import FleetScreen, JobsScreen, LogsScreen
from davtui.tui.screens.jobs_bulk import RERUN
from davtui.tui.widgets.job_table import MAX_ROWS, PAGE, JobTable
from davtui.tui.widgets.log_view import LogView
from tests.test_tui import until

JOBS = 250
LINES = 3000
STATUSES = ("completed", "failed", "pending", "completed_with_errors")


def fleet(db: Path) -> None:
    """JOBS jobs between 2 x JOBS accounts, LINES log lines in job 1's run, one needle."""
    open_database(str(db))
    with database.atomic():
        Account.insert_many(
            [{"name": f"{side}{n:04d}", "url": f"https://{side}.example.org/"}
             for n in range(JOBS) for side in ("old", "new")]
        ).execute()  # fmt: skip
        ids = {a.name: a.id for a in Account.select()}
        Job.insert_many(
            [{"name": f"user{n:04d} -> user{n:04d}", "source": ids[f"old{n:04d}"],
              "destination": ids[f"new{n:04d}"], "status": STATUSES[n % 4]}
             for n in range(JOBS)]
        ).execute()  # fmt: skip
        run = Run.create(job=1, status="completed")
        LogEntry.insert_many(
            [{"job": 1, "run": run.id, "level": "info", "message": "copied",
              "uid": "needle-4711@fleet" if n == 1234 else f"uid-{n}@example.org"}
             for n in range(LINES)]
        ).execute()  # fmt: skip
    close_database()


@pytest.fixture
def app(home: Path) -> Iterator[DavtuiApp]:
    db = home / "fleet.db"
    fleet(db)
    yield DavtuiApp(str(db), run_jobs=False)
    close_database()


def names(table: JobTable) -> list[str]:
    return [row.name for row in table.window]


async def test_the_jobs_table_holds_pages_and_end_goes_to_the_last_job(app: DavtuiApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(JobTable)
        assert table.row_count == PAGE and table.total == JOBS and table.more_after
        assert "1-100 of 250" in str(app.screen.query_one("#jobs-count").render())
        # The Name column is readable at 120 columns.
        assert table.columns["name"].width >= len("user0000 -> user0000")

        await pilot.press("end")
        assert table.scroll_x == 0  # it scrolled sideways before
        assert table.get_row_at(table.cursor_row)[0] == "user0249 -> user0249"
        assert table.row_count == PAGE and not table.more_after and table.more_before

        await pilot.press("home")
        assert table.cursor_row == 0 and names(table)[0] == "user0000 -> user0000"
        table.move_cursor(row=PAGE - 2)
        await pilot.press("down", "down")  # down past the last row held: the next page is read
        assert table.row_count == 2 * PAGE
        assert table.get_row_at(table.cursor_row)[0] == f"user{PAGE:04d} -> user{PAGE:04d}"
        await pilot.press("end", "up")
        assert table.row_count <= MAX_ROWS


async def test_the_filter_and_the_sort_run_in_the_database(app: DavtuiApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(JobTable)
        await pilot.press("slash", *"user01")
        assert isinstance(app.focused, Input)
        await pilot.pause(0.5)  # the filter applies once typing pauses
        assert table.total == 100 and table.row_count == 100
        await pilot.press("enter")
        assert app.focused is table

        await pilot.press("slash", "ctrl+u", *"failed", "enter")
        failed = sum(STATUSES[n % 4] == "failed" for n in range(JOBS))
        assert table.total == failed and {row.status for row in table.window} == {"failed"}
        await pilot.press("slash", "ctrl+u", *"with errors", "enter")
        assert {row.status for row in table.window} == {"completed_with_errors"}
        await pilot.press("slash", "ctrl+u", *"new0007", "enter")  # an account's name
        assert names(table) == ["user0007 -> user0007"]

        await pilot.press("slash", "ctrl+u", "enter", "o", "o")  # by id, by name, by status
        assert table.job_query.sort == "status"
        statuses = [row.status for row in table.window]
        assert statuses == sorted(statuses) and statuses[0] == "completed"
        await pilot.press("end")
        assert table.window[-1].status == "pending"
        assert "by status" in str(app.screen.query_one("#jobs-count").render())


@pytest.mark.parametrize(("size", "name_width"), [((80, 24), 11), ((200, 50), 30)])
async def test_the_name_column_fits_80_and_200_columns(
    app: DavtuiApp, size: tuple[int, int], name_width: int
) -> None:
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        table = app.screen.query_one(JobTable)
        assert table.columns["name"].width == name_width
        assert "1-100 of 250" in str(app.screen.query_one("#jobs-count").render())


async def test_a_search_runs_over_every_row_and_the_count_follows(app: DavtuiApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, JobsScreen)
        await pilot.press("l")  # job 1 is on top
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        log = screen.query_one(LogView)
        await until(pilot, lambda: log.counted)
        await pilot.pause()
        assert log.total == LINES
        assert f"{LINES:,} lines" in str(screen.query_one("#log-status").render())
        assert log.line(LINES - 1).uid == f"uid-{LINES - 1}@example.org"  # newest last
        assert log.line(0).uid == "uid-0@example.org"  # the oldest, by OFFSET (a jump)
        assert log.line(LINES - 1 - 250).uid == f"uid-{LINES - 1 - 250}@example.org"

        await pilot.press("slash", *"NEEDLE-4711", "enter")
        await until(pilot, lambda: log.counted)
        await pilot.pause()
        assert log.total == 1 and log.line(0).uid == "needle-4711@fleet"
        assert "1 line matching" in str(screen.query_one("#log-status").render())

        await pilot.press("slash", "ctrl+u", *"ne", "enter")  # too short for trigrams: LIKE
        await until(pilot, lambda: log.counted)
        assert log.total == 1

        job_box = screen.query_one("#log-job", Input)
        job_box.value = "no such job"
        status = screen.query_one("#log-status")
        await until(pilot, lambda: "No job is named" in str(status.render()))  # typing paused


async def test_many_jobs_are_selected_and_acted_on_through_the_lifecycle(app: DavtuiApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(JobTable)
        await pilot.press("space", "shift+down", "shift+down")  # jobs 1, 2, 3
        assert table.selection() == [1, 2, 3]
        assert "3 selected" in str(app.screen.query_one("#jobs-count").render())
        assert str(table.get_row_at(0)[0]).startswith("● ")
        await pilot.press("s")  # 1 completed and 3 completed_with_errors start; 2 failed too
        assert [status for (status,) in Job.select(Job.status).where(Job.id <= 3).tuples()] == [
            "queued"
        ] * 3
        assert table.selection() is None  # acted on: the selection is spent

        await pilot.press("space", "p")  # a queued job cannot pause: refused, said so
        await pilot.pause()
        assert Job.get_by_id(1).status == "queued"

        # Every job the filter matches, also those beyond the window: stop asks first.
        await pilot.press("slash", *"user02", "enter", "asterisk")
        assert table.selection() == list(range(201, 251))
        assert "all 50 selected" in str(app.screen.query_one("#jobs-count").render())
        await pilot.press("escape")  # out of the filter box... the table keeps the marks
        await pilot.press("d")
        await pilot.press("y")
        await pilot.pause()
        left = Job.select().where(Job.name.startswith("user02")).count()
        removable = sum(STATUSES[n % 4] != "queued" for n in range(200, 250))
        assert left == 50 - removable == 0

        # Re-run failed: with no selection, the failed jobs the filter shows are queued.
        await pilot.press("slash", "ctrl+u", *"user01", "enter", "F")
        failed = Job.select().where(Job.name.startswith("user01") & (Job.status == "failed"))
        assert failed.count() == 0
        queued = Job.select().where(Job.name.startswith("user01") & (Job.status == "queued"))
        assert queued.count() == sum(STATUSES[n % 4] in RERUN for n in range(100, 200))


async def test_the_fleet_overview_shows_the_summary(app: DavtuiApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert "finished" in app.sub_title  # the header line of a fleet
        await pilot.press("4")
        assert isinstance(app.screen, FleetScreen)
        text = str(app.screen.query_one("#fleet-summary").render())
        done = sum(STATUSES[n % 4] == "completed" for n in range(JOBS))
        assert f"Mailboxes  {JOBS:,} jobs: {done:,} done" in text
        assert "Pace" in text and "Items" in text
