"""Log writers and searchers at once on one SQLite file: does any write see "database is locked"?

    python -m bench.log_stress [--rounds 20] [--seconds 4] [--triggers | --no-index]

Each round makes a new database with 3 jobs; 3 processes each write one job's log through the
real Recorder (a flush every 50 lines) and its item states through JobState in a second
thread, while a fourth process catches the search index up and reads a page of matches, in a
loop, for `--seconds`. `--triggers` adds the index kept by triggers that an earlier version
had, to show what it did; `--no-index` drops the search index (as main before it). Prints
each round and the errors by SQLite's error name and how long the failing call took; a
benchmark, not a test (tests/test_search_stress.py is the short one).
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

TRIGGERS = (
    "CREATE VIRTUAL TABLE logsearch USING fts5(message, collection, uid, summary, "
    "content='log_entry', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER logsearch_insert AFTER INSERT ON log_entry BEGIN INSERT INTO logsearch "
    "(rowid, message, collection, uid, summary) VALUES "
    "(new.id, new.message, new.collection, new.uid, new.summary); END",
)


def setup(path: Path, triggers: bool, index: bool) -> list[tuple[int, int]]:
    from davtui.store import close_database, open_database
    from davtui.store.models import Account, Job, Run, database

    open_database(str(path))
    one = Account.create(name="a", url="https://a.example.org/")
    two = Account.create(name="b", url="https://b.example.org/")
    made = []
    for n in range(3):
        job = Job.create(name=f"j{n}", source=one, destination=two)
        made.append((job.id, Run.create(job=job).id))
    for sql in TRIGGERS if triggers else ():
        database.execute_sql(sql)
    if not index:  # as where FTS5 is missing: nothing indexes, searches scan
        database.execute_sql("DROP TABLE log_search")
        database.execute_sql("DROP TABLE log_search_mark")
    close_database()
    return made


def failed(errors: list[str], where: str, exc: Exception, started: float) -> None:
    """Count the failure by SQLite's error name and whether it came at once or after waiting
    (busy_timeout is 30 s: a wait that long means another writer held the lock that long)."""
    cause = exc.__cause__ or exc.__context__ or exc
    name = getattr(exc, "sqlite_errorname", None) or getattr(cause, "sqlite_errorname", None)
    waited = time.monotonic() - started
    when = "at once" if waited < 1 else "after 1-29 s" if waited < 29 else "after busy_timeout"
    errors.append(f"{where}: {name or type(exc).__name__} {when}")


def writer(path: str, job_id: int, run_id: int, seconds: float, out) -> None:
    from davtui.engine.events import ItemDone
    from davtui.engine.jobs.recorder import Recorder
    from davtui.engine.jobs.state import JobState
    from davtui.engine.sync.records import ItemRecord
    from davtui.store import open_database

    open_database(path)  # once, before the threads, as the app does (each thread connects)
    errors: list[str] = []
    lines = [0]

    def logs() -> None:
        recorder = Recorder(job_id, run_id)
        end, n = time.monotonic() + seconds, 0
        while time.monotonic() < end:
            n += 1
            started = time.monotonic()
            try:
                recorder(ItemDone("/cal/", f"/cal/{n}.ics", f"uid-{job_id}-{n}@example.org",
                                  f"Meeting {n}", "event", "created"))  # fmt: skip
                if n % 50 == 0:
                    recorder.flush()
                lines[0] += 1
            except Exception as exc:
                failed(errors, "log", exc, started)

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
    out.put(("log lines", lines[0], errors))


def searcher(path: str, seconds: float, out) -> None:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--triggers", action="store_true")
    parser.add_argument("--no-index", action="store_true", help="without the search index")
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    totals: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        for number in range(args.rounds):
            path = Path(tmp) / f"round{number}.db"
            made = setup(path, args.triggers, not args.no_index)
            out = context.Queue()
            processes = [
                context.Process(target=writer, args=(str(path), job, run, args.seconds, out))
                for job, run in made
            ]
            processes.append(context.Process(target=searcher, args=(str(path), args.seconds, out)))
            for process in processes:
                process.start()
            results = [out.get() for _ in processes]
            for process in processes:
                process.join()
            for what, count, failures in results:
                totals[what] += count
                errors.update(failures)
            print(f"round {number + 1}: " + ", ".join(
                f"{what} {count} ({len(failures)} failed)" for what, count, failures in results
            ), flush=True)  # fmt: skip
    print(f"{args.rounds} rounds, {dict(totals)}; errors: {dict(errors) or 'none'}")


if __name__ == "__main__":
    main()
