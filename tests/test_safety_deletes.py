"""Mirror deletes only on a complete listing, and a large deletion only when confirmed.

A listing a server answered only in part (entries with an error status, a 507, a body cut off
or broken) is incomplete: the run adds and updates, deletes nothing, says so per collection
and exits 1. A complete listing that drops more than `max_delete_share` of the items the job
created in a collection is refused the same way unless `--force-delete` / `force_delete`.

Two layers here, both real: the DAV listing against small hostile servers on loopback, and
the engine on the memory twin, a vdir folder and a .ics file; `davtui migrate` end to end is
in test_safety_deletes_cli.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from davtui.engine.dav.discovery import Discovery
from davtui.engine.dav.storage import DavStorage
from davtui.engine.storages.contract import CALENDAR, AccountSpec, Changes, Collection, ReadOnly
from davtui.engine.storages.file import FileStorage
from davtui.engine.storages.memory import MemoryStorage
from davtui.engine.storages.vdir import VdirStorage
from davtui.engine.sync.memory_states import MemoryStates
from davtui.engine.sync.migration import Migration, Options
from davtui.engine.sync.plan import DeleteGuard, plan_collection
from davtui.engine.sync.records import ItemRecord
from tests.contract import sample_event
from tests.hostile import Answer, hostile, multistatus

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


def mirror(source, dest, states: MemoryStates, **options):
    options = {"mode": "mirror", "what": "calendars", **options}
    return Migration(ReadOnly(source), dest, states, Options(**options)).run()


def held(dest: MemoryStorage) -> int:
    [cal] = dest.collections()
    return len(list(dest.list(cal)))


def test_withheld_entries_delete_nothing_and_fail_the_run(states: MemoryStates) -> None:
    source, dest = MemoryStorage(), MemoryStorage()
    cal = calendar(source)
    assert mirror(source, dest, states).exit_code == 0 and held(dest) == 10
    source.update(cal, "ev-0.ics", sample_event("ev-0", "Changed"), None)  # a new version
    source.withhold(cal, [f"ev-{i}.ics" for i in range(1, 10)])
    result = mirror(source, dest, states)
    assert (result.status, result.exit_code, result.stats.deleted) == (
        "completed_with_errors", 1, 0,
    )  # fmt: skip
    assert held(dest) == 10 and result.stats.events.updated == 1  # updates still go
    [error] = result.errors
    assert error["collection"] == "Work" and "9 of 10 entries answered 500" in error["reason"]
    assert "9 destination item(s) it did not list were kept" in error["reason"]
    assert error["reason"] in result.error  # what `job show` and the TUI print
    # the pair is listed whole next time: a legit drop of one is then deleted
    source.withhold(cal, [])
    source.delete(cal, "ev-0.ics", None)
    again = mirror(source, dest, states)
    assert (again.exit_code, again.stats.deleted, held(dest)) == (0, 1, 9)


def test_an_incomplete_listing_still_adds_and_updates(states: MemoryStates) -> None:
    source, dest = MemoryStorage(), MemoryStorage()
    cal = calendar(source, 5)
    mirror(source, dest, states)
    source.create(cal, "new.ics", sample_event("new", "New"))
    source.withhold(cal, ["ev-1.ics"], status=403)
    result = mirror(source, dest, states, mode="copy")
    assert result.stats.events.created == 1 and result.exit_code == 1
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
def test_the_share_guard(states: MemoryStates, dropped: int, options: dict, deleted: int) -> None:
    source, dest = MemoryStorage(), MemoryStorage()
    cal = calendar(source)
    mirror(source, dest, states)
    for i in range(dropped):
        source.delete(cal, f"ev-{i}.ics", None)
    result = mirror(source, dest, states, **options)
    assert result.stats.deleted == deleted and held(dest) == 10 - deleted
    assert result.exit_code == (0 if deleted else 1)
    if not deleted:
        [error] = result.errors
        share = f"{dropped * 10} % > 20 %"
        assert f"would delete {dropped} of the 10 item(s) this job created there" in error["reason"]
        assert share in error["reason"] and "--force-delete" in error["reason"]
        assert ("source collection is empty" in error["reason"]) == (dropped == 10)


def test_incomplete_changes_never_delete(states: MemoryStates) -> None:
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
    states: MemoryStates, tmp_path: Path
) -> None:
    source, dest = MemoryStorage(), VdirStorage(tmp_path / "backup")
    cal = calendar(source)
    mirror(source, dest, states)
    folder = tmp_path / "backup" / "Work"
    assert len(list(folder.glob("*.ics"))) == 10
    source.create(cal, "new.ics", sample_event("new", "New"))
    source.withhold(cal, [f"ev-{i}.ics" for i in range(7)], status=507)
    assert mirror(source, dest, states).exit_code == 1
    assert len(list(folder.glob("*.ics"))) == 11  # the new one added, none deleted


# -- davtui migrate end to end: Radicale behind the fault proxy -> Xandikos or a vdir ------
