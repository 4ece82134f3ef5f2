"""`davtui --headless` and the job commands end to end, each command a real subprocess against
real Radicale and Xandikos: a full run, pause/resume from a second process, SIGTERM and
resume without duplicates, and the notification hook."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from tests import dav
from tests.contract import sample_event, sample_vcard
from tests.proxy import Proxy
from tests.servers import Server

SLOW_ITEMS = 150


def command(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "davtui", "--db", str(home / "davtui.db"), *args]


def cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    """One davtui command; the password of every account is in $PW."""
    env = {**os.environ, "PW": "alicepw"}
    return subprocess.run(
        command(home, *args), capture_output=True, text=True, env=env, timeout=300
    )


def ok(home: Path, *args: str) -> str:
    done = cli(home, *args)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def seed(server: Server, events: int, cards: int = 0) -> None:
    cal = dav.make_collection(server.url, "alice/work/", "Work")
    for i in range(events):
        assert dav.put(f"{cal}e{i}.ics", sample_event(f"e{i}", f"Event {i}")) == 201
    if cards:
        book = dav.make_collection(server.url, "alice/book/", "Book", kind="addressbook")
        for i in range(cards):
            assert dav.put(f"{book}c{i}.vcf", sample_vcard(f"c{i}", f"Jo Doe{i}"), "text/vcard")


def dav_login(url: str) -> list[str]:
    """`account add` options for alice on a server (the password comes from $PW)."""
    return ["--url", url, "-u", "alice", "--password-env", "PW"]


def folder(path: Path) -> list[str]:
    """`account add` options for a local vdir folder."""
    return ["--url", str(path), "--kind", "vdir", "--no-password"]


def make_job(home: Path, source: list[str], destination: list[str], *extra: str) -> None:
    """Accounts src and dst, and the queued job j between them."""
    ok(home, "account", "add", "src", *source)
    ok(home, "account", "add", "dst", *destination)
    ok(home, "job", "add", "j", "-s", "src", "-d", "dst", "--queue", *extra)


def seed_folder(root: Path, events: int) -> Path:
    """A vdir calendar of `events` files: a large source in no time."""
    calendar = root / "Work"
    calendar.mkdir(parents=True)
    for i in range(events):
        (calendar / f"e{i}.ics").write_bytes(sample_event(f"e{i}", f"Event {i}"))
    return root


def start_runner(home: Path, *args: str) -> subprocess.Popen:
    """A headless runner in the background, as cron or an SSH session would start it."""
    return subprocess.Popen(
        command(home, "--headless", *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def job_json(home: Path) -> dict:
    return json.loads(ok(home, "job", "show", "j", "--json"))


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def destination_items(home: Path, server: Server) -> dict[str, str]:
    """The items in the collections the job wrote, listed straight from the server."""
    from davtui.store import close_database, open_database
    from davtui.store.models import CollectionState

    open_database(str(home / "davtui.db"))
    try:
        targets = [row.dest_href for row in CollectionState.select()]
    finally:
        close_database()
    out: dict[str, str] = {}
    for target in targets:
        out.update(dav.listing(urljoin(server.url, urlsplit(target).path)))
    return out


@pytest.fixture
def slow_destination(fresh_xandikos: Server) -> Iterator[Proxy]:
    """Xandikos behind a proxy that delays every request, so a run lasts a few seconds."""
    with Proxy(fresh_xandikos.url, latency=0.02) as proxy:
        yield proxy


def test_account_job_headless_show_log(
    fresh_radicale: Server, fresh_xandikos: Server, home: Path, tmp_path: Path
) -> None:
    seed(fresh_radicale, events=8, cards=3)
    received = tmp_path / "report.json"
    script = tmp_path / "hook.py"
    script.write_text(
        "import sys, pathlib\npathlib.Path(sys.argv[1]).write_text(sys.stdin.read())\n"
    )
    hook = f"{sys.executable} {script} {received}"
    make_job(home, dav_login(fresh_radicale.url), dav_login(fresh_xandikos.url), "--hook", hook)

    done = cli(home, "--headless", "--json")
    assert done.returncode == 0, done.stderr
    [report] = json.loads(done.stdout)
    assert report["job"] == "j" and report["status"] == "completed"
    assert report["verification"]["ok"] and report["stats"]["events"]["created"] == 8
    assert json.loads(received.read_text()) == report  # the hook got the same report

    shown = job_json(home)
    assert shown["status"] == "completed" and len(shown["runs"]) == 1
    assert shown["runs"][0]["stats"]["contacts"]["created"] == 3
    text = ok(home, "job", "show", "j")
    assert "completed" in text and "events 8" in text
    log = ok(home, "job", "log", "j").splitlines()
    assert sum("created: Event" in line for line in log) == 8
    assert any("run completed" in line for line in log)
    assert len(destination_items(home, fresh_xandikos)) == 11


def test_failing_global_hook_is_logged_not_fatal(
    fresh_xandikos: Server, home: Path, tmp_path: Path
) -> None:
    cal = f"{fresh_xandikos.url}alice/calendars/calendar/"
    assert dav.put(f"{cal}one.ics", sample_event("one", "One")) == 201
    make_job(home, dav_login(fresh_xandikos.url), folder(tmp_path / "backup"))
    ok(home, "hook", f"{sys.executable} -c 'raise SystemExit(3)'")
    done = cli(home, "--headless")
    assert done.returncode == 0, done.stderr
    warnings = ok(home, "job", "log", "j", "--level", "warning")
    assert "the hook command exited with status 3" in warnings


def test_pause_and_resume_from_another_process(
    slow_destination: Proxy, home: Path, tmp_path: Path
) -> None:
    source = folder(seed_folder(tmp_path / "source", SLOW_ITEMS))
    make_job(home, source, dav_login(slow_destination.url))
    runner = start_runner(home, "--json")
    try:
        wait_for(lambda: slow_destination.counts["PUT"] >= 20)
        ok(home, "job", "pause", "j")
        wait_for(lambda: job_json(home)["status"] == "paused", timeout=10)
        time.sleep(0.5)  # the writes in flight when the gate closed
        paused_at = slow_destination.counts["PUT"]
        time.sleep(1.5)
        assert slow_destination.counts["PUT"] == paused_at < SLOW_ITEMS
        ok(home, "job", "resume", "j")
        out, err = runner.communicate(timeout=120)
    finally:
        runner.kill()
    assert runner.returncode == 0, err
    [report] = json.loads(out)
    assert report["status"] == "completed" and report["verification"]["ok"]
    assert report["stats"]["events"]["created"] == SLOW_ITEMS
    assert job_json(home)["status"] == "completed"


def test_sigterm_then_second_run_completes_without_duplicates(
    fresh_xandikos: Server, slow_destination: Proxy, home: Path, tmp_path: Path
) -> None:
    source = folder(seed_folder(tmp_path / "source", SLOW_ITEMS))
    make_job(home, source, dav_login(slow_destination.url))
    runner = start_runner(home)
    try:
        wait_for(lambda: slow_destination.counts["PUT"] >= 30)
        runner.send_signal(signal.SIGTERM)
        _out, err = runner.communicate(timeout=60)
    finally:
        runner.kill()
    assert runner.returncode == 5, err
    assert "SIGTERM" in err
    assert job_json(home)["status"] == "interrupted"
    copied = len(destination_items(home, fresh_xandikos))
    assert 30 <= copied < SLOW_ITEMS

    done = cli(home, "--headless", "--json")
    assert done.returncode == 0, done.stderr
    [report] = json.loads(done.stdout)
    assert report["verification"]["ok"]
    assert report["stats"]["events"]["created"] == SLOW_ITEMS - copied
    assert len(destination_items(home, fresh_xandikos)) == SLOW_ITEMS
    runs = job_json(home)["runs"]
    assert [r["status"] for r in runs] == ["cancelled", "completed"]
