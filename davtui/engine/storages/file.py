"""One .ics or .vcf file as a read-only collection, for imports (a folder is a vdir account).

The file is split (`split.split`) into the resources a server would store, once, on first use.
The collection is named after the file stem; its kind comes from the content. Each resource is
listed under `resource_name(uid)` with its content hash as ETag, and fetched as split.

How damage reaches the engine, per item: each `ItemError` of the split is listed too, under
the href `damaged-<n>.ics|.vcf` with no ETag, and fetching it gives a `Fetched` whose `error`
is a `DamagedItem` (a non-retryable DavError carrying the ItemError's sentence, UID and
summary): the engine counts it as one failed item like any unreadable resource. The same
errors are in `problems`, and the warnings of repaired items in `warnings` (href -> list).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from davtui.engine.errors import DavError, EngineError, ItemError, NotFound
from davtui.engine.items.compare import content_hash
from davtui.engine.items.scan import resource_name
from davtui.engine.items.split import Item, split
from davtui.engine.storages.contract import (
    ADDRESSBOOK,
    CALENDAR,
    Collection,
    Fetched,
    Listing,
    Ref,
    Storage,
)


class DamagedItem(DavError):
    """A part of the file that could not be read as an item (never retried)."""

    def __init__(self, error: ItemError):
        super().__init__(str(error))
        self.uid = error.uid
        self.summary = error.summary


class FileStorage(Storage):
    """A single calendar or vCard file, presented as one read-only collection."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        if self.path.is_dir():
            raise EngineError(f"{self.path} is a folder: add it as a vdir account instead.")
        self._lock = threading.Lock()
        self._resources: dict[str, Item | ItemError] | None = None
        self.problems: list[ItemError] = []
        self.warnings: dict[str, list[str]] = {}

    def _load(self) -> dict[str, Item | ItemError]:
        with self._lock:
            if self._resources is None:
                self._resources = self._split()
            return self._resources

    def _split(self) -> dict[str, Item | ItemError]:
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise EngineError(f"Cannot read {self.path}: {exc.strerror}.") from None
        parts = list(split(data, str(self.path)))
        contacts = any(isinstance(p, Item) and p.info.kind == "contact" for p in parts)
        ext = ".vcf" if contacts else ".ics"
        resources: dict[str, Item | ItemError] = {}
        for part in parts:
            if isinstance(part, ItemError):
                self.problems.append(part)
                resources[f"damaged-{len(self.problems)}{ext}"] = part
            else:
                href = resource_name(part.uid, part.info.kind)
                resources[href] = part
                if part.warnings:
                    self.warnings[href] = part.warnings
        self._kind = ADDRESSBOOK if contacts else CALENDAR
        return resources

    @property
    def collection(self) -> Collection:
        self._load()
        return Collection(href=self.path.name, kind=self._kind, name=self.path.stem)

    def collections(self, kinds: Iterable[str] = (CALENDAR, ADDRESSBOOK)) -> list[Collection]:
        collection = self.collection
        return [collection] if collection.kind in set(kinds) else []

    def list(self, collection: Collection) -> Iterator[Ref]:
        for href, part in self._load().items():
            if isinstance(part, Item):
                yield Ref(href, '"' + content_hash(part.data)[:40] + '"', part.info.content_type)
            else:
                yield Ref(href, None)

    def listing(self, collection: Collection) -> Listing:
        """Incomplete when parts of the file could not be read as items: an item copied from
        it before may be one of them, and must not be deleted as if it were gone."""
        etags = {ref.href: ref.etag for ref in self.list(collection)}
        if self.problems:
            reason = (
                f"{len(self.problems)} of {len(etags)} parts of {self.path.name} could not be read"
            )
            return Listing(etags, False, reason)
        return Listing(etags)

    def fetch(self, collection: Collection, hrefs: Sequence[str]) -> Iterator[Fetched]:
        resources = self._load()
        for href in hrefs:
            part = resources.get(href)
            if isinstance(part, Item):
                yield Fetched(href, '"' + content_hash(part.data)[:40] + '"', part.data)
            elif isinstance(part, ItemError):
                yield Fetched(href, None, error=DamagedItem(part))
            else:
                yield Fetched(href, None, error=NotFound(f"{href} is not in {self.path.name}"))
