"""Planning one collection pair from listings and stored state, without reading any item.

Per source item: `unchanged` (same ETag as last copied and still in the destination: no GET,
no PUT), `settled` (refused or skipped before and unchanged since: reported again, not retried),
`conflict` (a conflict found before, source unchanged and destination still changed since this
job wrote it: reported again without a GET), `fetch` (new or
changed: read it and decide in the act phase), and in mirror mode `delete` for items this job
created whose source is gone, if the source listing is complete and the `DeleteGuard` lets
them go. The plan's size is the progress bar's total. While it holds the
records, it also sorts the unchanged items for verification: vouched for by the destination
listing, or to read back. A side not listed (unchanged since the pair last ended complete) is
stood in for by the stored records; a source read as sync-token changes, by the records with
those changes applied.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from davtui.engine.storages.contract import Changes, Collection
from davtui.engine.sync.mapping import Pair
from davtui.engine.sync.outcomes import Outcome
from davtui.engine.sync.records import COPIED, SETTLED, ItemRecord


@dataclass(slots=True)
class CollectionPlan:
    pair: Pair
    #: the source listing; for a pair not listed, the stored ETags of the items kept below
    source_etags: dict[str, str | None]
    #: the destination listing; for a pair not listed, the stored ETags of the items kept
    dest_etags: dict[str, str | None]
    #: the stored records of the items the act phase reads, verification rechecks or the
    #: run reports: never the whole collection
    records: dict[str, ItemRecord] = field(default_factory=dict)
    total: int = 0  # source items
    unchanged: int = 0
    settled: list[ItemRecord] = field(default_factory=list)
    conflicts: list[ItemRecord] = field(default_factory=list)
    fetch: list[str] = field(default_factory=list)
    deletes: list[ItemRecord] = field(default_factory=list)
    #: why the source listing is incomplete (it may add and update, never delete), or None
    incomplete: str | None = None
    #: why the mirror's deletes of this collection were refused (one sentence), or None
    deletes_refused: str | None = None
    target: Collection | None = None
    listed_at: float = field(default_factory=time.monotonic)  # when dest_etags was read
    #: dest href -> the vCard VERSION written there this run, to tell server conversions
    sent_versions: dict[str, bytes | None] = field(default_factory=dict)
    #: unchanged items the destination listing vouches for (verified at the ETag it shows)
    vouched: int = 0
    #: unchanged items it does not vouch for: verification reads them back
    recheck: list[str] = field(default_factory=list)
    #: the source's version this plan saw everything up to (stored if the pair ends complete)
    source_version: str | None = None
    #: destination hrefs no record names (a person's own items there): their UIDs are read
    #: before the first create, so that one created on both sides is not stored twice
    foreign: set[str] = field(default_factory=set)

    @property
    def size(self) -> int:
        return self.total + len(self.deletes)

    @property
    def problem(self) -> str | None:
        """Why this pair cannot end complete whatever the act phase does, in one sentence:
        its deletes were refused, or its source listing left items out."""
        if self.deletes_refused or not self.incomplete:
            return self.deletes_refused
        return (
            f"The source listing of '{self.pair.source.name}' is incomplete "
            f"({self.incomplete}): items it left out were not copied."
        )

    @property
    def may_create(self) -> bool:
        """Some item to read has no copy in the destination yet, so the act phase may create."""
        return any(
            (record := self.records.get(href)) is None or record.dest_href not in self.dest_etags
            for href in self.fetch
        )

    def acted(self) -> None:
        """Drop what only the act phase reads: verification needs neither the source listing
        nor the records, and a large account's plans are all held until it ends."""
        self.source_etags = {}
        self.records = {}

    def counts(self) -> dict[str, int]:
        return {
            "unchanged": self.unchanged,
            "settled": len(self.settled),
            "conflicts": len(self.conflicts),
            "to_fetch": len(self.fetch),
            "deletes": len(self.deletes),
        }


@dataclass(frozen=True, slots=True)
class DeleteGuard:
    """When a mirror may delete: never on an incomplete listing, and at most `max_share` of
    the items the job created in a collection unless the user confirmed (`force`). A
    source that suddenly lists far fewer items is more often a broken server, a wrong
    account or a half-migrated mailbox than a user who deleted them; an empty source is
    the 100 % case."""

    max_share: float = 0.2
    force: bool = False

    def refusal(self, plan: CollectionPlan, deletes: int, created: int) -> str | None:
        """Why the `deletes` of `plan` are refused, in one sentence; None if they may go."""
        name = plan.pair.source.name
        if plan.incomplete:
            return (
                f"Nothing deleted in '{name}': the source listing is incomplete "
                f"({plan.incomplete}); {deletes} destination item(s) it did not list were kept."
            )
        if self.force or deletes <= self.max_share * created + 1e-9:  # 0.29 * 100 < 29
            return None
        empty = " (the source collection is empty)" if not plan.total else ""
        return (
            f"Nothing deleted in '{name}': the mirror would delete {deletes} of the {created} "
            f"item(s) this job created there{empty} ({deletes * 100 / created:.0f} % > "
            f"{self.max_share * 100:.0f} %); run with --force-delete (or force_delete = true) "
            "to confirm."
        )


