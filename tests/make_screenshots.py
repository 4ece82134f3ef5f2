"""Regenerate `screenshots/*.svg` from a seeded database: `python -m tests.make_screenshots`.

`seed` writes a fixed state (no clock, fixed times in UTC) that the snapshot tests use too,
and `SCENES` drives the app from that state to each picture, as a user would with keys.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Select

from davtui.engine.jobs import ledger
from davtui.engine.jobs.ledger import OUTCOMES
from davtui.engine.storages.contract import ADDRESSBOOK, CALENDAR, Collection
from davtui.store import close_database, open_database
from davtui.store.models import Account, ItemState, Job, LogEntry, Run
from davtui.tui.app import DavtuiApp
from davtui.tui.messages import JobProgress
from davtui.tui.widgets.collection_picker import CollectionPicker

T0 = datetime(2026, 3, 14, 9, 26, 53, tzinfo=UTC)
STATS = {
    "calendars": {"created": 2, "used": 1, "failed": 0},
    "addressbooks": {"created": 1, "used": 0, "failed": 0},
    "events": {"created": 412, "updated": 3, "unchanged": 0, "skipped": 2, "failed": 1},
    "tasks": {"created": 37, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 0},
    "contacts": {"created": 268, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 2},
    "fixups": {"timezone-added": 12, "uid-added": 3},
    "conflicts": 1,
}
#: The last run's ledger (`davtui job show contacts-first --items`), gravest first.
LEDGER = [
    {
        "outcome": "failed", "collection": "Contacts", "href": "/dav/alice/Contacts/7c1e.vcf",
        "uid": "7c1e@zimbra", "kind": "contact", "summary": "Bob Miller",
        "reason": "the server answered 500 Internal Server Error",
    },
    {
        "outcome": "failed", "collection": "Contacts", "href": "/dav/alice/Contacts/a90f.vcf",
        "uid": "a90f@zimbra", "kind": "contact", "summary": "Carol White",
        "reason": "the server answered 500 Internal Server Error",
    },
    {
        "outcome": "refused", "collection": "Work", "href": "/dav/alice/Work/9b77d0aa.ics",
        "uid": "9b77d0aa@zimbra", "kind": "event", "summary": "Quarterly review with slides",
        "reason": "the server refused the item (413 Request Entity Too Large)",
        "kept": "leftovers/contacts-first-2/Work/9b77d0aa.ics",
    },
    {
        "outcome": "conflict", "collection": "Personal", "href": "/dav/alice/Calendar/3f2a.ics",
        "uid": "3f2a9c1e@zimbra", "kind": "event", "summary": "Dentist",
        "reason": "the destination's copy was edited since it was verified",
        "details": ["VEVENT LOCATION: sent Room 1, stored Room 9"],
    },
    *(
        {
            "outcome": "skipped", "collection": "Personal", "href": f"/dav/alice/Calendar/{j}.ics",
            "uid": f"{j}@zimbra", "kind": "journal", "summary": f"Diary {day}",
            "reason": "the destination collection does not accept VJOURNAL",
            "kept": f"leftovers/contacts-first-2/Personal/{j}.ics",
        }
        for j, day in (("j1", "2025-12-31"), ("j2", "2026-01-01"))
    ),
    {
        "outcome": "converted", "collection": "Personal", "href": "/dav/alice/Calendar/k4.ics",
        "uid": "k4@zimbra", "kind": "event", "summary": "Team lunch",
        "reason": "the server stored an equivalent form: VCALENDAR VERSION",
        "details": ["VCALENDAR VERSION: sent 1.0, stored 2.0"],
    },
    {
        "outcome": "fixed", "collection": "Personal", "href": "/dav/alice/Calendar/w1.ics",
        "uid": "w1@zimbra", "kind": "event", "summary": "Weekly planning",
        "reason": "sent after the fix-ups windows-tzid, strip-method, add-vtimezone",
        "details": [
            "windows-tzid: DTSTART TZID W. Europe Standard Time -> Europe/Berlin",
            "strip-method: removed METHOD:REQUEST",
            "add-vtimezone: added VTIMEZONE Europe/Berlin",
        ],
    },
]  # fmt: skip
STATS["ledger"] = {
    outcome: sum(entry["outcome"] == outcome for entry in LEDGER) for outcome in OUTCOMES
}
VERIFICATION = {
    "ok": True,
    "checked": 714,
    "fetched": 714,
    "converted": 0,
    "rewritten": [],
    "missing": [],
    "different": [],
}
LOG = (
    ("info", "Discovered 3 calendars and 1 address book on the source.", None, None, None),
    ("info", "Created calendar Personal on the destination.", "Personal", None, None),
    ("debug", "PROPFIND Depth 1 listed 415 items.", "Personal", None, None),
    (
        "warning",
        "Skipped: the destination item changed since the last run.",
        "Personal",
        "3f2a9c1e@zimbra",
        "Dentist",
    ),
    (
        "error",
        "Failed: the server refused the item (413 Request Entity Too Large).",
        "Work",
        "9b77d0aa@zimbra",
        "Quarterly review with slides",
    ),
    ("info", "Copied 268 contacts.", "Contacts", None, None),
    ("info", "Verified: every planned item is on the destination.", None, None, None),
)


def seed(path: Path) -> None:
    """A database with three accounts, four jobs in different states, runs and a log."""
    open_database(str(path))
    zimbra = Account.create(
        name="old-zimbra",
        url="https://mail.example.org/dav/alice@example.org/",
        username="alice@example.org",
        preset="zimbra",
        last_test_at=T0,
        last_test_ok=True,
        last_test_message="principal: /dav/alice@example.org/; 3 calendars; 1 address books",
    )
    mailcow = Account.create(
        name="mailcow",
        url="https://mailcow.example.org/SOGo/dav/alice@example.org/",
        username="alice@example.org",
        preset="sogo",
        last_test_at=T0,
        last_test_ok=False,
        last_test_message="The server refused the user name or password (401).",
    )
    Account.create(
        name="radicale-backup", url="http://127.0.0.1:5232/", username="alice", preset="radicale"
    )
    moving = Job.create(
        name="zimbra-to-mailcow",
        source=zimbra,
        destination=mailcow,
        status="running",
        queue_position=1,
    )
    done = Job.create(
        name="contacts-first",
        source=zimbra,
        destination=mailcow,
        what="contacts",
        status="completed_with_errors",
    )
    Job.create(name="rehearsal", source=zimbra, destination=mailcow, dry_run=True)
    Job.create(name="old-attempt", source=mailcow, destination=zimbra, status="failed")
    for number, status in enumerate(("failed", "completed_with_errors")):
        start = T0 + timedelta(hours=number)
        run = Run.create(
            job=done,
            started_at=start,
            finished_at=start + timedelta(seconds=185),
            status=status,
            stats=STATS if number else {},
            verification=VERIFICATION if number else None,
            error=None if number else "The server refused the login (401).",
        )
    ledger.store(run.id, LEDGER)
    ItemState.create(  # the conflict, as the run left it: `job resolve` settles it
        job=done, source_collection="/dav/alice/Calendar/", source_href=LEDGER[3]["href"],
        uid=LEDGER[3]["uid"], kind="event", outcome="conflict", error=LEDGER[3]["reason"],
    )  # fmt: skip
    for index in range(120):
        level, message, collection, uid, summary = LOG[index % len(LOG)]
        LogEntry.create(
            job=done,
            run=run,
            time=T0 + timedelta(seconds=index),
            level=level,
            message=message,
            collection=collection,
            uid=uid,
            summary=summary,
        )
    Run.create(job=moving, started_at=T0 + timedelta(hours=2), status="running")
    close_database()


async def running_job(pilot: Pilot) -> None:
    """The jobs screen while the first job copies (the progress an engine worker posts)."""
    pilot.app.post_message(JobProgress(1, 1234, 4311, rate=38.5, eta=80.0))
    await pilot.pause()


async def job_detail(pilot: Pilot) -> None:
    await pilot.press("down")


async def account_form(pilot: Pilot) -> None:
    await pilot.press("1", "a")
    await pilot.press(*"new-server")


async def guided_account_form(pilot: Pilot) -> None:
    """The mailcow preset with its Host row: host and login typed, the URL filled from them."""
    await pilot.press("1", "a", *"mailcow-2", "tab", "enter", *["up"] * 8, "enter")
    await pilot.press("tab", *"mail.example.org", "tab", "tab", *"carol@example.org")


async def job_form(pilot: Pilot) -> None:
    await pilot.press("n")


async def picker(pilot: Pilot) -> None:
    """The job form once the source's collections were discovered (fixed collections here:
    the seeded accounts are made up), one left out and one renamed."""
    await pilot.press("n", *"zimbra-to-radicale")
    form = pilot.app.screen
    with form.prevent(Select.Changed):
        form.query_one("#source", Select).value = 1
        form.query_one("#destination", Select).value = 3
    chooser = form.query_one(CollectionPicker)
    chooser.show_destination([Collection("/alice/work/", CALENDAR, "Work 2026")])
    chooser.show_source(
        [
            Collection("/dav/alice/Calendar/", CALENDAR, "Calendar"),
            Collection("/dav/alice/Work/", CALENDAR, "Work"),
            Collection("/dav/alice/Tasks/", CALENDAR, "Tasks", components=("VTODO",)),
            Collection("/dav/alice/Contacts/", ADDRESSBOOK, "Contacts"),
        ]
    )
    await pilot.pause()
    form.query_one("#pick-2", Checkbox).value = False
    form.query_one("#target-1", Input).value = "Work 2026"


async def stop_confirm(pilot: Pilot) -> None:
    await running_job(pilot)
    await pilot.press("x")


async def log(pilot: Pilot) -> None:
    await pilot.press("down", "l")


async def log_search(pilot: Pilot) -> None:
    await pilot.press("down", "l", "slash", *"refused", "enter")


async def items(pilot: Pilot) -> None:
    """The finished job's ledger, its first (gravest) entry highlighted."""
    await pilot.press("down", "i")


