"""The run's ledger: one entry per item not copied as sent and verified equal, built once from
the act phase and the verification, in the JSON report (with counts per outcome in `stats`),
in the database per run, and stated again from the item state on a re-run that reads nothing.

In-memory storages (the engine's twin of a server) and real SQLite state; the real servers'
runs are in test_ledger_cli.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from davtui.engine.events import Finished
from davtui.engine.items.changes import describe
from davtui.engine.jobs import conflicts, ledger
from davtui.engine.jobs.state import JobState
from davtui.engine.report import report
from davtui.engine.storages.contract import CALENDAR, Collection, ReadOnly
from davtui.engine.storages.memory import MemoryStorage
from davtui.engine.sync.ledger import Ledger, entry
from davtui.engine.sync.leftovers import Leftovers
from davtui.engine.sync.migration import Migration, Options
from davtui.engine.sync.outcomes import Finding, Outcome
from davtui.exitcodes import ITEM_ERRORS, OK, VERIFY
from davtui.store.models import Run
from tests.contract import sample_event, sample_task

WINDOWS = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:REQUEST\r\n"
    b"BEGIN:VEVENT\r\nUID:win\r\nDTSTAMP:20240101T000000Z\r\n"
    b"DTSTART;TZID=W. Europe Standard Time:20240102T100000\r\nSUMMARY:Windows\r\n"
    b"END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def _run(
    source: MemoryStorage, destination: MemoryStorage, job_id: int, kept: Path | None = None
) -> Finished:
    state, ignore = JobState(job_id), lambda _e: None
    leftovers = Leftovers(kept)
    return Migration(ReadOnly(source), destination, state, Options(), ignore, None, leftovers).run()


def _calendar(source: MemoryStorage, components=("VEVENT",)) -> Collection:
    template = Collection(href="", kind=CALENDAR, name="Cal", components=components)
    return source.create_collection(template, "Cal").collection


def test_outcomes_are_the_json_words() -> None:
    assert Outcome.CREATED == "created" and Finding.CHANGED == "changed-by-server"
    assert [str(f) for f in Finding] == [
        "fixed", "converted", "changed-by-server", "skipped", "refused", "failed", "conflict",
        "missing", "resolved",
    ]  # fmt: skip


def test_a_fixed_item_says_what_each_fixup_changed(job_id: int) -> None:
    source, destination = MemoryStorage(), MemoryStorage()
    calendar = _calendar(source)
    source.create(calendar, source.href_for(calendar, "win"), WINDOWS)
    source.create(calendar, source.href_for(calendar, "plain"), sample_event("plain"))
    finished = _run(source, destination, job_id)
    assert finished.exit_code == OK
    [fixed] = finished.ledger
    assert fixed["outcome"] == "fixed" and fixed["uid"] == "win"
    assert fixed["summary"] == "Windows" and fixed["kind"] == "event"
    zone = "windows-tzid: DTSTART TZID W. Europe Standard Time -> Europe/Berlin"
    assert zone in fixed["details"]
    assert "strip-method: removed METHOD:REQUEST" in fixed["details"]
    assert "add-vtimezone: added VTIMEZONE Europe/Berlin" in fixed["details"]
    assert finished.stats.ledger["fixed"] == 1
    assert sum(finished.stats.ledger.values()) == 1
    out = report(finished, 1.0)
    assert out["ledger"] == finished.ledger and out["stats"]["ledger"]["fixed"] == 1


def test_a_skipped_item_is_listed_kept_byte_for_byte_and_exit_1(
    job_id: int, tmp_path: Path
) -> None:
    """A component the destination collection does not take (SOGo and VJOURNAL) is not
    lost: its bytes, as the source served them, are in the run's leftovers folder."""
    source, destination = MemoryStorage(), MemoryStorage()
    calendar = _calendar(source, ("VEVENT", "VTODO"))
    task = sample_task("t").replace(b"\r\n", b"\n")  # as served, not as davtui would send
    source.create(calendar, source.href_for(calendar, "t"), task)
    destination.create_collection(
        Collection(href="", kind=CALENDAR, name="Cal", components=("VEVENT",)), "Cal"
    )
    finished = _run(source, destination, job_id, tmp_path / "leftovers" / "1-1")
    assert finished.exit_code == ITEM_ERRORS
    [skipped] = finished.ledger
    assert skipped["outcome"] == "skipped" and skipped["uid"] == "t"
    assert "does not accept VTODO" in skipped["reason"]
    assert Path(skipped["kept"]).read_bytes() == task
    assert skipped["reason"].endswith(f"kept at {skipped['kept']}")
    assert finished.leftovers == str(tmp_path / "leftovers" / "1-1")


