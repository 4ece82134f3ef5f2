"""Items the destination cannot take, kept byte for byte in a per-run folder beside the database.

davtui refuses an item on its own only when it cannot be sent at all (binary data, no
VCALENDAR or VCARD, a calendar without any item): the destination decides everything else,
and may refuse it too (too large) or not take its component (SOGo and VJOURNAL). Such an
item must still never be lost with the run, whose source may be gone tomorrow (a
server being retired): its bytes, exactly as read, go to `<folder>/<collection>/<name>`,
where the folder is `<database's folder>/leftovers/<job>-<run>`, and the report names the
path. Folders are made 0700 and files 0600: they hold the user's data.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from davtui.engine.storages.names import folder_name


class Leftovers:
    """Where one run keeps what it refused; `folder` None: nowhere (a dry run, a test)."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self._lock = threading.Lock()

    def keep(self, collection: str, href: str, data: bytes) -> str:
        """Write `data` under a name made from `href` (never over another); its path.

        Raises OSError when it cannot be written: the caller says so in the item's reason."""
        if self.folder is None:
            raise OSError("no folder for leftovers in this run")
        where = self.folder / folder_name(collection)
        name = folder_name(href.rstrip("/").rsplit("/", 1)[-1], "item")
        with self._lock:  # two writers must not pick the same free name
            for path in (self.folder.parent, self.folder, where):
                path.mkdir(mode=0o700, exist_ok=True)
            path, n = where / name, 1
            while path.exists():
                n += 1
                path = where / f"{n}-{name}"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        return str(path)

    def note(self, collection: str, href: str, data: bytes, reason: str) -> tuple[str, str | None]:
        """`keep`, said in the item's reason: (the reason with where it is kept or why it
        could not be, the path or None)."""
        try:
            kept = self.keep(collection, href, data)
        except OSError as exc:
            return f"{reason}; not kept: {exc}", None
        return f"{reason}; kept at {kept}", kept


def run_folder(database: str | None, job: int, run: int) -> Path | None:
    """`<database's folder>/leftovers/<job>-<run>` for a SQLite file; None for a server
    database (postgresql://...): then the caller picks the data directory."""
    if not database or "://" in database:
        return None
    return Path(database).expanduser().resolve().parent / "leftovers" / f"{job}-{run}"
