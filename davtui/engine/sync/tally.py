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
from davtui.engine.sync.stats import Stats
from davtui.engine.sync.verify import Verification
from davtui.exitcodes import ITEM_ERRORS, OK, VERIFY

#: Outcomes that leave a source collection "troubled": it is not stored as complete.
TROUBLE = frozenset({"failed", "conflict"})


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
    #: some refused item was kept in the leftovers folder
    kept: bool = False

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
        if event.outcome in ("failed", "refused"):
            kept = {"kept": event.kept} if event.kept else {}
            self.errors.append({**entry, "reason": event.reason, **kept})
            self.kept = self.kept or event.kept is not None
        elif event.outcome in ("skipped", "conflict") and ALIAS_NOTE not in (event.reason or ""):
            self.skipped.append({**entry, "reason": event.reason})
        elif event.warnings:
            self.warnings.extend({**entry, "reason": w} for w in event.warnings)

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
        if verification is not None and not verification.ok:
            return "completed_with_errors", None, VERIFY
        if self.errors or self.skipped:
            return "completed_with_errors", " ".join(self.refusals) or None, ITEM_ERRORS
        return "completed", None, OK

    def _collection_error(self, collection: Collection, reason: str) -> None:
        error = {"collection": collection.name, "href": None, "uid": None, "summary": None}
        self.errors.append({**error, "reason": reason})
