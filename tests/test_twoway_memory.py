"""Two-way sync (`mode = "sync"`) passes on memory storages and `MemoryStates`: changes both
ways, each conflict policy, a server's own rewrite, a crash between writes and records. The
planner's decision table alone is in tests/test_twoway_plan.py; the same engine against real
servers and through `davtui migrate` in tests/test_twoway.py."""

from __future__ import annotations

from collections import Counter

import pytest

from davtui.engine.errors import Forbidden
from davtui.engine.events import Event, ItemDone
from davtui.engine.storages.contract import Collection, Ref
from davtui.engine.storages.memory import MemoryStorage, etag_of
from davtui.engine.sync.memory_states import MemoryStates
from davtui.engine.sync.migration import Options
from davtui.engine.sync.outcomes import Outcome
from davtui.engine.sync.twoway import TwoWay
from tests.contract import sample_event
from tests.test_engine import Counting, collection, put


def event(uid: str, summary: str, sequence: int = 0, stamp: str = "20240101T000000Z") -> bytes:
    data = sample_event(uid, summary).replace(
        b"DTSTAMP:20240101T000000Z", f"DTSTAMP:{stamp}".encode()
    )
    if sequence:
        data = data.replace(b"SUMMARY:", f"SEQUENCE:{sequence}\r\nSUMMARY:".encode())
    return data


# -- whole passes -----------------------------------------------------------------------------


class Pair:
    """Two memory storages with one calendar each, synced by `sync()` passes."""

    def __init__(self, items: int = 5, **options) -> None:
        self.a, self.b = Counting(), Counting()
        self.ca = collection(self.a, "Cal", components=("VEVENT",))
        for i in range(items):
            put(self.a, self.ca, f"e{i}", event(f"e{i}", f"E{i}"))
        self.states = MemoryStates()
        self.options = {"mode": "sync", "conflict": "newer", **options}
        self.events: list[Event] = []
        self.first = self.sync()
        made = self.b.collections()
        self.cb = made[0] if made else self.ca  # create_collections = "none": nothing made

    def sync(self, **options):
        self.a.calls.clear()
        self.b.calls.clear()
        self.events = []
        run = TwoWay(self.a, self.b, self.states, Options(**{**self.options, **options}),
                     self.events.append)  # fmt: skip
        return run.run()

    def outcomes(self) -> Counter[str]:
        return Counter(e.outcome for e in self.events if isinstance(e, ItemDone))

    @staticmethod
    def edit(storage: MemoryStorage, coll: Collection, uid: str, data: bytes) -> None:
        href = storage.href_for(coll, uid)
        storage.update(coll, href, data, storage.etags(coll)[href])

    @staticmethod
    def remove(storage: MemoryStorage, coll: Collection, uid: str) -> None:
        href = storage.href_for(coll, uid)
        storage.delete(coll, href, storage.etags(coll)[href])

    def same(self) -> bool:
        """Both sides hold the same items, byte for byte (memory stores what it is sent)."""
        return contents(self.a, self.ca) == contents(self.b, self.cb)


def contents(storage: MemoryStorage, coll: Collection) -> dict[str, bytes]:
    return {f.href: f.data or b"" for f in storage.fetch(coll, sorted(storage.etags(coll)))}


def idle(storage: Counting) -> bool:
    return not any(storage.calls[k] for k in ("fetch", "create", "update", "delete"))


def test_changes_flow_both_ways_and_a_quiet_pass_reads_nothing() -> None:
    p = Pair()
    assert p.first.status == "completed"
    assert p.first.stats.as_json()["to_destination"]["created"] == 5
    put(p.b, p.cb, "b1", event("b1", "made on B"))
    p.edit(p.a, p.ca, "e1", event("e1", "E1 edited on A"))
    p.edit(p.b, p.cb, "e2", event("e2", "E2 edited on B"))
    p.remove(p.a, p.ca, "e3")
    done = p.sync(force_delete=True)
    assert done.status == "completed", done.errors
    assert {k: done.stats.as_json()[k] for k in ("to_destination", "to_source")} == {
        "to_destination": {"created": 0, "updated": 1, "deleted": 1},
        "to_source": {"created": 1, "updated": 1, "deleted": 0},
    }
    assert p.same() and len(p.a.etags(p.ca)) == 5
    p.remove(p.b, p.cb, "e4")
    assert p.sync(force_delete=True).stats.as_json()["to_source"]["deleted"] == 1
    assert p.same()
    quiet = p.sync()
    assert quiet.status == "completed" and idle(p.a) and idle(p.b), (p.a.calls, p.b.calls)
    assert quiet.stats.as_json()["events"]["unchanged"] == 4


