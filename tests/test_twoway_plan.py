"""Two-way sync's planner (`twoway_plan.plan_pair`) and conflict rule (`twoway_policy`),
without running a pass: the decision table row by row, the deletion guard, and `newer`. Whole
passes on memory storages are in tests/test_twoway_memory.py."""

from __future__ import annotations

from davtui.engine.sync.records import ItemRecord
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
