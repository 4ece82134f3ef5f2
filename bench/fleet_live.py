"""Ten jobs copying between two local Radicale servers, for `bench.fleet`'s key-to-screen figures.

The source Radicale holds ten mailboxes (`LIVE_USERS`, the `small` data set each: 1,600
items, written as files); each measurement gets a fresh, empty destination Radicale so its
jobs copy rather than find everything there. The jobs are added by a real `davtui batch import`
and queued; the parallel-jobs setting is 4, so the TUI's own queue copies four at a time
(the rest wait their turn) while the keys are pressed: the TUI is measured doing the work it
does for an admin, in its own process.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.data import generate, seed
from bench.dav import Dav
from bench.fleet_db import KEY
from tests.servers import Server, start_radicale

LIVE_USERS = [f"mbox{n:02d}" for n in range(10)]
PASSWORD = "livepw"
WORKERS = 4


@contextmanager
def live_source(root: Path) -> Iterator[Server]:
    """Radicale with the `small` data set in each of the ten mailboxes."""
    server = start_radicale(root / "source", dict.fromkeys(LIVE_USERS, PASSWORD))
    try:
        first = LIVE_USERS[0]
        store = root / "source" / "collections" / "collection-root"
        dav = Dav(server.url, first, PASSWORD)
        seed(dav, f"/{first}/", generate("small", "spread", "s"), store / first)
        for folder in dav.folders(f"/{first}/"):  # Radicale builds its item cache on a read:
            dav.listing(folder.href)  # once here, copied with the items below
        for user in LIVE_USERS[1:]:  # the same collections and items in every mailbox
            shutil.copytree(store / first, store / user)
        yield server
    finally:
        server.stop()


@contextmanager
def live_destination(root: Path) -> Iterator[Server]:
    """An empty Radicale with the ten mailboxes' logins (their homes are made on first use)."""
    where = Path(tempfile.mkdtemp(dir=root))
    server = start_radicale(where, dict.fromkeys(LIVE_USERS, PASSWORD))
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(where, ignore_errors=True)


def add_live_jobs(db: Path, home: Path, source: Server, destination: Server) -> None:
    """Ten queued jobs from `source` to `destination` (a real `batch import`), four at once;
    the passwords are saved under the key in `home`, the TUI's XDG_DATA_HOME."""
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "live.csv"
        rows = [f"{user},{user}" for user in LIVE_USERS]
        csv.write_text("source_user,destination_user\n" + "\n".join(rows) + "\n")
        subprocess.run(
            [sys.executable, "-m", "davtui", "--db", str(db), "batch", "import", str(csv),
             "--source-url", f"{source.url}{{user}}/",
             "--destination-url", f"{destination.url}{{user}}/",
             "--source-password-command", f"echo {PASSWORD}",
             "--destination-password-command", f"echo {PASSWORD}", "--what", "both"],
            check=True, capture_output=True,
            env={**os.environ, "XDG_DATA_HOME": str(home), "DAVTUI_KEY": KEY},
        )  # fmt: skip
    con = sqlite3.connect(db)
    with con:  # the parallel-jobs setting as the TUI's palette stores it (a JSON value)
        con.execute("DELETE FROM setting WHERE key = 'workers'")
        con.execute("INSERT INTO setting (key, value) VALUES ('workers', ?)", (str(WORKERS),))
    con.close()


def first_rows(db: Path, count: int) -> list[str]:
    """The detail panel's first words for the first `count` jobs of the table (id order):
    `name  source → destination`, which only the detail panel of that job shows."""
    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT job.name, s.name, d.name FROM job JOIN account s ON job.source_id = s.id "
        "JOIN account d ON job.destination_id = d.id ORDER BY job.id LIMIT ?",
        (count,),
    ).fetchall()
    con.close()
    return [f"{name}  {source} → {destination}" for name, source, destination in rows]
