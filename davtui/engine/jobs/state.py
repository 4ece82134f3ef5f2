"""Per-item sync state of one job, read at plan time and written once per finished item.

Each `record()` is its own short transaction, so a stop, a crash or a power loss loses at most
the items in flight, and those are recognised on the next run (the destination holds the same
content at the expected href: adopted, not copied twice).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import fields
from typing import Any

from peewee import Field

from davtui.engine.sync.outcomes import Finding
from davtui.engine.sync.records import ItemRecord
from davtui.store.models import CollectionState, ItemState, database, utcnow

#: Strings that repeat from row to row, each kept once (see `JobState._record`).
Shared = dict[str | None, str | None]
#: The ItemRecord fields stored in ItemState, in the order of the prepared upsert.
RECORD_FIELDS = tuple(f.name for f in fields(ItemRecord))


def _upsert() -> tuple[str, list[Field]]:
    """`INSERT … ON CONFLICT DO UPDATE` of one ItemState row (SQLite and PostgreSQL), and the
    model fields of its parameters, in order; made once per kind of database."""
    db = database.obj
    cached = _UPSERTS.get((db.quote, db.param))
    if cached is None:
        meta = ItemState._meta
        columns = [meta.fields[name] for name in ("job", *RECORD_FIELDS, "updated_at")]
        q = db.quote[0]

        def col(field: Field) -> str:
            return f"{q}{field.column_name}{q}"

        keys = ", ".join(col(meta.fields[n]) for n in ("job", "source_collection", "source_href"))
        updates = ", ".join(f"{col(f)} = excluded.{col(f)}" for f in columns[1:])
        cached = (
            f"INSERT INTO {q}{meta.table_name}{q} ({', '.join(map(col, columns))}) "
            f"VALUES ({', '.join([db.param] * len(columns))}) "
            f"ON CONFLICT ({keys}) DO UPDATE SET {updates}",
            columns,
        )
        _UPSERTS[(db.quote, db.param)] = cached
    return cached


_UPSERTS: dict[tuple[str, str], tuple[str, list[Field]]] = {}


#: Items read from the state at a time.
PAGE = 2000


class JobState:
    """Item and collection state of one job, in the store (implements `ItemStates`)."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self._write_lock = threading.Lock()
        self._lookup_sql: str | None = None

    def items(self, source_collection: str) -> dict[str, ItemRecord]:
        """Every recorded item of a source collection, by source href."""
        return {
            record.source_href: record for page in self.pages(source_collection) for record in page
        }

    def pages(
        self, source_collection: str, size: int = PAGE, only: set[str] | None = None
    ) -> Iterator[list[ItemRecord]]:
        """The recorded items of a source collection, `size` at a time in href order: the
        caller's memory stays flat, and no cursor stays open while it writes. With `only`,
        just those hrefs: looked up one by one when they fit in a page (a re-run that changed
        160 items of 13,000 reads 160 rows, not the collection)."""
        if only is not None and len(only) <= size:
            shared: Shared = {}
            found = [self._lookup(source_collection, href, shared) for href in sorted(only)]
            if records := [record for record in found if record is not None]:
                yield records
            return
        after, shared = "", Shared()
        while True:
            # `.tuples()` yields tuples; types-peewee types every select as yielding models
            rows: list[tuple[Any, ...]] = list(
                ItemState.select(*self._columns())  # type: ignore[arg-type]
                .where(
                    (ItemState.job == self.job_id)
                    & (ItemState.source_collection == source_collection)
                    & (ItemState.source_href > after)
                )
                .order_by(ItemState.source_href)
                .limit(size)
                .tuples()
            )
            wanted = rows if only is None else [row for row in rows if row[0] in only]
            if wanted:
                yield [self._record(source_collection, row, shared) for row in wanted]
            if len(rows) < size:
                return
            after = rows[-1][0]

    @staticmethod
    def _columns() -> list[Field]:
        return [getattr(ItemState, name) for name in RECORD_FIELDS[1:]]

    def _lookup(self, source_collection: str, href: str, shared: Shared) -> ItemRecord | None:
        """One stored record by its key, through one prepared statement."""
        if self._lookup_sql is None:
            self._lookup_sql, _ = (
                ItemState.select(*self._columns())
                .where(
                    (ItemState.job == 0)
                    & (ItemState.source_collection == "")
                    & (ItemState.source_href == "")
                )
                .sql()
            )
        params = (self.job_id, source_collection, href)
        rows = database.execute_sql(self._lookup_sql, params).fetchall()  # no statement left open
        return self._record(source_collection, rows[0], shared) if rows else None

    @staticmethod
    def _record(source_collection: str, row: tuple[Any, ...], shared: Shared) -> ItemRecord:
        """A record from a row of RECORD_FIELDS[1:], the strings that repeat from row to row
        (collection, outcome, kind) shared: a stored account may hold 100,000 items."""
        record = ItemRecord(source_collection, *row)
        for name in ("outcome", "kind", "dest_collection"):
            value = getattr(record, name)
            setattr(record, name, shared.setdefault(value, value))
        return record

    def record(self, item: ItemRecord) -> None:
        """Upsert one item's state: one statement, so its own transaction. It runs once per
        item on the hot path, hence prepared SQL instead of a query built each time, and one
        writer at a time (threads queueing on SQLite's lock would spin in its busy handler)."""
        values = (self.job_id, *(getattr(item, name) for name in RECORD_FIELDS), utcnow())
        sql, columns = _upsert()
        params = [column.db_value(value) for column, value in zip(columns, values, strict=True)]
        with self._write_lock:
            database.execute_sql(sql, params)

    def forget(self, source_collection: str, source_href: str) -> None:
        with database.atomic():
            # builds of types-peewee 4.5.1 differ: some type Model.delete with Self (misc)
            ItemState.delete().where(  # type: ignore[misc, unused-ignore]
                (ItemState.job == self.job_id)
                & (ItemState.source_collection == source_collection)
                & (ItemState.source_href == source_href)
            ).execute()

    def mark_verified(self, source_collection: str, verified: dict[str, str | None]) -> None:
        """Store the destination ETags just verified, by source href, in one transaction: one
        statement, run for every item (thousands per collection on a first copy). Verified
        equal: a finding stored before is gone (the verification stores a new one after)."""
        sql, _ = (
            ItemState.update(verified_etag="", dest_etag="", finding=None, finding_reason=None)
            .where(
                (ItemState.job == 0)
                & (ItemState.source_collection == "")
                & (ItemState.source_href == "")
            )
            .sql()
        )
        rows = [
            (etag, etag, None, None, self.job_id, source_collection, h)
            for h, etag in verified.items()
        ]
        with self._write_lock, database.atomic():
            database.cursor().executemany(sql, rows)

    def clear_resolved(self, keys: Iterable[tuple[str, str]]) -> None:
        """Clear the two-way resolutions stored with these items (source collection, source
        href): the run's ledger that lists them is stored in the same transaction (the
        caller's), so each is listed by exactly one finished run, and by the next pass's
        when the one that settled it was killed."""
        sql, _ = (
            ItemState.update(finding=None, finding_reason=None)
            .where(
                (ItemState.job == 0)
                & (ItemState.source_collection == "")
                & (ItemState.source_href == "")
                & (ItemState.finding == "")
            )
            .sql()
        )
        rows = [(None, None, self.job_id, c, h, str(Finding.RESOLVED)) for c, h in keys]
        if rows:
            with self._write_lock, database.atomic():
                database.cursor().executemany(sql, rows)

    def target_of(self, source_href: str) -> str | None:
        """The destination collection this job mapped a source collection to, if any."""
        row = CollectionState.get_or_none(
            (CollectionState.job == self.job_id) & (CollectionState.source_href == source_href)
        )
        return row.dest_href if row else None

    def versions(self, source_href: str) -> tuple[str | None, str | None] | None:
        """The (source, destination) versions (sync tokens or ctags) seen when this
        collection last ended complete."""
        row = CollectionState.get_or_none(
            (CollectionState.job == self.job_id) & (CollectionState.source_href == source_href)
        )
        return (row.source_ctag, row.dest_ctag) if row and row.complete else None

    def set_versions(self, source_href: str, source: str | None, dest: str | None) -> None:
        """Mark a collection complete at these versions (None: not complete, list it next
        time); they are kept in the ctag columns."""
        complete = bool(source and dest)
        with database.atomic():
            CollectionState.update(source_ctag=source, dest_ctag=dest, complete=complete).where(
                (CollectionState.job == self.job_id) & (CollectionState.source_href == source_href)
            ).execute()

    def set_target(self, source_href: str, dest_href: str) -> None:
        with database.atomic():
            CollectionState.insert(
                job=self.job_id, source_href=source_href, dest_href=dest_href
            ).on_conflict(
                conflict_target=[CollectionState.job, CollectionState.source_href],
                update={CollectionState.dest_href: dest_href},
            ).execute()
