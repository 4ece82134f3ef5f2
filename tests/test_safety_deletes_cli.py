"""`davtui migrate` in mirror mode end to end: a real Radicale source behind the fault proxy
(which rewrites its listings) and a real Xandikos or a vdir folder as the destination. A
partial listing deletes nothing (exit 1, said per collection), a legit drop is deleted, a
large one only with --force-delete; bad guard settings are one sentence.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import dav
from tests.contract import sample_event
from tests.proxy import Fault, Proxy
from tests.servers import Server

WRITES = ("PUT", "DELETE", "MKCOL", "MKCALENDAR", "PROPPATCH", "MOVE", "COPY")
RESPONSE = re.compile(rb"<response>.*?</response>", re.S)
WORK_PATH = "/alice/work/"


def no_versions(body: bytes) -> bytes:
    """The home's listing without sync tokens and ctags: the calendar looks changed on
    every run, so every run lists it (and the rewritten listing is what the run reads)."""
    return re.sub(rb"<(sync-token|CS:getctag)>[^<]*</\1>", b"", body)


def failing_entries(count: int, status: int = 500) -> Callable[[bytes], bytes]:
    """The calendar's listing with `count` item entries answered `status`."""

    def mangle(body: bytes) -> bytes:
        items = [b for b in RESPONSE.findall(body) if b"<href>/alice/work/</href>" not in b]
        for block in items[:count]:
            href = re.search(rb"<href>[^<]*</href>", block).group(0)
            status_line = f"<status>HTTP/1.1 {status} Internal Server Error</status>".encode()
            body = body.replace(block, b"<response>" + href + status_line + b"</response>")
        return body

    return mangle


def truncated(keep: int) -> Callable[[bytes], bytes]:
    """The listing cut after `keep` items, the collection answered 507 (RFC 4918, the way
    sabre/dav and others say a Depth 1 answer was truncated)."""

    def mangle(body: bytes) -> bytes:
        blocks = RESPONSE.findall(body)
        items = [b for b in blocks if b"<href>/alice/work/</href>" not in b]
        own = b"<response><href>/alice/work/</href><status>HTTP/1.1 507 Insufficient Storage"
        own += b"</status></response>"
        head = body[: body.index(blocks[0])]
        return head + own + b"".join(items[:keep]) + b"</multistatus>"

    return mangle


class SourceFaults:
    """The proxy's hook: no versions on the home's listing, and `listing` (a rewrite of the
    calendar's listing) when set."""

    def __init__(self) -> None:
        self.listing: Callable[[bytes], bytes] | None = None

    def __call__(self, method: str, path: str, _attempt: int, _body: bytes) -> Fault | None:
        if method != "PROPFIND":
            return None
        if path == "/alice/":
            return Fault(mangle=no_versions, identity=True)
        if path == WORK_PATH and self.listing is not None:
            return Fault(mangle=self.listing, identity=True)
        return None


@dataclass
class Destination:
    lines: list[str]  # its [destination] section
    count: Callable[[], int]  # the items it holds in the copy of Work


@pytest.fixture(params=["xandikos", "vdir"])
def destination(request: pytest.FixtureRequest, tmp_path: Path) -> Destination:
    if request.param == "vdir":
        folder = tmp_path / "backup"
        return Destination(
            [f'url = "{folder}"', 'kind = "vdir"'],
            lambda: len(list((folder / "Work").glob("*.ics"))),
        )
    server: Server = request.getfixturevalue("fresh_xandikos")
    return Destination(
        [f'url = "{server.url}"', 'username = "alice"', 'password_env = "DST_PASS"'],
        lambda: len(dav.listing(f"{server.url}alice/calendars/work/")),
    )


@pytest.fixture
def source(fresh_radicale: Server) -> Iterator[tuple[Server, Proxy, SourceFaults]]:
    cal = dav.make_collection(fresh_radicale.url, "alice/work/", "Work")
    for i in range(10):
        assert dav.put(f"{cal}item-{i}.ics", sample_event(f"item-{i}", f"Item {i}")) == 201
    faults = SourceFaults()
    with Proxy(fresh_radicale.url, faults) as proxy:
        yield fresh_radicale, proxy, faults


