"""Processes that load one SQLite file as runs and the Logs screen do: log rows through the
real Recorder with item states beside them, and searches that catch the index up first. Shared
by tests/test_search_stress.py (short) and bench/log_stress.py (long, with the old trigger index
for comparison). Each process puts `(what, count, errors)` on its queue; an error names SQLite's
error and whether it came at once or after waiting (busy_timeout is 30 s: a wait that long means
another writer held the lock that long)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from multiprocessing import Queue
from pathlib import Path

from davtui.engine.events import ItemDone


def setup(
    path: Path, jobs: int, extra_sql: Sequence[str] = (), index: bool = True
) -> list[tuple[int, int]]:
    """A database with `jobs` jobs and a run each; `index=False` drops the search index (as
    where FTS5 is missing: nothing indexes, searches scan). Returns (job id, run id) pairs."""
    from davtui.store import close_database, open_database
    from davtui.store.models import Account, Job, Run, database

    open_database(str(path))
    one = Account.create(name="a", url="https://a.example.org/")
    two = Account.create(name="b", url="https://b.example.org/")
    made = []
    for n in range(jobs):
        job = Job.create(name=f"j{n}", source=one, destination=two)
        made.append((job.id, Run.create(job=job).id))
    for sql in extra_sql:
        database.execute_sql(sql)
    if not index:
        database.execute_sql("DROP TABLE log_search")
        database.execute_sql("DROP TABLE log_search_mark")
    close_database()
    return made


def item(job_id: int, n: int) -> ItemDone:
    return ItemDone(
        collection="/cal/", href=f"/cal/{n}.ics", uid=f"uid-{job_id}-{n}@example.org",
        summary=f"Meeting {n}", kind="event", outcome="created",
    )  # fmt: skip


def failed(errors: list[str], where: str, exc: Exception, started: float) -> None:
    cause = exc.__cause__ or exc.__context__ or exc
    name = getattr(exc, "sqlite_errorname", None) or getattr(cause, "sqlite_errorname", None)
    waited = time.monotonic() - started
    when = "at once" if waited < 1 else "after 1-29 s" if waited < 29 else "after busy_timeout"
    errors.append(f"{where}: {name or type(exc).__name__} {when}")


def write_logs(path: str, job_id: int, run_id: int, seconds: float, out: Queue) -> None:
    """A process like a run: log rows through the Recorder (a flush every 50 lines), item
    states through JobState in a second thread."""
    from davtui.engine.jobs.recorder import Recorder
    from davtui.engine.jobs.state import JobState
    from davtui.engine.sync.records import ItemRecord
    from davtui.store import open_database

    open_database(path)  # once, before the threads, as the app does (each thread connects)
    errors: list[str] = []
    written = [0]

    def logs() -> None:
        recorder = Recorder(job_id, run_id)
        end, n = time.monotonic() + seconds, 0
        while time.monotonic() < end:
            n += 1
            started = time.monotonic()
            try:
                recorder(item(job_id, n))
                if n % 50 == 0:
                    recorder.flush()
                written[0] += 1
            except Exception as exc:
                failed(errors, "log", exc, started)
        recorder.flush()

    def states() -> None:
        state = JobState(job_id)
        end, n = time.monotonic() + seconds, 0
        while time.monotonic() < end:
            n += 1
            started = time.monotonic()
            try:
                state.record(ItemRecord("/cal/", f"/cal/{n}.ics", "created", uid=f"u{n}"))
            except Exception as exc:
                failed(errors, "item state", exc, started)

    threads = [threading.Thread(target=logs), threading.Thread(target=states)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put(("log lines", written[0], errors))


def search(path: str, seconds: float, out: Queue) -> None:
    """A process like the Logs screen: catch the index up, then read a page of matches."""
    from davtui.store import open_database
    from davtui.store.models import LogEntry
    from davtui.store.search import catch_up, matching

    open_database(path)
    errors: list[str] = []
    end, searches = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        started = time.monotonic()
        try:
            catch_up(0.2)
            query = LogEntry.select(LogEntry.id).where(matching("uid-1-7"))
            list(query.order_by(LogEntry.id.desc()).limit(200).tuples())
            searches += 1
        except Exception as exc:
            failed(errors, "search", exc, started)
    out.put(("searches", searches, errors))
