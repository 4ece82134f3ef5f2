"""Two-way sync on memory storages and `MemoryStates`: what a pass wrote is read back and
compared by meaning (batched, only this pass's writes, on both sides), and a resolution is
stored with its item until a run's ledger has listed it."""

from __future__ import annotations

from collections.abc import Sequence

from davtui.engine.storages.contract import Collection
from davtui.engine.storages.memory import MemoryStorage
from davtui.engine.sync.memory_states import MemoryStates
from davtui.engine.sync.migration import Options
from davtui.engine.sync.outcomes import Finding
from davtui.engine.sync.twoway import TwoWay
from davtui.engine.sync.verify import BATCH
from tests.test_engine import Counting, collection, put
from tests.test_twoway_memory import Pair, event, idle, invitation


class Batches(Counting):
    """Counts the hrefs of each fetch call: a multiget batch is one call."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []

    def fetch(self, collection: Collection, hrefs: Sequence[str]):
        self.batches.append(len(hrefs))
        return super().fetch(collection, hrefs)


class Forgetful(Counting):
    """Stores items without their SUMMARY (a changed meaning), or with RSVP=TRUE added to
    each attendee (another form of the same meaning, as SOGo does)."""

    def create(self, collection, href, data):
        data = data.replace(b"ATTENDEE;", b"ATTENDEE;RSVP=TRUE;")
        if b"SUMMARY:forget me" in data:
            data = data.replace(b"SUMMARY:forget me\r\n", b"")
        return MemoryStorage.create(self, collection, href, data)


def test_what_a_pass_wrote_is_read_back_in_batches_on_both_sides() -> None:
    a, b, states = Batches(), Batches(), MemoryStates()
    ca = collection(a, "Cal")
    for i in range(BATCH + 50):
        put(a, ca, f"e{i:03}", event(f"e{i:03}", f"E{i}"))
    first = TwoWay(a, b, states, Options(mode="sync")).run()
    assert first.status == "completed", first.errors
    shown = first.verification
    assert shown["ok"] and shown["checked"] == shown["fetched"] == BATCH + 50
    assert shown["missing"] == shown["different"] == []
    assert sorted(b.batches) == [50, BATCH]  # read back: two multigets, nothing else read

    cb = b.collections()[0]
    for n in range(3):
        Pair.edit(a, ca, f"e{n:03}", event(f"e{n:03}", f"edited {n} on A"))
    put(b, cb, "b1", event("b1", "made on B"))
    a.batches.clear()
    b.batches.clear()
    second = TwoWay(a, b, states, Options(mode="sync")).run()
    assert second.verification["ok"] and second.verification["checked"] == 4
    # the source's changes are read, then read back on B; B's new item is read, then on A
    assert sorted(a.batches) == [1, 3] and sorted(b.batches) == [1, 3]

    a.calls.clear()
    b.calls.clear()
    quiet = TwoWay(a, b, states, Options(mode="sync")).run()
    assert quiet.verification["checked"] == 0 and idle(a) and idle(b)


def test_a_changed_meaning_is_an_alarm_and_another_form_is_listed() -> None:
    a, b, states = Counting(), Forgetful(), MemoryStates()
    ca = collection(a, "Cal")
    put(a, ca, "ok", event("ok", "fine"))
    put(a, ca, "m1", invitation("m1"))
    put(a, ca, "gone", event("gone", "forget me"))
    done = TwoWay(a, b, states, Options(mode="sync")).run()
    assert done.exit_code == 6 and not done.verification["ok"]
    [different] = done.verification["different"]
    assert different["uid"] == "gone" and different["href"] == a.href_for(ca, "gone")
    assert different["reason"] == "destination: VEVENT SUMMARY: sent forget me, stored (none)"
    [conversion] = done.verification["conversions"]
    assert conversion["uid"] == "m1" and "ATTENDEE" in conversion["details"][0]
    ledger = {e["uid"]: e["outcome"] for e in done.ledger}
    assert ledger == {"gone": Finding.CHANGED, "m1": Finding.CONVERTED}


def test_a_resolution_stays_with_its_item_until_a_ledger_listed_it() -> None:
    """What `run_job` does with a killed pass's resolution, on MemoryStates: the next pass
    lists it (standing, from the record), and once cleared no pass lists it again."""
    p = Pair()

    def sync() -> tuple[TwoWay, list[dict]]:
        two = TwoWay(p.a, p.b, p.states, Options(mode="sync", conflict="newer"))
        return two, [e for e in two.run().ledger if e["outcome"] == Finding.RESOLVED]

    p.edit(p.a, p.ca, "e1", event("e1", "A's", 1))
    p.edit(p.b, p.cb, "e1", event("e1", "B's", 2))
    _, [settled] = sync()
    assert settled["uid"] == "e1" and not settled.get("standing")
    # that pass "was killed": its ledger never stored, so its resolution not cleared
    again, [listed] = sync()
    assert listed["standing"] and listed["reason"] == settled["reason"]
    assert "ended before its ledger was stored" in listed["details"][0]
    p.states.clear_resolved(again.handed_over)  # its ledger stored
    p.a.calls.clear()
    p.b.calls.clear()
    assert sync()[1] == [] and idle(p.a) and idle(p.b)
