"""The job lifecycle under crashes, signals and concurrent runners, and the database opened once
per process (issue 18): real davtui subprocesses, real SQLite files, real servers on loopback
(Radicale, Xandikos, a hostile server that drips one byte every 2 s)."""

from __future__ import annotations

import fcntl
import glob
import importlib.util
import json
import os
import pty
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests import dav
from tests.contract import sample_event
from tests.hostile import Hostile, Seen, hostile
from tests.proxy import Proxy
from tests.servers import Server
from tests.test_migrate import config_file

PASSWORDS = {"SRC_PASS": "alicepw", "DST_PASS": "alicepw", "PW": "alicepw"}
STARTED: list[subprocess.Popen] = []


@pytest.fixture(autouse=True)
def no_runner_left() -> Iterator[None]:
    """A failed test never leaves a runner behind (one stuck on the drip server would stay)."""
    yield
    while STARTED:
        proc = STARTED.pop()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def davtui(db: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "davtui", "--db", str(db), *args]


def start(db: Path, *args: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        davtui(db, *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, **PASSWORDS},
    )  # fmt: skip
    STARTED.append(proc)
    return proc


def run(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        davtui(db, *args), capture_output=True, text=True, env={**os.environ, **PASSWORDS},
        timeout=120,
    )  # fmt: skip


def sql(db: Path, query: str, *params: object) -> list[tuple]:
    """One statement from this (third) process, committed; the connection is closed again."""
    connection = sqlite3.connect(db, timeout=30)
    try:
        with connection:
            return connection.execute(query, params).fetchall()
    finally:
        connection.close()


def job_status(db: Path, name: str) -> str | None:
    rows = sql(db, "SELECT status FROM job WHERE name = ?", name)
    return rows[0][0] if rows else None


def runs_of(db: Path, name: str) -> list[tuple[str, str | None]]:
    """(status, error) of each run of the job, oldest first."""
    return sql(
        db,
        "SELECT run.status, run.error FROM run JOIN job ON run.job_id = job.id "
        "WHERE job.name = ? ORDER BY run.id",
        name,
    )


