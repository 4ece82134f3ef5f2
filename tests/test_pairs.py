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
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.pairs_table import PairRun, chain, corpus_files, table, total
from tests.sogo import Sogo

#: one worker runs the plain chains (once per module) beside the corpus Radicale's tests;
#: the SOGo chains go to the SOGo tests' worker (conftest gives them the group "sogo")
pytestmark = [
    pytest.mark.corpus,
    pytest.mark.slow,
    pytest.mark.timeout(900),
    pytest.mark.xdist_group("corpus"),
]

#: 1 in SAMPLE corpus files (by name hash): 37 files, 127 items, 61 of the corpus tags.
SAMPLE = 10

_TIMES = r"(?P<sent>[\dT, ]+), stored (?P<stored>[\dTZ, ]+)"

#: (destination server, the reason's pattern, why the server's rewrite changed the meaning).
#: Every "different" entry must match one of these (and `real_change`'s check of its values).
REAL_CHANGES = [
    ("sogo", re.compile(r"V(EVENT|TODO) (DTSTART|DTEND|DUE|RECURRENCE-ID|EXDATE|RDATE): sent "
                        + _TIMES),
     "SOGo stores a floating time (the same hour wherever the reader is) as UTC: it moved"),
    ("sogo", re.compile(r"VEVENT DURATION: sent \(none\), stored 0d3600s"),
     "SOGo gives an event without DTEND a 1-hour DURATION; RFC 5545 3.6.1: it ends as it starts"),
    ("sogo", re.compile(r"VEVENT DTEND: sent (?P<day>\d{8}), stored (?P<next>\d{8})T000000Z"),
     "SOGo stores a DATE DTEND (an all-day event ending as it starts) as a UTC midnight the "
     "day after: an all-day event became a timed one"),
    ("sogo", re.compile(r"VEVENT DTEND: sent TZID=(?P<zone>[^:;]+):(?P<local>\d{8}T\d{6}), "
                        r"stored (?P<utc>\d{8}T\d{6})Z"),
     "SOGo rewrites a zoned DTEND beside a floating DTSTART as UTC at another instant "
     "(Europe/Brussels 19:00 in August is 17:00Z; stored 18:00Z)"),
]  # fmt: skip


def real_change(destination: str, reason: str) -> str | None:
    """Why `reason` (verification's, for one item) is a real change; None when it is not one
    of REAL_CHANGES. The values are checked too: floating -> UTC must be the same digits with
    a Z, and a zoned time stored as UTC must be another instant (the same one would be a
    conversion, not a change)."""
    for server, pattern, why in REAL_CHANGES:
        found = pattern.fullmatch(reason) if server == destination else None
        if found is None:
            continue
        names = pattern.groupindex
        if "sent" in names:
            sent = [t.strip() for t in found["sent"].split(",")]
            if [t.strip() for t in found["stored"].split(",")] != [f"{t}Z" for t in sent]:
                continue
        if "zone" in names and _instant(found["local"], found["zone"]) == _instant(
            found["utc"], "UTC"
        ):
            continue
        return why
    return None


def _instant(local: str, zone: str) -> datetime:
    return datetime.strptime(local, "%Y%m%dT%H%M%S").replace(tzinfo=ZoneInfo(zone))


PLAIN = ("radicale -> xandikos", "xandikos -> radicale")
WITH_SOGO = ("radicale -> sogo", "sogo -> radicale", "sogo -> xandikos", "xandikos -> sogo")


@pytest.fixture(scope="module")
def plain_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, PairRun]:
    work = tmp_path_factory.mktemp("plain")
    return _runs(chain(work, corpus_files(SAMPLE), None))


@pytest.fixture(scope="module")
def sogo_runs(sogo: Sogo, tmp_path_factory: pytest.TempPathFactory) -> dict[str, PairRun]:
    """Into SOGo as bob (from Radicale) and carol (from Xandikos), back out of bob's account."""
    users = ("bob", "carol@example.org")
    work = tmp_path_factory.mktemp("sogo")
    with sogo.tidy(*users):
        creds = (users[0], sogo.users[users[0]], users[1], sogo.users[users[1]])
        return _runs(chain(work, corpus_files(SAMPLE), creds, plain=False))


def _runs(runs) -> dict[str, PairRun]:
    done = {run.name: run for run in runs}
    print("\n" + table({name: run.row for name, run in done.items()}))
    return done


def _run(request: pytest.FixtureRequest, name: str) -> PairRun:
    return request.getfixturevalue("plain_runs" if name in PLAIN else "sogo_runs")[name]


def params(names: tuple[str, ...]) -> list:
    marks = {name: [pytest.mark.sogo] if name in WITH_SOGO else [] for name in names}
    return [pytest.param(name, marks=marks[name], id=name.replace(" -> ", "-")) for name in names]


@pytest.mark.parametrize("name", params(PLAIN + WITH_SOGO))
def test_every_alarm_is_a_real_change_and_nothing_is_missing(
    name: str, request: pytest.FixtureRequest
) -> None:
    run = _run(request, name)
    destination = name.rsplit(" ", 1)[-1]
    verification = run.report["verification"]
    false = [e for e in verification["different"] if not real_change(destination, e["reason"])]
    assert not false, "\n".join(f"{e['uid']}: {e['reason']}" for e in false)
    assert verification["missing"] == []
    assert run.code in ((0, 1, 6) if verification["different"] else (0, 1)), run.row


@pytest.mark.parametrize("name", params(PLAIN + WITH_SOGO))
def test_every_item_not_copied_as_sent_is_in_the_ledger(
    name: str, request: pytest.FixtureRequest
) -> None:
    """Each item error, skip, fix-up, conversion or change has its ledger entry; the re-run's
    ledger still states the standing findings (changed, converted) it did not read again."""
    run = _run(request, name)
    listed = {(e["collection"], e["href"]) for e in run.report["ledger"]}
    verification = run.report["verification"]
    noted = [*run.report["errors"], *verification["different"], *verification["missing"],
             *verification["conversions"], *verification["rewritten"]]  # fmt: skip
    unlisted = [e for e in noted if e.get("href") and (e["collection"], e["href"]) not in listed]
    assert not unlisted, unlisted
    fixed = run.report["stats"]["fixups"]
    assert not fixed or run.report["stats"]["ledger"]["fixed"] or run.report["ledger"], run.row
    standing = {(e["collection"], e["href"]) for e in run.again["ledger"] if e.get("standing")}
    found = {(e["collection"], e["href"]) for e in verification["different"]}
    assert found <= standing, found - standing


@pytest.mark.parametrize("name", params(PLAIN + WITH_SOGO))
def test_a_rerun_writes_nothing_and_reads_nothing(
    name: str, request: pytest.FixtureRequest
) -> None:
    run = _run(request, name)
    assert total(run.again, "created") + total(run.again, "updated") == 0, run.row
    # a standing finding is stored with the destination's ETag: the re-run reads nothing
    assert run.again["verification"].get("fetched", 0) == 0, run.row
