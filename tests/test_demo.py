"""`davtui demo`: the sample data, the accounts and job it prepares, and its job run to the end
in the TUI's real queue worker against two Radicale servers started the way the demo does."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from davtui.cli import demo
from davtui.store import Vault, close_database, open_database
from davtui.store.models import Account, Job, Run
from davtui.tui.app import DavtuiApp
from davtui.tui.screens import ConfirmScreen
from tests import dav
from tests.proxy import Proxy

EVENTS = 150  # Personal 70 + Work 80 (one resource each, overrides included)


async def loop_lag(lags: list[float]) -> None:
    while True:
        before = time.monotonic()
        await asyncio.sleep(0.01)
        lags.append(time.monotonic() - before - 0.01)


def test_sample_is_written_as_files_that_radicale_serves_and_a_pending_job(
    tmp_path: Path, home: Path
) -> None:
    """The sample goes into the source's storage folder as files before the server starts
    (no PUT one by one: the TUI's first frame comes at once), and Radicale serves all of it."""
    storage = tmp_path / "source" / "data"
    counts = demo.write_sample(storage)
    assert counts == {"Personal": 70, "Work": 80, "Tasks": 20, "Contacts": 60}
    assert len([p for p in storage.rglob("*") if p.suffix in (".ics", ".vcf")]) == 230
    server = demo.start_radicale(tmp_path / "source")
    try:
        auth = {"password": server.password}
        for path, count in (("personal", 70), ("work", 80), ("tasks", 20), ("contacts", 60)):
            assert len(dav.listing(f"{server.url}alice/{path}/", **auth)) == count, path
        work = dav.listing(f"{server.url}alice/work/", **auth)
        texts = [
            dav.request(f"{server.url.rstrip('/')}{href}", "GET", **auth)[1].decode()
            for href in sorted(work)[:40]
        ]
    finally:
        server.stop()
    joined = "\n".join(texts)
    for feature in ("RRULE:", "EXDATE;TZID=", "RECURRENCE-ID;TZID=", "VALUE=DATE:", "BEGIN:VALARM"):
        assert feature in joined, feature
    assert "ATTENDEE;" in joined and "BEGIN:VTIMEZONE" in joined

    open_database(str(home / "demo.db"))
    try:
        source = demo.Radicale(server.url, server.password)
        job_id = demo.create_job(source, demo.Radicale("http://127.0.0.1:1/", "other"))
        job = Job.get_by_id(job_id)
        assert (job.status, job.what, job.suppress_invitations) == ("pending", "both", True)
        assert Vault.open().password(Account.get(name="demo-source")) == server.password
    finally:
        close_database()


def test_stop_all_ends_a_server_that_ignores_sigterm_promptly(tmp_path: Path) -> None:
    """Quitting never waits long on a server: SIGTERM, a short wait, then SIGKILL."""
    stubborn = subprocess.Popen(
        [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, "
         "signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    assert stubborn.stdout is not None and stubborn.stdout.readline() == b"ready\n"
    started = time.monotonic()
    demo.stop_all([demo.Radicale("http://127.0.0.1:1/", "x", stubborn)])
    assert stubborn.returncode == -signal.SIGKILL
    assert time.monotonic() - started < 30  # generous: STOP_WAIT is 2 s


def test_servers_that_started_are_stopped_when_loading_the_tui_fails(tmp_path: Path) -> None:
    """The servers run in sessions of their own: an error (or Ctrl+C) while they start must
    not leave them running."""

    def broken() -> None:
        raise ImportError("no TUI here")

    with pytest.raises(ImportError):
        demo.start_servers(tmp_path, broken)
    for side in demo.SIDES:
        port = re.search(r"hosts = 127.0.0.1:(\d+)", (tmp_path / side / "config").read_text())
        assert port is not None
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", int(port[1])), timeout=5).close()


def toasts(app: DavtuiApp) -> str:
    return "\n".join(toast.render().plain for toast in app.screen.query("Toast"))


async def test_demo_job_runs_to_completion_in_the_tui(tmp_path: Path, home: Path) -> None:
    demo.write_sample(tmp_path / "source" / "data")
    servers = demo.start_servers(tmp_path, lambda: None)
    try:
        db = str(home / "demo.db")
        open_database(db)
        job_id = demo.create_job(*servers)
        app = demo.demo_app(db, demo.server_lines(servers, tmp_path))
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            assert app.current_mode == "jobs"
            await pilot.pause()
            shown = toasts(app)  # where the servers are and how to log in, for the CLI
            for server in servers:
                assert server.url in shown and server.password in shown, shown
            assert "login alice" in shown and f"DAVTUI_DB={tmp_path / 'davtui.db'}" in shown
            lags: list[float] = []  # how late a 10 ms timer of the App's event loop fires
            probe = asyncio.create_task(loop_lag(lags))
            await pilot.press("s")
            deadline = time.monotonic() + 120
            keys: list[float] = []  # how long a key press takes to be handled, job running
            while Job.get_by_id(job_id).status not in ("completed", "completed_with_errors"):
                assert time.monotonic() < deadline
                pressed = time.monotonic()
                await pilot.press("down")
                keys.append(time.monotonic() - pressed)
                await pilot.pause(0.05)
            probe.cancel()
            keys.sort()
            lags.sort()
            print(
                f"event loop lag: median {lags[len(lags) // 2] * 1000:.0f} ms, "
                f"p99 {lags[len(lags) * 99 // 100] * 1000:.0f} ms"
            )
            print(
                f"key latency while running: median {keys[len(keys) // 2] * 1000:.0f} ms, "
                f"max {keys[-1] * 1000:.0f} ms over {len(keys)} presses"
            )
        run = Run.get(Run.job == job_id)
        assert run.status == "completed", run.error
        assert run.stats["events"]["created"] == EVENTS
        assert run.stats["tasks"]["created"] == 20
        assert run.stats["contacts"]["created"] == 60
        assert run.stats["calendars"]["created"] == 3
        assert run.stats["addressbooks"]["created"] == 1
        assert run.verification and run.verification["ok"]
    finally:
        close_database()
        for server in servers:
            server.stop()


async def test_quit_while_running_asks_leaves_it_interrupted_and_the_next_start_resumes(
    tmp_path: Path, home: Path
) -> None:
    demo.write_sample(tmp_path / "source" / "data")
    servers = demo.start_servers(tmp_path, lambda: None)
    # Writes slowed down, so that the job is surely still running when ctrl+q comes (the
    # demo's own servers copy its 230 items in about a second).
    slow = Proxy(servers[1].url, latency=0.05)
    try:
        db = str(home / "demo.db")
        open_database(db)
        job_id = demo.create_job(servers[0], demo.Radicale(slow.url, servers[1].password))
        first = DavtuiApp(db)
        async with first.run_test(size=(80, 24)) as pilot:
            await pilot.press("s")
            while not (first.progress.get(job_id) and first.progress[job_id].done > 20):
                await pilot.pause(0.02)
            await pilot.press("ctrl+q")
            assert isinstance(first.screen, ConfirmScreen)
            await pilot.press("y")
            while not first.queue.stopped.is_set():
                await pilot.pause(0.02)
        job = Job.get_by_id(job_id)
        assert job.status == "interrupted" and job.runner is None
        assert Run.get(Run.job == job_id).status == "cancelled"

        second = DavtuiApp(db)  # no key pressed: interrupted jobs resume when the queue starts
        async with second.run_test(size=(80, 24)) as pilot:
            deadline = time.monotonic() + 120
            while Job.get_by_id(job_id).status != "completed":
                assert time.monotonic() < deadline
                await pilot.pause(0.05)
        _first, second_run = Run.select().where(Run.job == job_id).order_by(Run.id)
        stats = second_run.stats
        expected = {"events": EVENTS, "tasks": 20, "contacts": 60}
        for kind, count in expected.items():  # what the first run copied is found unchanged
            assert stats[kind].get("created", 0) + stats[kind].get("unchanged", 0) == count
        assert sum(stats[kind].get("unchanged", 0) for kind in expected) >= 20
    finally:
        close_database()
        slow.close()
        for server in servers:
            server.stop()