def _decide(
    href: str,
    etag: str | None,
    record: ItemRecord | None,
    dest_etags: dict[str, str | None],
    conflict_policy: str,
) -> str:
    if record is None or etag is None or record.source_etag != etag:
        return "fetch"  # new or changed: the act phase reads it and decides
    if record.outcome in COPIED:
        return "unchanged" if record.dest_href in dest_etags else "fetch"
    if record.outcome == Outcome.ACCEPTED:  # the user kept the destination's version
        if record.dest_href not in dest_etags:
            return "fetch"
        return "conflict" if _dest_changed(record, dest_etags) else "unchanged"
    if record.outcome in SETTLED:
        return "settled"
    if record.outcome == Outcome.CONFLICT and conflict_policy == "skip":
        standing = _dest_changed(record, dest_etags) or _not_ours(record, dest_etags)
        return "conflict" if standing else "fetch"
    return "fetch"


def vouched(record: ItemRecord, dest_etags: dict[str, str | None]) -> bool:
    """The destination listing shows the ETag this item was last verified with."""
    etag = record.verified_etag
    return etag is not None and dest_etags.get(record.dest_href or "") == etag


def _not_ours(record: ItemRecord, dest_etags: dict[str, str | None]) -> bool:
    """A conflict with an item this job never wrote (one of the destination's own, of the
    UID or at the href): as long as it is there, it is not the job's to overwrite."""
    return record.dest_etag is None and record.dest_href in dest_etags


def _dest_changed(record: ItemRecord, dest_etags: dict[str, str | None]) -> bool:
    """The destination copy is not the one this job wrote (changed by someone else)."""
    if record.dest_href not in dest_etags:
        return False
    current = dest_etags[record.dest_href]
    return current is not None and record.dest_etag is not None and current != record.dest_etag


def plan_collection(
    pair: Pair,
    source_etags: dict[str, str | None] | None,
    dest_etags: dict[str, str | None] | None,
    pages: Iterable[list[ItemRecord]],
    on_unchanged: Callable[[ItemRecord], None] = lambda record: None,
    *,
    changes: Changes | None = None,
    conflict_policy: str = "skip",
    mirror: bool = False,
    incomplete: str | None = None,
    guard: DeleteGuard | None = None,
) -> CollectionPlan:
    """Plan a pair from its listings and its stored records, read a page at a time. A
    listing None: that side did not change since the pair last ended complete, but for the
    source's `changes`, and the records stand in for it. Unchanged items are handed to
    `on_unchanged` and not kept: a re-run of a 40,000-item calendar holds only what it acts
    on. `incomplete`: why the source's listing or changes may leave items out (then nothing
    is deleted); `guard`: how much of a collection a mirror may delete unasked."""
    listed, dest_listed = source_etags is not None, dest_etags is not None
    changed = changes.changed if changes else {}
    deleted = changes.deleted if changes else frozenset()
    plan = CollectionPlan(pair, source_etags or {}, dest_etags or {}, target=pair.target)
    plan.incomplete = incomplete
    if not dest_listed:
        plan.listed_at = 0.0  # a stand-in: the act phase re-lists before creating on SOGo
    buckets: dict[str, list[ItemRecord]] = {"settled": plan.settled, "conflict": plan.conflicts}
    new = set(plan.source_etags if listed else changed)  # items without a record
    gone: list[ItemRecord] = []
    created = 0  # destination items this job created, still there: what a share is of
    foreign = set(plan.dest_etags) if dest_listed else set()
    for page in pages:
        for record in page:
            href = record.source_href
            foreign.discard(record.dest_href or "")
            if not dest_listed and record.dest_href:  # a changed copy is at its verified ETag
                plan.dest_etags[record.dest_href] = record.verified_etag or record.dest_etag
            if not listed and href not in deleted:
                plan.source_etags[href] = changed.get(href, record.source_etag)
            if record.created_by_job and record.dest_href in plan.dest_etags:
                created += 1
            if href not in plan.source_etags:
                if mirror and record.created_by_job and record.dest_href in plan.dest_etags:
                    gone.append(record)
                continue
            new.discard(href)
            plan.total += 1
            decision = _decide(href, plan.source_etags[href], record, plan.dest_etags,
                               conflict_policy)  # fmt: skip
            if decision == "unchanged":
                plan.unchanged += 1
                on_unchanged(record)
                if vouched(record, plan.dest_etags):
                    plan.vouched += 1
                    if not listed:  # of a stand-in, only what the act phase needs is kept
                        _drop_stored(plan, record, keep_dest=dest_listed or bool(changed))
                    continue
                plan.recheck.append(href)
            elif decision == "fetch":
                plan.fetch.append(href)
            else:
                buckets[decision].append(record)
            plan.records[href] = record
    unseen = [href for href in (plan.source_etags if listed else changed) if href in new]
    plan.fetch += unseen
    plan.total += len(unseen)
    if not listed:
        plan.source_etags.update((href, changed[href]) for href in unseen)
    plan.foreign = foreign if plan.may_create else set()
    if gone:
        plan.deletes_refused = (guard or DeleteGuard()).refusal(plan, len(gone), created)
        plan.deletes = [] if plan.deletes_refused else gone
    return plan


def _drop_stored(plan: CollectionPlan, record: ItemRecord, keep_dest: bool) -> None:
    """Forget a vouched item's stored ETags; its destination href stays known while new
    items may be created (one must never be created over it)."""
    del plan.source_etags[record.source_href]
    if not keep_dest and record.dest_href:
        plan.dest_etags.pop(record.dest_href, None)


def summarize(plans: list[CollectionPlan]) -> dict[str, dict[str, Any]]:
    """What a dry run would do, per source collection: where it goes and what it counts."""
    return {
        p.pair.source.name: {
            "target": p.target.name if p.target else p.pair.create_name,
            "create_collection": p.pair.target is None,
            **p.counts(),
        }
        for p in plans
    }
