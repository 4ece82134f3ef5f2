"""Two-way sync's ledger survives a SIGKILL: a conflict settled by a pass that is killed
afterwards (its record stored, its run's ledger never written) or while its write is on the
wire (written, not recorded) is listed by the next pass, and by no pass after. A real
`davtui migrate --json` subprocess between a real Radicale and a real Xandikos, killed by
the counting proxies of tests/coexist_run.py at its k-th write."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests import dav
from tests.coexist_run import Account, Runner
from tests.servers import Server
from tests.test_twoway import PUT, event, summaries

CALENDARS = ("work", "home")


def resolved(db: Path, run_id: int) -> dict[str, str]:
    """UID -> reason of the run's `resolved` ledger entries, as stored."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT uid, reason FROM ledger_entry WHERE run_id = ? AND outcome = 'resolved'",
            (run_id,),
        ).fetchall()
    return dict(rows)


def last_run(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT max(id) FROM run").fetchone()[0]


def test_conflicts_settled_by_a_killed_pass_are_listed_once_by_the_next(
    fresh_radicale: Server, fresh_xandikos: Server, tmp_path: Path
) -> None:
    """Two calendars, one conflict each (Xandikos's version newer); the pass is killed at its
    second write. The pairs are acted on one after the other, so one conflict was settled and
    recorded before the kill and the other's write reached the server unrecorded, whichever
    pair comes first: the next pass lists both, the one after lists none."""
    a = {name: dav.make_collection(fresh_radicale.url, f"alice/{name}/", name.title())
         for name in CALENDARS}  # fmt: skip
    for name, url in a.items():
        assert dav.put(f"{url}{name}.ics", event(name, f"{name} as made")) == 201
    runner = Runner(tmp_path, Account(fresh_radicale.url, "alice", "alicepw"),
                    Account(fresh_xandikos.url, "alice", "any"), "newer")  # fmt: skip
    try:
        first = runner.run()
        assert first.report is not None and first.report["status"] == "completed", first.stderr
        origin_b = "/".join(fresh_xandikos.url.split("/")[:3])
        for name, url in a.items():
            b = f"{fresh_xandikos.url}alice/calendars/{name}/"
            href = next(iter(dav.listing(b)))
            assert dav.request(f"{url}{name}.ics", "PUT", event(name, "A's", 1), **PUT)[0] == 204
            status, _ = dav.request(origin_b + href, "PUT", event(name, "B's", 2), **PUT)
            assert status in (201, 204)

        killed = runner.run(kill_at=2)
        assert killed.killed and killed.report is None
        assert sum(killed.writes.values()) == 2

        after = runner.run()
        assert after.report is not None and after.report["status"] == "completed", after.stderr
        reason = "both changed; newer (SEQUENCE 2 > 1) kept the destination's"
        assert resolved(runner.db, last_run(runner.db)) == dict.fromkeys(CALENDARS, reason)
        listed = [e for e in after.report["ledger"] if e["outcome"] == "resolved"]
        assert sorted(e["uid"] for e in listed) == sorted(CALENDARS)
        for name, url in a.items():
            b = f"{fresh_xandikos.url}alice/calendars/{name}/"
            assert summaries(url) == summaries(b) == {name: "SUMMARY:B's"}

        quiet = runner.run()
        assert quiet.report is not None and quiet.report["status"] == "completed"
        assert resolved(runner.db, last_run(runner.db)) == {}
        assert not sum(quiet.writes.values()) and not sum(quiet.reads.values())
    finally:
        runner.close()