def _copied(job_id: int) -> tuple[MemoryStorage, MemoryStorage, Collection, Collection]:
    """Items a and b copied and verified; the source and destination calendars."""
    source, destination = MemoryStorage(), MemoryStorage()
    calendar = _calendar(source)
    for uid in ("a", "b"):
        source.create(calendar, source.href_for(calendar, uid), sample_event(uid))
    assert _run(source, destination, job_id).exit_code == OK
    [target] = destination.collections([CALENDAR])
    return source, destination, calendar, target


def _edit(storage: MemoryStorage, collection: Collection, old: bytes, new: bytes) -> None:
    href = storage.href_for(collection, "a")
    [stored] = storage.fetch(collection, [href])
    storage.update(collection, href, stored.data.replace(old, new), stored.etag)


def _content(storage: MemoryStorage, collection: Collection) -> bytes:
    [stored] = storage.fetch(collection, [storage.href_for(collection, "a")])
    return stored.data


def test_a_changed_item_is_found_once_then_stands_without_a_read(job_id: int) -> None:
    """The server stored another meaning than was sent (here: the copy differs before it was
    ever verified): changed-by-server, exit 6. The re-run sees the same destination ETag: it
    reads nothing back and still lists the finding (exit 6). A later source change is a
    conflict, not written over the destination's copy."""
    source, destination, calendar, target = _copied(job_id)
    state = JobState(job_id)
    record = state.items(calendar.href)[source.href_for(calendar, "a")]
    record.verified_etag = None  # written, not verified yet
    state.record(record)
    _edit(destination, target, b"Room 1", b"Room 9")
    found = _run(source, destination, job_id)
    assert found.exit_code == VERIFY
    [changed] = found.ledger
    assert changed["outcome"] == "changed-by-server" and changed["uid"] == "a"
    assert changed["details"] == ["VEVENT LOCATION: sent Room 1, stored Room 9"]
    assert found.verification["fetched"] == 1
    again = _run(source, destination, job_id)
    assert again.verification["fetched"] == 0
    assert again.exit_code == VERIFY
    [standing] = again.ledger
    assert standing["outcome"] == "changed-by-server" and standing["standing"] is True
    assert standing["reason"] == "VEVENT LOCATION: sent Room 1, stored Room 9"
    _edit(source, calendar, b"Room 1", b"Room 2")
    later = _run(source, destination, job_id)
    assert later.exit_code == ITEM_ERRORS and later.ledger[0]["outcome"] == "conflict"
    assert b"Room 9" in _content(destination, target)


def test_an_edited_copy_is_a_conflict_and_resolvable_both_ways(job_id: int) -> None:
    """A copy verified equal, then edited in the destination: a conflict (exit 1), reported
    from the state on the next run without a read. Kept `destination`: exit 0 and the edit
    stays; edited again: a conflict again; kept `source`: the source's version is written."""
    source, destination, _, target = _copied(job_id)
    _edit(destination, target, b"Room 1", b"Room 9")
    found = _run(source, destination, job_id)
    assert found.exit_code == ITEM_ERRORS
    [conflict] = found.ledger
    assert conflict["outcome"] == "conflict" and conflict["uid"] == "a"
    assert conflict["reason"].endswith("VEVENT LOCATION: sent Room 1, stored Room 9")
    assert found.stats.conflicts == 1 and found.stats.ledger["conflict"] == 1
    again = _run(source, destination, job_id)
    assert again.exit_code == ITEM_ERRORS and again.verification["fetched"] == 0
    assert [c.uid for c in conflicts.conflicts(job_id)] == ["a"]
    assert conflicts.resolve(job_id, "destination", uid="a") == 1
    kept = _run(source, destination, job_id)
    assert kept.exit_code == OK and kept.ledger == [] and kept.verification["fetched"] == 0
    assert b"Room 9" in _content(destination, target) and conflicts.conflicts(job_id) == []
    _edit(destination, target, b"Room 9", b"Room 7")
    assert _run(source, destination, job_id).exit_code == ITEM_ERRORS
    assert conflicts.resolve(job_id, "source") == 1
    written = _run(source, destination, job_id)
    assert written.exit_code == OK, written.ledger
    assert b"Room 1" in _content(destination, target)
    assert _run(source, destination, job_id).exit_code == OK
    with pytest.raises(conflicts.Unresolvable, match="has no conflict"):
        conflicts.resolve(job_id, "source")


