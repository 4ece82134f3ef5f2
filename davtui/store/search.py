"""Log search in the database, over every row: LIKE on SQLite (case-insensitive for ASCII),
ILIKE on PostgreSQL, over the message, collection, UID and summary.

A full-text index (SQLite's FTS5 with trigrams, kept by triggers on the log) made a search
over a million lines 15x faster, but its triggers made concurrent runs' log writes fail with
"database is locked" at once (2 of 135 three-job runs on a loaded machine; none without
them): the log is the runs' record, so it goes without the index until the index can be kept
outside the writers' transactions.
"""

from __future__ import annotations

from peewee import Expression

from davtui.store.models import LogEntry


def matching(text: str) -> Expression:
    """The log rows whose message, collection, UID or summary contain `text` (any case)."""
    pattern = f"%{text}%"
    return (
        LogEntry.message**pattern
        | LogEntry.uid**pattern
        | LogEntry.summary**pattern
        | LogEntry.collection**pattern
    )
