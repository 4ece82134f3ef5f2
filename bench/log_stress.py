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
from collections import Counter
from pathlib import Path

from tests.log_load import search, setup, write_logs

TRIGGERS = (
    "CREATE VIRTUAL TABLE logsearch USING fts5(message, collection, uid, summary, "
    "content='log_entry', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER logsearch_insert AFTER INSERT ON log_entry BEGIN INSERT INTO logsearch "
    "(rowid, message, collection, uid, summary) VALUES "
    "(new.id, new.message, new.collection, new.uid, new.summary); END",
)


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
            made = setup(path, 3, TRIGGERS if args.triggers else (), index=not args.no_index)
            out = context.Queue()
            processes = [
                context.Process(target=write_logs, args=(str(path), job, run, args.seconds, out))
                for job, run in made
            ]
            processes.append(context.Process(target=search, args=(str(path), args.seconds, out)))
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
