"""`davtui demo`: the sample data, the accounts and job it prepares, and its job run to the end
in the TUI's real queue worker against two Radicale servers started the way the demo does."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from davtui.cli import demo
from davtui.store import Vault, close_database, open_database
from davtui.store.models import Account, Job, Run
from davtui.tui.app import DavtuiApp
from davtui.tui.screens import ConfirmScreen
from tests import dav
from tests.servers import Server

EVENTS = 150  # Personal 70 + Work 80 (one resource each, overrides included)


async def loop_lag(lags: list[float]) -> None:
    while True:
        before = time.monotonic()
        await asyncio.sleep(0.01)
        lags.append(time.monotonic() - before - 0.01)


def test_seed_writes_realistic_sample_data_and_a_pending_job(
    fresh_radicale: Server, home: Path
) -> None:
    counts = demo.seed(fresh_radicale.url, "alicepw")
    assert counts == {"Personal": 70, "Work": 80, "Tasks": 20, "Contacts": 60}
    work = dav.listing(f"{fresh_radicale.url}alice/work/")
    assert len(work) == 80
    texts = [
        dav.request(f"{fresh_radicale.url.rstrip('/')}{href}", "GET")[1].decode()
        for href in sorted(work)[:40]
    ]
    joined = "\n".join(texts)
    for feature in ("RRULE:", "EXDATE;TZID=", "RECURRENCE-ID;TZID=", "VALUE=DATE:", "BEGIN:VALARM"):
        assert feature in joined, feature
    assert "ATTENDEE;" in joined and "BEGIN:VTIMEZONE" in joined
    assert len(dav.listing(f"{fresh_radicale.url}alice/contacts/")) == 60

    open_database(str(home / "demo.db"))
    try:
        source = demo.Radicale(fresh_radicale.url, "alicepw")
        job_id = demo.create_job(source, demo.Radicale("http://127.0.0.1:1/", "other"))
        job = Job.get_by_id(job_id)
        assert (job.status, job.what, job.suppress_invitations) == ("pending", "both", True)
        assert Vault.open().password(Account.get(name="demo-source")) == "alicepw"
    finally:
        close_database()


async def test_demo_job_runs_to_completion_in_the_tui(tmp_path: Path, home: Path) -> None:
    servers = [demo.start_radicale(tmp_path / "src"), demo.start_radicale(tmp_path / "dst")]
    try:
        demo.seed(servers[0].url, servers[0].password)
        db = str(home / "demo.db")
        open_database(db)
        job_id = demo.create_job(*servers)
        app = DavtuiApp(db)
        async with app.run_test(size=(80, 24)) as pilot:
            assert app.current_mode == "jobs"
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
    servers = [demo.start_radicale(tmp_path / "src"), demo.start_radicale(tmp_path / "dst")]
    try:
        demo.seed(servers[0].url, servers[0].password)
        db = str(home / "demo.db")
        open_database(db)
        job_id = demo.create_job(*servers)
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
        for server in servers:
            server.stop()
