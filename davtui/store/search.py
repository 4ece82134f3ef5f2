"""Log search in the database, over every row: the same lines as a case-insensitive substring
test (LIKE on SQLite, ILIKE on PostgreSQL) over the message, collection, UID and summary, made
fast by an index where the database has one.

SQLite: an FTS5 table with the trigram tokenizer (`log_search`), filled in order of the log's
ids by `catch_up`, in its own short transactions AFTER the log rows are committed, never by
triggers. Triggers put the index into every log writer's transaction, and the first INSERT of
each new connection then failed at once with "database is locked" whenever another process
held the write lock: preparing that INSERT compiles the trigger, FTS5 connects to its table and
reads its configuration, which opens a read transaction inside the writer's deferred BEGIN; its
INSERT must then upgrade a read lock to a write lock, and SQLite calls no busy handler for that
upgrade (it could deadlock), so it fails instead of waiting.

`log_search_mark` holds how far the index has come (`upto`, the last indexed id, with that
row's time and message). The log only grows at the top, so a search asks the index for rows
up to `upto` and tests the rows above it directly; the candidates are log rows found by id and
tested with LIKE, so what the index still holds of deleted rows is never shown, and `catch_up`
sweeps it out a range at a time. Ids are reused only above the highest surviving row (removing
the job that wrote the newest lines): row `upto` is then gone or another row, searches scan
until `catch_up` drops the index back to the last row it still agrees with.

PostgreSQL: GIN trigram indexes (pg_trgm) on the four columns when the extension can be
created; ILIKE uses them by itself. Without FTS5 (or its trigram tokenizer), without pg_trgm,
and for searches under three characters (trigrams), it is the plain scan.
"""

from __future__ import annotations

import time

from peewee import (
    SQL,
    Database,
    DatabaseError,
    Expression,
    OperationalError,
    PostgresqlDatabase,
)

from davtui.store.models import LogEntry, database

TABLE = "log_search"
MARK = "log_search_mark"
COLUMNS = ("message", "collection", "uid", "summary")
#: Rows indexed per transaction: ~40 ms of the write lock on the shared 2-CPU machine.
BATCH = 2000
#: Ids looked over per call for index entries whose log rows are gone (see `_sweep`).
SWEEP = 20_000
#: The removed trigger-kept index of an earlier schema step 7 (some databases have it).
_LEGACY = ("logsearch_insert", "logsearch_delete")


