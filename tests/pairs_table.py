"""The verdict through every ordered pair of Radicale, Xandikos and SOGo, as a table.

`python -m tests.pairs_table [--sample N] [--out FILE]` (with the lab's SOGo started) fills a
Radicale with every `ok`/`invalid` corpus file, then runs `davtui migrate --json` and a
no-change re-run for each pair, chaining the servers so that no server is seeded twice:
R->X, X->R, R->S(bob), S(bob)->R, S(bob)->X, X->S(carol). It prints one row per pair.
tests/test_pairs.py runs the same chain on a deterministic sample in CI.

`row` is the one place that reads the report's fields (verification lists, errors, stats):
when the report grows a per-item ledger, only it changes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import CORPUS
from tests.corpus_source import fill
from tests.servers import Server, start_radicale, start_xandikos

KINDS = ("events", "tasks", "journals", "contacts", "other")
SOGO_FRONT = "http://127.0.0.1:5243/SOGo/dav/"
#: The ordered pairs, in the order the chain runs them (each source holds what it was given).
CHAIN = (
    ("radicale", "xandikos"),
    ("xandikos", "radicale"),
    ("radicale", "sogo"),
    ("sogo", "radicale"),
    ("sogo", "xandikos"),
    ("xandikos", "sogo"),
)
#: table column -> ledger outcome
LEDGER_COLUMNS = {"fixed": "fixed", "converted": "converted", "changed": "changed-by-server",
                  "skipped": "skipped", "refused": "refused", "failed": "failed",
                  "conflict": "conflict", "missing": "missing"}  # fmt: skip
COLUMNS = ("source", "as_sent", *LEDGER_COLUMNS, "exit", "rerun_read", "rerun_wrote",
           "rerun_exit")  # fmt: skip


def corpus_files(sample: int | None = None) -> set[str]:
    """`ok`/`invalid` corpus files (relative paths); with `sample`, a deterministic 1 in
    `sample` of them by the hash of their name (the same subset on every machine)."""
    entries = json.loads((CORPUS / "manifest.json").read_text())["files"]
    names = {e["file"] for e in entries if e["status"] in ("ok", "invalid")}
    if sample:
        names = {n for n in names if hashlib.sha256(n.encode()).digest()[0] % sample == 0}
    return names


def total(report: dict, outcome: str) -> int:
    return sum(report["stats"].get(kind, {}).get(outcome, 0) for kind in KINDS)


def row(first: dict, code: int, again: dict, again_code: int) -> dict[str, int]:
    """One table row from a run's report and its no-change re-run's report: the counts per
    outcome of the run's ledger (one entry per item not copied as sent and verified equal,
    named by its gravest finding); as_sent is every other source item."""
    ledger = first["stats"].get("ledger", {})
    source = sum(total(first, outcome) for outcome in ("created", "updated", "skipped",
                                                       "failed", "unchanged"))  # fmt: skip
    return {
        "source": source,
        "as_sent": source - len(first.get("ledger", [])),
        **{column: ledger.get(outcome, 0) for column, outcome in LEDGER_COLUMNS.items()},
        "exit": code,
        "rerun_read": again["verification"].get("fetched", 0),
        "rerun_wrote": total(again, "created") + total(again, "updated"),
        "rerun_exit": again_code,
    }


def table(rows: dict[str, dict[str, int]]) -> str:
    """The rows as a Markdown table."""
    lines = ["| pair | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for pair, values in rows.items():
        lines.append(f"| {pair} | " + " | ".join(str(values[c]) for c in COLUMNS) + " |")
    return "\n".join(lines)


@dataclass
class Account:
    """One side of a migration: a URL, a login and its password."""

    url: str
    user: str
    password: str


def migrate(source: Account, destination: Account, db: Path, **job: object) -> tuple[int, dict]:
    """`davtui migrate --json` in a subprocess, as a user runs it."""
    config = db.with_suffix(".toml")
    lines = ["[source]", f'url = "{source.url}"', f'username = "{source.user}"',
             'password_env = "SRC_PASS"', "[destination]", f'url = "{destination.url}"',
             f'username = "{destination.user}"', 'password_env = "DST_PASS"', "[job]"]  # fmt: skip
    lines += [f"{key} = {json.dumps(value)}" for key, value in job.items()]
    config.write_text("\n".join(lines) + "\n")
    env = {**os.environ, "SRC_PASS": source.password, "DST_PASS": destination.password}
    done = subprocess.run(
        [sys.executable, "-m", "davtui", "--db", str(db), "migrate", str(config), "--json"],
        capture_output=True, text=True, env=env, timeout=1500,
    )  # fmt: skip
    if not done.stdout.strip():
        raise RuntimeError(f"no report, exit {done.returncode}: {done.stderr[-2000:]}")
    return done.returncode, json.loads(done.stdout)


@dataclass
class PairRun:
    """A pair's two runs, kept whole for the test's assertions and the table."""

    name: str
    code: int
    report: dict
    again_code: int
    again: dict

    @property
    def row(self) -> dict[str, int]:
        return row(self.report, self.code, self.again, self.again_code)


def run_pair(name: str, source: Account, destination: Account, work: Path) -> PairRun:
    db = work / f"{name.replace(' -> ', '-')}.db"
    code, report = migrate(source, destination, db)
    again_code, again = migrate(source, destination, db)
    return PairRun(name, code, report, again_code, again)


@contextmanager
def servers(work: Path, files: set[str]) -> Iterator[tuple[Server, Server, Server]]:
    """The corpus Radicale, an empty Xandikos, an empty Radicale (for what comes back)."""
    with ExitStack() as stack:
        corpus = start_radicale(work / "corpus", {"alice": "alicepw"})
        stack.callback(corpus.stop)
        fill(corpus, only=files)
        xandikos = start_xandikos(work / "xandikos", "alice")
        stack.callback(xandikos.stop)
        back = start_radicale(work / "back", {"alice": "alicepw"})
        stack.callback(back.stop)
        yield corpus, xandikos, back


def chain(
    work: Path, files: set[str], sogo: tuple[str, str, str, str] | None, plain: bool = True
) -> Iterator[PairRun]:
    """The pairs in CHAIN order, each yielded when it is done: the SOGo ones only with `sogo`
    (two users and their passwords), Radicale <-> Xandikos only with `plain` (without it the
    Xandikos is still filled, by one unchecked run, for Xandikos -> SOGo)."""
    with servers(work, files) as (corpus, xandikos, back):
        r0 = Account(corpus.url, "alice", "alicepw")
        x = Account(xandikos.url, "alice", "x")
        if plain:
            yield run_pair("radicale -> xandikos", r0, x, work)
            yield run_pair("xandikos -> radicale", x, Account(back.url, "alice", "alicepw"), work)
        elif sogo is not None:
            migrate(r0, x, work / "fill-xandikos.db")
        if sogo is None:
            return
        from_r, from_r_pw, from_x, from_x_pw = sogo
        s = Account(SOGO_FRONT, from_r, from_r_pw)
        yield run_pair("radicale -> sogo", r0, s, work)
        other = start_radicale(work / "back2", {"alice": "alicepw"})
        try:
            yield run_pair("sogo -> radicale", s, Account(other.url, "alice", "alicepw"), work)
        finally:
            other.stop()
        second = start_xandikos(work / "xandikos2", "alice")
        try:
            yield run_pair("sogo -> xandikos", s, Account(second.url, "alice", "x"), work)
        finally:
            second.stop()
        yield run_pair("xandikos -> sogo", x, Account(SOGO_FRONT, from_x, from_x_pw), work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=None, help="1 in N corpus files")
    parser.add_argument("--out", type=Path, default=None, help="JSON of every report")
    parser.add_argument("--no-sogo", action="store_true")
    args = parser.parse_args()
    from tests.sogo import Sogo

    lab = None if args.no_sogo else Sogo()
    users = ("bob", "carol@example.org")
    rows, reports = {}, {}
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        if lab is not None:
            stack.enter_context(lab.tidy(*users))
        creds = None if lab is None else (users[0], lab.users[users[0]], users[1],
                                          lab.users[users[1]])  # fmt: skip
        for done in chain(Path(tmp), corpus_files(args.sample), creds):
            rows[done.name] = done.row
            reports[done.name] = {"first": done.report, "again": done.again}
            print(done.name, json.dumps(done.row), flush=True)
    print(table(rows))
    if args.out:
        args.out.write_text(json.dumps(reports, indent=1))


if __name__ == "__main__":
    main()
