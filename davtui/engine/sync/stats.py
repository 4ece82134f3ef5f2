"""Run statistics: per collection kind and per item kind, safe to update from many threads."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping

from davtui.engine.run_stats import ITEM_ROWS, CollectionCounts, ItemCounts, RunStats
from davtui.engine.sync.outcomes import Outcome

ITEM_KINDS = {
    "event": "events",
    "task": "tasks",
    "journal": "journals",
    "contact": "contacts",
}
ITEM_OUTCOMES = ("created", "updated", "unchanged", "skipped", "failed")
#: Engine outcomes that the report folds into the five public ones.
FOLDED: dict[str, str] = {
    Outcome.REFUSED: Outcome.FAILED,
    Outcome.ADOPTED: Outcome.UNCHANGED,
    Outcome.CONFLICT: Outcome.SKIPPED,
}
COLLECTION_OUTCOMES = ("created", "used", "failed")


def bucket(kind: str | None) -> str:
    """The statistics bucket of an item kind (free/busy and unknown components: `other`)."""
    return ITEM_KINDS.get(kind or "", "other")


class Stats:
    """Counters for the run report; `snapshot()` is what `Finished.stats` carries."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, Counter[str]] = {}
        self._collections: dict[str, Counter[str]] = {
            "calendars": Counter(),
            "addressbooks": Counter(),
        }
        self.fixups: Counter[str] = Counter()
        self.deleted = 0
        self.conflicts = 0
        self.bytes = 0

    def item(
        self, kind: str | None, outcome: str, fixups: tuple[str, ...] = (), size: int = 0
    ) -> None:
        """Count one item (see FOLDED); deletions are counted on their own."""
        with self._lock:
            if outcome == Outcome.DELETED:
                self.deleted += 1
                return
            if outcome == Outcome.CONFLICT:
                self.conflicts += 1
            outcome = FOLDED.get(outcome, outcome)
            self._items.setdefault(bucket(kind), Counter())[outcome] += 1
            self.fixups.update(fixups)
            self.bytes += size

    def collection(self, kind: str, outcome: str) -> None:
        with self._lock:
            key = "calendars" if kind == "calendar" else "addressbooks"
            self._collections[key][outcome] += 1

    def failed_items(self) -> int:
        with self._lock:
            return sum(c["failed"] for c in self._items.values())

    def snapshot(self, ledger: Mapping[str, int]) -> RunStats:
        """The counts so far as the run's frozen statistics, with the ledger's `ledger`."""
        with self._lock:
            items = {key: _items(self._items.get(key, Counter())) for key in ITEM_ROWS}
            return RunStats(
                calendars=_collections(self._collections["calendars"]),
                addressbooks=_collections(self._collections["addressbooks"]),
                events=items["events"],
                tasks=items["tasks"],
                journals=items["journals"],
                contacts=items["contacts"],
                other=items["other"],
                fixups=dict(sorted(self.fixups.items())),
                deleted=self.deleted,
                conflicts=self.conflicts,
                bytes=self.bytes,
                ledger=dict(ledger),
            )


def _items(counts: Counter[str]) -> ItemCounts:
    return ItemCounts(**{o: counts[o] for o in ITEM_OUTCOMES})


def _collections(counts: Counter[str]) -> CollectionCounts:
    return CollectionCounts(**{o: counts[o] for o in COLLECTION_OUTCOMES})