def wait_for(condition: Callable[[], bool], timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


# --- the database opened once -------------------------------------------------------------


class Terminal:
    """A process on a pseudo-terminal (the TUI needs one), its output drained in a thread."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        os.close(slave)
        self.output = bytearray()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.output.extend(chunk)

    def press(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def children(self) -> set[int]:
        found: set[int] = set()
        for path in glob.glob(f"/proc/{self.proc.pid}/task/*/children"):
            with suppress(OSError):  # a thread that just ended
                found |= {int(pid) for pid in Path(path).read_text().split()}
        return found


def open_files(pid: int) -> list[str]:
    """Where the process's descriptors point ('... (deleted)' for an unlinked file)."""
    targets = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with suppress(OSError):  # closed meanwhile
            targets.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
    return targets


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("radicale") is None, reason="needs Radicale")
def test_demo_and_the_cli_share_one_database_and_every_write_is_seen(tmp_path: Path) -> None:
    """`davtui demo` opens the database, then its App opens it again; a `davtui job list`
    meanwhile must not find itself the last user (its WAL and shared memory deleted under the
    demo): the job the demo then runs is seen by a third process, to the end."""
    env = {**os.environ, "TMPDIR": str(tmp_path), "TERM": "xterm-256color"}
    env.pop("DAVTUI_DB", None)
    demo = Terminal([sys.executable, "-m", "davtui", "demo"], env)
    servers: set[int] = set()
    try:
        wait_for(lambda: b"demo-migration" in demo.output, 90, "the demo's Jobs screen")
        servers = demo.children()
        db = Path(glob.glob(str(tmp_path / "davtui-demo-*" / "davtui.db"))[0])
        listed = run(db, "job", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        assert [j["status"] for j in json.loads(listed.stdout)] == ["pending"]
        held = [t for t in open_files(demo.proc.pid) if t.startswith(str(db))]
        assert f"{db}-wal" in held and f"{db}-shm" in held, held
        assert not [t for t in held if t.endswith("(deleted)")], held

        demo.press(b"s")  # the demo's job runs in the TUI's queue worker: its writes
        wait_for(lambda: job_status(db, "demo-migration") == "completed", 180, "the job's end")
        shown = json.loads(run(db, "job", "show", "demo-migration", "--json").stdout)
        assert shown["status"] == "completed"
        assert [r["status"] for r in shown["runs"]] == ["completed"]
        assert shown["runs"][0]["stats"]["events"]["created"] == 150
        held = [t for t in open_files(demo.proc.pid) if t.startswith(str(db))]
        assert not [t for t in held if t.endswith("(deleted)")], held

        demo.press(b"\x11")  # Ctrl+Q: nothing runs, the demo quits and cleans up
        demo.proc.wait(timeout=60)
        assert demo.proc.returncode == 0
    finally:
        if demo.proc.poll() is None:
            os.killpg(demo.proc.pid, signal.SIGKILL)
            demo.proc.wait()
        for pid in servers:  # the demo's Radicales, if it could not stop them itself
            with suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        os.close(demo.master)


# --- one runner per job -------------------------------------------------------------------


@pytest.mark.slow
def test_two_migrates_of_one_job_run_once(
    fresh_radicale: Server, fresh_xandikos: Server, tmp_path: Path
) -> None:
    """Both started together: one claims the job and copies, the other says who runs it and
    exits 2 at once, before any request; so does a headless runner asked for the same job."""
    calendar = dav.make_collection(fresh_radicale.url, "alice/work/", "Work")
    for i in range(60):
        assert dav.put(f"{calendar}e{i}.ics", sample_event(f"e{i}", f"Event {i}")) == 201
    db = tmp_path / "state.db"
    with Proxy(fresh_xandikos.url, latency=0.25) as slow:
        config = config_file(tmp_path / "m.toml", fresh_radicale.url, slow.url, name="twice")
        started = time.monotonic()
        runners = [start(db, "migrate", str(config), "--json") for _ in range(2)]
        wait_for(lambda: any(p.poll() is not None for p in runners), 60, "one runner to end")
        ended = time.monotonic() - started
        loser = next(p for p in runners if p.poll() is not None)
        winner = next(p for p in runners if p is not loser)
        assert winner.poll() is None, "the runner of the job is still copying"
        _out, err = loser.communicate()
        where = f"pid {winner.pid} on host {socket.gethostname()}"
        sentence = f"job 'twice' is already running ({where})."
        assert (loser.returncode, err.strip()) == (2, f"davtui: {sentence}")

        headless = run(db, "--headless", "--job", "twice")
        assert (headless.returncode, headless.stderr.strip()) == (2, f"davtui: {sentence}")
        listed = json.loads(run(db, "job", "list", "--json").stdout)
        assert [j["status"] for j in listed] == ["running"], "a live runner's job stays its"
        assert winner.poll() is None, "the run outlasted the checks: make the proxy slower"

        out, err = winner.communicate(timeout=300)
    assert winner.returncode == 0, err
    assert json.loads(out)["status"] == "completed"
    assert [status for status, _error in runs_of(db, "twice")] == ["completed"]
    assert job_status(db, "twice") == "completed"
    assert len(dav.listing(f"{fresh_xandikos.url}alice/calendars/work/")) == 60
    print(f"second migrate refused {ended:.2f} s after both started")


# --- signals and crashes against a server that drips ----------------------------------------


@contextmanager
def dripping() -> Iterator[Hostile]:
    """A server whose every answer promises 100 kB and sends one byte every 2 s."""
    stop = threading.Event()

    def drip(_seen: Seen, handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(b"HTTP/1.1 207 Multi-Status\r\nContent-Type: application/xml\r\n")
        handler.wfile.write(b"Content-Length: 100000\r\n\r\n<")
        while not stop.wait(2):
            handler.wfile.write(b" ")

    with hostile(drip) as server:
        try:
            yield server
        finally:
            stop.set()


def start_stuck_run(db: Path, tmp_path: Path, server: Hostile) -> subprocess.Popen:
    """A `davtui migrate` of the job 'drip', once it waits in the server's answers."""
    config = config_file(tmp_path / "drip.toml", server.url, server.url, name="drip")
    proc = start(db, "migrate", str(config))
    wait_for(lambda: server.seen and job_status(db, "drip") == "running", 60, "the run")
    time.sleep(0.5)  # well into the first answer
    assert proc.poll() is None
    return proc


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_second_signal_stops_a_stuck_run_at_once(sig: signal.Signals, tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    with dripping() as server:
        proc = start_stuck_run(db, tmp_path, server)
        proc.send_signal(sig)
        time.sleep(0.5)
        second = time.monotonic()
        if proc.poll() is None:
            proc.send_signal(sig)
        _out, err = proc.communicate(timeout=30)
        took = time.monotonic() - second
    assert proc.returncode == 5, err
    assert took < 2.0, f"the second {sig.name} took {took:.2f} s"
    assert "Traceback" not in err
    assert f"{sig.name} again: stopping now" in err
    assert job_status(db, "drip") == "interrupted", "left to resume on the next start"
    assert [status for status, _error in runs_of(db, "drip")] == ["interrupted"]
    print(f"exit {took:.2f} s after the second {sig.name}")


def test_a_killed_runner_s_job_is_listed_interrupted_at_once(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    with dripping() as server:
        proc = start_stuck_run(db, tmp_path, server)
        proc.kill()
        proc.wait()
        assert job_status(db, "drip") == "running"  # nothing could record the kill
        listed = run(db, "job", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [j["status"] for j in json.loads(listed.stdout)] == ["interrupted"]
    shown = json.loads(run(db, "job", "show", "drip", "--json").stdout)
    assert [r["status"] for r in shown["runs"]] == ["interrupted"]


# --- an unexpected error ends the run as failed ---------------------------------------------

UNREACHABLE = "http://127.0.0.1:1/"


def break_discoveries(db: Path) -> None:
    """What a bug looks like to a run: stored data of a shape no code expects (a string where
    the accounts' discovery record is a table) raises something that is no EngineError."""
    sql(db, """UPDATE account SET capabilities = '"not a table"'""")


def assert_failed_in_one_sentence(done: subprocess.CompletedProcess, db: Path, name: str):
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "unexpected error (AttributeError" in done.stderr
    assert job_status(db, name) == "failed"
    status, error = runs_of(db, name)[-1]
    assert status == "failed"
    assert error.startswith("The run stopped on an unexpected error (AttributeError: ")
    assert "\n" not in error


def test_an_unexpected_error_fails_a_migrate(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    config = config_file(tmp_path / "m.toml", UNREACHABLE, UNREACHABLE, name="odd")
    assert run(db, "migrate", str(config)).returncode == 4  # stores the accounts and the job
    break_discoveries(db)
    assert_failed_in_one_sentence(run(db, "migrate", str(config)), db, "odd")


def test_an_unexpected_error_fails_a_headless_run(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    for name in ("src", "dst"):
        added = run(db, "account", "add", name, "--url", UNREACHABLE, "-u", "alice",
                    "--no-password")  # fmt: skip
        assert added.returncode == 0, added.stderr
    assert run(db, "job", "add", "odd", "-s", "src", "-d", "dst", "--queue").returncode == 0
    break_discoveries(db)
    assert_failed_in_one_sentence(run(db, "--headless", "--job", "odd"), db, "odd")


def test_an_unexpected_error_fails_a_job_in_the_tui_queue(store: Path) -> None:
    """The TUI's queue worker (the App's own `JobQueue`) ends the job `failed` and goes on."""
    from davtui.engine.jobs.queue import enqueue
    from davtui.store.models import Account, Job, Run
    from davtui.tui.messages import JobStateChanged
    from davtui.tui.worker import JobQueue

    accounts = [
        Account.create(name=n, url=UNREACHABLE, username="alice", capabilities="not a table")
        for n in ("src", "dst")
    ]
    job = Job.create(name="odd", source=accounts[0], destination=accounts[1])
    enqueue(job.id)
    posted: list = []
    queue = JobQueue(posted.append, idle_wait=0.2)
    raised: list[BaseException] = []

    def body() -> None:
        try:
            queue.run()
        except BaseException as exc:  # the queue raises a bug it met in a slot
            raised.append(exc)

    worker = threading.Thread(target=body)
    worker.start()
    try:
        wait_for(lambda: Job.get_by_id(job.id).status == "failed", 60, "the job to fail")
    finally:
        queue.stop()
        worker.join(timeout=60)
    assert not raised and not worker.is_alive()
    run_row = Run.get(Run.job == job.id)
    assert (run_row.status, run_row.finished_at is not None) == ("failed", True)
    assert run_row.error.startswith("The run stopped on an unexpected error (AttributeError: ")
    assert any(isinstance(m, JobStateChanged) and m.status == "failed" for m in posted)
