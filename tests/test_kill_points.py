"""Crash safety: a real `davtui migrate` subprocess is killed with SIGKILL at more than ten
chosen moments (discovery, listing, collection creation before and after the server made it,
the first PUT, PUTs mid-batch before they reach the server and after it stored them, source
multigets, adoption and verification reads, and at set times), restarted after each, Radicale
-> Xandikos and then Xandikos -> a second Radicale. At the end every source item is in the
destination exactly once with the same normalised content, every item state row points at an
item that exists, and the run history records no killed run as completed.

Also a full disk under the database: one clear error, no traceback.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import pytest

from tests import dav
from tests.proxy import Fault, Proxy
from tests.servers import Server, start_radicale
from tests.test_faults import (
    HOMES,
    WRITES,
    assert_copied_exactly,
    collections,
    migrate,
    seed,
    write_config,
)

ROOM = 48 * 1024  # bytes left free on the database's disk: enough to open it, not to finish


@dataclass(frozen=True)
class KillPoint:
    """Kill at the `nth` `method` request of a run on `side`: before it reaches the server, or
    `after` the server acted on it (its answer is lost). Side "time": `nth` milliseconds
    after the start."""

    side: str
    method: str
    nth: int
    after: bool = False

    def __str__(self) -> str:
        if self.side == "time":
            return f"{self.nth} ms after start"
        return f"{self.side} {self.method} #{self.nth} {'after' if self.after else 'before'}"


TIMES = [KillPoint("time", "", 700), KillPoint("time", "", 2500)]
DISCOVERY = [KillPoint("destination", "PROPFIND", 1), KillPoint("source", "PROPFIND", 4)]
#: A run makes the collections it needs, one by one, before it writes any item. So the kill
#: points at collection creation come before those at PUTs, and the set times (which land
#: later as the client gets faster) last.
#: Radicale lists the address book first: it is made, then the calendar.
TO_XANDIKOS = [
    *DISCOVERY,
    KillPoint("destination", "MKCOL", 1, after=True),  # address book made, answer lost
    KillPoint("destination", "MKCALENDAR", 1),
    KillPoint("destination", "MKCALENDAR", 1, after=True),
    KillPoint("destination", "PUT", 1),
    KillPoint("destination", "PUT", 3, after=True),
    KillPoint("source", "REPORT", 1),
    KillPoint("destination", "PUT", 30),  # mid-batch, writers busy
    KillPoint("destination", "PUT", 45, after=True),
    KillPoint("source", "REPORT", 1, after=True),  # a multiget answered, not yet written
    KillPoint("destination", "REPORT", 1),  # adoption of lost writes, or verification
    *TIMES,
]
#: Xandikos lists its calendars (Work, and an empty default one, in no set order) before its
#: address books (Book, and an empty default one).
TO_RADICALE = [
    *DISCOVERY,
    KillPoint("destination", "MKCOL", 1),
    KillPoint("destination", "MKCOL", 1, after=True),
    KillPoint("destination", "MKCOL", 1, after=True),
    KillPoint("destination", "PUT", 1),
    KillPoint("destination", "PUT", 3, after=True),
    KillPoint("source", "REPORT", 1),
    KillPoint("destination", "PUT", 30),
    KillPoint("destination", "PUT", 45, after=True),
    KillPoint("source", "REPORT", 1, after=True),
    KillPoint("destination", "REPORT", 1),
    *TIMES,
]


class Killer:
    """Proxy fault hooks (`hook(side)`) that SIGKILL the armed process at its kill point."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.point: KillPoint | None = None
        self.fired = False
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()

    def arm(self, proc: subprocess.Popen, point: KillPoint) -> None:
        with self._lock:
            self.proc, self.point, self.fired = proc, point, False
            self._seen.clear()

    def kill(self) -> None:
        assert self.proc is not None
        self.fired = True
        os.kill(self.proc.pid, signal.SIGKILL)

    def _reached(self, side: str, method: str) -> bool:
        with self._lock:
            point = self.point
            if self.fired or point is None or (point.side, point.method) != (side, method):
                return False
            self._seen[method] += 1
            if self._seen[method] < point.nth:
                return False
            self.fired = True
            return True

    def hook(self, side: str):
        def fault(method: str, _path: str, _attempt: int, _body: bytes) -> Fault | None:
            if not self._reached(side, method):
                return None
            if self.point.after:
                return Fault(mangle=self._kill_then)
            self.kill()
            return Fault(action="reset")

        return fault

    def _kill_then(self, body: bytes) -> bytes:
        self.kill()
        return body


