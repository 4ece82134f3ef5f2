"""Item state in memory: the `ItemStates` of a run that needs no database.

`Migration` sees item state only through the `records.ItemStates` Protocol; the job runner
gives it the SQLite/PostgreSQL implementation (`davtui.engine.jobs.state.JobState`). This one
keeps the same state in dictionaries, so the sync layer can be run — and tested, on
`MemoryStorage` or a real server — without a database file, as vdirsyncer's tests run. It
keeps JobState's promises: records are copies (what the engine changes after `record` is not
stored by accident), `record` is durable on return (for as long as the object lives),
`set_versions` and `mark_verified` only touch what was recorded before, pages come in href
order.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from davtui.engine.sync.outcomes import Finding
from davtui.engine.sync.records import ItemRecord

#: Items handed out at a time, as JobState pages its rows.
PAGE = 2000


@dataclass(slots=True)
class _Collection:
    """What is remembered of one source collection: where it goes, and at which versions
    both sides were when it last ended complete."""

    dest_href: str
    source_version: str | None = None
    dest_version: str | None = None
    complete: bool = False


class MemoryStates:
    """Item and collection state of one job, in memory (implements `ItemStates`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, dict[str, ItemRecord]] = {}  # source collection -> href -> record
        self._collections: dict[str, _Collection] = {}

    def items(self, source_collection: str) -> dict[str, ItemRecord]:
        """Every recorded item of a source collection, by source href (copies)."""
        with self._lock:
            stored = self._items.get(source_collection, {})
            return {href: replace(record) for href, record in stored.items()}

    def pages(
        self, source_collection: str, size: int = PAGE, only: set[str] | None = None
    ) -> Iterator[list[ItemRecord]]:
        """The recorded items of a source collection, `size` at a time in href order; with
        `only`, just those hrefs."""
        records = sorted(self.items(source_collection).items())
        wanted = [record for href, record in records if only is None or href in only]
        for start in range(0, len(wanted), size):
            yield wanted[start : start + size]

    def record(self, item: ItemRecord) -> None:
        """Store one item's state (insert or replace), as a copy."""
        with self._lock:
            stored = self._items.setdefault(item.source_collection, {})
            stored[item.source_href] = replace(item)

    def forget(self, source_collection: str, source_href: str) -> None:
        with self._lock:
            self._items.get(source_collection, {}).pop(source_href, None)

    def mark_verified(self, source_collection: str, verified: dict[str, str | None]) -> None:
        """Store the destination ETags just verified (as `verified_etag` and `dest_etag`) of
        the items recorded before; others are ignored, as an UPDATE would."""
        with self._lock:
            stored = self._items.get(source_collection, {})
            for href, etag in verified.items():
                if (record := stored.get(href)) is not None:
                    record.verified_etag = record.dest_etag = etag

    def clear_resolved(self, keys: Iterable[tuple[str, str]]) -> None:
        """Clear the two-way resolutions stored with these items (as JobState does once the
        run's ledger that lists them is stored)."""
        with self._lock:
            for collection, href in keys:
                record = self._items.get(collection, {}).get(href)
                if record is not None and record.finding == Finding.RESOLVED:
                    record.finding = record.finding_reason = None

    def target_of(self, source_href: str) -> str | None:
        with self._lock:
            known = self._collections.get(source_href)
            return known.dest_href if known else None

    def versions(self, source_href: str) -> tuple[str | None, str | None] | None:
        with self._lock:
            known = self._collections.get(source_href)
            if known is None or not known.complete:
                return None
            return known.source_version, known.dest_version

    def set_versions(self, source_href: str, source: str | None, dest: str | None) -> None:
        """Mark a collection complete at these versions (None: not complete); a collection
        with no target set is not remembered (JobState updates an existing row only)."""
        with self._lock:
            known = self._collections.get(source_href)
            if known is not None:
                known.source_version, known.dest_version = source, dest
                known.complete = bool(source and dest)

    def set_target(self, source_href: str, dest_href: str) -> None:
        with self._lock:
            known = self._collections.get(source_href)
            if known is None:
                self._collections[source_href] = _Collection(dest_href)
            else:
                known.dest_href = dest_href
