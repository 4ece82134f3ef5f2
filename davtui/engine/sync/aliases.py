"""The same item seen in two source collections of one job: copied once, the other reported.

Zimbra/Carbonio shows a calendar shared with (or mounted by) the user as a collection of its
own, holding the very items of the original: a migration would copy each of them twice. RFC
4791 only requires UIDs to be unique within one collection, so a UID seen again elsewhere is an
alias only when the normalised content is the same too (`compare.content_hash`); otherwise both
are real items and both are copied.

Only sources known to mount shares (`Storage.mounts_shared_collections`) are deduplicated: on
any other server two identical items in two calendars are two items the user keeps.

One `Aliases` lives for one job run: a dict of UID -> where and what was copied first. Source
collections are acted on one after the other, so the first collection always wins, run after
run, and a skipped alias stays settled (not retried) until its source changes.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

from davtui.engine.sync.records import ItemRecord

NOUNS = {"contact": ("contact", "address book")}

#: In the reason of an item skipped as an alias: copied once, so nothing is missing.
ALIAS_NOTE = "(a Zimbra alias?)"


class _First(NamedTuple):
    collection: str  # source collection href
    name: str  # its display name, for the report
    content: str | None  # compare.content_hash of the source item


class Aliases:
    """UIDs copied so far in this run, across source collections. Thread-safe."""

    def __init__(self, enabled: bool = True) -> None:
        """`enabled` False (a source that does not mount shares): every item is its own."""
        self.enabled = enabled
        self._first: dict[str, _First] = {}
        self._lock = threading.Lock()

    def copied(self, record: ItemRecord, name: str) -> None:
        """Remember an item the destination holds (copied now or earlier) from collection
        `name`; the first collection to report a UID keeps it."""
        if self.enabled and record.uid is not None:
            with self._lock:
                self._first.setdefault(
                    record.uid, _First(record.source_collection, name, record.source_hash)
                )

    def alias_of(self, record: ItemRecord, name: str) -> str | None:
        """Why `record`, about to be copied from collection `name`, is not: the same UID with
        the same content was already copied from another collection. None: copy it."""
        if not self.enabled:
            return None
        with self._lock:
            first = self._first.get(record.uid or "")
        if (
            first is None
            or first.collection == record.source_collection
            or first.content is None
            or first.content != record.source_hash
        ):
            return None
        thing, place = NOUNS.get(record.kind or "", (record.kind or "item", "calendar"))
        return (
            f"same {thing} as in {place} '{first.name}' {ALIAS_NOTE}: copied once, "
            f"from '{first.name}', not again from '{name}'"
        )
