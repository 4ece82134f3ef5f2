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
