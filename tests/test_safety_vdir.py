"""Local folders that never break on a hostile name, and collections that fail alone.

A source may name a collection with 3000 characters, `/`, `..`, NUL or `CON`, and give items
such UIDs: the vdir destination makes safe, short, stable names (a second run writes
nothing). A collection whose folder cannot be made, listed or written fails alone: the others
are copied and the run ends with exit 1, never a traceback. The temporary files of a killed
writer are gone after the next run; those of a live writer, and any in a source, stay.
Real Radicale, real `davtui migrate` subprocesses, real SQLite, real folders.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from davtui.engine.storages.contract import CALENDAR, Collection, ReadOnly
from davtui.engine.storages.memory import MemoryStorage
from davtui.engine.storages.names import MAX_BYTES, folder_name, item_name, reserved
from davtui.engine.storages.vdir import STALE_SECONDS, VdirStorage, temp_prefix
from davtui.engine.sync.memory_states import MemoryStates
from davtui.engine.sync.migration import Migration, Options
from tests import dav
from tests.contract import sample_event
from tests.servers import Server

LONG = "Ünïcødé calendar " * 177 + "end"  # 3012 characters, 3720 bytes of UTF-8
HOSTILE = [
    LONG,
    "a/b",
    "..",
    ".",
    "x\x00y\x1b[2J",
    "CON",
    "nul.ics",
    "Com1",
    "日本" * 200,
    "CON.x" * 99,
]


def _safe(name: str) -> bool:
    return (
        0 < len(name.encode()) <= MAX_BYTES
        and "/" not in name
        and name not in (".", "..")
        and not name.startswith(".")
        and not any(ord(c) < 32 for c in name)
        and not reserved(name)
    )


def test_names_from_server_data_are_safe_short_distinct_and_stable() -> None:
    """Every hostile name becomes a safe name of at most MAX_BYTES bytes, always the same
    one; two long names with the same first 2500 characters stay apart."""
    for name in HOSTILE:
        assert _safe(folder_name(name)), (name[:40], folder_name(name))
        assert folder_name(name) == folder_name(name)
    twin = LONG[:2500] + "other end"
    assert folder_name(twin) != folder_name(LONG)
    assert folder_name("Work") == "Work"  # plain names keep their usual folder
    for uid in ["u" * 3000, "a/b/../c", "../../etc/passwd", "CON", "nul", "CON.x", "x\x00y"]:
        name = item_name(uid, "event")
        assert _safe(name) and name.endswith(".ics"), (uid[:40], name)
        assert name == item_name(uid, "event")


def _memory_source() -> tuple[MemoryStorage, int]:
    """Collections with hostile names (the long one with a 3000-character href too) and items
    with hostile UIDs."""
    names = [*HOSTILE, "Work"]
    collections = [
        Collection(href=("h" * 3000 if name == LONG else f"c{i}") + "/", kind=CALENDAR, name=name)
        for i, name in enumerate(names)
    ]
    source = MemoryStorage(collections)
    uids = ["u" * 3000, "a/b/../c", "../../etc/passwd", "CON", "plain"]
    for collection in collections:
        for uid in uids:
            source.create(collection, source.href_for(collection, uid), sample_event(uid))
    return source, len(collections) * len(uids)


def _written(finished) -> int:
    stats = finished.stats
    return sum(counts.created + counts.updated for counts in (stats.events, stats.tasks))


def test_hostile_collection_names_and_uids_reach_a_vdir_then_nothing_changes(
    tmp_path: Path, states: MemoryStates
) -> None:
    """Every collection arrives in a safe folder inside the destination (the long one
    shortened, its full name in `displayname`); the second run finds everything unchanged."""
    source, total = _memory_source()
    root = tmp_path / "dest"
    first = Migration(ReadOnly(source), VdirStorage(root), states, Options()).run()
    assert (first.status, first.exit_code, first.errors) == ("completed", 0, [])
    assert _written(first) == total
    folders = sorted(p for p in root.iterdir())
    assert len(folders) == len(HOSTILE) + 1
    outside = {p.name for p in tmp_path.iterdir()} - {"dest", "key", "xdg"}
    assert all(name.startswith("davtui.db") for name in outside), outside
    for folder in folders:
        assert folder.is_dir() and _safe(folder.name), folder.name[:60]
        files = [p.name for p in folder.iterdir() if p.suffix == ".ics"]
        assert len(files) == 5 and all(_safe(f) for f in files), files
    names = {(p / "displayname").read_text(encoding="utf-8") for p in folders}
    assert LONG in names and "x\x00y\x1b[2J" in names
    [long_folder] = [p for p in folders if (p / "displayname").read_text() == LONG]
    assert len(long_folder.name.encode()) <= MAX_BYTES

    again = Migration(ReadOnly(source), VdirStorage(root), states, Options()).run()
    assert (again.status, again.exit_code) == ("completed", 0)
    assert _written(again) == 0 and again.stats.events.unchanged == total
    assert again.stats.calendars.created == 0
    assert sorted(p for p in root.iterdir()) == folders


# -- the CLI, end to end ----------------------------------------------------------------------


def _config(path: Path, source: str, destination: Path, **job) -> Path:
    side = {"username": "alice", "password_env": "SRC_PASS", "timeout": 30}
    source_side = {"url": source, **(side if "://" in source else {})}
    path.write_text(
        json.dumps(
            {
                "source": source_side,
                "destination": {"url": str(destination)},
                "job": {"name": "safety", **job},
            }
        )
    )
    return path


def _migrate(config: Path, db: Path, *extra: str) -> tuple[int, dict | None, str]:
    env = {**os.environ, "SRC_PASS": "alicepw"}
    done = subprocess.run(
        [sys.executable, "-m", "davtui", "--db", str(db), "migrate", str(config), "--json",
         *extra],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    report = json.loads(done.stdout) if done.stdout.strip().startswith("{") else None
    return done.returncode, report, done.stderr


def _vdir_calendar(root: Path, name: str, uids: list[str]) -> Path:
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    for uid in uids:
        (folder / f"{uid}.ics").write_bytes(sample_event(uid))
    return folder


def _ics(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.suffix == ".ics"}


def test_a_3000_character_collection_name_from_radicale_into_a_vdir(
    fresh_radicale: Server, tmp_path: Path
) -> None:
    """A Radicale calendar whose display name has 3012 characters and a plain one both arrive
    (the long one in a shortened folder); the second run writes nothing, exit 0 both times."""
    base = fresh_radicale.url
    long_cal = dav.make_collection(base, "alice/long/", LONG)
    work = dav.make_collection(base, "alice/work/", "Work")
    for i in range(3):
        assert dav.put(f"{long_cal}l{i}.ics", sample_event(f"long-{i}")) == 201
        assert dav.put(f"{work}w{i}.ics", sample_event(f"work-{i}")) == 201
    root, db = tmp_path / "backup", tmp_path / "m.db"
    config = _config(tmp_path / "m.json", base, root)
    code, report, err = _migrate(config, db)
    assert code == 0, (code, err[-2000:])
    by_name = {(p / "displayname").read_text(encoding="utf-8"): p for p in root.iterdir()}
    assert set(by_name) >= {LONG, "Work"}, [n[:40] for n in by_name]
    assert len(by_name[LONG].name.encode()) <= MAX_BYTES
    assert len(_ics(by_name[LONG])) == 3 and len(_ics(by_name["Work"])) == 3
    code, report, err = _migrate(config, db)
    assert code == 0, (code, err[-2000:])
    assert report["stats"]["events"]["created"] + report["stats"]["events"]["updated"] == 0
    assert report["stats"]["events"]["unchanged"] == 6
    assert {(p / "displayname").read_text(encoding="utf-8") for p in root.iterdir()} == set(by_name)


@pytest.fixture
def two_calendars(tmp_path: Path) -> tuple[Path, Path, Path, Path]:
    """A vdir source with `Work` (30 events) and `Home` (3), a destination folder, a config
    and a database."""
    source = tmp_path / "source"
    _vdir_calendar(source, "Work", [f"work-{i}" for i in range(30)])
    _vdir_calendar(source, "Home", [f"home-{i}" for i in range(3)])
    dest = tmp_path / "dest"
    dest.mkdir()
    return source, dest, _config(tmp_path / "m.json", str(source), dest), tmp_path / "m.db"


def _failed_alone(report: dict, code: int, reason: str) -> None:
    assert code == 1 and report["status"] == "completed_with_errors", (code, report)
    assert any(e["collection"] == "Work" and reason in e["reason"] for e in report["errors"]), (
        report["errors"][:3]
    )
    assert not any(e["collection"] == "Home" for e in report["errors"])


def test_a_folder_that_cannot_be_made_fails_alone(two_calendars) -> None:
    """A broken link sits where `Work` would be made: Work fails with one sentence, Home is
    copied, exit 1; the link gone, the next run copies Work."""
    source, dest, config, db = two_calendars
    (dest / "Work").symlink_to(dest / "nowhere" / "Work")
    code, report, err = _migrate(config, db)
    _failed_alone(report, code, "Cannot create the folder Work")
    assert _ics(dest / "Home") == _ics(source / "Home")
    (dest / "Work").unlink()
    code, report, err = _migrate(config, db)
    assert code == 0, (code, report and report["errors"][:3], err[-2000:])
    assert _ics(dest / "Work") == _ics(source / "Work")


def test_a_folder_that_cannot_be_listed_fails_alone(two_calendars) -> None:
    """A link loop in the destination's `Work` makes its listing fail (rather than miss an
    entry; a source's listing would be incomplete instead): Work fails, Home's new item is
    copied, exit 1; the loop gone, all is copied."""
    source, dest, config, db = two_calendars
    assert _migrate(config, db)[0] == 0
    (dest / "Work" / "loop.ics").symlink_to("loop.ics")
    _vdir_calendar(source, "Work", ["work-new"])
    _vdir_calendar(source, "Home", ["home-new"])
    code, report, _err = _migrate(config, db)
    _failed_alone(report, code, "Cannot list the folder Work")
    assert "home-new.ics" in _ics(dest / "Home")
    (dest / "Work" / "loop.ics").unlink()
    code, report, _err = _migrate(config, db)
    assert code == 0, (code, report and report["errors"][:3])
    assert _ics(dest / "Work") == _ics(source / "Work")


def _lock(folder: Path) -> bool:
    """Make `folder` refuse new files: read-only, or immutable where root ignores modes."""
    folder.chmod(0o555)
    probe = folder / "probe"
    try:
        probe.touch()
    except PermissionError:
        return True
    probe.unlink()
    chattr = shutil.which("chattr")
    return bool(chattr) and subprocess.run([chattr, "+i", str(folder)]).returncode == 0


def _unlock(folder: Path) -> None:
    if chattr := shutil.which("chattr"):
        subprocess.run([chattr, "-i", str(folder)], stderr=subprocess.DEVNULL)
    folder.chmod(0o755)


def test_a_folder_that_cannot_be_written_fails_alone_without_stopping_the_run(
    two_calendars,
) -> None:
    """`Work` cannot take files: its 30 new items fail (more than the 25 failures in a row
    that take a server as down) but the run goes on, Home's new item is copied, exit 1; once
    writable, the next run copies them."""
    source, dest, config, db = two_calendars
    assert _migrate(config, db)[0] == 0
    _vdir_calendar(source, "Work", [f"work-new-{i}" for i in range(30)])
    _vdir_calendar(source, "Home", ["home-new"])
    if not _lock(dest / "Work"):
        pytest.skip("no way to make a folder refuse writes here")
    try:
        code, report, _err = _migrate(config, db)
    finally:
        _unlock(dest / "Work")
    _failed_alone(report, code, "Cannot write")
    assert report["stats"]["events"]["failed"] == 30, report["stats"]["events"]
    assert "home-new.ics" in _ics(dest / "Home")
    code, report, _err = _migrate(config, db)
    assert code == 0, (code, report and report["errors"][:3])
    assert _ics(dest / "Work") == _ics(source / "Work")


def _dead_pid() -> int:
    """The pid of a process that ran and was reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_temporary_files_of_a_killed_run_are_gone_after_the_next_run(two_calendars) -> None:
    """Leftovers as a killed writer leaves them (its pid dead) and an old one of unknown
    writer are removed by the next run, even one that has nothing to copy; a live writer's
    file (this test's pid) stays, a dry run removes nothing, and the source is never touched."""
    source, dest, config, db = two_calendars
    assert _migrate(config, db)[0] == 0
    work = dest / "Work"
    dead = work / f"{temp_prefix(_dead_pid())}abc123"
    dead.write_bytes(sample_event("half-written")[:40])
    old = work / ".tmp-k3xq9z_1"
    old.write_bytes(b"BEGIN:VCALENDAR")
    stamp = time.time() - STALE_SECONDS - 60
    os.utime(old, (stamp, stamp))
    live = work / f"{temp_prefix(os.getpid())}live42"
    live.write_bytes(b"BEGIN:VCALENDAR")
    in_source = source / "Work" / f"{temp_prefix(_dead_pid())}src"
    in_source.write_bytes(b"BEGIN:VCALENDAR")

    code, report, err = _migrate(config, db, "--dry-run")
    assert code == 0, (code, err[-2000:])
    assert dead.exists() and old.exists(), "a dry run writes nothing, not even a removal"
    code, report, err = _migrate(config, db)
    assert code == 0, (code, report and report["errors"][:3])
    assert report["stats"]["events"]["created"] == 0, "nothing to copy: tidied all the same"
    assert not dead.exists() and not old.exists()
    assert live.exists() and in_source.exists()
    assert _ics(work) == _ics(source / "Work")
