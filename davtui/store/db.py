"""Opening the database: a private SQLite file in WAL mode, or a shared PostgreSQL for many
runners; the same models and the same versioned schema on both.

`MIGRATIONS` is the ordered list of steps, step N bringing a database from version N-1 to N
inside one transaction. Never edit a released step: append a new one (playhouse.migrate's
`SchemaMigrator.from_database(db)` speaks both dialects). SQLite keeps the version in
`PRAGMA user_version`, PostgreSQL in the one-row table `davtui_schema`, where migrations also
hold an advisory lock so runners starting together never migrate twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from peewee import Database, OperationalError, PostgresqlDatabase, SqliteDatabase

from davtui.paths import create_private
from davtui.store.models import MODELS, database

PRAGMAS = {
    # Several processes (TUI, headless runners, CLI) share the file: wait instead of failing.
    # First, as peewee applies them in order: switching a new file to WAL needs a lock another
    # process opening it at the same moment may hold, and without a busy handler yet that
    # failed at once with "database is locked".
    "busy_timeout": 30_000,
    "journal_mode": "wal",
    "foreign_keys": 1,
    # NORMAL is durable against process crashes in WAL mode; after a power loss the last few
    # item rows may roll back, and the engine then adopts the identical destination items.
    "synchronous": "normal",
}
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
SCHEMA_TABLE = "davtui_schema"
#: pg_advisory_lock key of schema migrations (any constant the application owns).
MIGRATION_LOCK = 0x64617674
#: pg_advisory_xact_lock key of `serialized` transactions.
SERIAL_LOCK = MIGRATION_LOCK + 1


class StoreError(Exception):
    """The database cannot be used; the message is one sentence for the user."""


class Postgres(PostgresqlDatabase):
    """PostgreSQL as the models expect it: aware UTC timestamps. Timestamps are TIMESTAMPTZ
    and sessions run in UTC, so times come back aware as they do from SQLite."""

    field_types = {**PostgresqlDatabase.field_types, "DATETIME": "TIMESTAMPTZ"}


def is_postgres(location: str) -> bool:
    return location.startswith(POSTGRES_SCHEMES)


def redacted(location: str) -> str:
    """`location` fit for messages: the password of a PostgreSQL URL replaced by ***."""
    if not is_postgres(location):
        return location
    parts = urlsplit(location)
    if parts.password is None:
        return location
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _v1_initial(db: Database) -> None:
    db.create_tables(MODELS)


def _v2_invitations_default(db: Database) -> None:
    """`job.suppress_invitations` may be NULL: "decide from the destination" (on for SOGo)."""
    from playhouse.migrate import SchemaMigrator
    from playhouse.migrate import migrate as apply

    columns = {c.name: c for c in db.get_columns("job")}
    if columns["suppress_invitations"].null:
        return  # made by step 1 from the current models
    apply(SchemaMigrator.from_database(db).drop_not_null("job", "suppress_invitations"))


def _v3_delete_guard(db: Database) -> None:
    """`job.max_delete_share` and `job.force_delete`: how much a mirror may delete unasked."""
    from playhouse.migrate import SchemaMigrator
    from playhouse.migrate import migrate as apply

    from davtui.store.models import Job

    have = {c.name for c in db.get_columns("job")}
    migrator = SchemaMigrator.from_database(db)
    apply(*(migrator.add_column("job", name, getattr(Job, name))
            for name in ("max_delete_share", "force_delete") if name not in have))  # fmt: skip


def _v4_changes(db: Database) -> None:
    """The `change` table and its one row: the counter other processes' TUIs poll."""
    from davtui.store.models import Change

    db.create_tables([Change])  # safe: step 1 of a fresh database made it already
    if not Change.select().exists():
        Change.insert(id=1, counter=0).execute()


def _v5_run_progress(db: Database) -> None:
    """`run.items_done/items_total/items_failed/rate`: each run's progress, stored, so the
    fleet summary is a few aggregate queries over the runs (never the items or the logs);
    `account.max_connections`: the per-host connection limit, settable per account."""
    from playhouse.migrate import SchemaMigrator
    from playhouse.migrate import migrate as apply

    from davtui.store.models import Account, Run

    migrator = SchemaMigrator.from_database(db)
    for model, names in ((Run, ("items_done", "items_total", "items_failed", "rate")),
                         (Account, ("max_connections",))):  # fmt: skip
        table = model._meta.table_name
        have = {c.name for c in db.get_columns(table)}
        apply(*(migrator.add_column(table, n, getattr(model, n)) for n in names if n not in have))


