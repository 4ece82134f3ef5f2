"""A vdir folder: the layout vdirsyncer, khal and khard use, for backups and restores.

`root/<collection>/<item>.ics|.vcf`, one item per file; hrefs are file names. Collection
metadata are small files beside the items, as vdirsyncer writes them: `displayname`, `color`,
and `description`. The kind of a folder is read from its files (.vcf: address book, .ics:
calendar); an empty folder made by us says it in a hidden `.davtui-kind` file, which other
tools ignore. ETags are `mtime_ns;inode` like vdirsyncer's. Writes are atomic (temporary file,
fsync, then link or rename), and `create` never replaces a file (a hard link fails if the
name exists).
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from davtui.engine.errors import NotFound, PreconditionFailed
from davtui.engine.items import CALENDAR_TYPE, VCARD_TYPE, resource_name
from davtui.engine.memory import check_etag
from davtui.engine.storage import (
    ADDRESSBOOK,
    CALENDAR,
    Collection,
    CreatedCollection,
    Fetched,
    Listing,
    Ref,
    WritableStorage,
)

KIND_FILE = ".davtui-kind"
_EXTENSIONS = {".ics": CALENDAR, ".vcf": ADDRESSBOOK}
_UNSAFE = re.compile(r"[^\w@.-]+")


def _etag(stat: os.stat_result) -> str:
    return f"{stat.st_mtime_ns};{stat.st_ino}"


def _read_meta(folder: Path, name: str) -> str | None:
    try:
        return (folder / name).read_text(encoding="utf-8").strip() or None
    except (FileNotFoundError, UnicodeDecodeError):
        return None


class VdirStorage(WritableStorage):
    """Every sub-folder of `root` is a collection."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser()
        self._lock = threading.Lock()

    def _kind(self, folder: Path) -> str | None:
        with os.scandir(folder) as entries:
            for entry in entries:
                kind = _EXTENSIONS.get(os.path.splitext(entry.name)[1].lower())
                if kind and entry.is_file():
                    return kind
        marked = _read_meta(folder, KIND_FILE)
        return marked if marked in (CALENDAR, ADDRESSBOOK) else None

    def collections(self, kinds: Iterable[str] = (CALENDAR, ADDRESSBOOK)) -> list[Collection]:
        wanted = set(kinds)
        if not self.root.is_dir():
            return []
        found = []
        for folder in sorted(self.root.iterdir()):
            if not folder.is_dir() or folder.name.startswith("."):
                continue
            kind = self._kind(folder) or CALENDAR
            if kind in wanted:
                found.append(
                    Collection(
                        href=folder.name,
                        kind=kind,
                        name=_read_meta(folder, "displayname") or folder.name,
                        color=_read_meta(folder, "color"),
                        description=_read_meta(folder, "description"),
                    )
                )
        return found

    def _folder(self, collection: Collection) -> Path:
        folder = self.root / collection.href.strip("/")
        if "/" in collection.href.strip("/") or not folder.is_dir():
            raise NotFound(f"no collection {collection.href} in {self.root}", status=404)
        return folder

    def _path(self, collection: Collection, href: str) -> str:
        """The item's file, as a plain string: a `Path` would intern every file name in
        the interpreter's table for as long as the name lives (7.7 MB for a large copy)."""
        if not href or "/" in href or href.startswith("."):
            raise NotFound(f"{href!r} is not an item file name", status=404, url=href)
        return os.path.join(self._folder(collection), href)

    def list(self, collection: Collection) -> Iterator[Ref]:
        return self._refs(collection, [])

    def listing(self, collection: Collection) -> Listing:
        """The listing, incomplete when an item file could not be looked at (a dangling link,
        no permission): a mirror must not delete its copy as if it were gone."""
        unreadable: list[str] = []
        etags = {ref.href: ref.etag for ref in self._refs(collection, unreadable)}
        if unreadable:
            total = len(unreadable) + len(etags)
            return Listing(etags, False, f"{len(unreadable)} of {total} files could not be read")
        return Listing(etags)

    def _refs(self, collection: Collection, unreadable: list[str]) -> Iterator[Ref]:
        """The item files; the names of those that could not be looked at go to `unreadable`
        (a file removed meanwhile is gone, not unreadable)."""
        with os.scandir(self._folder(collection)) as entries:
            for entry in entries:
                kind = _EXTENSIONS.get(os.path.splitext(entry.name)[1].lower())
                if not kind or entry.name.startswith("."):
                    continue
                try:
                    if entry.is_dir():
                        continue
                    stat = entry.stat() if entry.is_file() else None
                except FileNotFoundError:
                    continue
                except OSError:
                    stat = None
                if stat is None:
                    unreadable.append(entry.name)
                    continue
                content_type = VCARD_TYPE if kind == ADDRESSBOOK else CALENDAR_TYPE
                yield Ref(entry.name, _etag(stat), content_type)

    def fetch(self, collection: Collection, hrefs: Sequence[str]) -> Iterator[Fetched]:
        for href in hrefs:
            try:
                with open(self._path(collection, href), "rb") as file:
                    etag = _etag(os.fstat(file.fileno()))
                    yield Fetched(href, etag, file.read())
            except (NotFound, FileNotFoundError):
                yield Fetched(href, None, error=NotFound(f"{href} does not exist", status=404))

    def create_collection(self, template: Collection, name: str) -> CreatedCollection:
        self.root.mkdir(parents=True, exist_ok=True)
        base = _UNSAFE.sub("-", name).strip(".-") or "collection"
        with self._lock:
            folder, n = self.root / base, 1
            while folder.exists():
                n += 1
                folder = self.root / f"{base}-{n}"
            folder.mkdir()
        meta = {"displayname": name, "color": template.color, "description": template.description}
        for key, value in [*meta.items(), (KIND_FILE, template.kind)]:
            if value:
                self._write(folder, key, value.encode("utf-8"))
        collection = Collection(
            href=folder.name,
            kind=template.kind,
            name=name,
            color=template.color,
            description=template.description,
        )
        return CreatedCollection(collection, ["timezone"] if template.timezone else [])

    def href_for(self, collection: Collection, uid: str) -> str:
        return resource_name(uid, collection.kind)

    @staticmethod
    def _temporary(folder: str | Path, data: bytes) -> str:
        fd, name = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        return name

    def _write(self, folder: Path, name: str, data: bytes) -> None:
        os.replace(self._temporary(folder, data), os.path.join(folder, name))

    def create(self, collection: Collection, href: str, data: bytes) -> Ref:
        path = self._path(collection, href)
        tmp = self._temporary(os.path.dirname(path), data)
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise PreconditionFailed(f"{href} exists already", status=412, url=href) from None
        finally:
            os.unlink(tmp)
        return Ref(href, _etag(os.stat(path)))

    def _current(self, path: str) -> str | None:
        try:
            return _etag(os.stat(path))
        except FileNotFoundError:
            return None

    def update(self, collection: Collection, href: str, data: bytes, etag: str | None) -> Ref:
        path = self._path(collection, href)
        tmp = self._temporary(os.path.dirname(path), data)
        with self._lock:
            try:
                check_etag(href, self._current(path), etag)
            except Exception:
                os.unlink(tmp)
                raise
            os.replace(tmp, path)
        return Ref(href, _etag(os.stat(path)))

    def delete(self, collection: Collection, href: str, etag: str | None) -> None:
        path = self._path(collection, href)
        with self._lock:
            check_etag(href, self._current(path), etag)
            os.unlink(path)
