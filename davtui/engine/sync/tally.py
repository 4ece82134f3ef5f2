"""What one run did, as it goes: the counts, every item and collection that did not arrive as
sent (with its reason), the items stored with what davtui found odd in them, the source
collections that had trouble (listed whole next time), and the run's verdict from all that.

Kept apart from the run's steps (`migration`) so that the bookkeeping of an outcome is written
once, whichever step produced it: a planned item, a written one, a collection that failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from davtui.engine.events import ItemDone
from davtui.engine.storages.contract import Collection
from davtui.engine.sync.aliases import ALIAS_NOTE
from davtui.engine.sync.ledger import Ledger, entry
from davtui.engine.sync.outcomes import ALARMS, Finding, Outcome
from davtui.engine.sync.outcomes import NOT_COPIED as NOT_COPIED_FINDINGS
from davtui.engine.sync.records import COPIED, ItemRecord
from davtui.engine.sync.stats import Stats
from davtui.engine.sync.verify import Verification
from davtui.exitcodes import ITEM_ERRORS, OK, VERIFY

#: Outcomes that leave a source collection "troubled": it is not stored as complete.
TROUBLE = frozenset({Outcome.FAILED, Outcome.CONFLICT})
#: The ledger's word for an item the act phase did not copy.
NOT_COPIED = {
    Outcome.FAILED: Finding.FAILED,
    Outcome.REFUSED: Finding.REFUSED,
    Outcome.SKIPPED: Finding.SKIPPED,
    Outcome.CONFLICT: Finding.CONFLICT,
}
#: The verification's lists and the ledger's word for their items.
VERIFIED = (
    ("missing", Finding.MISSING),
    ("different", Finding.CHANGED),
    ("conversions", Finding.CONVERTED),
    ("rewritten", Finding.CONVERTED),
    ("conflicts", Finding.CONFLICT),
)


@dataclass
class Tally:
    stats: Stats = field(default_factory=Stats)
    errors: list[dict[str, Any]] = field(default_factory=list)
    #: items not copied and not refused: a component the destination does not take, a
    #: duplicate UID, a conflict (an alias is not here: it was copied, from elsewhere)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    #: items stored as the source had them, with what davtui found odd in them
    warnings: list[dict[str, Any]] = field(default_factory=list)
    #: source collections (hrefs) with failures, conflicts or a refusal
    troubled: set[str] = field(default_factory=set)
    #: why a collection's listing or deletes were refused (`job show` and the TUI say it)
    refusals: list[str] = field(default_factory=list)
    #: some refused or skipped item was kept in the leftovers folder
    kept: bool = False
    #: every item not copied as sent and verified equal, once (the report's `ledger`)
    ledger: Ledger = field(default_factory=Ledger)

    def item(self, event: ItemDone, size: int, source_collection: str | None = None) -> None:
        """Count one item's outcome; a failure or refusal is an error, with its reason."""
        if source_collection is not None and event.outcome in TROUBLE:
            self.troubled.add(source_collection)
        self.stats.item(event.kind, event.outcome, event.fixups, size)
        entry = {
            "collection": event.collection,
            "href": event.href,
            "uid": event.uid,
            "summary": event.summary,
        }
        kept = {"kept": event.kept} if event.kept else {}
        self.kept = self.kept or event.kept is not None
        if event.outcome in (Outcome.FAILED, Outcome.REFUSED):
            self.errors.append({**entry, "reason": event.reason, **kept})
        elif event.outcome in (Outcome.SKIPPED, Outcome.CONFLICT) and ALIAS_NOTE not in (
            event.reason or ""
        ):
            self.skipped.append({**entry, "reason": event.reason, **kept})
        elif event.warnings:
            self.warnings.extend({**entry, "reason": w} for w in event.warnings)
        self._to_ledger(event)

    def _to_ledger(self, event: ItemDone) -> None:
        """The ledger's entry for an item the act phase did not copy as sent, if any."""
        finding = NOT_COPIED.get(event.outcome)  # type: ignore[call-overload]
        if finding is Finding.SKIPPED and ALIAS_NOTE in (event.reason or ""):
            return  # an alias: the same item was copied from another collection
        if finding is None and event.outcome in COPIED and event.fixups:
            finding = Finding.FIXED
        if finding is None:
            return
        reason = event.reason
        if finding is Finding.FIXED:
            reason = f"sent after the fix-ups {', '.join(event.fixups)}"
        at = (event.collection, event.href, event.uid, event.kind, event.summary)
        self.ledger.add(entry(finding, *at, reason, list(event.details), kept=event.kept))

    def verified(self, verification: Verification) -> None:
        """Add the verification's findings (missing, changed, converted, copies edited in the
        destination: conflicts, also counted in the statistics) to the ledger."""
        self.stats.conflicts += len(verification.conflicts)
        for name, finding in VERIFIED:
            for found in getattr(verification, name):
                details = found.get("details") or ([found["reason"]] if found.get("reason") else [])
                at = (found.get("collection"), found.get("href"), found.get("uid"))
                self.ledger.add(
                    entry(finding, *at, found.get("kind"), None, found.get("reason"), details)
                )

    def standing(self, record: ItemRecord, collection: str) -> None:
        """An unchanged item's finding from an earlier verification still stands: listed
        again from the item state (not read: the destination shows the ETag verified then)."""
        if record.finding:
            reason = record.finding_reason
            at = (collection, record.source_href, record.uid, record.kind, None)
            found = entry(Finding(record.finding), *at, reason, [reason] if reason else [])
            self.ledger.add({**found, "standing": True})

    def collection_failed(self, collection: Collection, reason: str) -> None:
        """A collection that could not be listed or made: an error of the run, not its end."""
        self.troubled.add(collection.href)
        self.stats.collection(collection.kind, "failed")
        self._collection_error(collection, reason)

    def refused(self, collection: Collection, problem: str) -> None:
        """The plan refused something (a delete on an incomplete listing, past the share)."""
        self.troubled.add(collection.href)
        self.refusals.append(problem)
        self._collection_error(collection, problem)

    def verdict(self, verification: Verification | None) -> tuple[str, str | None, int]:
        """A finished run's status, its one-line error and its exit code: 6 only for an item
        missing or changed in meaning (a conversion or a listed fix-up is no alarm), 1 for an
        item failed, refused or skipped (not copied: someone must look), else 0."""
        alarm = any(self.ledger.counts()[str(finding)] for finding in ALARMS)
        if (verification is not None and not verification.ok) or alarm:
            return "completed_with_errors", None, VERIFY
        if self.errors or self.skipped or any(self.ledger.counts()[f] for f in NOT_COPIED_FINDINGS):
            return "completed_with_errors", " ".join(self.refusals) or None, ITEM_ERRORS
        return "completed", None, OK

    def _collection_error(self, collection: Collection, reason: str) -> None:
        error = {"collection": collection.name, "href": None, "uid": None, "summary": None}
        self.errors.append({**error, "reason": reason})