def _v6_ledger(db: Database) -> None:
    """The `ledger_entry` table (each run's ledger), the standing finding of an item
    (`item_state.finding`, `finding_reason`: a re-run reads nothing to report it) and the
    destination ETag a conflict was seen at (`seen_etag`: what `job resolve` settles)."""
    from playhouse.migrate import SchemaMigrator
    from playhouse.migrate import migrate as apply

    from davtui.store.models import ItemState, LedgerEntry

    db.create_tables([LedgerEntry])  # safe: step 1 of a fresh database made it already
    have = {c.name for c in db.get_columns("item_state")}
    migrator = SchemaMigrator.from_database(db)
    added = ("finding", "finding_reason", "seen_etag")
    apply(*(migrator.add_column("item_state", name, getattr(ItemState, name))
            for name in added if name not in have))  # fmt: skip


def _v7_fleet_indexes(db: Database) -> None:
    """Indexes for the paged jobs table and logs (`(status, id)`, `(run, id)`: keyset pages
    in any order without a sort)."""
    db.execute_sql("CREATE INDEX IF NOT EXISTS job_status_id ON job (status, id)")
    db.execute_sql("CREATE INDEX IF NOT EXISTS logentry_run_id ON log_entry (run_id, id)")


def _v8_two_way(db: Database) -> None:
    """`job.create_collections`: in a two-way sync, whether a collection found on one side
    only is made on the other."""
    from playhouse.migrate import SchemaMigrator
    from playhouse.migrate import migrate as apply

    from davtui.store.models import Job

    if "create_collections" not in {c.name for c in db.get_columns("job")}:
        migrator = SchemaMigrator.from_database(db)
        apply(migrator.add_column("job", "create_collections", Job.create_collections))


def _v9_log_search(db: Database) -> None:
    """The log's search index: an empty FTS5 trigram table on SQLite (filled after the log's
    writers, never inside their transactions: see `davtui.store.search`), pg_trgm indexes
    on PostgreSQL where the extension can be created."""
    from davtui.store.search import create_index

    create_index(db)


def _v10_refused_by(db: Database) -> None:
    """`item_state.refused_by`: in a two-way sync, which side refused the other's version of
    an item, so it is not sent again until it changes, whichever way it was going."""
    from playhouse.migrate import SchemaMigrator
    from playhouse.migrate import migrate as apply

    from davtui.store.models import ItemState

    if "refused_by" not in {c.name for c in db.get_columns("item_state")}:
        migrator = SchemaMigrator.from_database(db)
        apply(migrator.add_column("item_state", "refused_by", ItemState.refused_by))


MIGRATIONS: list[Callable[[Database], None]] = [
    _v1_initial,
    _v2_invitations_default,
    _v3_delete_guard,
    _v4_changes,
    _v5_run_progress,
    _v6_ledger,
    _v7_fleet_indexes,
    _v8_two_way,
    _v9_log_search,
    _v10_refused_by,
]


def schema_version(db: Database) -> int:
    if isinstance(db, PostgresqlDatabase):
        row = db.execute_sql(f"SELECT version FROM {SCHEMA_TABLE}").fetchone()
        return int(row[0])
    return int(db.execute_sql("PRAGMA user_version").fetchone()[0])


def _set_schema_version(db: Database, number: int) -> None:
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql(f"UPDATE {SCHEMA_TABLE} SET version = %s", (number,))
    else:
        db.execute_sql(f"PRAGMA user_version = {int(number)}")


