"""A vdir folder: the layout vdirsyncer, khal and khard use, for backups and restores.

`root/<collection>/<item>.ics|.vcf`, one item per file; hrefs are file names. Collection
metadata are small files beside the items, as vdirsyncer writes them: `displayname`, `color`,
and `description`. The kind of a folder is read from its files (.vcf: address book, .ics:
calendar); an empty folder made by us says it in a hidden `.davtui-kind` file, which other
tools ignore. ETags are `mtime_ns;inode` like vdirsyncer's. Writes are atomic (temporary file,
fsync, then link or rename), and `create` never replaces a file (a hard link fails if the
name exists).

Folder and file names made from server data go through `names` (short, no separators, no
reserved names). A folder that cannot be made, listed or written raises `CollectionError`
with one sentence: that collection fails and the run goes on with the others. The temporary
files a killed run left behind are removed by `tidy` (see there) when a run next lists the
folder as its destination.
"""

from __future__ import annotations

import builtins
import os
import re
import socket
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from davtui.engine.errors import CollectionError, EngineError, NotFound, PreconditionFailed
from davtui.engine.items.scan import CALENDAR_TYPE, VCARD_TYPE
from davtui.engine.storages.contract import (
    ADDRESSBOOK,
    CALENDAR,
    Collection,
    CreatedCollection,
    Fetched,
    Listing,
    Ref,
    WritableStorage,
)
from davtui.engine.storages.memory import check_etag
from davtui.engine.storages.names import folder_name, item_name, short_hash

KIND_FILE = ".davtui-kind"
_EXTENSIONS = {".ics": CALENDAR, ".vcf": ADDRESSBOOK}
#: Temporary files are `.tmp-<pid>-<host>-<random>`: who wrote them, for `tidy`.
TEMP_PREFIX = ".tmp-"
_HOST = short_hash(socket.gethostname())[:6]
_TEMP = re.compile(r"\.tmp-(\d+)-([0-9a-f]{6})-")
#: A temporary file untouched for this long is a leftover, whoever wrote it (a write holds
#: one for milliseconds).
STALE_SECONDS = 3600.0
_PID_MAX = 4_194_304  # the largest pid Linux hands out


def temp_prefix(pid: int | None = None) -> str:
    """How the temporary files of process `pid` (this one by default) on this host begin."""
    return f"{TEMP_PREFIX}{os.getpid() if pid is None else pid}-{_HOST}-"


def _shown(name: str) -> str:
    """A folder or file name short enough for a sentence."""
    return name if len(name) <= 60 else name[:57] + "..."


@contextmanager
def _failing(what: str) -> Iterator[None]:
    """An OSError inside becomes the collection's `CollectionError`: "<what>: <reason>."."""
    try:
        yield
    except OSError as exc:
        raise CollectionError(f"{what}: {exc.strerror or exc}.") from None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # not ours to signal, but it runs
        return True
    return True


def _leftover(name: str, mtime: float, now: float) -> bool:
    """A temporary file no running writer holds (see `VdirStorage.tidy`)."""
    if now - mtime > STALE_SECONDS:
        return True
    found = _TEMP.match(name)
    if found is None or found[2] != _HOST:
        return False
    pid = int(found[1])
    return 0 < pid <= _PID_MAX and pid != os.getpid() and not _alive(pid)


def _etag(stat: os.stat_result) -> str:
    return f"{stat.st_mtime_ns};{stat.st_ino}"


