"""An in-memory storage: the twin every engine test runs against in milliseconds.

It keeps the promises a careful DAV server keeps: ETags change with the content (SHA-1),
`create` refuses an existing href, `update` and `delete` honour If-Match.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace

from davtui.engine.errors import NotFound, PreconditionFailed
from davtui.engine.items.scan import CALENDAR_TYPE, VCARD_TYPE, resource_name
from davtui.engine.storages.contract import (
    ADDRESSBOOK,
    CALENDAR,
    Collection,
    CreatedCollection,
    Fetched,
    Listing,
    Ref,
    WritableStorage,
    failed_entries,
)


def etag_of(data: bytes) -> str:
    return '"' + hashlib.sha1(data).hexdigest() + '"'


def check_etag(href: str, current: str | None, expected: str | None) -> None:
    """If-Match: `expected` None means unconditional."""
    if current is None:
        raise NotFound(f"{href} does not exist", status=404, url=href)
    if expected is not None and expected != current:
        raise PreconditionFailed(f"{href} changed since it was read", status=412, url=href)


class MemoryStorage(WritableStorage):
    """Collections and items in dictionaries, guarded by one lock."""

    def __init__(self, collections: Iterable[Collection] = ()) -> None:
        self._lock = threading.Lock()
        self._collections: dict[str, Collection] = {}
        self._items: dict[str, dict[str, bytes]] = {}
        self._changes: Counter[str] = Counter()  # the ctag: bumped by every write
        self._withheld: dict[str, dict[str, int]] = {}  # collection -> href -> status
        for collection in collections:
            self._collections[collection.href] = collection
            self._items[collection.href] = {}

    def collections(self, kinds: Iterable[str] = (CALENDAR, ADDRESSBOOK)) -> list[Collection]:
        wanted = set(kinds)
        with self._lock:
            return [
                replace(c, ctag=str(self._changes[c.href]))
                for c in self._collections.values()
                if c.kind in wanted
            ]

    def _store(self, collection: Collection) -> dict[str, bytes]:
        try:
            return self._items[collection.href]
        except KeyError:
            raise NotFound(f"no collection {collection.href}", status=404) from None

    def withhold(self, collection: Collection, hrefs: Iterable[str], status: int = 500) -> None:
        """From now on, list `collection` as a server whose entries for `hrefs` answer
        `status`: left out of `list`, and `listing` says it is incomplete (a test's broken
        server); an empty `hrefs` lists it whole again."""
        with self._lock:
            self._withheld[collection.href] = dict.fromkeys(hrefs, status)

    def list(self, collection: Collection) -> Iterator[Ref]:
        kind = VCARD_TYPE if collection.kind == ADDRESSBOOK else CALENDAR_TYPE
        with self._lock:
            withheld = self._withheld.get(collection.href, {})
            snapshot = [(h, d) for h, d in self._store(collection).items() if h not in withheld]
        for href, data in snapshot:
            yield Ref(href, etag_of(data), kind)

    def listing(self, collection: Collection) -> Listing:
        etags = self.etags(collection)
        withheld = Counter(self._withheld.get(collection.href, {}).values())
        if withheld:
            return Listing(etags, False, failed_entries(withheld, len(etags)))
        return Listing(etags)

    def fetch(self, collection: Collection, hrefs: Sequence[str]) -> Iterator[Fetched]:
        with self._lock:
            store = dict(self._store(collection))
        for href in hrefs:
            data = store.get(href)
            if data is None:
                yield Fetched(href, None, error=NotFound(f"{href} does not exist", status=404))
            else:
                yield Fetched(href, etag_of(data), data)

    def create_collection(self, template: Collection, name: str) -> CreatedCollection:
        with self._lock:
            href, n = f"{name}/", 1
            while href in self._collections:
                n += 1
                href = f"{name}-{n}/"
            collection = Collection(
                href=href,
                kind=template.kind,
                name=name,
                color=template.color,
                description=template.description,
                timezone=template.timezone,
                components=template.components,
            )
            self._collections[href] = collection
            self._items[href] = {}
        return CreatedCollection(collection)

    def href_for(self, collection: Collection, uid: str) -> str:
        return resource_name(uid, collection.kind)

    def create(self, collection: Collection, href: str, data: bytes) -> Ref:
        with self._lock:
            store = self._store(collection)
            if href in store:
                raise PreconditionFailed(f"{href} exists already", status=412, url=href)
            store[href] = bytes(data)
            self._changes[collection.href] += 1
        return Ref(href, etag_of(data))

    def update(self, collection: Collection, href: str, data: bytes, etag: str | None) -> Ref:
        with self._lock:
            store = self._store(collection)
            old = store.get(href)
            check_etag(href, etag_of(old) if old is not None else None, etag)
            store[href] = bytes(data)
            self._changes[collection.href] += 1
        return Ref(href, etag_of(data))

    def delete(self, collection: Collection, href: str, etag: str | None) -> None:
        with self._lock:
            store = self._store(collection)
            old = store.get(href)
            check_etag(href, etag_of(old) if old is not None else None, etag)
            del store[href]
            self._changes[collection.href] += 1