def test_deleted_on_one_side_changed_on_the_other_the_change_wins() -> None:
    p = Pair()
    p.remove(p.a, p.ca, "e1")
    p.edit(p.b, p.cb, "e1", event("e1", "still wanted"))
    done = p.sync()
    assert done.status == "completed", done.errors
    assert done.stats.as_json()["to_source"]["created"] == 1 and p.same()
    listed = [e for e in done.ledger if e["uid"] == "e1"]
    assert listed and listed[0]["outcome"] == "resolved" and "re-created" in listed[0]["reason"]


@pytest.mark.parametrize(
    ("policy", "kept"),
    [("newer", b"B side"), ("source-wins", b"A side"), ("destination-wins", b"B side"),
     ("keep-both", b"B side")],
)  # fmt: skip
def test_both_changed_by_policy(policy: str, kept: bytes) -> None:
    p = Pair(conflict=policy)
    p.edit(p.a, p.ca, "e2", event("e2", "A side", 2))
    p.edit(p.b, p.cb, "e2", event("e2", "B side", 3))
    done = p.sync()
    assert done.status == "completed", done.errors
    href = p.a.href_for(p.ca, "e2")
    assert kept in contents(p.a, p.ca)[href] and p.same()
    listed = [e for e in done.ledger if e["uid"] == "e2"]
    assert listed[0]["outcome"] == "resolved" and policy in listed[0]["reason"]
    copies = [d for d in contents(p.a, p.ca).values() if b"davtui-copy-" in d]
    assert len(copies) == (1 if policy == "keep-both" else 0)
    if copies:
        assert b"A side" in copies[0]
    if policy == "newer":
        assert "SEQUENCE 3 > 2" in listed[0]["reason"]
    p.sync()  # the next pass: nothing left to do
    assert idle(p.a) and idle(p.b), (p.a.calls, p.b.calls)


def test_ask_leaves_both_and_lists_the_conflict_until_one_side_moves() -> None:
    p = Pair(conflict="ask")
    p.edit(p.a, p.ca, "e2", event("e2", "A side"))
    p.edit(p.b, p.cb, "e2", event("e2", "B side"))
    done = p.sync()
    assert done.exit_code == 1 and done.stats.as_json()["conflicts"] == 1
    assert b"A side" in next(p.a.fetch(p.ca, [p.a.href_for(p.ca, "e2")])).data
    again = p.sync()
    assert again.stats.as_json()["conflicts"] == 1 and idle(p.a) and idle(p.b)
    listed = [e for e in again.ledger if e["outcome"] == "conflict"]
    assert [(e["uid"], e["href"]) for e in listed] == [("e2", p.a.href_for(p.ca, "e2"))]
    record = p.states.items(p.ca.href)[p.a.href_for(p.ca, "e2")]
    assert record.outcome == Outcome.CONFLICT and record.seen_etag is not None


def test_equal_edits_on_both_sides_are_just_recorded() -> None:
    p = Pair()
    p.edit(p.a, p.ca, "e0", event("e0", "same edit"))
    p.edit(p.b, p.cb, "e0", event("e0", "same edit"))
    done = p.sync()
    assert done.status == "completed" and p.a.calls["fetch"] == p.b.calls["fetch"] == 1
    for side in (p.a, p.b):
        assert not any(side.calls[k] for k in ("create", "update", "delete")), side.calls


class Rewriting(Counting):
    """A server that stores another form of what it is sent (unfolded, property order) and
    answers the PUT with the ETag of what was sent: as SOGo and others do."""

    def create(self, collection, href, data):
        ref = super().create(collection, href, self._rewritten(data))
        return Ref(ref.href, etag_of(data))

    def update(self, collection, href, data, etag):
        ref = super().update(collection, href, self._rewritten(data), etag)
        return Ref(ref.href, etag_of(data))

    @staticmethod
    def _rewritten(data: bytes) -> bytes:
        lines = data.decode().split("\r\n")
        head, body = lines[:4], sorted(line for line in lines[4:-3] if line)
        return ("\r\n".join([*head, *body, *lines[-3:]])).replace("LOCATION", "location").encode()