def start(config: Path, db: Path) -> subprocess.Popen:
    env = {**os.environ, "SRC_PASS": "alicepw", "DST_PASS": "alicepw"}
    return subprocess.Popen(
        [sys.executable, "-m", "davtui", "--db", str(db), "migrate", str(config), "--json"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip


def kill_at_every_point(
    source: Server, destination: Server, points: list[KillPoint], tmp: Path
) -> list[KillPoint]:
    """Run, kill, restart through `points`, then finish; returns the points a run reached
    (a run may end before a time point: it then counts as not reached)."""
    killer = Killer()
    tmp.mkdir()
    db = tmp / "kill.db"
    with (
        Proxy(source.url, fault=killer.hook("source")) as src,
        Proxy(destination.url, fault=killer.hook("destination")) as dst,
    ):
        config = write_config(tmp / "kill.json", src.url, dst.url, timeout=30)
        killed = []
        for point in points:
            proc = start(config, db)
            killer.arm(proc, point)
            if point.side == "time":
                time.sleep(point.nth / 1000)
                if proc.poll() is None:
                    killer.kill()
            _out, err = proc.communicate(timeout=300)
            if point.side == "time" and (proc.returncode == 0 or last_run(db) == "completed"):
                continue  # it ended before the set time, or the kill landed as it exited
            assert killer.fired and proc.returncode == -signal.SIGKILL, (
                f"the run ended ({proc.returncode}) before the kill point {point}: {err[-800:]}"
            )
            killed.append(point)
        killer.point = None
        code, report, err = migrate(config, db)
        assert code == 0, err[-2000:]
        assert report["verification"]["ok"], report["verification"]
        assert not any(src.counts[m] for m in WRITES), src.counts
    assert_consistent(db, destination, len(killed), len(points) - len(killed))
    assert_copied_exactly(source, destination)
    return killed


def last_run(db: Path) -> str | None:
    """The status the newest run recorded."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        row = conn.execute("SELECT status FROM run ORDER BY id DESC LIMIT 1").fetchone()
    return row[0] if row else None


def assert_consistent(db: Path, destination: Server, kills: int, finished: int) -> None:
    """Every item state row names a destination item that exists, once; the run history has
    one run per start and only the last one completed."""
    present = {
        href
        for home in HOMES[destination.name]
        for collection in collections(destination.url + home)
        for href in dav.listing(collection)
    }
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT dest_href, outcome FROM item_state").fetchall()
        runs = [s for (s,) in conn.execute("SELECT status FROM run ORDER BY id")]
    hrefs = [urljoin(destination.url, h) for h, _o in rows]
    assert {o for _h, o in rows} <= {"created", "updated", "unchanged", "adopted"}, rows
    assert len(hrefs) == len(set(hrefs)) == len(present), (len(hrefs), len(present))
    assert {dav_path(h) for h in hrefs} == present
    assert runs[-1] == "completed" and Counter(runs)["completed"] == finished + 1, runs
    assert Counter(runs)["interrupted"] in (kills, kills - 1), runs  # one killed at start-up
    assert len(runs) <= kills + finished + 1, runs


def dav_path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


@pytest.mark.slow
def test_sigkill_at_every_point_both_directions(
    fresh_radicale: Server, fresh_xandikos: Server, tmp_path: Path
) -> None:
    total = seed(fresh_radicale, "alice/", events=150, cards=10)
    there = kill_at_every_point(fresh_radicale, fresh_xandikos, TO_XANDIKOS, tmp_path / "there")
    back = start_radicale(tmp_path / "radicale2", {"alice": "alicepw"})
    try:
        home = kill_at_every_point(fresh_xandikos, back, TO_RADICALE, tmp_path / "back")
        assert_copied_exactly(fresh_radicale, back)
    finally:
        back.stop()
    assert len(there) >= 13 and len(home) >= 12, (there, home)
    print(f"SIGKILLs survived: {len(there)} + {len(home)}, {total} items each way")


def test_full_disk_under_the_database_is_one_clear_error(
    fresh_radicale: Server, fresh_xandikos: Server, tmp_path: Path
) -> None:
    """The database on an 8 MiB tmpfs, filled up after a first (dry) run: the next run stops
    with one sentence naming the problem and no traceback; with room again, it completes."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)])
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)")
    try:
        seed(fresh_radicale, "alice/", events=60, cards=0)
        config = write_config(tmp_path / "m.json", fresh_radicale.url, fresh_xandikos.url)
        db = mount / "davtui.db"
        code, _report, err = migrate(config, db, "--dry-run")
        assert code == 0, err
        with open(mount / "filler", "wb") as filler:
            filler.write(b"\0" * (shutil.disk_usage(mount).free - ROOM))
        code, report, err = migrate(config, db)
        assert code != 0 and "Traceback" not in err, err[-3000:]
        message = (report or {}).get("error") or err.strip().splitlines()[-1]
        assert "full" in message.replace(str(tmp_path), "").lower(), message
        print(f"full disk: exit {code}: {message}")
        (mount / "filler").unlink()
        code, _report, err = migrate(config, db)
        assert code == 0, err[-2000:]
        assert_copied_exactly(fresh_radicale, fresh_xandikos)
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
