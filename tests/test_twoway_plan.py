"""Two-way sync's planner (`twoway_plan.plan_pair`) and conflict rule (`twoway_policy`),
without running a pass: the decision table row by row, the deletion guard, and `newer`. Whole
passes on memory storages are in tests/test_twoway_memory.py."""

from __future__ import annotations

from davtui.engine.sync.records import DEST_ONLY, ItemRecord
from davtui.engine.sync.twoway_plan import Guard, SideListing, plan_pair
from davtui.engine.sync.twoway_policy import newer
from tests.test_twoway_memory import event


def rec(name: str, s_etag: str | None = "s", d_etag: str | None = "d",
        outcome: str = "created") -> ItemRecord:  # fmt: skip
    return ItemRecord("/a/", f"{name}.ics", outcome, s_etag, "h", name, "event", "/b/",
                      f"{name}.ics", d_etag, "h")  # fmt: skip


def test_plan_every_row_of_the_decision_table() -> None:
    """Each row of `twoway_plan`'s table, by the ETags each side shows against the state."""
    records = [
        rec("same"), rec("src-changed"), rec("dst-changed"), rec("both-changed"),
        rec("src-gone"), rec("src-gone-dst-changed"), rec("dst-gone"),
        rec("dst-gone-src-changed"), rec("both-gone"), rec("asked", outcome="conflict"),
        rec("asked-moved", outcome="conflict"), rec("never-sent", d_etag=None),
        rec("kept-dest", outcome="accepted"), rec("refused", outcome="refused"),
    ]  # fmt: skip
    records[-3].dest_href = records[-1].dest_href = None
    source = {"same.ics": "s", "src-changed.ics": "s2", "dst-changed.ics": "s",
              "both-changed.ics": "s2", "dst-gone.ics": "s", "dst-gone-src-changed.ics": "s2",
              "asked.ics": "s", "asked-moved.ics": "s2", "never-sent.ics": "s",
              "kept-dest.ics": "s", "refused.ics": "s", "new-src.ics": "n"}  # fmt: skip
    dest = {"same.ics": "d", "src-changed.ics": "d", "dst-changed.ics": "d2",
            "both-changed.ics": "d2", "src-gone.ics": "d", "src-gone-dst-changed.ics": "d2",
            "asked.ics": "d", "asked-moved.ics": "d", "kept-dest.ics": "d",
            "new-dst.ics": "n"}  # fmt: skip
    plan = plan_pair("cal", SideListing(source), SideListing(dest), [records], Guard(force=True))
    names = lambda pairs: sorted(r.uid if r else h for r, h in pairs)  # noqa: E731
    assert names(plan.to_dest) == ["dst-gone-src-changed", "never-sent", "src-changed"]
    assert names(plan.to_source) == ["dst-changed", "kept-dest", "src-gone-dst-changed"]
    assert sorted(r.uid for r in plan.both) == ["asked-moved", "both-changed"]
    assert [r.uid for r in plan.delete_dest] == ["src-gone"]
    assert [r.uid for r in plan.delete_source] == ["dst-gone"]
    assert [r.uid for r in plan.forget] == ["both-gone"]
    assert [r.uid for r in plan.standing] == ["asked"]
    assert [r.uid for r in plan.settled] == ["refused"]
    assert plan.new_source == ["new-src.ics"] and plan.new_dest == ["new-dst.ics"]
    assert plan.unchanged == 1 and not plan.refusals


def test_plan_guards_deletions() -> None:
    """An incomplete listing deletes nothing on the other side (nor re-creates what it left
    out); a side that lost more than the share, or all, deletes nothing unless forced."""
    records = [rec(f"i{n}") for n in range(10)]
    every_dest = {f"i{n}.ics": "d" for n in range(10)}
    partial = SideListing({"i0.ics": "s"}, complete=False, reason="9 of 10 entries answered 500")
    plan = plan_pair("cal", partial, SideListing(every_dest), [records])
    assert not plan.delete_dest and not plan.to_source and plan.unchanged == 10
    assert plan.refusals == [] or "incomplete" in plan.refusals[0]
    empty = plan_pair("cal", SideListing({}), SideListing(every_dest), [records])
    assert not empty.delete_dest and "the source collection is empty" in empty.refusals[0]
    three = {f"i{n}.ics": "s" for n in range(7)}
    refused = plan_pair("cal", SideListing(three), SideListing(every_dest), [records])
    assert not refused.delete_dest and "30 % > 20 %" in refused.refusals[0]
    forced = plan_pair("cal", SideListing(three), SideListing(every_dest), [records],
                       Guard(force=True))  # fmt: skip
    assert len(forced.delete_dest) == 3 and not forced.refusals