def test_a_servers_own_rewrite_is_no_edit() -> None:
    a, b, states = Counting(), Rewriting(), MemoryStates()
    ca = collection(a, "Cal")
    for i in range(3):
        put(a, ca, f"e{i}", event(f"e{i}", f"E{i}"))
    options = Options(mode="sync", conflict="newer")
    assert TwoWay(a, b, states, options).run().status == "completed"
    a.calls.clear()
    b.calls.clear()
    second = TwoWay(a, b, states, options).run()
    assert second.status == "completed"
    assert not any(a.calls[k] for k in ("create", "update", "delete")), a.calls
    assert not any(b.calls[k] for k in ("create", "update", "delete")), b.calls
    b.calls.clear()
    TwoWay(a, b, states, options).run()
    assert idle(a) and idle(b)


def test_a_crash_between_writes_and_records_resumes_without_writing_twice() -> None:
    """The pass's writes landed, half of its records did not: the next pass reads both
    versions of those items, finds the same meaning, and only records."""
    p = Pair()
    before = p.states.items(p.ca.href)
    for n in range(4):
        p.edit(p.a if n % 2 else p.b, p.ca if n % 2 else p.cb, f"e{n}", event(f"e{n}", f"new {n}"))
    put(p.b, p.cb, "b9", event("b9", "made on B"))
    p.remove(p.a, p.ca, "e4")
    assert p.sync(force_delete=True).status == "completed"
    after = p.states.items(p.ca.href)
    for n, href in enumerate(sorted(set(before) | set(after))):
        if n % 2:
            if href in before:
                p.states.record(before[href])
            else:
                p.states.forget(p.ca.href, href)
    resumed = p.sync(force_delete=True)
    assert resumed.status == "completed", resumed.errors
    for side in (p.a, p.b):
        assert not any(side.calls[k] for k in ("create", "update", "delete")), side.calls
    assert p.same()
    p.sync()
    assert idle(p.a) and idle(p.b)


def test_a_collection_on_one_side_only_is_made_on_the_other() -> None:
    p = Pair(items=1)
    made = collection(p.b, "Only on B", components=("VEVENT",))
    put(p.b, made, "b-only", event("b-only", "from B's own calendar"))
    done = p.sync()
    assert done.status == "completed" and done.stats.as_json()["calendars"]["created"] == 1
    twin = next(c for c in p.a.collections() if c.name == "Only on B")
    assert list(contents(p.a, twin)) == [p.a.href_for(twin, "b-only")]
    p.sync()
    assert idle(p.a) and idle(p.b) and len(p.a.collections()) == len(p.b.collections()) == 2
    none = Pair(items=1, create_collections="none")
    assert not none.b.collections()


def test_a_vdir_folder_stays_in_sync_with_a_storage(tmp_path) -> None:
    from davtui.engine.storages.vdir import VdirStorage

    a = Counting()
    ca = collection(a, "Cal")
    put(a, ca, "e0", event("e0", "on the server"))
    folder, states = VdirStorage(tmp_path / "laptop"), MemoryStates()
    options = Options(mode="sync", conflict="newer")
    assert TwoWay(a, folder, states, options).run().status == "completed"
    cal = folder.collections()[0]
    href = folder.href_for(cal, "e0")
    folder.update(cal, href, event("e0", "edited on the laptop"), folder.etags(cal)[href])
    folder.create(cal, folder.href_for(cal, "e1"), event("e1", "new on the laptop"))
    done = TwoWay(a, folder, states, options).run()
    assert done.stats.as_json()["to_source"] == {"created": 1, "updated": 1, "deleted": 0}
    assert b"edited on the laptop" in contents(a, ca)[a.href_for(ca, "e0")]


def test_a_dry_run_counts_what_would_go_each_way_and_writes_nothing() -> None:
    a, b, states = Counting(), Counting(), MemoryStates()
    ca = collection(a, "Cal")
    for i in range(3):
        put(a, ca, f"e{i}", event(f"e{i}", f"E{i}"))
    collection(b, "Only on B")
    dry = TwoWay(a, b, states, Options(mode="sync", dry_run=True)).run()
    assert dry.status == "completed" and dry.plan is not None
    assert dry.plan["Cal"]["to_destination"] == 3 and "Only on B" in dry.plan
    assert len(a.collections()) == len(b.collections()) == 1 and not b.calls["create"]
    assert states.items(ca.href) == {} and states.target_of(ca.href) is None


class SogoLike(Counting):
    """A destination that e-mails attendees (so invitations are suppressed when writing to
    it) and stores what it is sent with RSVP=TRUE added to each attendee, answering the PUT
    with the ETag of what was sent: the next listing shows another ETag."""

    schedules_on_write = True

    def create(self, collection, href, data):
        ref = super().create(collection, href, data.replace(b"ATTENDEE;", b"ATTENDEE;RSVP=TRUE;"))
        return Ref(ref.href, etag_of(data))


