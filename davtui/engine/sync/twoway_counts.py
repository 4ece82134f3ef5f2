"""What a two-way pass counts per direction (the report's `stats.to_destination` and
`stats.to_source`), and how an item that failed is told. The pairs' writers report from
several threads at once, so the counts are taken under a lock."""

from __future__ import annotations

import threading
from collections import Counter

from davtui.engine.run_stats import DirectionCounts
from davtui.engine.sync.outcomes import Outcome
from davtui.engine.sync.records import ItemRecord
from davtui.engine.sync.twoway_plan import SOURCE
from davtui.engine.sync.twoway_sides import Done, Read

#: The report's names of the two directions.
WAYS = ("to_destination", "to_source")


class Directions:
    """Created, updated and deleted items per direction; "both" (keep-both's copy, made on
    both sides) counts in each."""

    def __init__(self) -> None:
        self._counts: dict[str, Counter[str]] = {way: Counter() for way in WAYS}
        self._lock = threading.Lock()

    def count(self, direction: str | None, outcome: str) -> None:
        with self._lock:
            for way in WAYS if direction == "both" else (direction,):
                if way in self._counts:
                    self._counts[way][outcome] += 1

    def totals(self) -> dict[str, DirectionCounts]:
        with self._lock:
            return {
                way: DirectionCounts(**{o: c[o] for o in ("created", "updated", "deleted")})
                for way, c in self._counts.items()
            }


def failed(item: object, reason: str) -> Done:
    """A failed item, reported by its source href (its destination href when it has none
    yet) and UID; its stored record stays as it was, so the next pass tries again."""
    if isinstance(item, Read):
        href = item.href if item.side.name == SOURCE else f"(destination) {item.href}"
        return Done(str(Outcome.FAILED), None, item.info.uid, item.info.kind, item.info.summary,
                    reason, at=href)  # fmt: skip
    if isinstance(item, ItemRecord):
        return Done(str(Outcome.FAILED), None, item.uid, item.kind, None, reason,
                    at=item.source_href)  # fmt: skip
    return Done(str(Outcome.FAILED), None, None, None, None, reason)
