"""Log search in the database, over every row: SQLite's FTS5 where it is built in, LIKE else.

The index is an FTS5 table with the trigram tokenizer over the log's text columns, kept in
step by triggers (whatever writes `log_entry` — the recorder's batched INSERTs, a cascade
from removing a job — updates it), so a search for any part of a UID, a summary or a message
finds the same lines as `LIKE '%text%'` did, but without reading a million rows. Trigrams need
three characters: a shorter search, a database without FTS5, and PostgreSQL use
LIKE/ILIKE (PostgreSQL's ILIKE over the log is a scan; pg_trgm would need an extension the
database owner installs, so it is not assumed).
"""

from __future__ import annotations

from peewee import SQL, Database, Expression, NodeList, PostgresqlDatabase

from davtui.store.models import LogEntry, database

TABLE = "logsearch"
COLUMNS = ("message", "collection", "uid", "summary")
_TRIGGERS = {
    "logsearch_insert": "AFTER INSERT ON log_entry BEGIN "
    "INSERT INTO logsearch (rowid, message, collection, uid, summary) "
    "VALUES (new.id, new.message, new.collection, new.uid, new.summary); END",
    "logsearch_delete": "AFTER DELETE ON log_entry BEGIN "
    "INSERT INTO logsearch (logsearch, rowid, message, collection, uid, summary) "
    "VALUES ('delete', old.id, old.message, old.collection, old.uid, old.summary); END",
}


def has_fts5(db: Database) -> bool:
    if isinstance(db, PostgresqlDatabase):
        return False
    options = {row[0] for row in db.execute_sql("PRAGMA compile_options").fetchall()}
    return "ENABLE_FTS5" in options


def create_search_index(db: Database) -> None:
    """The FTS5 table, its triggers and its content from the rows already there (SQLite with
    FTS5 only: elsewhere search stays LIKE)."""
    if not has_fts5(db):
        return
    db.execute_sql(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5("
        f"{', '.join(COLUMNS)}, content='log_entry', content_rowid='id', tokenize='trigram')"
    )
    for name, body in _TRIGGERS.items():
        db.execute_sql(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")
    db.execute_sql(f"INSERT INTO {TABLE} ({TABLE}) VALUES ('rebuild')")


def indexed(db: Database | None = None) -> bool:
    """Whether this database has the full-text index (made by schema step 6 where FTS5 is)."""
    db = db or database.obj
    if isinstance(db, PostgresqlDatabase):
        return False
    row = db.execute_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)
    ).fetchone()
    return row is not None


def matching(text: str) -> Expression:
    """The log rows whose message, collection, UID or summary contain `text` (any case)."""
    if len(text) >= 3 and indexed():
        phrase = '"' + text.replace('"', '""') + '"'
        found = NodeList(
            [SQL(f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH ?", (phrase,))], parens=True
        )
        return LogEntry.id.in_(found)
    pattern = f"%{text}%"
    return (
        LogEntry.message**pattern
        | LogEntry.uid**pattern
        | LogEntry.summary**pattern
        | LogEntry.collection**pattern
    )
