"""The destination decides what it stores; a server's passing error is retried (issue 25).

Through `davtui migrate` into a real Radicale and a real Xandikos:
- items with damaged values (a date `20131009T180000T`, a latin-1 item with that date, a bad
  duration, a template placeholder) are sent as they are: what a server keeps is copied and its
  warning listed per item; what a server refuses fails with the server's answer;
- what cannot be sent at all (binary data; a calendar without any item, so no UID to derive)
  is refused before any PUT and kept byte for byte in the run's leftovers, named in the report;
- a proxy answering 500 to a fifth of the PUTs the first time (and losing the answer of a few
  creates that landed): one run copies everything, nothing failed, nothing doubled;
- a MKCALENDAR whose answer is lost is retried, and the 405 of the retry read back as made.
"""

from __future__ import annotations

import json
import os
import random
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from davtui.engine.dav.solo import Solo
from tests import dav
from tests.proxy import Fault, Proxy
from tests.servers import Server
from tests.test_faults import assert_copied_exactly, collections, seed, write_config


def _event(uid: str, lines: str, codec: str = "utf-8") -> bytes:
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davtui tests//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20240101T000000Z\r\n{lines}SUMMARY:Réunion {uid}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    return text.encode(codec)


#: Damaged values both servers keep (Radicale rewrites the date; Xandikos keeps it as sent).
KEPT = {
    "bad-date": _event("bad-date", "DTSTART:20131009T180000T\r\n"),
    "latin1": _event("latin1", "DTSTART:20131009T180000T\r\nLOCATION:Café\r\n", "latin-1"),
}
#: Damaged values Xandikos keeps and Radicale refuses (400): the server's answer decides.
DISPUTED = {
    "bad-duration": _event("bad-duration", "DTSTART:20131009T180000Z\r\nDURATION:PT1X\r\n"),
    "placeholder": _event("placeholder", "DTSTART:$now.year.1:0709T133000\r\n"),
}
#: Nothing a server could store: refused before any PUT, kept in the leftovers.
UNSENDABLE = {
    "garbage": bytes(random.Random(25).randrange(256) for _ in range(600)),
    "no-item": b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTIMEZONE\r\nTZID:X\r\nEND:VTIMEZONE\r\n"
    b"END:VCALENDAR\r\n",
}
HOME = {"radicale": "alice/", "xandikos": "alice/calendars/"}