def write_config(path: Path, source_url: str, destination: Destination, **job: object) -> Path:
    lines = ["[source]", f'url = "{source_url}"', 'username = "alice"',
             'password_env = "SRC_PASS"', "[destination]", *destination.lines,
             "[job]", 'name = "mirror"', 'mode = "mirror"', 'what = "calendars"']  # fmt: skip
    lines += [f"{k} = {json.dumps(v)}" for k, v in job.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def davtui(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SRC_PASS": "alicepw", "DST_PASS": "alicepw"}
    return subprocess.run(
        [sys.executable, "-m", "davtui", "--db", str(home / "m.db"), *args],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip


def migrate(home: Path, config: Path, *extra: str) -> tuple[int, dict]:
    done = davtui(home, "migrate", str(config), "--json", *extra)
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return done.returncode, json.loads(done.stdout)


def remove_source_items(server: Server, numbers: range) -> None:
    for i in numbers:
        assert dav.request(f"{server.url}alice/work/item-{i}.ics", "DELETE")[0] in (200, 204)


def test_partial_listings_delete_nothing_then_a_legit_drop_is_deleted(
    source, destination: Destination, home: Path, tmp_path: Path
) -> None:
    server, proxy, faults = source
    config = write_config(tmp_path / "m.toml", proxy.url, destination)
    code, report = migrate(home, config)
    assert code == 0, report
    assert report["stats"]["events"]["created"] == 10 and destination.count() == 10

    faults.listing = failing_entries(9)  # 9 of the 10 entries answer 500
    code, report = migrate(home, config)
    assert (code, report["status"], report["stats"]["deleted"]) == (
        1, "completed_with_errors", 0,
    )  # fmt: skip
    assert destination.count() == 10
    [error] = report["errors"]
    assert error["collection"] == "Work"
    assert "listing is incomplete (9 of 10 entries answered 500)" in error["reason"]
    assert "9 destination item(s)" in error["reason"]
    shown = davtui(home, "job", "show", "mirror")
    assert shown.returncode == 0 and "Nothing deleted in 'Work'" in shown.stdout, shown.stdout
    assert "completed_with_errors" in shown.stdout

    faults.listing = truncated(keep=3)  # a 507 and 7 of 10 items left out
    code, report = migrate(home, config)
    assert (code, report["stats"]["deleted"]) == (1, 0) and destination.count() == 10
    assert "answered 507" in report["errors"][0]["reason"]

    faults.listing = None
    remove_source_items(server, range(1))  # 1 of 10: 10 % is within the share
    code, report = migrate(home, config)
    assert (code, report["status"], report["stats"]["deleted"]) == (0, "completed", 1), report
    assert destination.count() == 9
    assert not any(proxy.counts[m] for m in WRITES), proxy.counts


def test_a_large_drop_is_refused_until_forced(
    source, destination: Destination, home: Path, tmp_path: Path
) -> None:
    server, proxy, _faults = source
    config = write_config(tmp_path / "m.toml", proxy.url, destination)
    assert migrate(home, config)[0] == 0 and destination.count() == 10
    remove_source_items(server, range(5))
    code, report = migrate(home, config)
    assert (code, report["stats"]["deleted"]) == (1, 0) and destination.count() == 10
    [error] = report["errors"]
    assert (
        "would delete 5 of the 10 item(s) this job created there (50 % > 20 %)" in (error["reason"])
    )
    assert "--force-delete" in error["reason"] and report["error"] == error["reason"]
    code, report = migrate(home, config, "--force-delete")
    assert (code, report["status"], report["stats"]["deleted"]) == (0, "completed", 5), report
    assert destination.count() == 5


# -- configuration and schema ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "sentence"),
    [
        ("max_delete_share = 2", "[job] max_delete_share must be a number from 0 to 1, not 2."),
        ('max_delete_share = "a"', "max_delete_share must be a number from 0 to 1, not 'a'."),
        ('force_delete = "no"', "[job] force_delete must be true or false, not 'no'."),
    ],
)
def test_bad_guard_settings_are_one_sentence_and_exit_2(
    home: Path, tmp_path: Path, line: str, sentence: str
) -> None:
    config = tmp_path / "m.toml"
    config.write_text(
        f'[source]\nurl = "{tmp_path / "a"}"\n[destination]\nurl = "{tmp_path / "b"}"\n'
        f"[job]\n{line}\n"
    )
    done = davtui(home, "migrate", str(config))
    assert done.returncode == 2 and sentence in done.stderr and "Traceback" not in done.stderr


def test_a_version_2_database_gains_the_guard_columns(home: Path) -> None:
    """Jobs stored before the guard existed get the default share and no force."""
    from peewee import SqliteDatabase
    from playhouse.migrate import SqliteMigrator
    from playhouse.migrate import migrate as apply

    from davtui.store import close_database, open_database
    from davtui.store.db import MIGRATIONS, schema_version
    from davtui.store.models import Account, Job

    path = home / "old.db"
    open_database(str(path))
    account = Account.create(name="a", url="https://dav.example.org/")
    Job.create(name="j", source=account, destination=account, mode="mirror")
    close_database()
    old = SqliteDatabase(str(path), pragmas={"foreign_keys": 0})
    migrator = SqliteMigrator(old)
    apply(migrator.drop_column("job", "max_delete_share"),
          migrator.drop_column("job", "force_delete"))  # fmt: skip
    old.execute_sql("PRAGMA user_version = 2")
    old.close()
    db = open_database(str(path))
    try:
        assert schema_version(db) == len(MIGRATIONS) >= 3
        job = Job.get()
        assert (job.mode, job.max_delete_share, job.force_delete) == ("mirror", 0.2, False)
    finally:
        close_database()
