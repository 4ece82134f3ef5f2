"""Mirror deletes only on a complete listing, and a large deletion only when confirmed.

A listing a server answered only in part (entries with an error status, a 507, a body cut off
or broken) is incomplete: the run adds and updates, deletes nothing, says so per collection
and exits 1. A complete listing that drops more than `max_delete_share` of the items the job
created in a collection is refused the same way unless `--force-delete` / `force_delete`.

Three layers, all real: the DAV listing against small hostile servers on loopback; the
engine on the memory twin, a vdir folder and a .ics file; and `davtui migrate` end to end
with a real Radicale source behind the fault proxy (which rewrites its listings) and a real
Xandikos or a vdir folder as the destination.
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

from davtui.engine.dav.discovery import Discovery
from davtui.engine.dav.storage import DavStorage
from davtui.engine.jobs.state import JobState
from davtui.engine.storages.contract import CALENDAR, AccountSpec, Changes, Collection, ReadOnly
from davtui.engine.storages.file import FileStorage
from davtui.engine.storages.memory import MemoryStorage
from davtui.engine.storages.vdir import VdirStorage
from davtui.engine.sync.migration import Migration, Options
from davtui.engine.sync.plan import DeleteGuard, plan_collection
from davtui.engine.sync.records import ItemRecord
from tests import dav
from tests.contract import sample_event
from tests.hostile import Answer, hostile, multistatus
from tests.proxy import Fault, Proxy
from tests.servers import Server

WRITES = ("PUT", "DELETE", "MKCOL", "MKCALENDAR", "PROPPATCH", "MOVE", "COPY")

# -- the DAV listing against hostile servers -------------------------------------------------


def item(href: str, status: int = 200, etag: str = '"e"') -> str:
    """One `<d:response>` of a Depth 1 listing: a propstat, or a bare status."""
    if status != 200:
        line = f"<d:status>HTTP/1.1 {status} X</d:status>"
        return f"<d:response><d:href>{href}</d:href>{line}</d:response>"
    return (
        f"<d:response><d:href>{href}</d:href><d:propstat><d:prop><d:resourcetype/>"
        f"<d:getetag>{etag}</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status>"
        "</d:propstat></d:response>"
    )


OWN = (
    "<d:response><d:href>/cal/work/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/>"
    "</d:resourcetype></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"
)
WORK = Collection(href="/cal/work/", kind=CALENDAR, name="Work")


def storage_at(url: str) -> DavStorage:
    """A DAV storage on a hostile server, its discovery given (no request until a listing)."""
    found = Discovery(base_url=url + "/", principal=url + "/p/", calendar_home=url + "/cal/",
                      addressbook_home=None)  # fmt: skip
    return DavStorage(AccountSpec(url=url + "/", username="alice", password="pw"), discovery=found)


def listing_of(answer: Callable[[], Answer | None]):
    with hostile(lambda seen, handler: answer()) as server:
        storage = storage_at(server.url)
        try:
            return storage.listing(WORK)
        finally:
            storage.close()


def test_entries_answered_500_make_the_listing_incomplete() -> None:
    entries = [item(f"/cal/work/{i}.ics", 500 if i else 200) for i in range(10)]
    listing = listing_of(lambda: multistatus(OWN, *entries))
    assert not listing.complete and listing.reason == "9 of 10 entries answered 500"
    assert listing.etags == {"/cal/work/0.ics": '"e"'}


def test_a_complete_listing_and_an_entry_gone_meanwhile() -> None:
    """404 on an entry: removed between the server's enumeration and its answer, not
    trouble; a listing with only 2xx entries is complete."""
    entries = [item("/cal/work/a.ics"), item("/cal/work/b.ics", 404)]
    listing = listing_of(lambda: multistatus(OWN, *entries))
    assert listing.complete and listing.reason is None
    assert listing.etags == {"/cal/work/a.ics": '"e"'}


def test_a_507_on_the_collection_or_the_whole_answer_is_a_truncated_listing() -> None:
    own_507 = item("/cal/work/", 507)
    listing = listing_of(lambda: multistatus(own_507, item("/cal/work/a.ics")))
    assert not listing.complete and "507" in listing.reason
    assert list(listing.etags) == ["/cal/work/a.ics"]  # what was listed may still be copied
    whole = listing_of(lambda: Answer(507, {"Content-Type": "application/xml"}, b""))
    assert not whole.complete and "answered 507" in whole.reason and whole.etags == {}


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(lambda: Answer(207, {"Content-Type": "application/xml"},
                                    multistatus(OWN, item("/cal/work/a.ics")).body[:-40]),
                     id="cut-off"),
        pytest.param(lambda: Answer(207, {"Content-Type": "application/xml"}, b"<d:multi &&"),
                     id="malformed"),
        pytest.param(lambda: Answer(200, {"Content-Type": "text/html"}, b"<html>hi</html>"),
                     id="not-a-multistatus"),
    ],
)  # fmt: skip
def test_a_broken_body_is_an_incomplete_listing_not_a_crash(answer) -> None:
    listing = listing_of(answer)
    assert not listing.complete and listing.reason.startswith("the answer could not be read")


def test_a_sync_report_with_failed_entries_is_incomplete_changes() -> None:
    body = multistatus(
        item("/cal/work/new.ics"), item("/cal/work/gone.ics", 404),
        item("/cal/work/what.ics", 500), "<d:sync-token>t2</d:sync-token>",
    )  # fmt: skip
    with hostile(lambda seen, handler: body) as server:
        storage = storage_at(server.url)
        changes = storage.changes(WORK, "t1")
        storage.close()
    assert changes is not None and not changes.complete
    assert changes.reason == "1 of 3 entries answered 500"
    assert changes.deleted == {"/cal/work/gone.ics"} and changes.token == "t2"


# -- the engine: plans on the memory twin, vdir folders and files ---------------------------


def calendar(storage: MemoryStorage, items: int = 10) -> Collection:
    cal = storage.create_collection(Collection("", CALENDAR, "Work"), "Work").collection
    for i in range(items):
        storage.create(cal, f"ev-{i}.ics", sample_event(f"ev-{i}", f"Event {i}"))
    return cal


def mirror(source, dest, job_id: int, **options):
    options = {"mode": "mirror", "what": "calendars", **options}
    return Migration(ReadOnly(source), dest, JobState(job_id), Options(**options)).run()


def held(dest: MemoryStorage) -> int:
    [cal] = dest.collections()
    return len(list(dest.list(cal)))


def test_withheld_entries_delete_nothing_and_fail_the_run(job_id: int) -> None:
    source, dest = MemoryStorage(), MemoryStorage()
    cal = calendar(source)
    assert mirror(source, dest, job_id).exit_code == 0 and held(dest) == 10
    source.update(cal, "ev-0.ics", sample_event("ev-0", "Changed"), None)  # a new version
    source.withhold(cal, [f"ev-{i}.ics" for i in range(1, 10)])
    result = mirror(source, dest, job_id)
    assert (result.status, result.exit_code, result.stats["deleted"]) == (
        "completed_with_errors", 1, 0,
    )  # fmt: skip
    assert held(dest) == 10 and result.stats["events"]["updated"] == 1  # updates still go
    [error] = result.errors
    assert error["collection"] == "Work" and "9 of 10 entries answered 500" in error["reason"]
    assert "9 destination item(s) it did not list were kept" in error["reason"]
    assert error["reason"] in result.error  # what `job show` and the TUI print
    # the pair is listed whole next time: a legit drop of one is then deleted
    source.withhold(cal, [])
    source.delete(cal, "ev-0.ics", None)
    again = mirror(source, dest, job_id)
    assert (again.exit_code, again.stats["deleted"], held(dest)) == (0, 1, 9)


def test_an_incomplete_listing_still_adds_and_updates(job_id: int) -> None:
    source, dest = MemoryStorage(), MemoryStorage()
    cal = calendar(source, 5)
    mirror(source, dest, job_id)
    source.create(cal, "new.ics", sample_event("new", "New"))
    source.withhold(cal, ["ev-1.ics"], status=403)
    result = mirror(source, dest, job_id, mode="copy")
    assert result.stats["events"]["created"] == 1 and result.exit_code == 1
    assert "1 of 6 entries answered 403" in result.errors[0]["reason"]


@pytest.mark.parametrize(
    ("dropped", "options", "deleted"),
    [
        (2, {}, 2),  # 20 %: within the share
        (3, {}, 0),  # 30 % > 20 %: refused
        (3, {"force_delete": True}, 3),
        (3, {"max_delete_share": 0.5}, 3),
        (10, {}, 0),  # the source emptied: the 100 % case
        (10, {"force_delete": True}, 10),
    ],
)
def test_the_share_guard(job_id: int, dropped: int, options: dict, deleted: int) -> None:
    source, dest = MemoryStorage(), MemoryStorage()
    cal = calendar(source)
    mirror(source, dest, job_id)
    for i in range(dropped):
        source.delete(cal, f"ev-{i}.ics", None)
    result = mirror(source, dest, job_id, **options)
    assert result.stats["deleted"] == deleted and held(dest) == 10 - deleted
    assert result.exit_code == (0 if deleted else 1)
    if not deleted:
        [error] = result.errors
        share = f"{dropped * 10} % > 20 %"
        assert f"would delete {dropped} of the 10 item(s) this job created there" in error["reason"]
        assert share in error["reason"] and "--force-delete" in error["reason"]
        assert ("source collection is empty" in error["reason"]) == (dropped == 10)


def test_incomplete_changes_never_delete(job_id: int) -> None:
    """A sync report with failed entries: the removals it names are not trusted either."""
    from davtui.engine.sync.mapping import Pair

    work = Collection("/w/", CALENDAR, "Work")
    records = [
        ItemRecord("/w/", f"/w/{i}", "created", f'"{i}"', dest_href=f"d{i}", dest_etag="x",
                   created_by_job=True)
        for i in range(10)
    ]  # fmt: skip
    changes = Changes("t2", {}, frozenset({"/w/0"}), complete=False, reason="1 of 2 entries")
    pair = Pair(work, work)
    plan = plan_collection(pair, None, None, [records], changes=changes, mirror=True,
                           incomplete=changes.reason, guard=DeleteGuard())  # fmt: skip
    assert plan.deletes == [] and "incomplete (1 of 2 entries)" in plan.deletes_refused
    complete = Changes("t2", {}, frozenset({"/w/0"}))
    plan = plan_collection(pair, None, None, [records], changes=complete, mirror=True)
    assert [r.source_href for r in plan.deletes] == ["/w/0"] and plan.problem is None


def test_a_vdir_file_that_cannot_be_looked_at_makes_its_listing_incomplete(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "cals" / "work"
    folder.mkdir(parents=True)
    (folder / "a.ics").write_bytes(sample_event("a"))
    (folder / "b.ics").symlink_to(tmp_path / "elsewhere.ics")  # dangling
    storage = VdirStorage(tmp_path / "cals")
    [work] = storage.collections()
    listing = storage.listing(work)
    assert not listing.complete and listing.reason == "1 of 2 files could not be read"
    assert list(listing.etags) == ["a.ics"]
    (folder / "b.ics").unlink()
    assert storage.listing(work).complete


def test_a_damaged_part_of_a_file_makes_its_listing_incomplete(tmp_path: Path) -> None:
    broken = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:bad\r\nDTSTART:20240101T100000Z\r\n"
    path = tmp_path / "agenda.ics"
    path.write_bytes(sample_event("good") + broken + b"END:VCALENDAR\r\n")
    storage = FileStorage(path)
    [collection] = storage.collections()
    listing = storage.listing(collection)
    assert not listing.complete
    assert listing.reason == "1 of 2 parts of agenda.ics could not be read"


def test_a_vdir_destination_keeps_its_files_on_a_partial_listing(
    job_id: int, tmp_path: Path
) -> None:
    source, dest = MemoryStorage(), VdirStorage(tmp_path / "backup")
    cal = calendar(source)
    mirror(source, dest, job_id)
    folder = tmp_path / "backup" / "Work"
    assert len(list(folder.glob("*.ics"))) == 10
    source.create(cal, "new.ics", sample_event("new", "New"))
    source.withhold(cal, [f"ev-{i}.ics" for i in range(7)], status=507)
    assert mirror(source, dest, job_id).exit_code == 1
    assert len(list(folder.glob("*.ics"))) == 11  # the new one added, none deleted


# -- davtui migrate end to end: Radicale behind the fault proxy -> Xandikos or a vdir ------

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