@contextmanager
def _migration_lock(db: Database) -> Iterator[None]:
    """On PostgreSQL: the version table exists and one process at a time migrates."""
    if not isinstance(db, PostgresqlDatabase):
        yield  # SQLite: each step's transaction already excludes other writers
        return
    db.execute_sql("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
    try:
        with db.atomic():
            db.execute_sql(
                f"CREATE TABLE IF NOT EXISTS {SCHEMA_TABLE} ("
                "id integer PRIMARY KEY CHECK (id = 1), version integer NOT NULL)"
            )
            db.execute_sql(
                f"INSERT INTO {SCHEMA_TABLE} (id, version) VALUES (1, 0) ON CONFLICT DO NOTHING"
            )
        yield
    finally:
        db.execute_sql("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))


def migrate(db: Database) -> None:
    """Apply every step the database has not seen yet, each in its own transaction."""
    with _migration_lock(db):
        current = schema_version(db)
        if current > len(MIGRATIONS):
            raise StoreError(
                f"The database is at schema version {current}, newer than this davtui knows "
                f"({len(MIGRATIONS)}): upgrade davtui."
            )
        if current == len(MIGRATIONS):
            return
        with _foreign_keys_off(db):
            for number in range(current + 1, len(MIGRATIONS) + 1):
                with serialized(db):
                    if schema_version(db) >= number:
                        continue  # a process that started at the same moment did it
                    MIGRATIONS[number - 1](db)
                    _set_schema_version(db, number)


@contextmanager
def serialized(db: Database | None = None) -> Iterator[None]:
    """A transaction that other processes' `serialized` transactions wait for, from its first
    statement: for a find-or-create (`davtui migrate` of one config started twice at once)
    or a check-then-write. On SQLite it takes the write lock at BEGIN (IMMEDIATE): a plain
    transaction that reads, then writes after another process wrote, fails at once with
    "database is locked" instead of waiting."""
    db = db or database.obj
    if isinstance(db, PostgresqlDatabase):
        with db.atomic():
            db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (SERIAL_LOCK,))
            yield
    else:
        with db.atomic("IMMEDIATE"):
            yield


@contextmanager
def _foreign_keys_off(db: Database) -> Iterator[None]:
    """SQLite rebuilds a table to change a column: with foreign keys on, dropping the old
    `job` table would cascade into `run`. Off during the steps (outside their transactions,
    as SQLite requires), then checked and on again."""
    if isinstance(db, PostgresqlDatabase):
        yield
        return
    db.execute_sql("PRAGMA foreign_keys = OFF")
    try:
        yield
        broken = db.execute_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise StoreError(f"The schema upgrade left {len(broken)} broken references.")
    finally:
        db.execute_sql("PRAGMA foreign_keys = ON")


def _connect(location: str) -> Database:
    if is_postgres(location):
        from playhouse.db_url import parse

        try:
            import psycopg2  # noqa: F401  (peewee's driver; a clear message when missing)
        except ImportError:
            raise StoreError(
                "PostgreSQL needs the driver: pip install 'davtui[postgres]'."
            ) from None
        # The password may also come from PGPASSWORD or ~/.pgpass (kept out of `ps`).
        return Postgres(**parse(location), options="-c timezone=UTC")
    path = Path(location).expanduser()
    create_private(path)
    return SqliteDatabase(str(path), pragmas=PRAGMAS)


#: The database this process opened, with what identifies it (see `_identity`).
_opened: tuple[tuple, Database] | None = None


def _identity(location: str) -> tuple:
    """What tells one database from another: the URL, or the SQLite file's device and inode
    (a path that now names another file — replaced, or deleted and made again — is new)."""
    if is_postgres(location):
        return (location,)
    try:
        found = Path(location).expanduser().stat()
    except OSError:
        return (None,)  # no file yet: never the one that is open
    return (found.st_dev, found.st_ino)


def open_database(location: str) -> Database:
    """Open and migrate the database at `location`: a PostgreSQL URL (postgresql://user@host/
    name), else a SQLite file created with mode 0600 if needed.

    Once per process: opening the database that is open already (the demo, then its App)
    returns it as it is. A second SQLite handle made beside the first is harmless to SQLite,
    but nothing else may open and close the file while SQLite holds it (see
    `davtui.paths.create_private`), and there is nothing to migrate twice."""
    global _opened
    key = _identity(location)
    if _opened is not None and key == _opened[0] != (None,) and database.obj is _opened[1]:
        _opened[1].connect(reuse_if_open=True)
        return _opened[1]
    try:
        db = _connect(location)
        database.initialize(db)
        _connect_and_migrate(db)
    except StoreError:
        raise
    except Exception as exc:  # driver/OS errors: one sentence, no traceback, no password
        where = redacted(location) if is_postgres(location) else Path(location).expanduser()
        reason = " ".join(str(exc).split()).rstrip(".?!")
        raise StoreError(f"Cannot open the database {where}: {reason}.") from exc
    _opened = (_identity(location), db)
    return db


#: Attempts at opening a SQLite file that another process is opening at the same moment.
OPEN_ATTEMPTS = 6


def _connect_and_migrate(db: Database) -> None:
    """Connect and bring the schema up to date. Two processes opening a new SQLite file at
    once can meet in its switch to WAL, where SQLite answers "database is locked" at once
    instead of waiting (two `davtui migrate` started together, under load); opening is
    idempotent (each schema step checks the version in its own transaction), so it is tried
    again after a short wait."""
    for attempt in range(OPEN_ATTEMPTS):
        try:
            db.connect(reuse_if_open=True)
            migrate(db)
            return
        except OperationalError as exc:
            last = attempt == OPEN_ATTEMPTS - 1
            if last or isinstance(db, PostgresqlDatabase) or "locked" not in str(exc):
                raise
            db.close()
            time.sleep(0.05 * 2**attempt)


def close_database() -> None:
    """Close this thread's connection; the next `open_database` opens (and checks) afresh."""
    global _opened
    _opened = None
    db = database.obj
    if db is not None and not db.is_closed():
        db.close()