def create_index(db: Database) -> None:
    """Schema step 8: the index where the database can have one (empty: `catch_up` fills it)."""
    if isinstance(db, PostgresqlDatabase):
        _create_trigram_indexes(db)
        return
    for trigger in _LEGACY:
        db.execute_sql(f"DROP TRIGGER IF EXISTS {trigger}")
    db.execute_sql("DROP TABLE IF EXISTS logsearch")
    try:
        db.execute_sql(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5("
            f"{', '.join(COLUMNS)}, time UNINDEXED, tokenize='trigram')"
        )
    except OperationalError:
        return  # no FTS5 or no trigram tokenizer (SQLite < 3.34): search scans
    db.execute_sql(
        f"CREATE TABLE IF NOT EXISTS {MARK} (id INTEGER PRIMARY KEY CHECK (id = 1), "
        "upto INTEGER NOT NULL, time TEXT, message TEXT, swept INTEGER NOT NULL DEFAULT 0)"
    )
    db.execute_sql(f"INSERT OR IGNORE INTO {MARK} (id, upto) VALUES (1, 0)")


def _create_trigram_indexes(db: Database) -> None:
    """pg_trgm's GIN indexes, if this role may create the extension (or it is there)."""
    try:
        with db.atomic():  # a savepoint: a refused CREATE EXTENSION leaves the step going
            db.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError:  # not permitted, or pg_trgm not installed: ILIKE scans
        return
    for column in COLUMNS:
        db.execute_sql(
            f"CREATE INDEX IF NOT EXISTS log_entry_{column}_trgm "
            f"ON log_entry USING gin ({column} gin_trgm_ops)"
        )


def indexed_upto(db: Database | None = None) -> int | None:
    """The last log id the FTS5 index holds, or None where there is no such index, or where
    row `upto` is no longer the row indexed (deleted, its id reused): until `catch_up`
    mends that, a search scans."""
    db = db or database.obj
    if isinstance(db, PostgresqlDatabase):
        return None
    try:
        row = db.execute_sql(
            f"SELECT m.upto FROM {MARK} AS m LEFT JOIN log_entry AS l ON l.id = m.upto "
            "WHERE m.id = 1 AND (m.upto = 0 OR (l.time IS m.time AND l.message IS m.message))"
        ).fetchone()
    except OperationalError:
        return None  # no index on this database
    return int(row[0]) if row else None


def has_index(db: Database) -> bool:
    if isinstance(db, PostgresqlDatabase):
        return False
    found = f"SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '{MARK}'"
    return db.execute_sql(found).fetchone() is not None


def _like(text: str) -> Expression:
    pattern = f"%{text}%"
    return (
        LogEntry.message**pattern
        | LogEntry.uid**pattern
        | LogEntry.summary**pattern
        | LogEntry.collection**pattern
    )


def matching(text: str) -> Expression:
    """The log rows whose message, collection, UID or summary contain `text` (any case)."""
    like = _like(text)
    upto = indexed_upto() if len(text) >= 3 else None
    if upto is None:
        return like
    phrase = '"' + text.replace('"', '""') + '"'
    # One IN over rowids: what the index found up to `upto`, and the unindexed rows above it
    # tested directly; then LIKE on those candidates only (stale entries of deleted rows).
    pattern = f"%{text}%"
    newer = " OR ".join(f"{column} LIKE ?" for column in COLUMNS)
    candidates = SQL(
        f"(SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH ? AND rowid <= ? "
        f"UNION ALL SELECT id FROM log_entry WHERE id > ? AND ({newer}))",
        (phrase, upto, upto, *[pattern] * len(COLUMNS)),
    )
    return LogEntry.id.in_(candidates) & like


def catch_up(budget: float | None = 0.2, db: Database | None = None) -> bool:
    """Index the log rows written since the last call, `BATCH` rows per transaction, for at
    most `budget` seconds (None: until done); True when the index holds every row.

    Each batch is its own IMMEDIATE transaction: it takes the write lock at BEGIN, where
    SQLite's busy handler waits for other writers, and holds it a few dozen milliseconds."""
    db = db or database.obj
    if not has_index(db):
        return True
    deadline = None if budget is None else time.monotonic() + budget
    while True:
        with db.atomic("IMMEDIATE"):
            done = _next_batch(db)
        if done or (deadline is not None and time.monotonic() >= deadline):
            break
    _sweep(db)
    return done


def _sweep(db: Database) -> None:
    """Drop the index entries of one range of SWEEP ids whose log rows are gone (a removed
    job, pruned runs), the next range on the next call, round and round: searches never show
    them (every candidate is joined to the log), but they would fill the file. The range is
    read first without a lock, and only a range with such entries is swept under one."""
    upto, swept = db.execute_sql(f"SELECT upto, swept FROM {MARK} WHERE id = 1").fetchone()
    start = swept if swept < upto else 0
    end = min(start + SWEEP, upto)
    gone = (
        f"SELECT s.rowid FROM {TABLE} AS s LEFT JOIN log_entry AS l ON l.id = s.rowid "
        "WHERE s.rowid > ? AND s.rowid <= ? AND l.id IS NULL"
    )
    if db.execute_sql(gone + " LIMIT 1", (start, end)).fetchone() is None:
        db.execute_sql(f"UPDATE {MARK} SET swept = ? WHERE id = 1", (end,))
        return
    with db.atomic("IMMEDIATE"):  # again under the lock: no id is reused meanwhile
        db.execute_sql(f"DELETE FROM {TABLE} WHERE rowid IN ({gone})", (start, end))
        db.execute_sql(f"UPDATE {MARK} SET swept = ? WHERE id = 1", (end,))


def _next_batch(db: Database) -> bool:
    """Index up to BATCH rows after the mark; True when that was the last of them."""
    mark = f"SELECT upto, time, message FROM {MARK} WHERE id = 1"
    upto, when, message = db.execute_sql(mark).fetchone()
    upto = _agreed(db, upto, when, message)
    last, count = db.execute_sql(
        "SELECT max(id), count(*) FROM (SELECT id FROM log_entry WHERE id > ? ORDER BY id LIMIT ?)",
        (upto, BATCH),
    ).fetchone()
    if last is None:
        return True
    db.execute_sql(
        f"INSERT INTO {TABLE} (rowid, {', '.join(COLUMNS)}, time) "
        f"SELECT id, {', '.join(COLUMNS)}, time FROM log_entry WHERE id > ? AND id <= ?",
        (upto, last),
    )
    _mark(db, last)
    return count < BATCH


def _mark(db: Database, last: int) -> None:
    """The index holds every row up to `last`: remember it with what identifies that row."""
    db.execute_sql(
        f"UPDATE {MARK} SET upto = ?, (time, message) = "
        "(SELECT time, message FROM log_entry WHERE id = ?) WHERE id = 1",
        (last, last),
    )


def _agreed(db: Database, upto: int, when: str | None, message: str | None) -> int:
    """`upto`, or, when row `upto` was deleted or its id reused since, the last indexed row
    the log still has unchanged (same id, time and message): the index above it is dropped."""
    if upto == 0:
        return 0
    row = db.execute_sql("SELECT time, message FROM log_entry WHERE id = ?", (upto,)).fetchone()
    if row is not None and tuple(row) == (when, message):
        return upto
    found = db.execute_sql(
        f"SELECT s.rowid FROM {TABLE} AS s JOIN log_entry AS l ON l.id = s.rowid "
        "AND l.time IS s.time AND l.message IS s.message "
        "WHERE s.rowid <= ? ORDER BY s.rowid DESC LIMIT 1",
        (upto,),
    ).fetchone()
    agreed = found[0] if found else 0
    db.execute_sql(f"DELETE FROM {TABLE} WHERE rowid > ?", (agreed,))
    _mark(db, agreed)
    return agreed
