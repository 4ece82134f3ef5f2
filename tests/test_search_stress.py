"""Log writers never trip over the search index: runs' log rows (through the real Recorder)
and item states written by several processes while others catch the index up and search.

The index once kept by triggers failed a writer's first INSERT on each new connection at once
with "database is locked" whenever another process held the write lock (see
davtui.store.search); the first test is that moment, made certain instead of waited for."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import threading
import time
from pathlib import Path

from davtui.engine.jobs.recorder import Recorder
from davtui.store.models import LogEntry, database
from davtui.store.search import catch_up, indexed_upto, matching
from tests.log_load import item, search, setup, write_logs

HOLDER = """
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("PRAGMA busy_timeout = 30000")
con.execute("BEGIN IMMEDIATE")
con.execute("INSERT INTO log_entry (time, level, message) VALUES ('2026-12-03', 'info', 'held')")
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
con.execute("COMMIT")
"""


def test_a_new_connection_writes_its_log_while_another_process_holds_the_lock(
    home: Path,
) -> None:
    from davtui.store import close_database, open_database

    path = home / "s.db"
    ((job_id, run_id),) = setup(path, 1)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), "1.0"], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
    errors: list[BaseException] = []

    def first_write() -> None:  # a thread: its own, new connection
        try:
            open_database(str(path))
            recorder = Recorder(job_id, run_id)
            recorder(item(job_id, 1))
            recorder.flush()
            catch_up(budget=None)
        except BaseException as exc:
            errors.append(exc)

    writer = threading.Thread(target=first_write)
    started = time.monotonic()
    writer.start()
    writer.join(60)
    assert holder.wait(60) == 0
    assert errors == [] and not writer.is_alive()
    assert time.monotonic() - started > 0.5  # it waited for the lock instead of failing
    open_database(str(path))
    try:
        assert LogEntry.select().where(matching("uid-1-1@")).count() == 1
        assert indexed_upto() == LogEntry.select().count()
    finally:
        close_database()


def test_writers_and_searchers_at_once_never_see_a_locked_database(home: Path) -> None:
    from davtui.store import close_database, open_database

    path = home / "s.db"
    made = setup(path, 3)
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    processes = [
        context.Process(target=write_logs, args=(str(path), job, run, 3.0, out))
        for job, run in made
    ]
    processes += [context.Process(target=search, args=(str(path), 3.0, out)) for _ in range(2)]
    for process in processes:
        process.start()
    results = [out.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(60)
    assert [error for _what, _count, errors in results for error in errors] == []
    assert all(count > 0 for _what, count, _errors in results)
    open_database(str(path))
    try:
        catch_up(budget=None)
        wanted = LogEntry.uid.startswith("uid-1-7")  # the scan's answer
        assert LogEntry.select().where(matching("uid-1-7")).count() == (
            LogEntry.select().where(wanted).count()
        )
        assert indexed_upto() == database.execute_sql("SELECT max(id) FROM log_entry").fetchone()[0]
    finally:
        close_database()
