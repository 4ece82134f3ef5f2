"""The CLI at fleet scale: `davtui batch import` of N rows (every password from a command, as
an admin's `pass show` would) and `davtui status` on that database with a million log rows.

    python bench/fleet_cli.py [--rows 1000] [--logs 1000000] [--db /tmp/fleet.db]

Prints the wall time of each step (a benchmark, not a test: no goal is asserted).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def davtui(db: Path, *args: str, env: dict | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "davtui", "--db", str(db), *args],
        capture_output=True, text=True, check=False, env=env,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"davtui {' '.join(args)} failed: {done.stderr.strip()}")
    return elapsed, done.stdout


def write_csv(path: Path, rows: int) -> None:
    lines = ["source_user,destination_user"]
    lines += [f"user{n:04d},user{n:04d}@new.example.org" for n in range(rows)]
    path.write_text("\n".join(lines) + "\n")


def add_history(db: Path, logs: int) -> None:
    """A finished run per job, 20 of them with progress in flight, and `logs` log rows."""
    con = sqlite3.connect(db)
    jobs = [row[0] for row in con.execute("SELECT id FROM job ORDER BY id")]
    now = "2026-12-03T12:00:00+00:00"
    runs = [(j, now, now, "completed", 0, "{}", 500, 500, random.randint(0, 5)) for j in jobs]
    con.executemany(
        "INSERT INTO run (job_id, started_at, finished_at, status, dry_run, stats, items_done,"
        " items_total, items_failed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        runs,
    )
    for job in jobs[:20]:
        con.execute("UPDATE job SET status = 'running' WHERE id = ?", (job,))
        con.execute(
            "INSERT INTO run (job_id, started_at, status, dry_run, stats, items_done,"
            " items_total, items_failed, rate) VALUES (?, ?, 'running', 0, '{}', 120, 800, 1, ?)",
            (job, now, random.uniform(5, 40)),
        )
    run_ids = [row[0] for row in con.execute("SELECT id, job_id FROM run")]
    batch = []
    for n in range(logs):
        run = run_ids[n % len(run_ids)]
        batch.append((jobs[n % len(jobs)], run, now, "info", f"created: event {n}", f"e{n}.ics"))
        if len(batch) == 50_000:
            con.executemany(
                "INSERT INTO log_entry (job_id, run_id, time, level, message, href)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                batch,
            )
            batch = []
    con.executemany(
        "INSERT INTO log_entry (job_id, run_id, time, level, message, href)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        batch,
    )
    con.commit()
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--logs", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path)
    parser.add_argument(
        "--password-command",
        default="/bin/echo {user}-pw",
        help="the command each account's password comes from (2 per row)",
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="davtui-fleet-"))
    db = args.db or folder / "fleet.db"
    csv_file = folder / "users.csv"
    write_csv(csv_file, args.rows)
    command = args.password_command
    elapsed, out = davtui(
        db, "batch", "import", str(csv_file),
        "--source-url", "https://old.example.org/dav/{user}/",
        "--destination-url", "https://new.example.org/dav/{user}/",
        "--source-password-command", command, "--destination-password-command", command,
    )  # fmt: skip
    print(f"batch import of {args.rows} rows: {elapsed:.2f} s ({out.strip()})")
    add_history(db, args.logs)
    times = [davtui(db, "status")[0] for _ in range(3)]
    print(f"davtui status, {args.rows} jobs, {args.logs} log rows: "
          f"{min(times):.3f} s best of 3 ({', '.join(f'{t:.3f}' for t in times)})")  # fmt: skip
    json_times = [davtui(db, "status", "--json")[0] for _ in range(3)]
    print(f"davtui status --json: {min(json_times):.3f} s best of 3")
    empty = folder / "empty.db"
    davtui(empty, "status")
    empty_times = [davtui(empty, "status")[0] for _ in range(3)]
    print(f"davtui status on an empty database: {min(empty_times):.3f} s best of 3")
    print(davtui(db, "status")[1])


if __name__ == "__main__":
    main()
