"""Concurrency: two `davtui --headless` runners started together on one database with several
queued jobs (made with `davtui account add` and `davtui job add --queue`), while CLI readers
poll the same database. No job runs twice (one Run row each), no item state row is lost,
every item lands in the destination once, and "database is locked" never reaches the user.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

from tests.proxy import Proxy
from tests.servers import Server
from tests.test_faults import WRITES, assert_copied_exactly, seed

JOBS = 4
EVENTS = 25  # per job, each job its own source calendar


def command(db: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "davtui", "--db", str(db), *args]


def cli(db: Path, *args: str) -> str:
    done = subprocess.run(
        command(db, *args), capture_output=True, text=True, timeout=120,
        env={**os.environ, "PW": "alicepw"},
    )  # fmt: skip
    assert done.returncode == 0, (args, done.stderr)
    return done.stdout + done.stderr


def test_two_runners_never_run_a_job_twice(
    fresh_radicale: Server, fresh_xandikos: Server, home: Path
) -> None:
    for n in range(JOBS):
        seed(fresh_radicale, f"alice/p{n}-", events=EVENTS, cards=0, tag=f"p{n}-")
    db = home / "shared.db"
    with Proxy(fresh_radicale.url) as src:
        cli(db, "account", "add", "src", "--url", src.url, "-u", "alice", "--password-env", "PW")
        cli(db, "account", "add", "dst", "--url", fresh_xandikos.url, "-u", "alice",
            "--password-env", "PW")  # fmt: skip
        for n in range(JOBS):
            cli(db, "job", "add", f"j{n}", "-s", "src", "-d", "dst", "--what", "calendars",
                "--collection", f"/alice/p{n}-work/=P{n}", "--queue")  # fmt: skip
        pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
        runners = [subprocess.Popen(command(db, "--headless", "-v"), **pipes) for _ in range(2)]
        polled = [cli(db, "job", "list", "--json") for _ in range(5)]
        outputs = [p.communicate(timeout=300) for p in runners]
    assert not any(src.counts[m] for m in WRITES), src.counts
    for runner, (_out, err) in zip(runners, outputs, strict=True):
        assert runner.returncode == 0, err[-2000:]
    every_word = "\n".join(polled + [o + e for o, e in outputs])
    assert "locked" not in every_word.lower(), every_word[-3000:]

    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        runs = Counter(j for (j,) in conn.execute("SELECT job_id FROM run"))
        states = Counter(j for (j,) in conn.execute("SELECT job_id FROM item_state"))
        statuses = {s for (s,) in conn.execute("SELECT status FROM job")}
        runners_seen = {r for (r,) in conn.execute("SELECT runner FROM run")}
        logged = " ".join(m for (m,) in conn.execute("SELECT message FROM log_entry"))
    assert sorted(runs.values()) == [1] * JOBS, f"a job ran twice: {runs}"
    assert sorted(states.values()) == [EVENTS] * JOBS, f"item state rows lost: {states}"
    assert statuses == {"completed"}, statuses
    assert "locked" not in logged.lower()
    assert_copied_exactly(fresh_radicale, fresh_xandikos)
    print(f"{JOBS} jobs, {len(runners_seen)} runner(s) took them, one run each")
