"""The engine on the in-memory storage twin: plan -> act -> verify, re-runs, conflicts, mirror,
dry run, duplicates, stop and resume. Item state in memory (`MemoryStates`): no database; the
SQLite state and the DAV servers have their own tests."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence

import pytest

from davtui.engine.events import Event, ItemDone
from davtui.engine.run_stats import ItemCounts
from davtui.engine.storages.contract import ADDRESSBOOK, CALENDAR, Collection, ReadOnly
from davtui.engine.storages.memory import MemoryStorage
from davtui.engine.sync.gate import Gate
from davtui.engine.sync.mapping import Choice
from davtui.engine.sync.migration import Migration, Options
from tests.contract import sample_event, sample_task, sample_vcard


class Counting(MemoryStorage):
    """A memory storage that counts what the engine asks of it (a real storage, not a mock)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter[str] = Counter()

    def list(self, collection: Collection):
        self.calls["list"] += 1
        return super().list(collection)

    def fetch(self, collection: Collection, hrefs: Sequence[str]):
        self.calls["fetch"] += len(hrefs)
        return super().fetch(collection, hrefs)

    def create(self, collection, href, data):
        self.calls["create"] += 1
        return super().create(collection, href, data)

    def update(self, collection, href, data, etag):
        self.calls["update"] += 1
        return super().update(collection, href, data, etag)

    def delete(self, collection, href, etag):
        self.calls["delete"] += 1
        return super().delete(collection, href, etag)


def journal(uid: str) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VJOURNAL\r\n"
        f"UID:{uid}\r\nDTSTAMP:20240101T000000Z\r\nSUMMARY:Notes {uid}\r\n"
        "END:VJOURNAL\r\nEND:VCALENDAR\r\n"
    ).encode()


def collection(
    storage: MemoryStorage, name: str, kind: str = CALENDAR, components=()
) -> Collection:
    template = Collection(href="", kind=kind, name=name, components=tuple(components))
    return storage.create_collection(template, name).collection


def put(storage: MemoryStorage, coll: Collection, uid: str, data: bytes) -> str:
    href = storage.href_for(coll, uid)
    storage.create(coll, href, data)
    return href


def filled(events: int = 30, tasks: int = 5, cards: int = 10) -> Counting:
    """A source with one calendar (events, tasks) and one address book."""
    storage = Counting()
    cal = collection(storage, "Calendar", components=("VEVENT", "VTODO", "VJOURNAL"))
    book = collection(storage, "Contacts", ADDRESSBOOK)
    for i in range(events):
        put(storage, cal, f"ev-{i}", sample_event(f"ev-{i}", f"Event {i}"))
    for i in range(tasks):
        put(storage, cal, f"task-{i}", sample_task(f"task-{i}"))
    for i in range(cards):
        put(storage, book, f"card-{i}", sample_vcard(f"card-{i}", f"Jane Doe{i}"))
    storage.calls.clear()
    return storage


@pytest.fixture
def source() -> Counting:
    return filled()


def migrate(source, destination, states, events=None, gate=None, **options):
    listener = events.append if events is not None else (lambda _e: None)
    return Migration(
        ReadOnly(source), destination, states, Options(**options), listener, gate
    ).run()


def test_first_copy_then_nothing_to_do(source, states) -> None:
    dest = Counting()
    first = migrate(source, dest, states)
    assert first.status == "completed", first
    assert first.stats.events.created == 30
    assert first.stats.tasks.created == 5
    assert first.stats.contacts.created == 10
    assert first.stats.calendars.created == 1 and first.stats.addressbooks.created == 1
    assert first.verification["ok"] and first.verification["checked"] == 45
    source.calls.clear()
    dest.calls.clear()
    second = migrate(source, dest, states)
    assert second.status == "completed" and second.exit_code == 0
    assert second.stats.events.unchanged == 30
    assert source.calls == Counter() and dest.calls == Counter(), "no listing, GET or write"


def test_one_change_is_one_update(source, states) -> None:
    dest = Counting()
    migrate(source, dest, states)
    cal = next(c for c in source.collections() if c.kind == CALENDAR)
    href = source.href_for(cal, "ev-3")
    etag = next(r.etag for r in source.list(cal) if r.href == href)
    source.update(cal, href, sample_event("ev-3", "Moved"), etag)
    source.calls.clear()
    dest.calls.clear()
    result = migrate(source, dest, states)
    assert result.stats.events.updated == 1
    # only the changed calendar is listed (its ctag moved); the address book is skipped, and
    # so is the destination's listing (unchanged since the last run: its records stand in);
    # the write, and verification reads back just the written item
    assert dest.calls == Counter(update=1, fetch=1)
    assert source.calls == Counter(list=1, fetch=1)


def test_dry_run_writes_nothing(source, states) -> None:
    dest = Counting()
    result = migrate(source, dest, states, dry_run=True)
    assert result.dry_run and result.stats.events.created == 30
    assert dest.collections() == [] and dest.calls["create"] == 0
    assert result.plan["Calendar"]["create_collection"] is True


