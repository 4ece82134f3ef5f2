"""What a run knows of each item, and the item state it reads and writes: plain data and a
Protocol, so the sync layer needs no database. `davtui.engine.jobs.state.JobState` implements
`ItemStates` on the job's SQLite/PostgreSQL tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from davtui.engine.sync.outcomes import Outcome

#: Outcomes after which the destination holds this job's copy of the item.
COPIED = (Outcome.CREATED, Outcome.UPDATED, Outcome.UNCHANGED, Outcome.ADOPTED)
#: Outcomes that stay as they are until the source item changes: no GET, no PUT on re-runs.
SETTLED = (Outcome.REFUSED, Outcome.SKIPPED)
#: Two-way sync: the key, in place of a source href, of an item only the destination holds
#: (the source refused it); no listing holds it.
DEST_ONLY = "(destination) "


@dataclass(slots=True)
class ItemRecord:
    """What the engine knows of one source item after acting on it. In a two-way sync
    (`twoway_items`) it is the state both sides were in when the item was last synced, and
    `source_hash` / `dest_hash` are each side's semantic hash (`content_hash(meaning=True)`)."""

    source_collection: str
    source_href: str
    outcome: str
    source_etag: str | None = None
    source_hash: str | None = None
    uid: str | None = None
    kind: str | None = None
    dest_collection: str | None = None
    dest_href: str | None = None
    dest_etag: str | None = None
    dest_hash: str | None = None
    verified_etag: str | None = None
    created_by_job: bool = False
    error: str | None = None
    #: what the verification found at `verified_etag` when it was not plain equality
    #: (`converted` or `changed-by-server`) and why: a re-run that finds the same ETag reads
    #: nothing and still reports it
    finding: str | None = None
    finding_reason: str | None = None
    #: the destination's ETag when this item became a conflict (`job resolve` writes or
    #: accepts the version at it, never a later edit)
    seen_etag: str | None = None
    #: two-way sync, outcome "refused": the side ("source" | "destination") that refused
    #: the other side's version, which is stored; its own fields hold what it has kept
    refused_by: str | None = None

    @property
    def on_source(self) -> bool:
        """Whether `source_href` is an href (not the key of a destination-only item)."""
        return not self.source_href.startswith(DEST_ONLY)


class ItemStates(Protocol):
    """The item and collection state of one job, as a run uses it. Each `record` must be
    durable on return: a stop or crash then loses at most the items in flight."""

    def pages(
        self, source_collection: str, size: int = ..., only: set[str] | None = None
    ) -> Iterator[list[ItemRecord]]:
        """The recorded items of a source collection, a page at a time in href order; with
        `only`, just those hrefs."""
        ...

    def record(self, item: ItemRecord) -> None:
        """Store one item's state (insert or replace)."""
        ...

    def forget(self, source_collection: str, source_href: str) -> None:
        """Drop one item's state (it was deleted on both sides)."""
        ...

    def mark_verified(self, source_collection: str, verified: dict[str, str | None]) -> None:
        """Store the destination ETags just verified, by source href, clearing any finding
        stored with them (a converted or changed item is stored again with its own)."""
        ...

    def target_of(self, source_href: str) -> str | None:
        """The destination collection this job mapped a source collection to, if any."""
        ...

    def versions(self, source_href: str) -> tuple[str | None, str | None] | None:
        """The (source, destination) versions seen when this collection last ended complete."""
        ...

    def set_versions(self, source_href: str, source: str | None, dest: str | None) -> None:
        """Mark a collection complete at these versions (None: not complete)."""
        ...

    def set_target(self, source_href: str, dest_href: str) -> None:
        """Remember the destination collection of a source collection."""
        ...
