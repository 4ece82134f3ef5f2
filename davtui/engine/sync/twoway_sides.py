"""The parts of a two-way pass's item work: a `Side` (a writable storage, a collection, its
listing, and which fields of the stored record are its own), an item `Read` from one side,
and what became of it (`Done`). Both sides are the same kind of thing, so every rule in
`twoway_items` is written once and runs in either direction."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from davtui.engine.errors import ItemError
from davtui.engine.items.compare import content_hash
from davtui.engine.items.scan import ItemInfo, scan
from davtui.engine.storages.contract import Collection, Fetched, WritableStorage
from davtui.engine.sync.records import DEST_ONLY, ItemRecord
from davtui.engine.sync.twoway_policy import DEST, SOURCE

#: Writes in flight into one collection of a server that locks it per write (Xandikos):
#: the second meets a 423 now and then, retried within ~50 ms (`failures.locked_wait`).
LOCKED_WIDTH = 2


#: What one side holds of an item: href, ETag, and the semantic hash of its content.
Version = tuple[str, str | None, str]


@dataclass(slots=True)
class Side:
    """One side of a collection pair as a pass sees it."""

    name: str  # SOURCE | DEST
    storage: WritableStorage
    collection: Collection
    etags: dict[str, str | None]
    #: fix-ups for what is written here: SCHEDULE-AGENT=CLIENT where the server e-mails
    suppress_invitations: bool = False
    wrote: bool = False
    #: writes in flight into this collection: as many as the server takes, one where it
    #: locks the collection per write (a 423 costs a backoff of half a second or more)
    slots: threading.Semaphore = field(default_factory=threading.Semaphore)

    @classmethod
    def of(cls, name: str, storage: WritableStorage, collection: Collection,
           etags: dict[str, str | None], suppress: bool | None) -> Side:  # fmt: skip
        """One side of a pair as a pass sees it: invitations suppressed where the job says
        (`suppress`), else where the server would send them; its own writes in flight."""
        invitations = storage.schedules_on_write if suppress is None else suppress
        return cls(name, storage, collection, etags, invitations, slots=cls.slots_for(storage))

    @staticmethod
    def slots_for(storage: WritableStorage) -> threading.Semaphore:
        """The writes in flight a storage's collection takes (`LOCKED_WIDTH` for Xandikos;
        one while each 423 cost the transport's 0.5-1 s backoff)."""
        width = LOCKED_WIDTH if storage.locks_collection_on_write else storage.write_concurrency
        return threading.Semaphore(max(1, width))

    @property
    def key(self) -> str:
        """The prefix of this side's fields in an `ItemRecord`."""
        return "source" if self.name == SOURCE else "dest"

    def href(self, record: ItemRecord | None) -> str | None:
        """The item's href on this side, if it has one (a destination-only item's record
        has a key in place of its source href)."""
        href: str | None = getattr(record, f"{self.key}_href") if record else None
        return None if href is not None and href.startswith(DEST_ONLY) else href

    def etag(self, record: ItemRecord | None) -> str | None:
        return getattr(record, f"{self.key}_etag") if record else None

    def hash(self, record: ItemRecord | None) -> str | None:
        return getattr(record, f"{self.key}_hash") if record else None


@dataclass(slots=True)
class Read:
    """One side's version of an item, read and parsed."""

    side: Side
    href: str
    etag: str | None
    data: bytes
    info: ItemInfo
    meaning: str  # the semantic hash: equal for copies that differ only in form

    @property
    def version(self) -> Version:
        return self.href, self.etag, self.meaning

    @classmethod
    def of(cls, side: Side, fetched: Fetched) -> Read:
        """Parse a fetched item; ItemError when it could not be read or is no item at all."""
        if fetched.data is None:
            raise ItemError(f"{side.name} {fetched.href}: {fetched.error or 'no content'}")
        info = scan(fetched.data, source=f"{side.name} {fetched.href}")
        return cls(side, fetched.href, fetched.etag, fetched.data, info,
                   content_hash(fetched.data, meaning=True))  # fmt: skip


@dataclass(slots=True)
class Done:
    """What became of one item: the record stored (None: forgotten), and for the report."""

    outcome: str
    record: ItemRecord | None
    uid: str | None = None
    kind: str | None = None
    summary: str | None = None
    reason: str | None = None
    #: the direction of a write or deletion: "to_destination" | "to_source"
    direction: str | None = None
    #: a conflict settled by policy, or a deletion overruled by a change: the ledger's words
    resolved: str | None = None
    #: the stored record it replaces, when its source href changed (forgotten first)
    replaces: ItemRecord | None = None
    extra: list[Done] = field(default_factory=list)
    #: where the item is when `record` does not say (a failure, a standing conflict)
    at: str | None = None


Report = Callable[[Done], None]


def direction(to: Side) -> str:
    return "to_destination" if to.name == DEST else "to_source"
