"""Log search in the database (`davtui.store.search`) on SQLite (LIKE) and PostgreSQL (ILIKE):
the same lines as a substring test, in any case, also after rows are deleted; the fleet
indexes of schema step 7 exist on both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from davtui.store.models import Account, Job, LogEntry, Run, database
from davtui.store.search import matching
from tests.pg import pg_cluster, pg_url  # noqa: F401  (fixtures)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, home: Path) -> Iterator[str]:
    from davtui.store import close_database, open_database

    location = (
        str(home / "s.db") if request.param == "sqlite" else request.getfixturevalue("pg_url")
    )
    open_database(location)
    yield request.param
    close_database()


def found(text: str) -> list[str]:
    query = LogEntry.select(LogEntry.uid).where(matching(text)).order_by(LogEntry.id)
    return [uid for (uid,) in query.tuples()]


def test_search_finds_substrings_in_any_case_and_forgets_deleted_rows(any_store: str) -> None:
    one = Account.create(name="a", url="https://a.example.org/")
    two = Account.create(name="b", url="https://b.example.org/")
    jobs = [Job.create(name=f"j{n}", source=one, destination=two) for n in (1, 2)]
    for job in jobs:
        run = Run.create(job=job)
        with database.atomic():
            for n in range(50):
                LogEntry.create(
                    job=job, run=run, message="copied", uid=f"{job.name}-uid-{n}@example.org",
                    summary="Dentist" if n == 7 else f"Meeting {n}",
                )  # fmt: skip
    assert found("J1-UID-13@") == ["j1-uid-13@example.org"]
    assert found("dentist") == ["j1-uid-7@example.org", "j2-uid-7@example.org"]
    assert found("13@") == ["j1-uid-13@example.org", "j2-uid-13@example.org"]  # 3 characters
    assert len(found("j2")) == 50
    assert found('say "hi"') == []

    Job.delete().where(Job.id == jobs[0].id).execute()  # its log goes (a cascade), and its index
    assert found("dentist") == ["j2-uid-7@example.org"]


def test_the_fleet_indexes_exist(any_store: str) -> None:
    assert {"job_status_id"} <= {index.name for index in database.get_indexes("job")}
    assert {"logentry_run_id"} <= {index.name for index in database.get_indexes("log_entry")}