def test_a_kept_destination_version_is_not_the_mirrors_to_delete(job_id: int) -> None:
    """A mirror never deletes a destination version the user chose to keep, even when the
    source item goes: it is no longer this job's copy."""
    source, destination, calendar, target = _copied(job_id)
    _edit(destination, target, b"Room 1", b"Room 9")
    assert _run(source, destination, job_id).exit_code == ITEM_ERRORS
    conflicts.resolve(job_id, "destination", uid="a")
    source.delete(calendar, source.href_for(calendar, "a"), None)
    state, mirror = JobState(job_id), Options(mode="mirror")
    done = Migration(ReadOnly(source), destination, state, mirror, lambda _e: None).run()
    assert done.exit_code == OK and done.stats.deleted == 0
    assert b"Room 9" in _content(destination, target)


def test_one_entry_per_item_the_gravest_names_it() -> None:
    book = Ledger()
    book.add(entry(Finding.FIXED, "Cal", "/a.ics", "a", "event", "A", "fixed", ["x: y -> z"]))
    book.add(entry(Finding.CHANGED, "Cal", "/a.ics", "a", None, None, "LOCATION", ["LOCATION"]))
    [only] = book.entries()
    assert only["outcome"] == "changed-by-server" and only["summary"] == "A"
    assert only["details"] == ["LOCATION", "x: y -> z"]
    assert book.counts()["changed-by-server"] == 1 and book.counts()["fixed"] == 0


def test_the_ledger_is_stored_per_run_and_queried(job_id: int) -> None:
    source, destination = MemoryStorage(), MemoryStorage()
    calendar = _calendar(source, ("VEVENT", "VTODO"))
    source.create(calendar, source.href_for(calendar, "win"), WINDOWS)
    source.create(calendar, source.href_for(calendar, "t"), sample_task("t"))
    destination.create_collection(
        Collection(href="", kind=CALENDAR, name="Cal", components=("VEVENT",)), "Cal"
    )
    run = Run.create(job=job_id)
    finished = _run(source, destination, job_id)
    Run.update(finished_at=Run.started_at).where(Run.id == run.id).execute()
    ledger.store(run.id, finished.ledger)
    assert ledger.counts(job_id)["fixed"] == 1 and ledger.counts(job_id)["skipped"] == 1
    [skipped] = ledger.entries(job_id, outcome="skipped")
    assert skipped.uid == "t" and skipped.run_id == run.id
    assert [e.outcome for e in ledger.entries(job_id, run.id)] == ["skipped", "fixed"]
    assert len(ledger.entries(job_id, offset=1, limit=5)) == 1
    assert ledger.entries(job_id, run_id=run.id + 99) == []
    with pytest.raises(ValueError, match="Unknown outcome 'lost'"):
        ledger.entries(job_id, outcome="lost")


def test_describe_names_a_changed_text_whole() -> None:
    before = b"BEGIN:VCARD\r\nVERSION:3.0\r\nNOTE:a,b\r\nEND:VCARD\r\n"
    after = before.replace(b"a,b", b"a\\,b")
    assert describe(before, after) == ["NOTE a,b -> a\\,b"]


def test_describe_names_an_added_parameter_not_the_one_before_it() -> None:
    before = b"BEGIN:VEVENT\r\nATTENDEE;RSVP=TRUE:mailto:a@example.org\r\nEND:VEVENT\r\n"
    after = before.replace(b"TRUE:", b"TRUE;SCHEDULE-AGENT=CLIENT:")
    assert describe(before, after) == ["ATTENDEE SCHEDULE-AGENT (nothing) -> CLIENT"]
    two = before.replace(b"TRUE:", b"TRUE;X-A=1;X-B=2:")
    assert describe(before, two) == ["ATTENDEE (nothing) -> X-A=1;X-B=2"]
