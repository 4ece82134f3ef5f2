"""A finished run's statistics as typed values: what every front end reads (attributes, so mypy
checks each reader), and `as_json()` for the report's `stats` object (DESIGN.md section 5).

The counting itself happens in `davtui.engine.sync.stats.Stats` (thread-safe, mutable); at the
end of a run it hands over one of these frozen snapshots.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

#: The rows of per-item counts, in the report's order (free/busy and unknown kinds: `other`).
ITEM_ROWS = ("events", "tasks", "journals", "contacts", "other")
#: The rows of per-collection counts, in the report's order.
COLLECTION_ROWS = ("calendars", "addressbooks")


class Counts:
    """One row of counts: its fields are the report's keys, in their order."""

    __slots__ = ()
    #: what @dataclass gives each subclass; declared so that `fields(self)` type-checks here
    __dataclass_fields__: ClassVar[dict[str, Any]]

    def as_json(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def any(self) -> bool:
        """True when at least one count is not zero (a row worth showing)."""
        return any(self.as_json().values())


@dataclass(frozen=True, slots=True)
class ItemCounts(Counts):
    """What happened to the items of one kind (the engine's other outcomes are folded in)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True)
class CollectionCounts(Counts):
    """Destination collections made, found and used, or given up on, for one kind."""

    created: int = 0
    used: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True)
class DirectionCounts(Counts):
    """What a two-way sync wrote or deleted on one side."""

    created: int = 0
    updated: int = 0
    deleted: int = 0


@dataclass(frozen=True, slots=True)
class RunStats:
    """The counts of one run. `fixups` and `ledger` are keyed by name (a fix-up's, a ledger
    outcome's): their sets grow with the product, so they stay mappings."""

    calendars: CollectionCounts = CollectionCounts()
    addressbooks: CollectionCounts = CollectionCounts()
    events: ItemCounts = ItemCounts()
    tasks: ItemCounts = ItemCounts()
    journals: ItemCounts = ItemCounts()
    contacts: ItemCounts = ItemCounts()
    other: ItemCounts = ItemCounts()
    #: items changed by each fix-up, sorted by name
    fixups: Mapping[str, int] = field(default_factory=dict)
    deleted: int = 0
    conflicts: int = 0
    bytes: int = 0  # item bytes sent (or that a dry run would send)
    #: the ledger's entries per outcome, every outcome named
    ledger: Mapping[str, int] = field(default_factory=dict)
    #: a two-way sync's writes per direction (None in a copy or mirror: not in its report)
    to_destination: DirectionCounts | None = None
    to_source: DirectionCounts | None = None

    def collection_rows(self) -> list[tuple[str, CollectionCounts]]:
        return [(name, getattr(self, name)) for name in COLLECTION_ROWS]

    def item_rows(self) -> list[tuple[str, ItemCounts]]:
        return [(name, getattr(self, name)) for name in ITEM_ROWS]

    def direction_rows(self) -> list[tuple[str, DirectionCounts]]:
        """A two-way sync's rows (none for a copy or mirror)."""
        rows = (("to_destination", self.to_destination), ("to_source", self.to_source))
        return [(name, counts) for name, counts in rows if counts is not None]

    def as_json(self) -> dict[str, Any]:
        """The report's `stats` object: its keys and their order are part of the contract."""
        out: dict[str, Any] = {name: counts.as_json() for name, counts in self.collection_rows()}
        out.update((name, counts.as_json()) for name, counts in self.item_rows())
        out["fixups"] = dict(self.fixups)
        out["deleted"] = self.deleted
        out["conflicts"] = self.conflicts
        out["bytes"] = self.bytes
        out["ledger"] = dict(self.ledger)
        out.update((name, counts.as_json()) for name, counts in self.direction_rows())
        return out


def stats_json(stats: RunStats | None) -> dict[str, Any]:
    """The report's and the stored run's `stats`: `{}` for a run that ended before counting."""
    return stats.as_json() if stats is not None else {}