def _migrate(config: Path, db: Path) -> tuple[int, dict, str]:
    env = {**os.environ, "SRC_PASS": "alicepw", "DST_PASS": "alicepw"}
    done = subprocess.run(
        [sys.executable, "-m", "davtui", "--db", str(db), "migrate", str(config), "--json"],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return done.returncode, json.loads(done.stdout), done.stderr


def _vdir_config(tmp_path: Path, destination: str) -> Path:
    """A vdir source (one calendar, `work`) holding every test item, and its config."""
    folder = tmp_path / "source" / "work"
    folder.mkdir(parents=True)
    for name, data in {**KEPT, **DISPUTED, **UNSENDABLE}.items():
        (folder / f"{name}.ics").write_bytes(data)
    config = tmp_path / "m.toml"
    config.write_text(
        f'[source]\nurl = "{folder.parent}"\n[destination]\nurl = "{destination}"\n'
        'username = "alice"\npassword_env = "DST_PASS"\n[job]\n'
    )
    return config


def _stored(server: Server) -> dict[str, bytes]:
    """Every item of the destination's calendars by its UID line, read by plain HTTP."""
    found = {}
    for href in dav.listing(server.url + HOME[server.name] + "work/"):
        status, data = dav.request(server.url.rstrip("/") + href, "GET")
        assert status == 200, (href, status)
        uid = next(line for line in data.split(b"\n") if line.startswith(b"UID:"))
        found[uid[4:].strip().decode()] = data
    return found


@pytest.mark.parametrize("name", ["radicale", "xandikos"])
def test_damaged_values_go_to_the_server_and_unsendable_items_to_the_leftovers(
    name: str, request: pytest.FixtureRequest, home: Path, tmp_path: Path
) -> None:
    server: Server = request.getfixturevalue(f"fresh_{name}")
    db = tmp_path / "db" / "m.db"
    db.parent.mkdir()
    code, report, err = _migrate(_vdir_config(tmp_path, server.url), db)
    assert code == 1, err[-2000:]  # the unsendable items are refused
    assert report["verification"]["ok"], report["verification"]
    stored = _stored(server)
    warned = {w["href"]: w["reason"] for w in report["warnings"]}
    failed = {e["href"]: e for e in report["errors"]}
    for uid in KEPT:
        assert uid in stored, (uid, failed.get(f"{uid}.ics"))
        assert warned[f"{uid}.ics"].startswith("stored as the source had it: ")
        assert "DTSTART is not a valid date: '20131009T180000T'" in warned[f"{uid}.ics"]
    assert "Café".encode() in stored["latin1"]  # sent as UTF-8 (the utf8 fix-up)
    for uid in DISPUTED:
        if name == "xandikos":  # it keeps them: copied, with the warning
            assert uid in stored and "is not a valid" in warned[f"{uid}.ics"]
        else:  # Radicale refuses them: failed with its answer, and what davtui found
            assert uid not in stored and f"{uid}.ics" not in warned
            reason = failed[f"{uid}.ics"]["reason"]
            assert "answered 400 to PUT" in reason and "davtui found:" in reason
    assert len(stored) == len(KEPT) + (len(DISPUTED) if name == "xandikos" else 0)
    if name == "radicale":  # it rewrote the invalid date: no difference in meaning
        rewritten = {r["href"] for r in report["verification"]["rewritten"]}
        assert rewritten == {"bad-date.ics", "latin1.ics"}
    folder = db.parent / "leftovers" / "1-1"
    assert report["leftovers"] == str(folder)
    for item, data in UNSENDABLE.items():
        entry = failed[f"{item}.ics"]
        kept = Path(entry["kept"])
        assert kept == folder / "work" / f"{item}.ics" and str(kept) in entry["reason"]
        assert kept.read_bytes() == data
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    for made in (folder.parent, folder, folder / "work"):
        assert stat.S_IMODE(made.stat().st_mode) == 0o700


class PassingFaults:
    """500 to every fifth PUT the first time it comes (a fifth of them), and a lost answer (the
    create landed) to a few others; every retry goes through."""

    def __init__(self) -> None:
        self.injected: list[tuple[str, str]] = []
        self._firsts = 0
        self._lock = threading.Lock()

    def __call__(self, method: str, path: str, attempt: int, _body: bytes) -> Fault | None:
        if method != "PUT" or attempt != 1:
            return None
        with self._lock:
            self._firsts += 1
            n = self._firsts
            kind = "500" if n % 5 == 0 else "lost answer" if n % 12 == 1 else None
            if kind is not None:
                self.injected.append((kind, path))
        if kind is None:
            return None
        return Fault(500) if kind == "500" else Fault(action="drop-response")


def test_a_passing_500_on_a_conditional_put_is_retried(
    fresh_radicale: Server, fresh_xandikos: Server, home: Path, tmp_path: Path
) -> None:
    total = seed(fresh_radicale, "alice/", events=40, cards=10)
    faults = PassingFaults()
    with Proxy(fresh_xandikos.url, fault=faults) as dst:
        config = write_config(tmp_path / "c.json", fresh_radicale.url, dst.url, timeout=10)
        code, report, err = _migrate(config, tmp_path / "m.db")
    kinds = [kind for kind, _path in faults.injected]
    print(f"\n{total} items; {kinds.count('500')} PUTs answered 500 and "
          f"{kinds.count('lost answer')} answers lost, each the first time")  # fmt: skip
    assert kinds.count("500") == total // 5 and "lost answer" in kinds, faults.injected
    assert code == 0, (err[-2000:], report["errors"])
    stats = report["stats"]
    created = sum(stats[k]["created"] for k in ("events", "tasks", "contacts"))
    failed = sum(stats[k]["failed"] for k in ("events", "tasks", "contacts", "other"))
    assert (created, failed) == (total, 0), stats
    assert assert_copied_exactly(fresh_radicale, fresh_xandikos) == total  # none doubled


def test_a_mkcalendar_whose_answer_was_lost_is_read_back(
    fresh_radicale: Server, fresh_xandikos: Server, home: Path, tmp_path: Path
) -> None:
    total = seed(fresh_radicale, "alice/", events=5, cards=0)
    lost: list[str] = []

    def fault(method: str, path: str, attempt: int, _body: bytes) -> Fault | None:
        if method in ("MKCALENDAR", "MKCOL") and attempt == 1:
            lost.append(path)
            return Fault(action="drop-response")  # made, but the answer never comes
        return None

    with Proxy(fresh_xandikos.url, fault=fault) as dst:
        config = write_config(tmp_path / "c.json", fresh_radicale.url, dst.url, timeout=10)
        code, report, err = _migrate(config, tmp_path / "m.db")
    assert lost and code == 0, (lost, err[-2000:])
    stats = report["stats"]
    assert stats["calendars"]["created"] == stats["addressbooks"]["created"] == 1, stats
    for home_path, made in (("alice/calendars/", "alice-work"), ("alice/contacts/", "book")):
        names = [u.rstrip("/").rsplit("/", 1)[-1] for u in collections(fresh_xandikos.url +
                 home_path)]  # fmt: skip
        assert names.count(made) == 1 and f"{made}-2" not in names, names
    assert assert_copied_exactly(fresh_radicale, fresh_xandikos) == total


def test_a_write_retried_alone_waits_for_the_others_and_holds_them_back() -> None:
    """The solo gate: a write failing twice goes alone; shared writes wait until it is done."""
    solo = Solo()
    order: list[str] = []
    shared_in = threading.Event()
    release_shared = threading.Event()

    def shared_write(tag: str, hold: threading.Event | None) -> None:
        with solo.turn(alone=False):
            order.append(f"{tag} in")
            if hold is not None:
                shared_in.set()
                hold.wait(10)
            order.append(f"{tag} out")

    def alone_write() -> None:
        with solo.turn(alone=True):
            order.append("alone in")
            time.sleep(0.2)
            order.append("alone out")

    first = threading.Thread(target=shared_write, args=("first", release_shared))
    first.start()
    assert shared_in.wait(10)
    alone = threading.Thread(target=alone_write)
    alone.start()
    time.sleep(0.2)  # the alone write now waits for the first; a later write waits behind it
    later = threading.Thread(target=shared_write, args=("later", None))
    later.start()
    time.sleep(0.2)
    assert order == ["first in"]
    release_shared.set()
    for thread in (first, alone, later):
        thread.join(10)
    assert order == ["first in", "first out", "alone in", "alone out", "later in", "later out"]


def test_a_mirror_delete_whose_answer_was_lost_or_that_met_a_500_is_done(
    fresh_radicale: Server, fresh_xandikos: Server, home: Path, tmp_path: Path
) -> None:
    """DELETE with If-Match: a 500 is retried; a retry finding the item gone (its first
    attempt landed, the answer was lost) is the item deleted, not a failure."""
    total = seed(fresh_radicale, "alice/", events=10, cards=0)  # 2 of 10: within a share guard
    faults: list[str] = []

    def fault(method: str, path: str, attempt: int, _body: bytes) -> Fault | None:
        if method != "DELETE" or attempt != 1:
            return None
        faults.append(path)
        return Fault(500) if len(faults) == 1 else Fault(action="drop-response")

    with Proxy(fresh_xandikos.url, fault=fault) as dst:
        config = write_config(tmp_path / "c.json", fresh_radicale.url, dst.url, timeout=10)
        settings = json.loads(config.read_text())
        config.write_text(json.dumps({**settings, "job": {"name": "m", "mode": "mirror"}}))
        code, report, err = _migrate(config, tmp_path / "m.db")
        assert code == 0, err[-2000:]
        source = fresh_radicale.url + "alice/work/"
        gone = sorted(dav.listing(source))[:2]
        for href in gone:
            assert dav.request(fresh_radicale.url.rstrip("/") + href, "DELETE")[0] in (200, 204)
        code, report, err = _migrate(config, tmp_path / "m.db")
    assert len(faults) == 2, faults  # one 500, one lost answer, each on its first attempt
    assert code == 0, (err[-2000:], report["errors"])
    assert report["stats"]["deleted"] == 2, report["stats"]
    assert assert_copied_exactly(fresh_radicale, fresh_xandikos) == total - 2
