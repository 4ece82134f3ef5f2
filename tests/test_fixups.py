"""Fix-ups: each acts only when needed, says so, and touches nothing else."""

from __future__ import annotations

import pytest

from davtui.engine import fixups
from davtui.engine.errors import ItemError
from davtui.engine.items import content_hash, scan
from davtui.engine.split import Item, split
from tests.contract import sample_event, sample_task, sample_vcard


def test_nothing_needed_gives_the_same_object() -> None:
    for data in (sample_event("n1"), sample_task("n2"), sample_vcard("n3")):
        fixed, applied = fixups.apply(data)
        assert fixed is data and applied == []


def test_utf8_reencodes_and_strips_the_bom() -> None:
    latin = sample_vcard("u1", "Zoë Müller").decode().encode("latin-1")
    fixed, applied = fixups.apply(latin)
    assert applied == ["utf8"] and "Zoë Müller" in fixed.decode("utf-8")
    fixed, applied = fixups.apply(b"\xef\xbb\xbf" + sample_event("u2"))
    assert applied == ["utf8"] and fixed == sample_event("u2")


def test_strip_method_keeps_everything_else() -> None:
    event = sample_event("m1").replace(b"VERSION:2.0\r\n", b"VERSION:2.0\r\nMETHOD:REQUEST\r\n")
    fixed, applied = fixups.apply(event)
    assert applied == ["strip-method"] and fixed == sample_event("m1")


def test_add_uid_matches_the_uid_split_announces() -> None:
    data = sample_event("x").replace(b"UID:x\r\n", b"")
    [item] = split(data, "no-uid.ics")
    assert isinstance(item, Item) and item.warnings
    fixed, applied = fixups.apply(item.data)
    assert applied == ["add-uid"] and scan(fixed).uid == item.uid
    assert fixups.apply(fixed)[1] == []  # stable: a second pass finds nothing to do


def test_windows_tzid_and_add_vtimezone() -> None:
    event = sample_event("w1").replace(
        b"DTSTART:20240102T100000Z", b"DTSTART;TZID=W. Europe Standard Time:20240102T100000"
    )
    fixed, applied = fixups.apply(event)
    assert applied == ["windows-tzid", "add-vtimezone"]
    text = fixed.decode()
    assert "DTSTART;TZID=Europe/Berlin:20240102T100000" in text
    assert "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n" in text
    assert scan(fixed).uid == "w1"


def test_unknown_zones_are_left_alone() -> None:
    event = sample_event("w2").replace(
        b"DTSTART:20240102T100000Z", b"DTSTART;TZID=Customized Time Zone:20240102T100000"
    )
    assert fixups.apply(event) == (event, [])


def test_drop_duration_keeps_dtend() -> None:
    event = sample_event("d1").replace(b"LOCATION", b"DURATION:PT1H\r\nLOCATION")
    fixed, applied = fixups.apply(event)
    assert applied == ["drop-duration"] and b"DURATION" not in fixed and b"DTEND" in fixed


def test_suppress_invitations_only_when_asked_and_refolds_long_lines() -> None:
    attendee = "ATTENDEE;CN=" + "Very Long Name " * 4 + ";ROLE=REQ-PARTICIPANT:mailto:a@example.org"
    event = sample_event("s1").replace(b"LOCATION", attendee.encode() + b"\r\nLOCATION")
    assert fixups.apply(event) == (event, [])
    fixed, applied = fixups.apply(event, suppress_invitations=True)
    assert applied == ["suppress-invitations"]
    assert all(len(line) <= 75 for line in fixed.split(b"\r\n"))
    assert b"SCHEDULE-AGENT=CLIENT:mailto:a@example.org" in fixed.replace(b"\r\n ", b"")
    assert content_hash(fixed) != content_hash(event)


def test_accepts_refuses_other_components() -> None:
    with pytest.raises(ItemError, match="VTODO"):
        fixups.apply(sample_task("a1"), accepts=("VEVENT",))
    assert fixups.apply(sample_event("a2"), accepts=("VEVENT",))[1] == []


def test_fold_never_splits_a_character() -> None:
    folded = fixups.fold("SUMMARY:" + "é" * 100)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == "SUMMARY:" + "é" * 100
