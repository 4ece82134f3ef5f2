"""The SQLite store: private files, WAL, versioned schema, and no clear-text secret anywhere."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from davtui.store import StoreError, Vault, close_database, open_database
from davtui.store.db import MIGRATIONS, schema_version
from davtui.store.models import Account, Job, Run, database

SECRET = "S3cret-Pa55"


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_database_is_private_wal_and_versioned(store: Path) -> None:
    db = database.obj
    assert mode(store) == 0o600
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert schema_version(db) == len(MIGRATIONS) >= 1


def test_password_never_reaches_disk_in_clear(store: Path, home: Path) -> None:
    vault = Vault.open()
    account = Account.create(name="src", url="https://x/", secret=vault.encrypt(SECRET))
    assert vault.password(Account.get_by_id(account.id)) == SECRET
    wal = Path(str(store) + "-wal")
    assert wal.exists(), "the WAL should still hold the write while the DB is open"
    for path in (store, wal, home / "key"):
        assert SECRET.encode() not in path.read_bytes()
        assert mode(path) == 0o600
    close_database()
    assert SECRET.encode() not in store.read_bytes()


def test_history_and_foreign_keys(store: Path) -> None:
    a = Account.create(name="a", url="https://a/")
    b = Account.create(name="b", url="https://b/")
    job = Job.create(name="j", source=a, destination=b, collections=[{"source": "Calendar"}])
    Run.create(job=job, status="completed", stats={"events": {"created": 3}})
    Run.create(job=job, status="running")
    assert [r.status for r in job.runs.order_by(Run.id)] == ["completed", "running"]
    assert Job.get_by_id(job.id).collections == [{"source": "Calendar"}]
    with pytest.raises(Exception):  # noqa: B017 - peewee wraps sqlite3.IntegrityError
        a.delete_instance()


def test_newer_schema_is_refused(home: Path) -> None:
    path = home / "future.db"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    with pytest.raises(StoreError, match="newer than this davtui"):
        open_database(str(path))


def test_version_1_database_upgrades_without_losing_history(home: Path) -> None:
    """A database written by schema version 1 (suppress_invitations NOT NULL) is upgraded in
    place: the column takes NULL ("decide by destination"), jobs, runs and indexes are kept,
    and foreign keys are on again afterwards (the table rebuild must not cascade)."""
    from peewee import SqliteDatabase
    from playhouse.migrate import SqliteMigrator
    from playhouse.migrate import migrate as apply

    path = home / "old.db"
    open_database(str(path))
    account = Account.create(name="a", url="https://dav.example.org/")
    job = Job.create(name="j", source=account, destination=account, suppress_invitations=True)
    Run.create(job=job)
    close_database()
    old = SqliteDatabase(str(path), pragmas={"foreign_keys": 0})
    apply(SqliteMigrator(old).add_not_null("job", "suppress_invitations"))
    old.execute_sql("PRAGMA user_version = 1")
    old.close()

    db = open_database(str(path))
    assert schema_version(db) == len(MIGRATIONS)
    column = next(c for c in db.get_columns("job") if c.name == "suppress_invitations")
    assert column.null
    assert Run.select().where(Run.job == job.id).count() == 1
    assert Job.get().suppress_invitations is True
    assert {i.name for i in db.get_indexes("job")} >= {"job_name", "job_status"}
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    Job.create(name="auto", source=account, destination=account)
    assert Job.get(Job.name == "auto").suppress_invitations is None
