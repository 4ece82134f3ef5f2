"""The whole corpus on a real Radicale, for the migrations that start from it (to Xandikos,
to SOGo): made once per test session and only read.

Items are grouped by corpus folder in collections of at most CHUNK, and written straight into
Radicale's storage folder: Radicale takes some 30 PUTs a second (minutes for the corpus), and
serves from disk what it can read, skipping the rest, so what it lists is what the source
accepted. A UID met twice in one collection is stored once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from davtui.engine.errors import ItemError
from davtui.engine.items.scan import resource_name
from davtui.engine.items.split import split
from tests import dav
from tests.conftest import CORPUS
from tests.servers import Server

USER, PASSWORD = "alice", "alicepw"
CHUNK = 120


@dataclass
class CorpusSource:
    server: Server
    accepted: dict[str, int]  # collection URL -> items it lists

    @property
    def total(self) -> int:
        return sum(self.accepted.values())


def corpus_groups(root: Path = CORPUS, only: set[str] | None = None) -> dict[tuple[str, str], list]:
    """(kind, corpus folder) -> split items of every file in it (of `only`, relative paths)."""
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for path in sorted(root.glob("*/*/*")):
        if only is not None and path.relative_to(root).as_posix() not in only:
            continue
        kind = "calendar" if path.parts[-3] == "ics" else "addressbook"
        for entry in split(path.read_bytes(), str(path)):
            if not isinstance(entry, ItemError):
                groups[(kind, path.parts[-2])].append(entry)
    return groups


def fill(server: Server, only: set[str] | None = None) -> CorpusSource:
    """Create the collections over HTTP, then write their item files into the storage."""
    auth = {"user": USER, "password": PASSWORD}
    store = Path(server.root) / "collections" / "collection-root" / USER
    urls = []
    for (kind, folder), items in corpus_groups(only=only).items():
        names = {resource_name(item.uid, item.info.kind): item.data for item in items}
        ordered = sorted(names)
        for n in range(0, len(ordered), CHUNK):
            segment = f"{kind[:3]}-{folder}-{n // CHUNK}".lower()
            title = f"{kind[:3]} {folder} {n // CHUNK}"
            urls.append(dav.make_collection(server.url, f"{USER}/{segment}/", title, kind, **auth))
            for name in ordered[n : n + CHUNK]:
                (store / segment / name).write_bytes(names[name])
    return CorpusSource(server, {url: len(dav.listing(url, **auth)) for url in urls})
