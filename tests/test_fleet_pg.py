"""The fleet summary and the bulk selection on PostgreSQL: the same aggregate queries give the
same figures as on SQLite (tests/test_fleet.py's database, seeded on a real PostgreSQL)."""

from __future__ import annotations

from davtui.engine.jobs.fleet import summary
from davtui.engine.jobs.selection import ids, matching
from davtui.store import close_database, open_database
from tests.pg import pg_cluster, pg_url  # noqa: F401  (fixtures)
from tests.test_fleet import seed
from tests.test_pg import store_at  # noqa: F401  (fixture)


def test_the_summary_is_the_same_on_postgres(store_at: str) -> None:  # noqa: F811
    close_database()
    seed(store_at)  # type: ignore[arg-type]  (a URL opens as a path does)
    open_database(store_at)
    fleet = summary().as_dict()
    assert fleet["mailboxes"]["total"] == 9 and fleet["mailboxes"]["queued"] == 2
    assert (fleet["items_done"], fleet["items_total"], fleet["rate"]) == (150, 1267, 25.0)
    assert [j["name"] for j in fleet["most_failed"]] == ["bad", "again", "broken"]
    assert [h["host"] for h in fleet["slowest"]] == ["fast.example.org", "local"]
    assert len(ids(matching(("queued", "interrupted"), "FAST.example"))) == 3
