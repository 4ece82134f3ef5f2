"""The ledger in the TUI: the job detail's counts per outcome, the Items screen (`i` on Jobs)
a page at a time with an outcome filter and each entry side by side, and a conflict settled
from there through the function `davtui job resolve` calls.

The seeded database of the screenshots (tests/make_screenshots.py) for the layout, a
hand-stored ledger of 250 entries for paging, and real runs through Xandikos -> Radicale
(`davtui migrate` in a subprocess) for what a user meets after a real run.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from davtui.engine.jobs import ledger
from davtui.engine.jobs.conflicts import conflicts
from davtui.exitcodes import ITEM_ERRORS, OK
from davtui.store import close_database, open_database
from davtui.store.models import Account, Job, Run
from davtui.tui.app import DavtuiApp
from davtui.tui.screens import ConfirmScreen, HelpScreen, LedgerScreen
from davtui.tui.widgets.ledger_view import counts_line, split_detail
from tests import dav
from tests.make_screenshots import seed
from tests.servers import Server
from tests.test_ledger import WINDOWS
from tests.test_ledger_cli import _edit_at, _radicale_item
from tests.test_migrate import config_file, run_migrate
from tests.test_tui_truth import SIZES, screen_text

T0 = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)


def flat(app: DavtuiApp) -> str:
    """The screen's words on one line: a wrapped sentence reads as one."""
    return " ".join(screen_text(app).split())


@pytest.fixture
async def seeded(home: Path, utc: None) -> AsyncIterator[DavtuiApp]:
    seed(home / "seeded.db")
    yield DavtuiApp(str(home / "seeded.db"), run_jobs=False)
    close_database()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_job_detail_shows_the_ledger_counts(
    seeded: DavtuiApp, size: tuple[int, int]
) -> None:
    async with seeded.run_test(size=size) as pilot:
        await pilot.press("down")  # contacts-first, finished with errors
        await pilot.pause()
        text = flat(seeded)
        assert "verification ok: 714 checked, 0 missing, 0 different" in text
        counts = "failed 2, refused 1, conflict 1, skipped 2, converted 1, fixed 1"
        assert f"ledger: {counts} (i lists them)" in text, screen_text(seeded)
        assert "…" not in screen_text(seeded).split("Run 2")[1]
        assert "i Items" in screen_text(seeded).splitlines()[-1]


def test_counts_line_says_when_every_item_arrived_as_sent() -> None:
    assert counts_line(dict.fromkeys(ledger.OUTCOMES, 0)) == "ledger: every item arrived as sent"
    assert (
        counts_line({"fixed": 3, "missing": 1})
        == "ledger: missing\u00a01, fixed\u00a03 (i lists them)"
    )


def test_details_split_into_sent_and_stored() -> None:
    """The engine's sentences (`changes.describe`, `compare.first_difference`) in columns."""
    zone = "windows-tzid: DTSTART TZID W. Europe Standard Time -> Europe/Berlin"
    assert split_detail(zone) == (
        "windows-tzid: DTSTART TZID", "W. Europe Standard Time", "Europe/Berlin"
    )  # fmt: skip
    assert split_detail("strip-method: removed METHOD:REQUEST") == (
        "strip-method", "METHOD:REQUEST", "(removed)"
    )  # fmt: skip
    assert split_detail("add-vtimezone: added VTIMEZONE Europe/Berlin") == (
        "add-vtimezone", "(none)", "VTIMEZONE Europe/Berlin"
    )  # fmt: skip
    text = "VEVENT DESCRIPTION: sent tools for profiling, monitoring, stored tools for profiling"
    assert split_detail(text) == (
        "VEVENT DESCRIPTION", "tools for profiling, monitoring", "tools for profiling"
    )  # fmt: skip
    assert split_detail("SUMMARY Day  -> Day") == ("SUMMARY", "Day ", "Day")
    assert split_detail("the server answered 500") is None


async def test_items_filter_by_outcome_and_show_a_fixup_side_by_side(seeded: DavtuiApp) -> None:
    async with seeded.run_test(size=(80, 24)) as pilot:
        await pilot.press("down", "i")
        await pilot.pause()
        assert isinstance(seeded.screen, LedgerScreen)
        assert "Run #2: 1-8 of 8" in flat(seeded)
        await pilot.press(*["f"] * 6)  # all -> failed -> ... -> fixed
        await pilot.pause()
        text = flat(seeded)
        assert "fixed (1)" in text and "Run #2: 1-1 of 1" in text and "Bob Miller" not in text
        assert "What Source Sent" in text
        assert "W. Europe Standard Time Europe/Berlin" in text
        assert "METHOD:REQUEST (removed)" in text
        await pilot.press("f")  # back to all
        await pilot.press("down", "down")  # the refused item: kept byte for byte
        await pilot.pause()
        text = flat(seeded)
        assert "kept byte for byte at leftovers/contacts-first-2/Work/9b77d0aa.ics" in text
        assert "Keep source" not in screen_text(seeded).splitlines()[-1]  # not a conflict
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(seeded.screen, HelpScreen)
        assert "Keys: Items of contacts-first" in screen_text(seeded)
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert not isinstance(seeded.screen, LedgerScreen)


