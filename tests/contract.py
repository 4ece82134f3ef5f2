"""The storage contract: one suite every WritableStorage passes (memory, vdir, CalDAV/CardDAV).

Subclass `StorageContract` in a `test_*.py` file and provide two fixtures:

- `storage`: a fresh, empty `WritableStorage`;
- `make_collection(kind)`: a factory returning a new empty `Collection` of `kind` on that
  storage, made with `create_collection` (a default built on `storage` is provided here).

Sample items come from the small builders below, not from the corpus, so every backend gets
the same well-formed input. UIDs are random, so a server shared by several tests is fine.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from davtui.engine.errors import DavError, NotFound, PreconditionFailed
from davtui.engine.items.compare import content_hash
from davtui.engine.storages.contract import ADDRESSBOOK, CALENDAR, Collection, WritableStorage

MakeCollection = Callable[[str], Collection]


def new_uid(prefix: str = "contract") -> str:
    return f"{prefix}-{uuid.uuid4()}"


def sample_event(uid: str, summary: str = "Réunion ☕ contract") -> bytes:
    """A plain timed VEVENT with a non-ASCII summary, CRLF line endings."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//davtui//contract//EN",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20240101T000000Z",
        "DTSTART:20240102T100000Z",
        "DTEND:20240102T110000Z",
        f"SUMMARY:{summary}",
        "LOCATION:Room 1",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


