"""How a two-way pass reads one side of a pair, and what the planner gets from it.

A side still at the version stored when the pair last ended clean is not read (its records
stand in); a side whose server tells what changed since the stored sync token gives only that,
applied onto the ETags stored for it; any other side is listed whole.
"""

from __future__ import annotations

from collections.abc import Iterable

from davtui.engine.storages.contract import Changes, Collection, WritableStorage
from davtui.engine.sync.listing import applied
from davtui.engine.sync.records import ItemRecord
from davtui.engine.sync.twoway_plan import SOURCE, SideListing

#: A side as read: its listing, what changed since its sync token, or None (not read).
SideRead = SideListing | Changes | None


def read_side(storage: WritableStorage, collection: Collection, stored: str | None) -> SideRead:
    """One side of a pair as read against its `stored` version (see the module docstring)."""
    if collection.version is not None and collection.version == stored:
        return None
    if not collection.href:  # a dry run's stand-in for a collection to be made
        return SideListing({})
    if stored is not None and collection.sync_token is not None:
        changes = storage.changes(collection, stored)
        if changes is not None:  # else: a token the server no longer knows
            return changes
    listing = storage.listing(collection)
    return SideListing(listing.etags, listing.complete, listing.reason)


def side_listing(side: str, read: SideRead, records: Iterable[ItemRecord]) -> SideListing:
    """A side's listing for the plan: as read; None when it was not read (the pair's
    `records` stand in, a page at a time); or the ETags `records` hold for that side with the
    changes the server reported since its sync token."""
    if not isinstance(read, Changes):
        return read or SideListing(None)
    if side == SOURCE:  # a destination-only item's key is no href
        stored = {r.source_href: r.source_etag for r in records if r.on_source}
    else:
        stored = {r.dest_href: r.dest_etag for r in records if r.dest_href}
    listing = applied(stored, read)
    return SideListing(listing.etags, listing.complete, listing.reason)
