"""The TUI driven with keys as a user drives it, against the real Radicale and Xandikos.

Jobs run in the App's own queue worker (`davtui.tui.worker`) against real servers; tests wait on
conditions (`until`) with a deadline, never on fixed sleeps. Tests whose accounts point at
made-up hosts start the App with `run_jobs=False`, so nothing tries to reach them.
"""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from davtui.store import Vault, close_database
from davtui.store.models import Account, ItemState, Job, LogEntry, Run, Setting
from davtui.tui.app import DavtuiApp
from davtui.tui.messages import JobLog, JobProgress, JobStateChanged, LogLine
from davtui.tui.screens import AccountsScreen, ConfirmScreen, JobsScreen, LogsScreen
from davtui.tui.widgets.log_view import LogView
from tests import dav
from tests.contract import sample_event, sample_task, sample_vcard
from tests.proxy import Proxy
from tests.servers import Server

T0 = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)


@pytest.fixture
async def app(home: Path) -> AsyncIterator[DavtuiApp]:
    """An App whose queue does not run: the accounts of these tests are made up."""
    yield DavtuiApp(str(home / "davtui.db"), run_jobs=False)
    close_database()


@pytest.fixture
async def live_app(home: Path) -> AsyncIterator[DavtuiApp]:
    """An App with its real queue worker."""
    yield DavtuiApp(str(home / "davtui.db"))
    close_database()


async def until(pilot: Pilot, condition: Callable[[], object], timeout: float = 60.0) -> float:
    """Let the App run until `condition()` holds; return how long it took (fail at timeout)."""
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < timeout, "condition not reached in time"
        await pilot.pause(0.02)
    return time.monotonic() - start


async def add_account(pilot: Pilot, name: str, url: str, user: str, password: str, up: int):
    """Fill the account form: `up` presses move the server select from Other to the preset."""
    await pilot.press("1", "a")
    await pilot.press(*name, "tab", "enter", *["up"] * up, "enter", "tab")
    await pilot.press(*url, "tab", *user, "tab", *password, "ctrl+s")
    await pilot.pause()


