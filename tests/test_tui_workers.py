"""Parallel jobs in the TUI: the setting (palette, header, kept in `Setting`) and a queue that
runs up to that many jobs at once, proven from the Run rows of real jobs against the real
Radicale (source) and Xandikos (destination, behind a proxy that slows each request so that
jobs last long enough to overlap).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from textual.pilot import Pilot

from davtui.store import close_database
from davtui.store.models import Account, Job, Run, Setting
from davtui.tui.app import DavtuiApp
from tests import dav
from tests.contract import sample_event
from tests.proxy import Proxy
from tests.servers import Server
from tests.test_tui import create_two_accounts, until

JOBS = 3
EVENTS = 25  # per job: with the proxy's latency, a job lasts a few seconds


@pytest.fixture
async def live_app(home: Path) -> AsyncIterator[DavtuiApp]:
    yield DavtuiApp(str(home / "davtui.db"))
    close_database()


async def palette(pilot: Pilot, *steps: str) -> None:
    """Pick a command in the palette by typing it, then each following step in the palette
    that command opened."""
    await pilot.press("ctrl+p")
    for step in steps:
        await pilot.press(*step)
        await pilot.pause(0.3)  # the palette searches in the background
        await pilot.press("enter")
        await pilot.pause()


def seed_calendars(server: Server) -> list[str]:
    """One calendar per job on the source, each with its own events; returns their names."""
    names = []
    for n in range(JOBS):
        name = f"Part{n}"
        cal = dav.make_collection(server.url, f"alice/part{n}/", name)
        for i in range(EVENTS):
            assert dav.put(f"{cal}e{i}.ics", sample_event(f"p{n}-e{i}", f"Event {n}.{i}")) == 201
        names.append(name)
    return names


def most_at_once(spans: list[tuple[datetime, datetime]]) -> int:
    """The largest number of spans that cover one instant (a span ends before one starting
    at the same instant)."""
    edges = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak


@pytest.mark.slow
async def test_two_parallel_jobs_set_in_the_palette_run_side_by_side_and_the_setting_stays(
    live_app: DavtuiApp, home: Path, fresh_radicale: Server, fresh_xandikos: Server
) -> None:
    app = live_app
    names = seed_calendars(fresh_radicale)
    titles: set[str] = set()

    def shown(title: str) -> None:
        titles.add(title)

    def finished() -> bool:
        return all(job.status == "completed" for job in Job.select(Job.status))

    with Proxy(fresh_xandikos.url, latency=0.02) as slow:
        async with app.run_test(size=(120, 36)) as pilot:
            assert app.queue.workers == 1 and app.sub_title == "idle"
            await create_two_accounts(pilot, fresh_radicale, slow)
            await palette(pilot, "parallel jobs", "2 jobs")
            assert app.queue.workers == 2
            assert Setting.get_by_id("workers").value == 2
            assert app.sub_title == "idle · up to 2 at once"
            # every header the App shows, not a sample of them: a poll can miss a short overlap
            app.watch(app, "sub_title", shown)

            source = Account.get(Account.name == "radicale-alice")
            destination = Account.get(Account.name == "xandikos")
            for name in names:
                Job.create(
                    name=f"copy-{name}",
                    source=source,
                    destination=destination,
                    what="calendars",
                    collections=[{"source": name, "target": None}],
                )
            await palette(pilot, "start queue")
            await until(pilot, finished, timeout=120)

    runs = list(Run.select().order_by(Run.started_at))
    assert [run.status for run in runs] == ["completed"] * JOBS
    assert all(run.stats["events"]["created"] == EVENTS for run in runs)
    assert most_at_once([(run.started_at, run.finished_at) for run in runs]) == 2
    first, second, third = runs
    assert second.started_at < first.finished_at  # the first two overlapped
    assert third.started_at >= min(first.finished_at, second.finished_at)  # then it waited
    assert "running 2 jobs · up to 2 at once" in titles
    assert slow.counts["PUT"] == JOBS * EVENTS  # each item written once: no job ran twice
    close_database()

    again = DavtuiApp(str(home / "davtui.db"), run_jobs=False)
    async with again.run_test() as pilot:
        await pilot.pause()
        assert again.queue.workers == 2
        assert again.sub_title == "idle · up to 2 at once"
        await palette(pilot, "parallel jobs", "1 job")
        assert again.queue.workers == 1 and again.sub_title == "idle"
    assert Setting.get_by_id("workers").value == 1
