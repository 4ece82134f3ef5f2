"""The TUI tells the truth at every size: every count visible, the verification shown, phases
and a sober ETA, quit and help where a newcomer looks, empty states that say what to do.

Apps here run with `run_jobs=False` on a seeded database (or empty): what is on screen is
asserted from the rendered text (the screen exported as SVG text), at 80x24, 120x36, 200x50.
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.screen import ModalScreen

from davtui.store import close_database, open_database
from davtui.store.models import Account, Job, Run
from davtui.tui.app import DavtuiApp
from davtui.tui.eta import Eta
from davtui.tui.messages import JobProgress, JobStateChanged
from davtui.tui.screens import ConfirmScreen, HelpScreen

SIZES = [(80, 24), (120, 36), (200, 50)]
T0 = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
#: A run with fix-ups, big counts and 2 failed items (in a row that comes last).
STATS = {
    "calendars": {"created": 3, "used": 1, "failed": 0},
    "addressbooks": {"created": 1, "used": 0, "failed": 0},
    "events": {"created": 12150, "updated": 37, "unchanged": 1408, "skipped": 18, "failed": 0},
    "tasks": {"created": 150, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 0},
    "journals": {"created": 0, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 0},
    "contacts": {"created": 268, "updated": 4, "unchanged": 0, "skipped": 0, "failed": 2},
    "other": {"created": 0, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 0},
    "fixups": {"timezone-added": 311, "uid-added": 9, "vcard-upgraded": 268},
    "deleted": 0,
    "conflicts": 3,
    "bytes": 123456,
}
VERIFICATION = {
    "ok": True,
    "checked": 140,
    "fetched": 140,
    "converted": 0,
    "rewritten": [],
    "missing": [],
    "different": [],
}


def screen_text(app: DavtuiApp) -> str:
    """What the terminal shows, one line per row: the screenshot's text spans put back in
    their columns (the SVG places each span at x = column * 12.2)."""
    svg = app.export_screenshot()
    rows: dict[int, list[str]] = {}
    for x, line, text in re.findall(
        r'<text[^>]*x="([0-9.]+)"[^>]*clip-path="url\(#[^)]*-line-(\d+)\)">([^<]*)</text>', svg
    ):
        row = rows.setdefault(int(line), [" "] * 400)
        column = round(float(x) / 12.2)
        for offset, char in enumerate(html.unescape(text).replace("\xa0", " ")):
            row[column + offset] = char
    return "\n".join("".join(rows[n]).rstrip() for n in sorted(rows))


def seed_run(db: Path, stats: dict = STATS, status: str = "completed_with_errors") -> None:
    open_database(str(db))
    a = Account.create(name="old", url="https://a.example/dav/", username="alice")
    b = Account.create(name="new", url="https://b.example/dav/", username="alice")
    job = Job.create(name="move", source=a, destination=b, status=status)
    Run.create(
        job=job,
        started_at=T0,
        finished_at=T0 + timedelta(seconds=75),
        status=status,
        stats=stats,
        verification=VERIFICATION,
    )
    close_database()


@pytest.fixture
async def seeded(home: Path) -> AsyncIterator[DavtuiApp]:
    seed_run(home / "davtui.db")
    yield DavtuiApp(str(home / "davtui.db"), run_jobs=False)
    close_database()


async def stats_text(app: DavtuiApp, pilot: Pilot) -> str:
    await pilot.pause()
    return str(app.screen.query_one("#run-stats").render())


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_every_count_is_on_screen(seeded: DavtuiApp, size: tuple[int, int]) -> None:
    async with seeded.run_test(size=size) as pilot:
        await pilot.pause()
        text = screen_text(seeded)
        for number in ("12150", "1408", "37", "18", "150", "268", "4"):
            assert re.search(rf"\b{number}\b", text), f"{number} not on screen at {size}:\n{text}"
        # the failed row: contacts (or its short label) with its 2 failed items
        assert re.search(r"(contacts|cards)\s.*\b2\b", text), text
        assert "…" not in text.split("Run 1")[1], text
        assert "verification ok: 140 checked, 0 missing, 0 different" in " ".join(text.split())
        assert "timezone-added 311" in text


async def test_q_quits_when_nothing_runs(seeded: DavtuiApp) -> None:
    async with seeded.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "q Quit" in screen_text(seeded)  # the footer says how to leave
        await pilot.press("q")
        await pilot.pause()
    assert seeded.return_code == 0


async def test_q_asks_while_a_job_runs(home: Path) -> None:
    """The queue's running jobs are what ctrl+q asks about; q asks the same question."""
    seed_run(home / "davtui.db", status="running")
    app = DavtuiApp(str(home / "davtui.db"), run_jobs=False)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            app.queue.current = frozenset({1})  # as the queue marks a job it runs
            await pilot.press("q")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            assert "Job move is running" in screen_text(app)
            await pilot.press("n")
            await pilot.pause()
            assert app.is_running and not isinstance(app.screen, ConfirmScreen)
            app.queue.current = frozenset()
    finally:
        close_database()


@pytest.mark.parametrize("key", ["question_mark", "f1"])
async def test_help_lists_the_screens_own_keys(seeded: DavtuiApp, key: str) -> None:
    async with seeded.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(key)
        await pilot.pause()
        assert isinstance(seeded.screen, HelpScreen)
        text = screen_text(seeded)
        for line in ("Keys: Jobs", "s  Start", "t  Queue a dry run", "c  Duplicate", "q  Quit"):
            assert line in text, text
        await pilot.press("escape")
        await pilot.press("1", key)
        await pilot.pause()
        text = screen_text(seeded)
        assert "Keys: Accounts" in text and "t  Test connection" in text, text
        assert "s  Start" not in text


