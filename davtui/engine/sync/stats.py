"""Run statistics: per collection kind and per item kind, safe to update from many threads."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

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
    """Counters for the run report; `as_dict()` is the JSON shape of DESIGN.md section 5."""

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

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            out: dict[str, Any] = {
                key: {o: counts[o] for o in COLLECTION_OUTCOMES}
                for key, counts in self._collections.items()
            }
            for key in ("events", "tasks", "journals", "contacts", "other"):
                counts = self._items.get(key, Counter())
                out[key] = {o: counts[o] for o in ITEM_OUTCOMES}
            out["fixups"] = dict(sorted(self.fixups.items()))
            out["deleted"] = self.deleted
            out["conflicts"] = self.conflicts
            out["bytes"] = self.bytes
            return out
