"""Removing jobs while other processes write the same database (real processes, a real SQLite
file in WAL mode): `lifecycle.remove` reads the job again, then deletes it, in one transaction.

Begun deferred, that transaction starts as a reader; when another process commits between its
read and its delete, SQLite cannot upgrade the stale snapshot to the write lock and fails at
once ("database is locked", no busy handler is called for it). Begun IMMEDIATE it waits for the
write lock first, like every other check-then-write of the store (`serialized`).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from davtui.store import close_database, open_database
from davtui.store.models import Account, Job

JOBS = 120
REMOVERS = 3
WRITERS = 2

#: Removes every job named in argv[2:] it still finds, each in its own `lifecycle.remove`.
REMOVER = """
import sys
from davtui.engine.jobs import lifecycle
from davtui.store import open_database
from davtui.store.models import Job
open_database(sys.argv[1])
for name in sys.argv[2:]:
    job = Job.get_or_none(Job.name == name)
    if job is not None:
        lifecycle.remove(job)
"""

#: Commits small writes (a job's queue and back, the change counter) until the file `stop` exists.
WRITER = """
import os, sys
from davtui.engine.jobs import lifecycle
from davtui.store import open_database
from davtui.store.models import Job
open_database(sys.argv[1])
keep = Job.get(Job.name == "keep")
writes = 0
while not os.path.exists(sys.argv[2]):
    lifecycle.enqueue(keep.id)
    lifecycle.hold(keep.id, paused=False)
    writes += 2
print(writes)
"""


def _jobs(path: Path) -> list[str]:
    """A database with `JOBS` pending jobs to remove and one ("keep") the writers change."""
    open_database(str(path))
    a = Account.create(name="a", url="http://127.0.0.1:1/", username="u")
    names = [f"j{n:03d}" for n in range(JOBS)]
    Job.insert_many(
        [{"name": n, "source": a, "destination": a} for n in [*names, "keep"]]
    ).execute()
    close_database()
    return names


def test_concurrent_removes_and_writers_never_meet_a_locked_database(home: Path) -> None:
    path = home / "shared.db"
    names = _jobs(path)
    stop = home / "stop"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True, "env": env}
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(stop)], **pipes)
        for _ in range(WRITERS)
    ]
    # every remover goes through all the names, each from another point: they meet on rows
    removers = [
        subprocess.Popen(
            [sys.executable, "-c", REMOVER, str(path), *names[k::REMOVERS], *names], **pipes
        )
        for k in range(REMOVERS)
    ]
    removed = [p.communicate(timeout=300) for p in removers]
    stop.touch()
    written = [p.communicate(timeout=60) for p in writers]

    for process, (_out, err) in zip(removers + writers, removed + written, strict=True):
        assert process.returncode == 0, err[-2000:]
    assert all(int(out) > 0 for out, _err in written), written
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        left = [name for (name,) in conn.execute("SELECT name FROM job")]
    assert left == ["keep"]