@pytest.fixture
async def empty(home: Path) -> AsyncIterator[DavtuiApp]:
    yield DavtuiApp(str(home / "davtui.db"), run_jobs=False)
    close_database()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_no_accounts_says_what_to_do_first(empty: DavtuiApp, size: tuple[int, int]) -> None:
    async with empty.run_test(size=size) as pilot:
        await pilot.pause()
        text = " ".join(screen_text(empty).split())
        assert "No accounts yet: press a to add one (a server, or a local folder)" in text
        footer = screen_text(empty).splitlines()[-1]
        assert "a Add" in footer and "q Quit" in footer, footer
        for useless in ("Edit", "Test", "Delete"):
            assert useless not in footer, footer


async def test_new_job_needs_two_accounts(empty: DavtuiApp) -> None:
    async with empty.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        Account.create(name="only", url="https://a.example/dav/", username="alice")
        await pilot.press("2", "n")
        await pilot.pause(0.3)
        assert not isinstance(empty.screen, ModalScreen)  # no form with empty account lists
        # the panel says it too (the same words go up as a notification)
        assert "add two accounts first (1)" in " ".join(screen_text(empty).split())


async def test_a_notice_offers_close_not_yes_no(seeded: DavtuiApp) -> None:
    """Deleting an account a job uses is refused with a notice: only OK, and esc closes it."""
    async with seeded.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "d")
        await pilot.pause()
        assert isinstance(seeded.screen, ConfirmScreen)
        footer = screen_text(seeded).splitlines()[-1]
        assert "Yes" not in footer and "No" not in footer and "esc Close" in footer, footer
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(seeded.screen, ConfirmScreen)


async def test_the_account_form_adds_a_local_folder(empty: DavtuiApp, home: Path) -> None:
    """Server: Local folder takes a path (the schema's rule for kind vdir) and no login."""
    folder = home / "backup"
    folder.mkdir()
    async with empty.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("n", *"backup", "tab", "enter", "down", "enter")
        await pilot.pause()
        assert not empty.screen.query_one("#username").display  # no login for a folder
        await pilot.press("tab", *str(folder), "ctrl+s")
        await pilot.pause()
        account = Account.get(Account.name == "backup")
        assert (account.kind, account.url, account.preset) == ("vdir", str(folder), None)
        assert "Local folder" in screen_text(empty)


async def test_a_local_kind_refuses_a_url(empty: DavtuiApp) -> None:
    async with empty.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("a", *"x", "tab", "enter", "down", "down", "enter")
        await pilot.press("tab", *"https://dav.example.org/", "ctrl+s")
        await pilot.pause()
        assert isinstance(empty.screen, ModalScreen)
        assert not Account.select().exists()
        assert str(empty.screen.query_one("#error").render())  # the schema's sentence


def test_eta_says_estimating_until_it_means_something() -> None:
    """90 items, the first second slow (connections opening), then 10 items/s: no early
    guess, and an ETA that comes near what is left as the slow start fades."""
    eta = Eta()
    assert eta.update(0, 90, 0.0) == (0.0, None)
    assert eta.update(1, 90, 1.0)[1] is None  # 1 % after 1 s: estimating
    assert eta.update(4, 90, 1.5)[1] is None  # 4 %: still estimating
    times = [1.5 + 0.1 * step for step in range(1, 91)]
    left, first = None, None
    for done, now in zip(range(5, 91), times, strict=False):
        rate, left = eta.update(done, 90, now)
        if left is not None and first is None:
            first = now  # the first ETA shown: not before FLOOR seconds
        if done == 45:  # halfway, the slow start has faded: near the truth (10 items/s)
            assert left == pytest.approx((90 - done) / 10, rel=0.3)
    assert first is not None and first >= 2.0
    assert rate == pytest.approx(10.0, rel=0.2)
    assert left is not None and left < 1.0


def test_eta_starts_over_for_a_new_run() -> None:
    eta = Eta()
    eta.update(0, 10, 0.0)
    eta.update(10, 10, 20.0)
    assert eta.update(0, 50, 21.0) == (0.0, None)  # done went back: a new run


async def test_phases_estimating_and_no_stale_100_percent(seeded: DavtuiApp) -> None:
    async with seeded.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        job = Job.get()
        job.status = "running"
        job.save()
        seeded.post_message(JobStateChanged(job.id, "running", 1))
        seeded.post_message(JobProgress(job.id, 0, 0, phase="list"))
        await pilot.pause()
        assert "listing…" in screen_text(seeded)
        seeded.post_message(JobProgress(job.id, 3, 90, phase="act"))
        await pilot.pause()
        assert "estimating" in screen_text(seeded)
        seeded.post_message(JobProgress(job.id, 90, 90, phase="verify"))
        await pilot.pause()
        text = screen_text(seeded)
        assert "verifying…" in text and "90/90" in text
        job.status = "completed"
        job.save()
        seeded.post_message(JobStateChanged(job.id, "completed", 1))
        await pilot.pause()
        job.status = "queued"  # the next run waits for its turn
        job.save()
        seeded.post_message(JobStateChanged(job.id, "queued"))
        await pilot.pause()
        text = screen_text(seeded)
        assert "90/90" not in text and "100%" not in text, text


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_a_paused_job_reads_paused(home: Path, size: tuple[int, int]) -> None:
    seed_run(home / "davtui.db", stats={}, status="paused")
    app = DavtuiApp(str(home / "davtui.db"), run_jobs=False)
    try:
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            text = screen_text(app)
            assert "Paused: r resumes it." in text and "Running" not in text, text
    finally:
        close_database()
