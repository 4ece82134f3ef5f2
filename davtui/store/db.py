"""Opening the database: SQLite in WAL mode with foreign keys, a private file, versioned schema.

Schema versions live in `PRAGMA user_version`; `MIGRATIONS` is the ordered list of steps, step
N bringing a database from version N-1 to N inside one transaction. Never edit a released step:
append a new one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from peewee import Database, SqliteDatabase

from davtui.paths import create_private
from davtui.store.models import MODELS, database

PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    # NORMAL is durable against process crashes in WAL mode; after a power loss the last few
    # item rows may roll back, and the engine then adopts the identical destination items.
    "synchronous": "normal",
    # Several processes (TUI, headless runners, CLI) share the file: wait instead of failing.
    "busy_timeout": 30_000,
}


class StoreError(Exception):
    """The database cannot be used; the message is one sentence for the user."""


def _v1_initial(db: Database) -> None:
    db.create_tables(MODELS)


MIGRATIONS: list[Callable[[Database], None]] = [_v1_initial]


def schema_version(db: Database) -> int:
    return int(db.execute_sql("PRAGMA user_version").fetchone()[0])


def migrate(db: Database) -> None:
    """Apply every step the database has not seen yet, each in its own transaction."""
    current = schema_version(db)
    if current > len(MIGRATIONS):
        raise StoreError(
            f"The database is at schema version {current}, newer than this davtui knows "
            f"({len(MIGRATIONS)}): upgrade davtui."
        )
    for number in range(current + 1, len(MIGRATIONS) + 1):
        with db.atomic():
            MIGRATIONS[number - 1](db)
            db.execute_sql(f"PRAGMA user_version = {number}")


def open_database(location: str) -> Database:
    """Open (creating with mode 0600 if needed) and migrate the database at `location`."""
    path = Path(location).expanduser()
    try:
        create_private(path)
        db = SqliteDatabase(str(path), pragmas=PRAGMAS)
        database.initialize(db)
        db.connect(reuse_if_open=True)
        migrate(db)
    except StoreError:
        raise
    except Exception as exc:  # sqlite3/OS errors: one sentence, no traceback
        raise StoreError(f"Cannot open the database {path}: {exc}.") from exc
    return db


def close_database() -> None:
    db = database.obj
    if db is not None and not db.is_closed():
        db.close()
