"""Progress outside the TUI, each command a real subprocess: a running job's counts, rate and
ETA in `job list`, `job show` and `davtui status` (read from its run row); plain progress
lines in a pipe with `--json` keeping stdout pure JSON; live bars on a terminal (a real pty)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from davtui.cli.console import Console
from davtui.engine.events import Phase, Progress
from davtui.store import close_database, open_database
from davtui.store.models import Run
from tests.proxy import Proxy
from tests.servers import Server
from tests.test_headless import (
    command,
    dav_login,
    folder,
    job_json,
    make_job,
    ok,
    seed_folder,
    start_runner,
    wait_for,
)

ITEMS = 200


@pytest.fixture
def slow(fresh_xandikos: Server) -> Iterator[Proxy]:
    with Proxy(fresh_xandikos.url, latency=0.05) as proxy:
        yield proxy


def progress_of(home: Path) -> dict | None:
    [row] = json.loads(ok(home, "job", "list", "--json"))
    return row["progress"]


@pytest.mark.slow
def test_a_running_job_shows_counts_rate_and_eta(slow: Proxy, home: Path, tmp_path: Path) -> None:
    make_job(home, folder(seed_folder(tmp_path / "source", ITEMS)), dav_login(slow.url))
    runner = start_runner(home, "--json")
    try:
        wait_for(lambda: (p := progress_of(home)) is not None and p["done"] > 0 and p["rate"])
        ok(home, "job", "pause", "j")
        wait_for(lambda: job_json(home)["status"] == "paused", timeout=30)
        progress = job_json(home)["progress"]
        assert progress["total"] == ITEMS and 0 < progress["done"] < ITEMS
        assert progress["rate"] > 0 and progress["eta"] > 0
        listing = ok(home, "job", "list")
        assert "PROGRESS" in listing.splitlines()[0]
        assert f"/{ITEMS} " in listing and "/s ETA " in listing
        assert f"/{ITEMS} " in ok(home, "job", "show", "j").split("progress", 1)[1]
        fleet = json.loads(ok(home, "status", "--json"))
        assert fleet["mailboxes"]["paused"] == 1 and fleet["items_total"] == ITEMS
        assert fleet["items_done"] == progress["done"]
        ok(home, "job", "resume", "j")
        out, err = runner.communicate(timeout=300)
    finally:
        runner.kill()
    assert runner.returncode == 0, err
    [report] = json.loads(out)  # stdout: the JSON and nothing else
    assert report["stats"]["events"]["created"] == ITEMS
    assert "collection 'Work'" in err and " items, " in err  # plain lines: not a terminal
    assert job_json(home)["progress"] is None  # finished: nothing under way
    open_database(str(home / "davtui.db"))
    try:
        run = Run.get()
        assert (run.items_done, run.items_total, run.items_failed) == (ITEMS, ITEMS, 0)
    finally:
        close_database()


def test_a_terminal_gets_a_live_progress_bar(home: Path, tmp_path: Path) -> None:
    make_job(home, folder(seed_folder(tmp_path / "source", 200)), folder(tmp_path / "backup"))
    leader, follower = os.openpty()
    received = bytearray()

    def read() -> None:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the other side closed
                return
            if not chunk:
                return
            received.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        done = subprocess.run(command(home, "--headless", "--json"), stdout=subprocess.PIPE,
                              stderr=follower, text=True, timeout=300)  # fmt: skip
    finally:
        os.close(follower)
    reader.join(10)
    os.close(leader)
    shown = received.decode("utf-8", "replace")
    assert done.returncode == 0, shown
    assert json.loads(done.stdout)[0]["stats"]["events"]["created"] == 200
    assert "200/200" in shown and "/s" in shown and "ETA" in shown
    assert "j: completed in" in shown


def test_not_a_terminal_prints_progress_every_ten_seconds_and_at_each_collection() -> None:
    out, now = io.StringIO(), [0.0]
    console = Console(out, label="j", clock=lambda: now[0])
    for second in range(0, 31):
        now[0] = float(second)
        console(Progress(done=second * 10, total=300, rate=10.0, eta=30.0 - second))
    console(Phase("act", "Home"))
    lines = out.getvalue().splitlines()
    assert [line.split(" ", 2)[2] for line in lines] == [
        "INFO    j: 100/300 items, 10.0/s, ETA 0:00:20",
        "INFO    j: 200/300 items, 10.0/s, ETA 0:00:10",
        "INFO    j: 300/300 items, 10.0/s, ETA 0:00:00",
        "INFO    j: collection 'Home' 300/300 items, 10.0/s, ETA 0:00:00",
    ]