def test_conflict_is_skipped_then_source_wins(source, states) -> None:
    dest = Counting()
    migrate(source, dest, states)
    cal = next(c for c in source.collections() if c.kind == CALENDAR)
    dcal = next(c for c in dest.collections() if c.kind == CALENDAR)
    href = source.href_for(cal, "ev-1")
    etag = next(r.etag for r in source.list(cal) if r.href == href)
    source.update(cal, href, sample_event("ev-1", "Source edit"), etag)
    dhref = dest.href_for(dcal, "ev-1")
    detag = next(r.etag for r in dest.list(dcal) if r.href == dhref)
    dest.update(dcal, dhref, sample_event("ev-1", "Destination edit"), detag)
    events: list[Event] = []
    skipped = migrate(source, dest, states, events)
    assert skipped.stats.events.skipped == 1 and skipped.stats.conflicts == 1
    assert any(isinstance(e, ItemDone) and e.outcome == "conflict" for e in events)
    assert b"Destination edit" in next(dest.fetch(dcal, [dhref])).data
    source.calls.clear()
    again = migrate(source, dest, states)
    assert again.stats.conflicts == 1 and source.calls["fetch"] == 0, "no re-read"
    wins = migrate(source, dest, states, conflict="source-wins")
    assert wins.stats.events.updated == 1
    assert b"Source edit" in next(dest.fetch(dcal, [dhref])).data


def test_mirror_deletes_only_what_the_job_created(source, states) -> None:
    dest = Counting()
    migrate(source, dest, states, mode="mirror")
    cal = next(c for c in source.collections() if c.kind == CALENDAR)
    dcal = next(c for c in dest.collections() if c.kind == CALENDAR)
    put(dest, dcal, "foreign", sample_event("foreign", "Not ours"))
    href = source.href_for(cal, "ev-0")
    source.delete(cal, href, None)
    result = migrate(source, dest, states, mode="mirror")
    assert result.stats.deleted == 1
    hrefs = {r.href for r in dest.list(dcal)}
    assert dest.href_for(dcal, "ev-0") not in hrefs
    assert dest.href_for(dcal, "foreign") in hrefs


def test_mirror_refuses_to_empty_a_collection(source, states) -> None:
    dest = Counting()
    migrate(source, dest, states, mode="mirror", what="contacts")
    book = next(c for c in source.collections() if c.kind == ADDRESSBOOK)
    for ref in list(source.list(book)):
        source.delete(book, ref.href, None)
    result = migrate(source, dest, states, mode="mirror", what="contacts")
    assert result.stats.deleted == 0
    assert len(list(dest.list(next(iter(dest.collections()))))) == 10


def test_duplicate_uids_and_refused_components(states) -> None:
    src = Counting()
    cal = collection(src, "Calendar")
    src.create(cal, "a.ics", sample_event("same", "First"))
    src.create(cal, "b.ics", sample_event("same", "Second"))
    src.create(cal, "j.ics", journal("j1"))
    dest = Counting()
    target = collection(dest, "Calendar", components=("VEVENT", "VTODO"))
    result = migrate(src, dest, states)
    assert result.stats.events == ItemCounts(created=1, skipped=1)
    assert result.stats.journals.skipped == 1
    assert len(list(dest.list(target))) == 1
    events: list[Event] = []
    migrate(src, dest, states, events)
    reasons = [e.reason for e in events if isinstance(e, ItemDone)]
    assert any("does not accept VJOURNAL" in r for r in reasons)


def test_stop_half_way_then_resume_copies_each_item_once(source, states) -> None:
    dest = Counting()
    gate = Gate()
    seen = 0

    def listener(event: Event) -> None:
        nonlocal seen
        if isinstance(event, ItemDone):
            seen += 1
            if seen == 12:
                gate.stop()

    stopped = Migration(ReadOnly(source), dest, states, Options(writers=2), listener, gate).run()
    assert stopped.status == "cancelled" and stopped.exit_code == 5
    resumed = migrate(source, dest, states)
    assert resumed.status == "completed", resumed.errors
    assert dest.calls["create"] == 45, "every item created exactly once"


def test_selection_and_rename(source, states) -> None:
    dest = Counting()
    result = migrate(
        source, dest, states, choices=(Choice("Calendar", "personal"),), what="calendars"
    )
    assert [c.name for c in dest.collections()] == ["personal"]
    assert result.stats.contacts.created == 0


def test_pause_blocks_between_items(source, states) -> None:
    dest = Counting()
    gate = Gate()
    gate.pause()
    done = threading.Event()
    thread = threading.Thread(target=lambda: (migrate(source, dest, states, gate=gate), done.set()))
    thread.start()
    assert not done.wait(0.5) and dest.calls["create"] == 0
    gate.resume()
    assert done.wait(30)
    thread.join()
    assert dest.calls["create"] == 45


def test_pause_is_announced_only_when_no_item_is_in_hand() -> None:
    """A job shown as paused copies nothing more: the writes already under way finish first."""
    told: list[str] = []
    gate = Gate(on_change=told.append)
    holding, release = threading.Event(), threading.Event()

    def writer() -> None:
        with gate.working():
            holding.set()
            release.wait(5)

    thread = threading.Thread(target=writer)
    thread.start()
    assert holding.wait(5)
    gate.pause()
    assert gate.paused and told == [], "an item is still in hand"
    release.set()
    thread.join(5)
    assert told == ["paused"]
    entered = threading.Event()

    def late_writer() -> None:
        with gate.working():
            entered.set()

    late = threading.Thread(target=late_writer)
    late.start()
    assert not entered.wait(0.3), "no new item is taken while paused"
    gate.resume()
    assert entered.wait(5) and told == ["paused", "running"]
    late.join(5)


def test_source_cannot_be_written() -> None:
    view = ReadOnly(MemoryStorage())
    for method in ("create", "update", "delete", "create_collection"):
        assert not hasattr(view, method)
