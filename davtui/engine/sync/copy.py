"""Acting on one planned collection: take what the plan needs, decide per item, write, record.

The source items arrive as a stream (multiget batches read on the calling thread, or read
ahead for a collection with few changes) while the run's writer threads (`writers.Writers`)
PUT to the destination, so neither side waits for the other. Each
finished item is recorded in its own transaction before it counts as done. How an item gets
into the destination (create, update, adopt, conflict) is `item_write.ItemWriter`'s.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from davtui.engine.errors import (
    AuthFailed,
    CollectionError,
    DavError,
    ItemError,
    TLSFailed,
    Unreachable,
)
from davtui.engine.events import ItemDone
from davtui.engine.items import fixups
from davtui.engine.items.changes import describe
from davtui.engine.items.compare import content_hash
from davtui.engine.items.scan import scan
from davtui.engine.storages.contract import Fetched, WritableStorage
from davtui.engine.sync.aliases import Aliases
from davtui.engine.sync.gate import Gate, Stopped
from davtui.engine.sync.item_write import ItemWriter, Work
from davtui.engine.sync.leftovers import Leftovers
from davtui.engine.sync.outcomes import Outcome
from davtui.engine.sync.plan import CollectionPlan
from davtui.engine.sync.records import COPIED, ItemRecord
from davtui.engine.sync.writers import MAX_TRANSIENT_STREAK, ServerDown, Writers

T = TypeVar("T")
#: Errors that concern the whole server, not one item: the run stops, the state stays.
FATAL = (AuthFailed, TLSFailed, Unreachable)
#: A destination listing older than this is read again before creating on servers that
#: ignore `If-None-Match: *`.
FRESH_SECONDS = 20.0
#: Outcomes of an item not copied: its record keeps the reason.
NOT_COPIED = (Outcome.FAILED, Outcome.REFUSED, Outcome.SKIPPED, Outcome.CONFLICT)


@dataclass(slots=True)
class Settings:
    conflict: str = "skip"
    dry_run: bool = False
    suppress_invitations: bool = False
    # one per job run, shared by its collections; off unless the source mounts shares
    aliases: Aliases = field(default_factory=lambda: Aliases(enabled=False))
    # where items refused before any PUT are kept, byte for byte
    leftovers: Leftovers = field(default_factory=Leftovers)


class CollectionActor:
    """Carries out one `CollectionPlan`; `report(item_done, record)` receives each outcome."""

    def __init__(
        self,
        plan: CollectionPlan,
        destination: WritableStorage,
        settings: Settings,
        report: Callable[[ItemDone, ItemRecord | None, int], None],
        gate: Gate,
        writers: Writers,
    ) -> None:
        self.plan = plan
        self.destination = destination
        self.settings = settings
        self.report = report
        self.gate = gate
        self.writers = writers
        #: UID -> the source href of the first item with it: only the href, as the table
        #: holds every UID of the collection (40,000 summaries were ~6 MB at the large run)
        self._uids: dict[str, str] = {}
        self._lock = threading.Lock()
        self._item = threading.local()  # the ticket of the item this writer thread carries
        self._writer = ItemWriter(
            plan, destination, writers, self._finish, settings.conflict, settings.dry_run
        )

    # -- the loop -------------------------------------------------------------------------
    def _refresh_listing(self) -> None:
        """Where the server ignores `If-None-Match: *` (SOGo overwrites), creating is only
        safe over hrefs known to be free: re-list the destination if the plan's listing is
        older than FRESH_SECONDS, so an item created meanwhile is adopted, never replaced."""
        plan, target = self.plan, self.plan.target
        stale = time.monotonic() - plan.listed_at > FRESH_SECONDS
        risky = self.destination.ignores_if_none_match and target is not None
        if risky and stale and plan.may_create and target is not None:
            plan.dest_etags = self.destination.etags(target)
            plan.listed_at = time.monotonic()

    def run(self, items: Iterable[Fetched]) -> None:
        """Hand the plan's source `items` and deletions to the writers; the run waits for
        them at its end."""
        if not self.settings.dry_run:
            self._refresh_listing()
        for fetched in items:
            self.gate.checkpoint()
            self.writers.submit(
                partial(self._carry, work=self._one, item=fetched, href=fetched.href)
            )
        for record in self.plan.deletes:
            self.gate.checkpoint()
            self.writers.submit(partial(self._carry, work=self._delete, item=record, href=None))

    def _carry(self, ticket: int, work: Callable[[T], None], item: T, href: str | None) -> None:
        """One item in a writer's hands, inside the gate: it waits while the job is paused,
        and the pause is announced only when every writer has put its item down. On stop or
        after a fatal error the item is left to the next run."""
        try:
            with self.gate.working():
                if self.writers.fatal is not None:
                    return
                self._item.ticket = ticket
                work(item)
        except Stopped:
            return
        except FATAL as exc:
            self.writers.fatal = exc
        except Exception as exc:  # a bug must not lose the item silently: report it
            if href is None:
                raise
            self._done(self._base(href), "failed", f"internal error: {exc!r}")

    # -- one item -------------------------------------------------------------------------
    def _base(self, href: str) -> ItemRecord:
        previous = self.plan.records.get(href)
        return ItemRecord(
            source_collection=self.plan.pair.source.href,
            source_href=href,
            outcome="failed",
            source_etag=self.plan.source_etags.get(href),
            dest_collection=self.plan.target.href if self.plan.target else None,
            dest_href=previous.dest_href if previous else None,
            dest_etag=previous.dest_etag if previous else None,
            dest_hash=previous.dest_hash if previous else None,
            verified_etag=previous.verified_etag if previous else None,
            created_by_job=previous.created_by_job if previous else False,
            finding=previous.finding if previous else None,
            finding_reason=previous.finding_reason if previous else None,
        )

    def _done(
        self,
        record: ItemRecord,
        outcome: str,
        reason: str | None = None,
        summary: str | None = None,
        applied: tuple[str, ...] = (),
        size: int = 0,
        server: bool = True,
        warnings: tuple[str, ...] = (),
        kept: str | None = None,
        details: tuple[str, ...] = (),
    ) -> None:
        """Report one outcome; a failure counts toward the streak that takes the server as
        down unless `server` is False (one collection's folder failed, not the server)."""
        record.outcome = str(outcome)  # the plain word, as the database stores it
        record.error = reason if outcome in NOT_COPIED else None
        event = ItemDone(
            collection=self.plan.pair.source.name,
            href=record.source_href,
            uid=record.uid,
            summary=summary,
            kind=record.kind,
            outcome=outcome,
            reason=reason,
            fixups=applied,
            details=details,
            warnings=warnings,
            kept=kept,
            dry_run=self.settings.dry_run,
        )
        if outcome in COPIED:
            self.settings.aliases.copied(record, self.plan.pair.source.name)
        failed = outcome == Outcome.FAILED
        streak = self.writers.streak.add(getattr(self._item, "ticket", 0), failed) if server else 0
        if streak >= MAX_TRANSIENT_STREAK and self.writers.fatal is None:
            self.writers.fatal = ServerDown(
                f"{streak} items in a row failed ({reason}): stopping this run."
            )
        self.report(event, None if self.settings.dry_run else record, size)

    def _one(self, fetched: Fetched) -> None:
        record = self._base(fetched.href)
        if fetched.error is not None or fetched.data is None:
            error = fetched.error
            transient = error is not None and error.retryable
            self._done(record, "failed" if transient else "refused", str(error or "no content"))
            return
        data = fetched.data
        label = f"{self.plan.pair.source.name}/{fetched.href}"
        try:
            info = scan(data, source=label)
        except ItemError as exc:  # nothing a server could store: kept, never lost
            record.uid, record.kind = exc.uid, None
            self._refuse(record, str(exc), exc.summary, data)
            return
        record.kind, record.uid = info.kind, info.uid
        record.source_hash = content_hash(data)
        target = self.plan.target
        if target is not None and not target.accepts(info.component):
            reason = f"the destination collection '{target.name}' does not accept {info.component}"
            reason, kept = self._keep(record, reason, data)
            self._done(record, "skipped", reason, info.summary, kept=kept)
            return
        steps: list[tuple[str, bytes, bytes]] = []
        try:
            body, fixed = fixups.apply(
                data,
                accepts=target.components if target else (),
                suppress_invitations=self.settings.suppress_invitations,
                steps=steps,
            )
        except ItemError as exc:
            self._refuse(record, str(exc), info.summary, data)
            return
        applied = tuple(fixed)
        if "add-uid" in applied:
            info = scan(body, source=label)
            record.uid = info.uid
        if self._duplicate(record, info.summary):
            return
        if alias := self.settings.aliases.alias_of(record, self.plan.pair.source.name):
            self._done(record, "skipped", alias, info.summary)
            return
        previous = self.plan.records.get(fetched.href)
        if (
            previous is not None
            and previous.outcome in COPIED
            and previous.source_hash == record.source_hash
            and previous.dest_href in self.plan.dest_etags
        ):
            self._done(record, "unchanged", None, info.summary)
            return
        record.dest_hash = record.source_hash if body is data else content_hash(body)
        details = tuple(
            f"{name}: {said}" for name, old, new in steps for said in describe(old, new)
        )
        work = Work(record, body, info.summary, applied, details, info.warnings)
        try:
            self._writer.write(work, previous)
        except FATAL:
            raise
        except CollectionError as exc:  # retried next run; the other collections go on
            self._done(record, "failed", str(exc), info.summary, server=False)
        except DavError as exc:  # the destination's answer decides, with its reason
            reason, kept = str(exc), None
            if info.warnings:
                reason += f" (davtui found: {'; '.join(info.warnings)})"
            if not exc.retryable:  # refused for good: the source's bytes are kept
                reason, kept = self._keep(record, reason, data)
            outcome = "failed" if exc.retryable else "refused"
            self._done(record, outcome, reason, info.summary, kept=kept)

    def _refuse(self, record: ItemRecord, reason: str, summary: str | None, data: bytes) -> None:
        """An item that cannot be sent at all: refused, its bytes kept in the leftovers."""
        reason, kept = self._keep(record, reason, data)
        self._done(record, "refused", reason, summary, kept=kept)

    def _keep(self, record: ItemRecord, reason: str, data: bytes) -> tuple[str, str | None]:
        """Keep the bytes of an item the destination cannot take (refused, or a component
        it does not accept) in the run's leftovers: "not migrated" must never mean "lost".
        The reason saying where, and the path (None in a dry run or when it failed)."""
        if self.settings.dry_run:
            return reason, None
        return self.settings.leftovers.note(self.plan.pair.source.name, record.source_href,
                                            data, reason)  # fmt: skip

    def _duplicate(self, record: ItemRecord, summary: str | None) -> bool:
        """A second source item with a UID already seen in this collection is reported."""
        with self._lock:
            first = self._uids.setdefault(record.uid or "", record.source_href)
        if record.uid is None or first == record.source_href:
            return False
        reason = (
            f"duplicate UID {record.uid}: '{summary or '?'}' at {record.source_href} has the "
            f"UID of the item at {first}, which was copied"
        )
        self._done(record, "skipped", reason, summary)
        return True

    def _finish(self, work: Work, outcome: str, reason: str | None = None) -> None:
        written = outcome in (Outcome.CREATED, Outcome.UPDATED)
        size = len(work.body) if written else 0
        notes = tuple(f"stored as the source had it: {w}" for w in work.warnings)
        self._done(work.record, outcome, reason, work.summary, work.applied, size,
                   warnings=notes if written else (), details=work.details)  # fmt: skip

    def _delete(self, record: ItemRecord) -> None:
        current = self.plan.dest_etags.get(record.dest_href or "")
        reason = None
        if current is not None and record.dest_etag not in (None, current):
            reason = "changed in the destination since this job copied it: not deleted"
            record.seen_etag = current
            self._done(record, "conflict", reason)
            return
        if not self.settings.dry_run:
            try:
                assert record.dest_href is not None  # deletes are of items listed there
                self.destination.delete(self._writer.target(), record.dest_href, record.dest_etag)
            except DavError as exc:
                self._done(record, "failed", str(exc), server=not isinstance(exc, CollectionError))
                return
            self.writers.wrote = True
        self._done(record, "deleted")