def _read_meta(folder: Path, name: str) -> str | None:
    """An optional metadata file; one that cannot be read (missing, a folder, a link loop)
    is as good as absent."""
    try:
        return (folder / name).read_text(encoding="utf-8").strip() or None
    except (OSError, UnicodeDecodeError):
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
                try:
                    if kind and entry.is_file():
                        return kind
                except OSError:  # a link loop, say: `list` will say so for this folder
                    continue
        marked = _read_meta(folder, KIND_FILE)
        return marked if marked in (CALENDAR, ADDRESSBOOK) else None

    def collections(self, kinds: Iterable[str] = (CALENDAR, ADDRESSBOOK)) -> list[Collection]:
        wanted = set(kinds)
        if not self.root.is_dir():
            return []
        try:
            folders = sorted(self.root.iterdir())
        except OSError as exc:
            raise EngineError(f"Cannot read the folder {self.root}: {exc.strerror}.") from None
        found = []
        for folder in folders:
            if not folder.is_dir() or folder.name.startswith("."):
                continue
            try:
                kind = self._kind(folder) or CALENDAR
            except OSError:  # unreadable: listed, so that `list` fails for it alone
                kind = CALENDAR
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
        name = collection.href.strip("/")
        folder = self.root / name
        if "/" in name or name.startswith(".") or not folder.is_dir():
            raise NotFound(f"no collection {_shown(name)} in {self.root}", status=404)
        return folder

    def _path(self, collection: Collection, href: str) -> str:
        """The item's file, as a plain string: a `Path` would intern every file name in
        the interpreter's table for as long as the name lives (7.7 MB for a large copy)."""
        if not href or "/" in href or href.startswith("."):
            raise NotFound(f"{href!r} is not an item file name", status=404, url=href)
        return os.path.join(self._folder(collection), href)

    def list(self, collection: Collection) -> Iterator[Ref]:
        """Every item file; one that cannot be looked at fails the collection: a destination
        listing that silently misses a file would have its item written again."""
        unreadable: list[str] = []
        yield from self._refs(collection, unreadable)
        if unreadable:
            name = _shown(self._folder(collection).name)
            raise CollectionError(
                f"Cannot list the folder {name}: {len(unreadable)} file(s) could not be read."
            )

    def listing(self, collection: Collection) -> Listing:
        """The listing, incomplete when an item file could not be looked at (a dangling link,
        no permission): a mirror must not delete its copy as if it were gone. A folder that
        cannot be read at all fails the collection (`CollectionError`)."""
        unreadable: list[str] = []
        etags = {ref.href: ref.etag for ref in self._refs(collection, unreadable)}
        if unreadable:
            total = len(unreadable) + len(etags)
            return Listing(etags, False, f"{len(unreadable)} of {total} files could not be read")
        return Listing(etags)

    def _refs(self, collection: Collection, unreadable: builtins.list[str]) -> Iterator[Ref]:
        """The item files; the names of those that could not be looked at go to `unreadable`
        (a file removed meanwhile is gone, not unreadable)."""
        folder = self._folder(collection)
        failing = _failing(f"Cannot list the folder {_shown(folder.name)}")
        with failing, os.scandir(folder) as entries:
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
        """A new folder named after `name` (`names.folder_name`; `-2`, `-3`... when taken); the
        full name is kept in its `displayname` file."""
        base = folder_name(name)
        with _failing(f"Cannot create the folder {_shown(base)} in {self.root}"):
            self.root.mkdir(parents=True, exist_ok=True)
            with self._lock:
                folder, n = self.root / base, 1
                while folder.exists():
                    n += 1
                    folder = self.root / f"{base}-{n}"
                folder.mkdir()
            meta = {"displayname": name, "color": template.color,
                    "description": template.description}  # fmt: skip
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
        return item_name(uid, collection.kind)

    def tidy(self, collection: Collection) -> None:
        """Remove the temporary files a killed writer left in the collection's folder.

        A temporary file lives for the milliseconds of one write (written, fsynced, then
        linked or renamed into place), and is never the only copy of anything: the item is
        still in the source. One is a leftover when its writer, named in it, is a process of
        this host that no longer runs, or when it is older than STALE_SECONDS (a writer on
        another host sharing the folder, or an older name without the writer). Removing the
        file of a writer that still runs could at worst make that one write fail (and be
        retried), never lose data. Called by the run on each destination collection before
        listing it, never on a source; best effort: what cannot be removed stays."""
        try:
            folder = self._folder(collection)
            now = time.time()
            with os.scandir(folder) as entries:
                stale = [
                    entry.path
                    for entry in entries
                    if entry.name.startswith(TEMP_PREFIX)
                    and entry.is_file(follow_symlinks=False)
                    and _leftover(entry.name, entry.stat(follow_symlinks=False).st_mtime, now)
                ]
            for path in stale:
                os.unlink(path)
        except (OSError, NotFound):
            return

    @staticmethod
    def _temporary(folder: str | Path, data: bytes) -> str:
        fd, name = tempfile.mkstemp(dir=folder, prefix=temp_prefix())
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        return name

    def _write(self, folder: Path, name: str, data: bytes) -> None:
        os.replace(self._temporary(folder, data), os.path.join(folder, name))

    def create(self, collection: Collection, href: str, data: bytes) -> Ref:
        path = self._path(collection, href)
        with _failing(f"Cannot write {_shown(href)} in {_shown(collection.href)}"):
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
        with _failing(f"Cannot write {_shown(href)} in {_shown(collection.href)}"):
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
        with self._lock, _failing(f"Cannot delete {_shown(href)} in {_shown(collection.href)}"):
            check_etag(href, self._current(path), etag)
            os.unlink(path)