def invitation(uid: str) -> bytes:
    return event(uid, "Meeting").replace(
        b"SUMMARY:", b"ORGANIZER:mailto:alice@example.org\r\n"
        b"ATTENDEE;CN=Bob:mailto:bob@example.org\r\nSUMMARY:"
    )  # fmt: skip


def test_invitations_suppressed_and_a_sogo_rewrite_cause_no_write_back() -> None:
    a, b, states = Counting(), SogoLike(), MemoryStates()
    ca = collection(a, "Cal")
    put(a, ca, "m1", invitation("m1"))
    options = Options(mode="sync")
    assert TwoWay(a, b, states, options).run().status == "completed"
    cb = b.collections()[0]
    stored = contents(b, cb)[b.href_for(cb, "m1")]
    assert b"SCHEDULE-AGENT=CLIENT" in stored and b"RSVP=TRUE" in stored
    a.calls.clear()
    b.calls.clear()
    second = TwoWay(a, b, states, options).run()
    assert second.status == "completed" and b.calls["fetch"] == 1
    for side in (a, b):
        assert not any(side.calls[k] for k in ("create", "update", "delete")), side.calls
    assert b"SCHEDULE-AGENT" not in contents(a, ca)[a.href_for(ca, "m1")]


def test_an_item_deleted_and_made_again_under_its_uid_elsewhere_converges_in_one_pass() -> None:
    """A client's move: the item at one href deleted, the same UID created at another. The
    other side deletes the old one before it creates the new one."""
    p = Pair()
    p.remove(p.a, p.ca, "e1")
    p.a.create(p.ca, "moved.ics", event("e1", "moved and edited"))
    done = p.sync(force_delete=True)
    assert done.status == "completed", done.errors
    assert [b"moved and edited" in data for data in contents(p.b, p.cb).values()].count(True) == 1
    p.sync()
    assert idle(p.a) and idle(p.b)


@pytest.mark.parametrize(("keep", "kept"), [("source", b"A side"), ("destination", b"B side")])
def test_ask_then_resolve_writes_the_kept_version_to_the_other_side(
    job_id: int, keep: str, kept: bytes
) -> None:
    """`job resolve` on a two-way job's conflict (JobState in SQLite): the next pass writes
    the kept version over the other, only over the version the conflict was seen at."""
    from davtui.engine.jobs.conflicts import resolve
    from davtui.engine.jobs.state import JobState

    a, b, state = Counting(), Counting(), JobState(job_id)
    ca = collection(a, "Cal")
    put(a, ca, "e0", event("e0", "first"))
    options = Options(mode="sync", conflict="ask")
    assert TwoWay(a, b, state, options).run().status == "completed"
    cb = b.collections()[0]
    Pair.edit(a, ca, "e0", event("e0", "A side"))
    Pair.edit(b, cb, "e0", event("e0", "B side"))
    assert TwoWay(a, b, state, options).run().exit_code == 1
    assert resolve(job_id, keep) == 1
    done = TwoWay(a, b, state, options).run()
    assert done.status == "completed", done.errors
    assert kept in contents(a, ca)[a.href_for(ca, "e0")]
    assert contents(a, ca) == contents(b, cb)


class Refusing(Counting):
    """A destination that refuses, for good, any item whose summary says so."""

    def create(self, collection, href, data):
        self.calls["create"] += 1
        if b"SUMMARY:refuse me" in data:
            raise Forbidden("the server refuses this item", status=403)
        return MemoryStorage.create(self, collection, href, data)


def test_an_item_the_destination_refuses_is_listed_each_pass_and_sent_again_once_changed() -> None:
    a, b, states = Counting(), Refusing(), MemoryStates()
    ca = collection(a, "Cal")
    put(a, ca, "ok", event("ok", "fine"))
    put(a, ca, "no", event("no", "refuse me"))
    options = Options(mode="sync")
    first = TwoWay(a, b, states, options).run()
    assert first.exit_code == 1 and [e["uid"] for e in first.errors] == ["no"]
    a.calls.clear()
    b.calls.clear()
    again = TwoWay(a, b, states, options).run()
    assert again.exit_code == 1 and [e["uid"] for e in again.errors] == ["no"]
    assert idle(a) and idle(b), (a.calls, b.calls)
    Pair.edit(a, ca, "no", event("no", "now acceptable"))
    fixed = TwoWay(a, b, states, options).run()
    assert fixed.status == "completed" and fixed.stats.as_json()["to_destination"]["created"] == 1