async def test_a_conflict_is_settled_after_a_confirm(seeded: DavtuiApp) -> None:
    async with seeded.run_test(size=(120, 36)) as pilot:
        await pilot.press("down", "i", "down", "down", "down")
        await pilot.pause()
        assert "VEVENT LOCATION Room 1 Room 9" in flat(seeded)
        assert "s Keep source d Keep dest" in screen_text(seeded).splitlines()[-1]
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(seeded.screen, ConfirmScreen)
        await pilot.press("n")  # cancelled: nothing settled
        await pilot.pause()
        job = Job.get(Job.name == "contacts-first")
        assert len(conflicts(job.id)) == 1
        await pilot.press("s", "y")
        await pilot.pause()
        assert conflicts(job.id) == []
        text = flat(seeded)
        assert "resolved: the source's version is written on the next run" in text
        assert "resolved Personal Dentist" in text
        assert "Keep source" not in screen_text(seeded).splitlines()[-1]


def _many(db: Path, number: int) -> None:
    """A finished run with `number` skipped items in its ledger."""
    open_database(str(db))
    a = Account.create(name="old", url="https://a.example/dav/", username="alice")
    b = Account.create(name="new", url="https://b.example/dav/", username="alice")
    job = Job.create(name="big", source=a, destination=b, status="completed_with_errors")
    counts = dict.fromkeys(ledger.OUTCOMES, 0) | {"skipped": number}
    run = Run.create(
        job=job, started_at=T0, finished_at=T0 + timedelta(seconds=60),
        status="completed_with_errors", stats={"events": {"skipped": number}, "ledger": counts},
    )  # fmt: skip
    items = [
        {"outcome": "skipped", "collection": "Cal", "href": f"/cal/{n:04}.ics", "uid": f"u{n:04}",
         "kind": "journal", "summary": f"Note {n:04}", "reason": "does not accept VJOURNAL"}
        for n in range(number)
    ]  # fmt: skip
    ledger.store(run.id, items)
    close_database()


async def test_items_are_read_a_page_at_a_time(home: Path) -> None:
    _many(home / "big.db", 250)
    app = DavtuiApp(str(home / "big.db"), run_jobs=False)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("i")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, LedgerScreen) and len(screen.page) == 100
            footer = screen_text(app).splitlines()[-1]
            assert "n Next page" in footer and "Prev page" not in footer
            await pilot.press("n", "n")
            await pilot.pause()
            assert "Run #1: 201-250 of 250" in flat(app) and "Note 0200" in flat(app)
            assert "Next page" not in screen_text(app).splitlines()[-1]
            await pilot.press("n", "b")
            await pilot.pause()
            assert "Run #1: 101-200 of 250" in flat(app) and "Note 0100" in flat(app)
    finally:
        close_database()


async def test_no_ledger_yet_says_so(home: Path) -> None:
    open_database(str(home / "n.db"))
    a = Account.create(name="old", url="https://a.example/dav/", username="alice")
    b = Account.create(name="new", url="https://b.example/dav/", username="alice")
    Job.create(name="fresh", source=a, destination=b)
    close_database()
    app = DavtuiApp(str(home / "n.db"), run_jobs=False)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("i")
            await pilot.pause()
            assert "Job fresh has no finished run yet." in flat(app)
    finally:
        close_database()


async def test_a_real_fixup_and_a_real_conflict_through_the_tui(
    fresh_xandikos: Server, fresh_radicale: Server, home: Path
) -> None:
    """Xandikos -> Radicale with `davtui migrate`: the Windows zone's fix-up is listed with
    source and sent side by side; a copy then edited in Radicale is a conflict the TUI settles
    (keep destination) through `job resolve`'s function: the next run exits 0 and the edit
    stays."""
    url = dav.make_collection(fresh_xandikos.url, "alice/calendars/work/", "work")
    assert dav.put(url + "win.ics", WINDOWS) in (201, 204)
    config = config_file(home / "x.toml", fresh_xandikos.url, fresh_radicale.url, name="k")
    first = run_migrate(config, home=home)
    assert first.returncode == OK, first.stdout + first.stderr
    app = DavtuiApp(str(home / "m.db"), run_jobs=False)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            assert "ledger: fixed 1 (i lists them)" in flat(app)
            await pilot.press("i")
            await pilot.pause()
            text = flat(app)
            assert "fixed" in text and "Windows" in text
            assert "W. Europe Standard Time Europe/Berlin" in text, screen_text(app)
    finally:
        close_database()

    copy = _radicale_item(fresh_radicale)
    _edit_at(copy, b"SUMMARY:Windows", b"SUMMARY:Windows (moved)")
    found = run_migrate(config, home=home)
    assert found.returncode == ITEM_ERRORS, found.stdout
    assert [e["outcome"] for e in json.loads(found.stdout)["ledger"]] == ["conflict"]
    app = DavtuiApp(str(home / "m.db"), run_jobs=False)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("i")
            await pilot.pause()
            assert "SUMMARY" in flat(app) and "Windows (moved)" in flat(app), screen_text(app)
            await pilot.press("d")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("y")
            await pilot.pause()
            assert "resolved: the destination's version is kept" in flat(app)
    finally:
        close_database()
    after = run_migrate(config, home=home)
    assert after.returncode == OK, after.stdout
    assert json.loads(after.stdout)["ledger"] == []
    assert b"Windows (moved)" in dav.request(copy, "GET")[1]
