"""The verdict through every ordered pair of Radicale, Xandikos and SOGo (issue 20's acceptance).

A deterministic sample of the real-world corpus (`ok`/`invalid` files, 1 in SAMPLE by the hash
of the name; tests/pairs_table.py runs the whole for the table) goes through the chain
R->X, X->R, R->S, S->R, S->X, X->S with `davtui migrate --json`, then a no-change re-run:
- nothing is missing, and every "different" names a change of meaning listed in REAL_CHANGES
  (with why it is real); a conversion of form is never "different";
- the run exits 0 or 1 (6 only when a listed real change is in the report);
- the re-run reads nothing back and writes nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.pairs_table import PairRun, chain, corpus_files, table, total
from tests.sogo import Sogo

pytestmark = [pytest.mark.corpus, pytest.mark.slow, pytest.mark.timeout(900)]

#: 1 in SAMPLE corpus files (by name hash): a few hundred items, every pair in ~2 min on 2 cores.
SAMPLE = 8

#: (destination server, the reason's pattern, why the server's rewrite changed the meaning).
#: Every "different" entry must match one of these.
REAL_CHANGES = [
    ("sogo", re.compile(r"V(EVENT|TODO) (DTSTART|DTEND|DUE|RECURRENCE-ID|EXDATE|RDATE): "
                        r"sent (?P<sent>[\dT, ]+), stored (?P<stored>[\dTZ, ]+)"),
     "SOGo stores a floating time (the same hour wherever the reader is) as UTC: it moved"),
    ("sogo", re.compile(r"VEVENT DURATION: sent \(none\), stored 0d3600s"),
     "SOGo gives an event without DTEND a 1-hour DURATION; RFC 5545 3.6.1: it ends as it starts"),
]  # fmt: skip


def real_change(destination: str, reason: str) -> str | None:
    """Why `reason` (verification's, for one item) is a real change; None when it is not one
    of REAL_CHANGES. Floating -> UTC must be the same digits with a Z, nothing else."""
    for server, pattern, why in REAL_CHANGES:
        found = pattern.fullmatch(reason) if server == destination else None
        if found is None:
            continue
        if "sent" not in pattern.groupindex:
            return why
        sent = [t.strip() for t in found["sent"].split(",")]
        if [t.strip() for t in found["stored"].split(",")] == [f"{t}Z" for t in sent]:
            return why
    return None


def check(run: PairRun) -> list[str]:
    """What is wrong with one pair's verdict, in words ([] when nothing is)."""
    problems = []
    verification = run.report["verification"]
    destination = run.name.rsplit(" ", 1)[-1]
    real = []
    for entry in verification["different"]:
        if real_change(destination, entry.get("reason") or ""):
            real.append(entry)
        else:
            problems.append(f"{run.name}: a false alarm? {entry}")
    if verification["missing"]:
        problems.append(f"{run.name}: missing {verification['missing']}")
    if run.code not in ((0, 1, 6) if real else (0, 1)):
        problems.append(f"{run.name}: exit {run.code}")
    if run.again["verification"].get("fetched", 0):
        problems.append(f"{run.name}: the re-run read {run.again['verification']['fetched']}")
    wrote = total(run.again, "created") + total(run.again, "updated")
    if wrote:
        problems.append(f"{run.name}: the re-run wrote {wrote}")
    return problems


def run_and_check(runs) -> None:
    rows, problems = {}, []
    for run in runs:
        rows[run.name] = run.row
        problems += check(run)
    print("\n" + table(rows))
    assert rows, "no pair ran"
    assert not problems, "\n".join(problems)


def test_radicale_and_xandikos_both_ways(tmp_path: Path) -> None:
    run_and_check(chain(tmp_path, corpus_files(SAMPLE), None))


@pytest.mark.sogo
def test_the_four_pairs_with_sogo(sogo: Sogo, tmp_path: Path) -> None:
    """Into SOGo as bob (from Radicale) and carol (from Xandikos), back out of bob's account."""
    users = ("bob", "carol@example.org")
    with sogo.tidy(*users):
        creds = (users[0], sogo.users[users[0]], users[1], sogo.users[users[1]])
        run_and_check(chain(tmp_path, corpus_files(SAMPLE), creds, plain=False))
