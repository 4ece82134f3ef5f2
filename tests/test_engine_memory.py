"""The sync layer with no database at all: whole Migrations whose item state lives in
`MemoryStates`, on MemoryStorage -> MemoryStorage and MemoryStorage -> a real Radicale. No
SQLite file is opened (the `home` fixture points DAVTUI_DB at a path that must stay absent).
tests/test_engine.py runs the engine's behaviour (copy, re-run, update, conflicts, mirror,
stop and resume) on `MemoryStates` too; this file adds what only a database-free run shows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from davtui.engine.dav.storage import DavStorage
from davtui.engine.events import Event, ItemDone
from davtui.engine.storages.contract import ADDRESSBOOK, AccountSpec, ReadOnly
from davtui.engine.storages.memory import MemoryStorage
from davtui.engine.sync.memory_states import MemoryStates
from davtui.engine.sync.migration import Migration, Options
from davtui.engine.sync.records import ItemStates
from tests.contract import sample_event, sample_vcard
from tests.servers import Server
from tests.test_engine import Counting, collection, put


@pytest.fixture
def no_db(home: Path) -> Iterator[Path]:
    """Where a database would be: the test asserts at its end that nothing was created."""
    path = home / "davtui.db"
    yield path
    assert not path.exists(), "the sync layer opened a database"


@pytest.fixture
def source() -> Counting:
    storage = Counting()
    cal = collection(storage, "Calendar", components=("VEVENT", "VTODO"))
    book = collection(storage, "Contacts", ADDRESSBOOK)
    for i in range(20):
        put(storage, cal, f"ev-{i}", sample_event(f"ev-{i}", f"Event {i}"))
    for i in range(6):
        put(storage, book, f"card-{i}", sample_vcard(f"card-{i}", f"Jane Doe{i}"))
    storage.calls.clear()
    return storage


def migrate(source, destination, states: ItemStates, events=None, gate=None, **options):
    listener = events.append if events is not None else (lambda _e: None)
    return Migration(
        ReadOnly(source), destination, states, Options(**options), listener, gate
    ).run()


def test_memory_states_is_an_item_states() -> None:
    """The Protocol is met (mypy checks this assignment too)."""
    states: ItemStates = MemoryStates()
    assert states.target_of("/nothing/") is None and states.versions("/nothing/") is None


def test_half_recorded_run_resumes_without_copying_twice(source, no_db) -> None:
    """A crash after the PUTs but before half of the records: the next run finds those items
    at the destination, unrecorded, and adopts them — no second copy, no conflict."""
    dest, full = Counting(), MemoryStates()
    migrate(source, dest, full)
    half = MemoryStates()
    for coll in source.collections():
        target = full.target_of(coll.href)
        assert target is not None
        half.set_target(coll.href, target)  # collections are mapped before any item
        for n, record in enumerate(full.items(coll.href).values()):
            if n % 2 == 0:
                half.record(record)
    dest.calls.clear()
    events: list[Event] = []
    resumed = migrate(source, dest, half, events)
    assert resumed.status == "completed", resumed.errors
    assert dest.calls["create"] == 0 and dest.calls["update"] == 0, dest.calls
    outcomes = Counter(e.outcome for e in events if isinstance(e, ItemDone))
    assert outcomes["adopted"] == 13 and outcomes["created"] == 0, outcomes
    for coll in source.collections():
        assert len(half.items(coll.href)) == len(list(source.list(coll)))


def test_memory_to_radicale_copy_rerun_and_update(fresh_radicale: Server, no_db) -> None:
    """The same without a database against a real server: PUTs, ETags, sync tokens."""
    source = MemoryStorage()
    cal = collection(source, "Calendar", components=("VEVENT",))
    for i in range(8):
        put(source, cal, f"ev-{i}", sample_event(f"ev-{i}", f"Event {i}"))
    spec = AccountSpec(url=fresh_radicale.url, username="alice", password="alicepw")
    states, dest = MemoryStates(), DavStorage(spec)
    try:
        first = migrate(source, dest, states, what="calendars")
        assert first.status == "completed", first.errors
        assert first.stats.events.created == 8 and first.verification["ok"]
        again = migrate(source, dest, states, what="calendars")
        assert again.stats.events.unchanged == 8 and again.exit_code == 0
        href = source.href_for(cal, "ev-5")
        etag = next(r.etag for r in source.list(cal) if r.href == href)
        source.update(cal, href, sample_event("ev-5", "Moved"), etag)
        third = migrate(source, dest, states, what="calendars")
        assert third.stats.events.updated == 1 and third.stats.events.unchanged == 7
        target = next(c for c in dest.collections() if c.name == "Calendar")
        hrefs = [r.href for r in dest.list(target)]
        assert len(hrefs) == 8
        assert sum(b"SUMMARY:Moved" in (f.data or b"") for f in dest.fetch(target, hrefs)) == 1
    finally:
        dest.close()