def test_newer_reads_sequence_then_dates() -> None:
    assert newer(event("u", "a", 2), event("u", "b", 3)) == ("destination", "SEQUENCE 3 > 2")
    later = event("u", "a", stamp="20250101T000000Z")
    assert newer(later, event("u", "b"))[0] == "source"
    assert newer(event("u", "a"), event("u", "b"))[0] == "source"  # a tie keeps the source's


def test_plan_an_item_one_side_refused_waits_for_a_change() -> None:
    """Refused by the destination (a new item; an update, its old version kept there) or by
    the source (a destination-only item, keyed by `DEST_ONLY`): listed while nothing moved;
    sent again when the sender's side moved; read on both when the refusing side moved."""

    def refused(name: str, by: str, s_etag: str | None, d_etag: str | None) -> ItemRecord:
        record = rec(name, s_etag, d_etag, outcome="refused")
        record.refused_by = by
        if d_etag is None:
            record.dest_href = None
        if s_etag is None:
            record.source_href = f"{DEST_ONLY}{name}.ics"
        return record

    d, s = "destination", "source"
    records = [
        refused("new-still", d, "s", None), refused("new-moved", d, "s", None),
        refused("upd-still", d, "s", "d"), refused("upd-sent-again", d, "s", "d"),
        refused("upd-refuser-moved", d, "s", "d"), refused("dst-only-still", s, None, "d"),
        refused("dst-only-moved", s, None, "d"), refused("dst-only-gone", s, None, "d"),
    ]  # fmt: skip
    source = {"new-still.ics": "s", "new-moved.ics": "s2", "upd-still.ics": "s",
              "upd-sent-again.ics": "s2", "upd-refuser-moved.ics": "s"}  # fmt: skip
    dest = {"upd-still.ics": "d", "upd-sent-again.ics": "d", "upd-refuser-moved.ics": "d2",
            "dst-only-still.ics": "d", "dst-only-moved.ics": "d2"}  # fmt: skip
    plan = plan_pair("cal", SideListing(source), SideListing(dest), [records])
    assert sorted(r.uid for r in plan.settled) == ["dst-only-still", "new-still", "upd-still"]
    assert sorted(r.uid for r, _ in plan.to_dest) == ["new-moved", "upd-sent-again"]
    assert [(r.uid, href) for r, href in plan.to_source] == [("dst-only-moved",
                                                              "dst-only-moved.ics")]  # fmt: skip
    assert [r.uid for r in plan.both] == ["upd-refuser-moved"]
    assert [r.uid for r in plan.forget] == ["dst-only-gone"]
    assert not plan.new_source and not plan.new_dest and not plan.delete_dest
    assert not plan.delete_source and plan.unchanged == 0


def test_plan_a_side_not_listed_stands_in_from_its_records() -> None:
    """A side at its stored version is not listed (`SideListing(None)`): each recorded item
    is there as recorded, so only the listed side's changes and deletions count, and the
    actor is given the ETags of just the items the plan acts on."""
    records = [rec("same"), rec("dst-changed"), rec("dst-gone"), rec("never-sent", d_etag=None)]
    records[-1].dest_href = None
    dest = {"same.ics": "d", "dst-changed.ics": "d2", "new-dst.ics": "n"}
    plan = plan_pair("cal", SideListing(None), SideListing(dest), iter([records[:2], records[2:]]),
                     Guard(force=True))  # fmt: skip
    assert [(r.uid, h) for r, h in plan.to_source] == [("dst-changed", "dst-changed.ics")]
    assert [r.uid for r in plan.delete_source] == ["dst-gone"]
    assert [(r.uid, h) for r, h in plan.to_dest] == [("never-sent", "never-sent.ics")]
    assert plan.new_source == [] and plan.new_dest == ["new-dst.ics"] and plan.unchanged == 1
    assert plan.acted("source", SideListing(None)).etags == {
        "dst-changed.ics": "s", "dst-gone.ics": "s", "never-sent.ics": "s"}  # fmt: skip
    assert plan.acted("destination", SideListing(dest)).etags is dest
