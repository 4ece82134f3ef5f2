"""A fleet-sized database for measuring the TUI: 1,000 jobs (2,000 accounts) made by a real
`davtui batch import`, and 1,000,000 log rows written straight with SQL (one finished run per
job, 1,000 lines each), so the screens can be timed against what a company migration leaves.

    python -m bench.fleet_db PATH [--jobs 1000] [--lines 1000]

Statuses are spread like a migration half-way (most completed, some failed, with errors,
pending) by SQL too: this is a fixture, not the app writing job rows. One line carries the UID
`needle-4711@fleet` for the search benchmark.
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STATUSES = ("completed",) * 6 + ("failed", "completed_with_errors", "pending", "cancelled")
LEVELS = ("debug", "info", "info", "info", "warning", "error")
NEEDLE = "needle-4711@fleet"
#: The benchmark's own password key (it seals the fixtures' "pw", nothing else): the databases
#: it builds never depend on the user's key file, and the TUI it starts can read them.
KEY = base64.urlsafe_b64encode(b"bench.fleet fixture key, no use!").decode()


def batch_import(db: Path, jobs: int) -> float:
    """`davtui batch import` of `jobs` rows; seconds taken."""
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "users.csv"
        rows = [f"user{n:04d},PW,user{n:04d}" for n in range(jobs)]
        csv.write_text("source_user,source_password_env,destination_user\n" + "\n".join(rows))
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "davtui", "--db", str(db), "batch", "import", str(csv),
             "--source-url", "https://old.example.org/dav/{user}/",
             "--destination-url", "https://new.example.org/dav/{user}/",
             "--destination-password-command", "echo pw", "--no-queue"],
            check=True, capture_output=True, env={**os.environ, "PW": "pw", "DAVTUI_KEY": KEY},
        )  # fmt: skip
        return time.monotonic() - started


def fill(db: Path, lines: int, seed: int = 22) -> None:
    """One finished run per job and `lines` log rows for each; statuses spread."""
    rng = random.Random(seed)
    con = sqlite3.connect(db)
    job_ids = [row[0] for row in con.execute("SELECT id FROM job ORDER BY id")]
    # The first job (on top of the table) and the needle's job have a log.
    statuses = {job_id: rng.choice(STATUSES) for job_id in job_ids}
    needle_job = job_ids[len(job_ids) // 2]
    statuses[job_ids[0]] = statuses[needle_job] = "completed"
    with con:
        for job_id in job_ids:
            status = statuses[job_id]
            con.execute("UPDATE job SET status = ? WHERE id = ?", (status, job_id))
            if status == "pending":
                continue
            run = con.execute(
                "INSERT INTO run (job_id, started_at, finished_at, status, dry_run, stats) "
                "VALUES (?, '2026-12-01 10:00:00+00:00', '2026-12-01 10:05:00+00:00', ?, 0, "
                "'{}')",
                (job_id, status),
            ).lastrowid
            rows = []
            for n in range(lines):
                uid = NEEDLE if (job_id, n) == (needle_job, 500) else None
                uid = uid or f"{job_id:04d}-{n:05d}-{rng.getrandbits(32):08x}@example.org"
                rows.append(
                    (job_id, run, "2026-12-01 10:01:00+00:00", rng.choice(LEVELS),
                     "copied" if n % 7 else "unchanged, skipped", "Calendar",
                     f"/dav/user/cal/{uid}.ics", uid, f"Meeting {n}")
                )  # fmt: skip
            con.executemany(
                "INSERT INTO log_entry (job_id, run_id, time, level, message, collection, "
                "href, uid, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--lines", type=int, default=1000)
    args = parser.parse_args()
    if args.path.exists():
        sys.exit(f"{args.path} exists already.")
    took = batch_import(args.path, args.jobs)
    print(f"batch import of {args.jobs} rows: {took:.1f} s")
    started = time.monotonic()
    fill(args.path, args.lines)
    print(f"{args.jobs * args.lines:,} log rows: {time.monotonic() - started:.1f} s")
    started = time.monotonic()
    index(args.path)
    print(f"search index of those rows: {time.monotonic() - started:.1f} s")


def index(db: Path) -> None:
    """Index the rows written by SQL, as davtui's runs and searches do after their writes
    (davtui.store.search.catch_up): a database davtui wrote has its log indexed already."""
    code = (
        "import sys; from davtui.store import open_database; "
        "from davtui.store.search import catch_up; "
        "open_database(sys.argv[1]); catch_up(budget=None)"
    )
    subprocess.run([sys.executable, "-c", code, str(db)], check=True)


if __name__ == "__main__":
    main()