def rows(pilot: Pilot, table_id: str) -> list[list[str]]:
    table = pilot.app.screen.query_one(table_id, DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def create_two_accounts(pilot: Pilot, radicale: Server, xandikos: Server | Proxy) -> None:
    await add_account(pilot, "radicale-alice", radicale.url, "alice", "alicepw", up=4)
    await add_account(pilot, "xandikos", f"{xandikos.url}/alice/", "alice", "", up=3)


def seed_source(server: Server, events: int, tasks: int, cards: int) -> None:
    """A calendar of events and tasks and an address book, written over plain HTTP."""
    cal = dav.make_collection(server.url, "alice/work/", "Work")
    for i in range(events + tasks):
        maker = sample_task if i < tasks else sample_event
        assert dav.put(f"{cal}item-{i}.ics", maker(f"item-{i}", f"Item {i}")) == 201
    book = dav.make_collection(server.url, "alice/book/", "Book", kind="addressbook")
    for i in range(cards):
        assert (
            dav.put(f"{book}c{i}.vcf", sample_vcard(f"c{i}", f"Jane Doe{i}"), "text/vcard") == 201
        )


def text_of(renderable: object) -> str:
    """What a Rich renderable shows, as plain text."""
    console = Console(width=100, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def status_of(job_id: int) -> str:
    return Job.select(Job.status).where(Job.id == job_id).scalar()


@pytest.mark.slow
async def test_user_flow_add_accounts_create_start_pause_resume_complete_and_search_log(
    live_app: DavtuiApp, fresh_radicale: Server, fresh_xandikos: Server
) -> None:
    """Issue 5's acceptance, with keys only and the App's real queue worker: the destination
    sits behind a proxy that delays each request, so pause and resume can be seen."""
    app = live_app
    seed_source(fresh_radicale, events=120, tasks=20, cards=40)
    states: list[tuple[float, str]] = []

    def hook(message: Message) -> None:
        if isinstance(message, JobStateChanged):
            states.append((time.monotonic(), message.status))

    with Proxy(fresh_xandikos.url, latency=0.02) as slow:
        async with app.run_test(size=(120, 36), message_hook=hook) as pilot:
            await create_two_accounts(pilot, fresh_radicale, slow)
            source = Account.get(Account.name == "radicale-alice")
            assert Vault.open().password(source) == "alicepw"
            assert "alicepw" not in (source.secret or "")

            # A job: name, source (its collections are discovered), destination, save.
            await pilot.press("2", "n", *"move-it", "tab", "enter", "down", "enter")
            await pilot.press("tab", "enter", "down", "down", "enter")
            await until(pilot, lambda: len(app.screen.query(".pick")) == 2)
            await pilot.press("ctrl+s")
            await pilot.pause()
            job = Job.get(Job.name == "move-it")
            assert (job.status, job.collections) == ("pending", [])
            screen = app.screen
            assert isinstance(screen, JobsScreen)

            # Start: the worker takes it at once (no waiting for its idle timeout).
            await pilot.press("s")
            await until(pilot, lambda: app.progress.get(job.id) and app.progress[job.id].done > 5)
            assert app.sub_title == "running job move-it"
            assert rows(pilot, "#jobs")[0][1] == "running"
            assert screen.check_action("pause", ()) and not screen.check_action("resume", ())

            asked = time.monotonic()
            await pilot.press("p")
            await until(pilot, lambda: status_of(job.id) == "paused")
            await until(pilot, lambda: rows(pilot, "#jobs")[0][1] == "paused")
            paused_after = next(t for t, s in states if s == "paused") - asked
            assert app.sub_title == "paused job move-it"
            assert screen.check_action("resume", ()) and not screen.check_action("pause", ())
            held = app.progress[job.id].done
            copied = ItemState.select().where(ItemState.job == job.id).count()
            await pilot.pause(1.0)  # a paused job copies nothing
            assert ItemState.select().where(ItemState.job == job.id).count() == copied
            assert app.progress[job.id].done == held < 180

            asked = time.monotonic()
            await pilot.press("r")
            await until(pilot, lambda: states[-1][1] == "running")
            resumed_after = states[-1][0] - asked
            await until(pilot, lambda: status_of(job.id) == "completed", timeout=120)
            await until(pilot, lambda: rows(pilot, "#jobs")[0][1] == "completed")
            print(f"pause took effect in {paused_after:.2f} s, resume in {resumed_after:.2f} s")
            assert paused_after < 1.5 and resumed_after < 1.5

            run = Run.get(Run.job == job.id)
            assert run.stats["events"]["created"] == 120
            assert run.stats["tasks"]["created"] == 20
            assert run.stats["contacts"]["created"] == 40
            panel = text_of(screen.query_one("#run-stats", Static).content)
            assert "events" in panel and "120" in panel and "contacts" in panel
            assert app.sub_title == "idle"

            # The log: every stored line of the run, then a search narrows it.
            await pilot.press("l")
            assert isinstance(app.screen, LogsScreen)
            log = app.screen.query_one(LogView)
            await until(pilot, lambda: log.counted)  # counted in a thread past one page
            stored = LogEntry.select().where(LogEntry.job == job.id).count()
            assert log.total == stored >= 180
            await pilot.press("slash", *"Jane Doe1", "enter")
            assert log.total == 11  # Jane Doe1 and Jane Doe10..19
            assert "11 lines matching" in str(app.screen.query_one("#log-status").render())
    assert len(slow.counts) and slow.counts["PUT"] == 180


async def test_connection_test_records_what_it_found(app: DavtuiApp, radicale: Server) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await add_account(pilot, "radicale-alice", radicale.url, "alice", "alicepw", up=4)
        await add_account(pilot, "radicale-wrong", radicale.url, "alice", "nope", up=4)
        for row in (0, 1):
            app.screen.query_one(DataTable).move_cursor(row=row)
            await pilot.press("t")
            await app.workers.wait_for_complete()
            await pilot.pause()
    good = Account.get(Account.name == "radicale-alice")
    bad = Account.get(Account.name == "radicale-wrong")
    assert good.last_test_ok is True and good.capabilities
    assert bad.last_test_ok is False and bad.last_test_message.count(".") >= 1
    assert "nope" not in bad.last_test_message


async def test_account_form_says_the_schema_sentence_instead_of_saving(app: DavtuiApp) -> None:
    """The form refuses what `account add` and the config file refuse, in the same words."""
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("1", "a", *"x", "tab", "tab", *"http://alice:secret@host/", "ctrl+s")
        error = str(app.screen.query_one("#error").render())
        assert "url" in error and "holds a user name or password" in error, error
        assert "secret" not in error
        url = app.screen.query_one("#url")
        url.value = "https//host/x"
        await pilot.press("ctrl+s")
        assert "is neither an http(s) URL nor a local path" in str(
            app.screen.query_one("#error").render()
        )
        url.value = "alice@example.org"  # an e-mail address: DAV discovery, as before
        app.screen.query_one("#ca_file").value = "/no/such/ca.pem"
        await pilot.press("ctrl+s")
        assert "ca_file must be the path of an existing" in str(
            app.screen.query_one("#error").render()
        )
        app.screen.query_one("#ca_file").value = ""
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, AccountsScreen)
    assert [(a.name, a.url, a.kind) for a in Account.select()] == [
        ("x", "alice@example.org", "dav")
    ]


async def test_form_refuses_bad_input_and_delete_says_who_uses_an_account(
    app: DavtuiApp,
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "a", "ctrl+s")
        assert "A name is required." in str(app.screen.query_one("#error").render())
        await pilot.press(*"x", "tab", "tab", *"ftp://host", "ctrl+s")
        assert "http://" in str(app.screen.query_one("#error").render())
        await pilot.press("escape")
        assert isinstance(app.screen, AccountsScreen) and Account.select().count() == 0

        a = Account.create(name="a", url="https://a.example/")
        b = Account.create(name="b", url="https://b.example/")
        Job.create(name="a-to-b", source=a, destination=b)
        app.screen.reload()
        await pilot.press("up", "d")
        assert isinstance(app.screen, ConfirmScreen)
        assert "a-to-b" in app.screen.question and not app.screen.allowed
        await pilot.press("y")  # a notice has no Yes: y does nothing, esc closes it
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        assert Account.select().count() == 2

        # Jobs: the same name twice is refused; delete asks and then removes.
        await pilot.press("2", "n", *"a-to-b", "ctrl+s")
        assert "Another job has this name." in str(app.screen.query_one("#error").render())
        await pilot.press("escape", "c")
        copy = Job.get(Job.name == "a-to-b copy")
        await pilot.press("t")  # a dry run of the copy: queued with its one-run marker
        copy = Job.get_by_id(copy.id)
        assert (copy.status, copy.control, copy.dry_run) == ("queued", "dry-run", False)
        await pilot.press("up", "d", "y")
        assert [j.name for j in Job.select()] == ["a-to-b copy"]


async def test_progress_coalesces_but_log_lines_do_not(app: DavtuiApp) -> None:
    handled: list[Message] = []
    a = Account.create(name="a", url="https://a.example/")
    job = Job.create(name="j", source=a, destination=a, status="running")
    async with app.run_test(message_hook=handled.append) as pilot:
        await pilot.press("3")
        await pilot.pause()
        # Coalescing merges adjacent messages of the App's queue, as a burst of progress is.
        for i in range(1, 1001):
            app.post_message(JobProgress(job.id, i, 1000))
        for i in range(1, 1001):
            app.post_message(JobLog(job.id, None, [LogLine("09:00:00", "info", f"line {i}")]))
        await pilot.pause()
        log = app.screen.query_one(LogView)
        assert log.total == 1000
    progress = [m for m in handled if isinstance(m, JobProgress)]
    logs = [m for m in handled if isinstance(m, JobLog)]
    assert len(logs) == 1000
    assert len(progress) < 10 and app.progress[job.id].done == 1000


async def test_log_of_100000_lines_pages_from_the_database(app: DavtuiApp) -> None:
    a = Account.create(name="a", url="https://a.example/")
    job = Job.create(name="big", source=a, destination=a)
    run = Run.create(job=job, started_at=T0)
    batch = [
        {
            "job": job.id,
            "run": run.id,
            "time": T0,
            "level": ("info", "warning")[i % 2 == 0],
            "message": f"line {i}",
        }
        for i in range(100_000)
    ]
    with LogEntry._meta.database.atomic():
        for start in range(0, len(batch), 5000):
            LogEntry.insert_many(batch[start : start + 5000]).execute()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.open_log(job.id, run.id)
        await pilot.pause()
        log = app.screen.query_one(LogView)
        await until(pilot, lambda: log.counted)  # counted in a thread past one page
        assert log.total == 100_000
        assert log.line(99_999).message == "line 99999"
        assert len(log._pages) <= 2  # only what was on screen was read
        await pilot.press("home")
        await pilot.pause()
        assert log.line(0).message == "line 0"
        await pilot.press("f", "f")  # warnings and errors
        await until(pilot, lambda: log.counted)
        assert log.total == 50_000


async def test_palette_commands_reach_the_screens(app: DavtuiApp) -> None:
    a = Account.create(name="a", url="https://a.example/")
    b = Account.create(name="b", url="https://b.example/")
    Job.create(name="one", source=a, destination=b)
    Job.create(name="two", source=b, destination=a, status="interrupted")
    async with app.run_test() as pilot:
        await pilot.press("ctrl+p", *"start queue")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert [(j.name, j.status, j.queue_position) for j in Job.select().order_by(Job.id)] == [
            ("one", "queued", 1),
            ("two", "queued", 2),
        ]
        await pilot.press("ctrl+p", *"add account")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.current_mode == "accounts" and type(app.screen).__name__ == "AccountForm"


async def test_theme_is_remembered(home: Path) -> None:
    first = DavtuiApp(str(home / "davtui.db"))
    async with first.run_test() as pilot:
        first.theme = "nord"
        await pilot.pause()
    assert Setting.get_by_id("theme").value == "nord"
    close_database()
    second = DavtuiApp(str(home / "davtui.db"))
    async with second.run_test():
        assert second.theme == "nord"
    close_database()


@pytest.mark.slow
async def test_dry_run_key_runs_the_job_once_as_a_plan_in_the_worker(
    live_app: DavtuiApp, radicale: Server, xandikos: Server
) -> None:
    """The queue worker honours the TUI's one-run dry-run marker; live lines reach the log."""
    app = live_app
    async with app.run_test(size=(120, 36)) as pilot:
        await create_two_accounts(pilot, radicale, xandikos)
        source = Account.get(Account.name == "radicale-alice")
        destination = Account.get(Account.name == "xandikos")
        dav.make_collection(radicale.url, f"alice/rehearse-{uuid.uuid4().hex[:8]}/", "Rehearse")
        job = Job.create(name="rehearse", source=source, destination=destination)
        await pilot.press("2", "3")
        await app.open_log(job.id)
        await pilot.press("2", "t")
        await until(pilot, lambda: status_of(job.id) == "completed")
        await pilot.press("3")
        await until(pilot, lambda: app.screen.query_one(LogView).total > 0)
    run = Run.get(Run.job == job.id)
    assert run.dry_run is True and Job.get_by_id(job.id).dry_run is False
