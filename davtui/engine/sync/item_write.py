"""Writing one item into its destination collection: create, update, adopt an identical
item already there, or stop at a conflict.

Apart from `copy.CollectionActor` because this is where the destination's answers (a taken
href, a 412, a lost answer whose write may have landed) are read; the actor decides per
item whether to write at all and reports the outcome this module reaches.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from davtui.engine.errors import ItemError, NotFound, PreconditionFailed
from davtui.engine.items.compare import content_hash
from davtui.engine.items.scan import scan, version_of
from davtui.engine.storages.contract import Collection, WritableStorage
from davtui.engine.sync.plan import CollectionPlan
from davtui.engine.sync.records import ItemRecord
from davtui.engine.sync.writers import Writers


@dataclass(slots=True)
class Work:
    """One item on its way to the destination."""

    record: ItemRecord
    body: bytes
    summary: str | None
    applied: tuple[str, ...]
    #: what each fix-up changed, for the ledger
    details: tuple[str, ...] = ()
    #: what `scan` found odd: the item is sent as it is and the destination decides
    warnings: tuple[str, ...] = ()


#: Reports where one item ended: the work, its outcome and the reason (None when it went).
Finish = Callable[[Work, str, str | None], None]


class ItemWriter:
    """Puts the items of one plan into its destination collection."""

    def __init__(
        self,
        plan: CollectionPlan,
        destination: WritableStorage,
        writers: Writers,
        finish: Finish,
        conflict: str = "skip",
        dry_run: bool = False,
    ) -> None:
        self.plan = plan
        self.destination = destination
        self.writers = writers
        self.finish = finish
        self.conflict = conflict
        self.dry_run = dry_run
        #: UID -> (href, ETag) of the destination's items that no record names, read once
        self._foreign: dict[str, tuple[str, str | None]] | None = None
        self._foreign_lock = threading.Lock()

    def target(self) -> Collection:
        """The destination collection, where a write goes: the run gives every plan one
        (created, found, or a dry run's stand-in) before it makes the plan's actor."""
        assert self.plan.target is not None
        return self.plan.target

    def write(self, work: Work, previous: ItemRecord | None) -> None:
        """Update the item this job wrote before, else create it at the href its UID gives."""
        dest = self.plan.dest_etags
        if previous is not None and previous.dest_href and previous.dest_href in dest:
            current = dest[previous.dest_href]
            if previous.outcome == "conflict" and previous.dest_etag is None:
                self._existing(work, previous.dest_href, current)  # never ours: compared
                return
            changed = current is not None and previous.dest_etag not in (None, current)
            if changed and self.conflict == "skip":
                work.record.seen_etag = current
                reason = "changed in the destination since this job copied it (policy: skip)"
                self.finish(work, "conflict", reason)
                return
            self._put(work, previous.dest_href, current, "updated")
            return
        record = work.record
        href = self.destination.href_for(self.target(), record.uid or record.source_href)
        if href in dest:
            self._existing(work, href, dest[href])
            return
        there = self._foreign_uids().get(record.uid or "")
        if there is not None:  # the same UID at a name of the destination's own
            self._existing(work, *there)
            return
        self._put(work, href, None, "created")

    def _foreign_uids(self) -> dict[str, tuple[str, str | None]]:
        """The UIDs of the destination items no record names, read at the first create.
        A person may have created the item on both sides (weeks of coexistence, a client
        that wrote to both): matched by href only, it was created a second time where the
        server allows one UID twice (Xandikos address books) and refused with 412 where it
        does not (Xandikos calendars)."""
        with self._foreign_lock:
            if self._foreign is None:
                self._foreign = {}
                hrefs = sorted(self.plan.foreign)
                for found in self.destination.fetch(self.target(), hrefs) if hrefs else ():
                    try:
                        uid = scan(found.data).uid if found.data else None
                    except ItemError:
                        uid = None
                    if uid:
                        self._foreign.setdefault(uid, (found.href, found.etag))
            return self._foreign

    def _existing(
        self,
        work: Work,
        href: str,
        etag: str | None,
        ours: str = "",
        refusal: PreconditionFailed | None = None,
    ) -> None:
        """The target href is taken: adopt an identical item, else it is a conflict.
        `ours`: the outcome of our own write, when an attempt of it may have landed (its
        answer lost, a retry refused with 412): the same content there is that write.
        `refusal`: the 412 that answered our create; with nothing at `href` it did not mean
        "exists" but "not taken" (Xandikos answers invalid data so): the item is refused."""
        work.record.dest_href = href
        found = next(iter(self.destination.fetch(self.target(), [href])), None)
        nothing = found is None or (found.data is None and isinstance(found.error, NotFound))
        if nothing and refusal is not None:
            said = f": {refusal.detail}" if refusal.detail else ""
            raise PreconditionFailed(
                f"The destination refused the item with 412 and stores nothing at {href}: "
                f"its content was not taken (not an existing UID){said}.",
                status=412,
                url=refusal.url,
                detail=refusal.detail,
            )
        if found is not None and found.data and content_hash(found.data) == work.record.dest_hash:
            work.record.dest_etag = found.etag or etag
            if ours:
                work.record.created_by_job = work.record.created_by_job or ours == "created"
                work.record.verified_etag = None
                self.writers.wrote = True
            self.finish(work, ours or "adopted", None)
            return
        if ours == "updated":  # someone else changed it meanwhile: not ours to overwrite
            raise PreconditionFailed(f"{href} changed in the destination while it was written.")
        if self.conflict == "skip":
            work.record.seen_etag = found.etag if found else etag
            reason = f"an item with this UID already exists in the destination at {href}"
            self.finish(work, "conflict", reason)
            return
        self._put(work, href, found.etag if found else etag, "updated")

    def _put(self, work: Work, href: str, etag: str | None, outcome: str) -> None:
        record = work.record
        record.dest_href = href
        if self.dry_run:
            self.finish(work, outcome, None)
            return
        target = self.target()
        started = time.monotonic()
        try:
            if outcome == "created":
                ref = self.destination.create(target, href, work.body)
                record.created_by_job = True
            else:
                ref = self.destination.update(target, href, work.body, etag)
        except PreconditionFailed as exc:
            ours = outcome if getattr(exc, "retried", False) else ""  # PreconditionAfterRetry
            if outcome == "created" or ours:  # someone, or our own lost answer, was first
                self._existing(work, href, None, ours, exc if outcome == "created" else None)
                return
            raise
        self.writers.window.answered(time.monotonic() - started)
        self.writers.wrote = True
        if record.kind == "contact":
            self.plan.sent_versions[href] = version_of(work.body)
        record.dest_etag = ref.etag
        record.verified_etag = None
        self.finish(work, outcome, None)