async def items_fixed(pilot: Pilot) -> None:
    """Filtered to `fixed`: what each fix-up changed, source and sent side by side."""
    await pilot.press("down", "i", *["f"] * 6)


async def items_conflict(pilot: Pilot) -> None:
    """A conflict highlighted: sent and stored side by side, the keys that settle it."""
    await pilot.press("down", "i", "down", "down", "down")


async def jobs_selected(pilot: Pilot) -> None:
    """Two jobs selected for a bulk action, the table sorted by name."""
    await pilot.press("o", "home", "space", "shift+down")


async def fleet(pilot: Pilot) -> None:
    await pilot.press("4")


SCENES: dict[str, Callable[[Pilot], Awaitable[None]]] = {
    "jobs": running_job,
    "job-detail": job_detail,
    "accounts": lambda pilot: pilot.press("1"),
    "account-form": account_form,
    "account-form-mailcow": guided_account_form,
    "job-form": job_form,
    "picker": picker,
    "stop-confirm": stop_confirm,
    "log": log,
    "log-search": log_search,
    "help": lambda pilot: pilot.press("question_mark"),
    "items": items,
    "items-fixed": items_fixed,
    "items-conflict": items_conflict,
    "jobs-selected": jobs_selected,
    "fleet": fleet,
}


async def settle(pilot: Pilot) -> None:
    """Stop cursors blinking and let every message land, so a picture is the same each time."""
    await pilot.pause()
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


async def shoot(out: Path, size: tuple[int, int]) -> None:
    for name, scene in SCENES.items():
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "davtui.db"
            seed(db)
            app = DavtuiApp(str(db), run_jobs=False)
            async with app.run_test(size=size) as pilot:
                await pilot.pause()
                await scene(pilot)
                await settle(pilot)
                app.save_screenshot(filename=f"{name}.svg", path=str(out))
            close_database()
        print(out / f"{name}.svg")


def main() -> None:
    os.environ["TZ"] = "UTC"
    time.tzset()
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("screenshots")
    out.mkdir(parents=True, exist_ok=True)
    asyncio.run(shoot(out, (120, 36)))


if __name__ == "__main__":
    main()