def sample_task(uid: str, summary: str = "Contract task") -> bytes:
    """A VTODO with a due date and a status."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//davtui//contract//EN",
        "BEGIN:VTODO",
        f"UID:{uid}",
        "DTSTAMP:20240101T000000Z",
        "DUE:20240105T120000Z",
        "STATUS:NEEDS-ACTION",
        f"SUMMARY:{summary}",
        "END:VTODO",
        "END:VCALENDAR",
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


def sample_vcard(uid: str, name: str = "Jane Doe") -> bytes:
    """A vCard 3.0 with the properties every server keeps."""
    first, last = name.split(" ", 1)
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        f"UID:{uid}",
        f"FN:{name}",
        f"N:{last};{first};;;",
        "EMAIL;TYPE=INTERNET:jane@example.org",
        "TEL;TYPE=CELL:+33 6 12 34 56 78",
        "END:VCARD",
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


class StorageContract:
    """The behaviour the engine relies on, for any WritableStorage."""

    @pytest.fixture
    def make_collection(self, storage: WritableStorage) -> MakeCollection:
        def make(kind: str) -> Collection:
            components = ("VEVENT", "VTODO") if kind == CALENDAR else ()
            template = Collection(href="", kind=kind, name="template", components=components)
            return storage.create_collection(template, new_uid(kind)).collection

        return make

    # -- collections -------------------------------------------------------------------

    def test_create_collection_is_listed_with_its_properties(
        self, storage: WritableStorage
    ) -> None:
        name = new_uid("Work")
        template = Collection(
            href="", kind=CALENDAR, name="ignored", color="#FF8800", components=("VEVENT",)
        )
        created = storage.create_collection(template, name)
        assert created.collection.kind == CALENDAR
        found = [c for c in storage.collections([CALENDAR]) if c.href == created.collection.href]
        assert len(found) == 1
        assert found[0].name == name
        if "color" not in created.not_kept:
            assert (found[0].color or "").upper()[:7] == "#FF8800"

    def test_collections_filters_by_kind(
        self, storage: WritableStorage, make_collection: MakeCollection
    ) -> None:
        book = make_collection(ADDRESSBOOK)
        calendar = make_collection(CALENDAR)
        books = {c.href for c in storage.collections([ADDRESSBOOK])}
        calendars = {c.href for c in storage.collections([CALENDAR])}
        assert book.href in books and book.href not in calendars
        assert calendar.href in calendars and calendar.href not in books

    # -- items ---------------------------------------------------------------------------

    @pytest.mark.parametrize(
        ("kind", "build"),
        [(CALENDAR, sample_event), (CALENDAR, sample_task), (ADDRESSBOOK, sample_vcard)],
        ids=["event", "task", "vcard"],
    )
    def test_create_list_fetch_round_trip(
        self,
        storage: WritableStorage,
        make_collection: MakeCollection,
        kind: str,
        build: Callable[[str], bytes],
    ) -> None:
        collection = make_collection(kind)
        uid = new_uid()
        data = build(uid)
        ref = storage.create(collection, storage.href_for(collection, uid), data)
        listed = {r.href: r for r in storage.list(collection)}
        assert set(listed) == {ref.href}
        assert listed[ref.href].etag
        if ref.etag is not None:
            assert listed[ref.href].etag == ref.etag
        [fetched] = storage.fetch(collection, [ref.href])
        assert fetched.error is None and fetched.data is not None
        assert fetched.href == ref.href
        assert content_hash(fetched.data) == content_hash(data)

    def test_href_for_is_stable_and_differs_per_uid(
        self, storage: WritableStorage, make_collection: MakeCollection
    ) -> None:
        collection = make_collection(CALENDAR)
        assert storage.href_for(collection, "a@b") == storage.href_for(collection, "a@b")
        assert storage.href_for(collection, "a@b") != storage.href_for(collection, "a@c")
        odd = "weird/uid with spaces?&#"
        assert storage.href_for(collection, odd) == storage.href_for(collection, odd)

    def test_create_refuses_an_existing_href(
        self, storage: WritableStorage, make_collection: MakeCollection
    ) -> None:
        if storage.ignores_if_none_match:
            pytest.skip("this server overwrites despite If-None-Match: *")
        collection = make_collection(CALENDAR)
        uid = new_uid()
        ref = storage.create(collection, storage.href_for(collection, uid), sample_event(uid))
        with pytest.raises(PreconditionFailed):
            storage.create(collection, ref.href, sample_event(uid, "second"))
        [fetched] = storage.fetch(collection, [ref.href])
        assert fetched.data is not None
        assert content_hash(fetched.data) == content_hash(sample_event(uid))

    def test_update_with_the_right_etag_changes_it(
        self, storage: WritableStorage, make_collection: MakeCollection
    ) -> None:
        collection = make_collection(CALENDAR)
        uid = new_uid()
        storage.create(collection, storage.href_for(collection, uid), sample_event(uid))
        [before] = storage.list(collection)
        changed = sample_event(uid, "changed")
        after = storage.update(collection, before.href, changed, before.etag)
        [listed] = storage.list(collection)
        assert listed.href == before.href
        assert listed.etag != before.etag
        if after.etag is not None:
            assert after.etag == listed.etag
        [fetched] = storage.fetch(collection, [before.href])
        assert fetched.data is not None
        assert content_hash(fetched.data) == content_hash(changed)

    def test_update_with_a_wrong_etag_is_refused(
        self, storage: WritableStorage, make_collection: MakeCollection
    ) -> None:
        collection = make_collection(CALENDAR)
        uid = new_uid()
        ref = storage.create(collection, storage.href_for(collection, uid), sample_event(uid))
        with pytest.raises(PreconditionFailed):
            storage.update(collection, ref.href, sample_event(uid, "lost"), '"not-the-etag"')
        [fetched] = storage.fetch(collection, [ref.href])
        assert fetched.data is not None
        assert content_hash(fetched.data) == content_hash(sample_event(uid))

    def test_delete(self, storage: WritableStorage, make_collection: MakeCollection) -> None:
        collection = make_collection(ADDRESSBOOK)
        uids = [new_uid(), new_uid()]
        for uid in uids:
            storage.create(collection, storage.href_for(collection, uid), sample_vcard(uid))
        listed = {r.href: r for r in storage.list(collection)}
        gone = storage.href_for(collection, uids[0])
        storage.delete(collection, gone, listed[gone].etag)
        assert {r.href for r in storage.list(collection)} == {storage.href_for(collection, uids[1])}

    def test_delete_with_a_wrong_etag_is_refused(
        self, storage: WritableStorage, make_collection: MakeCollection
    ) -> None:
        collection = make_collection(CALENDAR)
        uid = new_uid()
        ref = storage.create(collection, storage.href_for(collection, uid), sample_task(uid))
        with pytest.raises(PreconditionFailed):
            storage.delete(collection, ref.href, '"not-the-etag"')
        assert [r.href for r in storage.list(collection)] == [ref.href]

    def test_fetch_of_a_missing_href_reports_it_and_returns_the_others(
        self, storage: WritableStorage, make_collection: MakeCollection
    ) -> None:
        collection = make_collection(CALENDAR)
        uid = new_uid()
        ref = storage.create(collection, storage.href_for(collection, uid), sample_event(uid))
        missing = storage.href_for(collection, new_uid("missing"))
        fetched = {f.href: f for f in storage.fetch(collection, [missing, ref.href])}
        assert set(fetched) == {missing, ref.href}
        assert isinstance(fetched[missing].error, NotFound)
        assert fetched[missing].data is None
        assert fetched[ref.href].error is None and fetched[ref.href].data

    def test_fetch_of_250_items(
        self, storage: WritableStorage, make_collection: MakeCollection
    ) -> None:
        collection = make_collection(CALENDAR)
        sent: dict[str, bytes] = {}
        for n in range(250):
            uid = new_uid()
            data = sample_event(uid, f"bulk {n}")
            sent[storage.create(collection, storage.href_for(collection, uid), data).href] = data
        listed = [r.href for r in storage.list(collection)]
        assert sorted(listed) == sorted(sent)
        fetched = list(storage.fetch(collection, listed))
        assert sorted(f.href for f in fetched) == sorted(sent)
        errors: list[DavError] = [f.error for f in fetched if f.error is not None]
        assert errors == []
        for item in fetched:
            assert item.data is not None
            assert content_hash(item.data) == content_hash(sent[item.href])
