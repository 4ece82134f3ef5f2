"""The reading steps of a run: which source collections go where, and what changed on each
side of a pair since it last ended complete.

Kept apart from `migration.Migration` because this is the only part of a run that decides
what to *read*; the run itself plans, acts and verifies on what these steps return.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from davtui.engine.events import Listener, Phase
from davtui.engine.storages.contract import (
    CALENDAR,
    Changes,
    Collection,
    Listing,
    Storage,
    WritableStorage,
)
from davtui.engine.sync.gate import Gate
from davtui.engine.sync.mapping import Choice, MappingError, Pair, plan_targets
from davtui.engine.sync.records import ItemStates

#: A pair's listings as they are read: the source's (whole or its changes), the ETags of the
#: destination's.
SourceRead = Future[Listing | Changes]
TargetRead = Future[dict[str, str | None]]


@dataclass(frozen=True, slots=True)
class Wanted:
    """What of a job's options decides the reading: where collections go, and whether the
    destination may be tidied (not in a dry run)."""

    choices: tuple[Choice, ...] = ()
    default_collections: bool = False
    rename: tuple[tuple[str, str], ...] = ()
    dry_run: bool = False


@dataclass(slots=True)
class Reader:
    """Reads both sides for one run; the reads go to the caller's pool so that listings of
    all pairs and both sides wait on the servers at once."""

    source: Storage
    destination: WritableStorage
    state: ItemStates
    wanted: Wanted
    gate: Gate
    listener: Listener
    #: the destination's collections as `pairs` read them (a two-way sync pairs the rest)
    destinations: list[Collection] = field(default_factory=list)

    def pairs(self, pool: ThreadPoolExecutor, kinds: tuple[str, ...]) -> list[Pair]:
        """Source collections and where each goes (the destination's are read meanwhile)."""
        found = pool.submit(self.destination.collections, kinds)
        sources = self.source.collections(kinds)
        if not sources:  # a wrong account or URL, far more likely than a job with nothing
            wanted = " and no ".join("calendar" if k == CALENDAR else "address book" for k in kinds)
            raise MappingError(f"The source has no {wanted}: nothing to copy.")
        remembered = {c.href: target for c in sources if (target := self.state.target_of(c.href))}
        self.destinations = found.result()
        return plan_targets(
            sources,
            self.destinations,
            self.wanted.choices,
            remembered,
            self.wanted.default_collections,
            dict(self.wanted.rename),
        )

    def start(
        self, pool: ThreadPoolExecutor, pair: Pair
    ) -> tuple[SourceRead | None, TargetRead | None]:
        """Start reading what changed on each side of a pair. A side still at the version
        stored when the pair last ended complete is not read: its records stand in for it."""
        self.gate.checkpoint()
        seen = self.state.versions(pair.source.href)
        source_seen, dest_seen = seen if seen and None not in seen else (None, None)
        source = target = None
        if pair.source.version is None or pair.source.version != source_seen:
            source = pool.submit(self._read_source, pair.source, source_seen)
        if pair.target and not self.wanted.dry_run:
            self.destination.tidy(pair.target)  # what a killed run left there
        if pair.target and (pair.target.version is None or pair.target.version != dest_seen):
            target = pool.submit(self.destination.etags, pair.target)
        if source or target:
            self.listener(Phase("list", pair.source.name))
        return source, target

    def _read_source(self, collection: Collection, seen: str | None) -> Listing | Changes:
        """What changed since the sync token seen last time, where the server can tell;
        else the whole listing."""
        if seen is not None and collection.sync_token is not None:
            changes = self.source.changes(collection, seen)
            if changes is not None:
                return changes
        return self.source.listing(collection)


def applied(base: dict[str, str | None], changes: Changes) -> Listing:
    """A collection's listing rebuilt from `base` (href -> ETag as the last clean pass left
    it: its records) and what the server says changed since (RFC 6578). Whole only when the
    report was: an entry that answered an error may hide a change or a deletion, so the
    listing then says it is incomplete and a plan deletes nothing on its word."""
    etags = {href: etag for href, etag in base.items() if href not in changes.deleted}
    etags.update(changes.changed)  # deleted and made again: listed as changed
    return Listing(etags, changes.complete, changes.reason)
