"""Semantic comparison: a server's rewrite of form is a conversion, a rewrite of meaning is a
difference; the verdict's exit code follows (0 converted, 1 skipped, 6 changed or missing);
and the `escape-text` fix-up keeps a text Radicale would cut at its first bare comma.

The item pairs are written by hand, one per server rewrite met in the field, each both ways:
equal when only the form changed, different when the meaning did.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urljoin

import pytest

from davtui.engine.events import ItemDone
from davtui.engine.items import fixups
from davtui.engine.items.compare import content_hash, converted, first_difference
from davtui.engine.sync.aliases import ALIAS_NOTE
from davtui.engine.sync.tally import Tally
from davtui.engine.sync.verify import Verification
from davtui.exitcodes import ITEM_ERRORS, OK, VERIFY
from tests import dav
from tests.servers import Server
from tests.test_migrate import config_file, run_migrate


def event(*lines: str, version: str = "2.0") -> bytes:
    body = "".join(f"{line}\r\n" for line in lines)
    return (
        f"BEGIN:VCALENDAR\r\nVERSION:{version}\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:pair-1\r\nDTSTAMP:20240101T000000Z\r\n{body}END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def card(*lines: str, version: str = "3.0") -> bytes:
    body = "".join(f"{line}\r\n" for line in lines)
    return (
        f"BEGIN:VCARD\r\nVERSION:{version}\r\nUID:card-1\r\nFN:Jo\r\n{body}END:VCARD\r\n".encode()
    )


def freebusy(*lines: str) -> bytes:
    body = "".join(f"{line}\r\n" for line in lines)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VFREEBUSY\r\n"
        f"UID:fb-1\r\nDTSTAMP:20240101T000000Z\r\n{body}END:VFREEBUSY\r\nEND:VCALENDAR\r\n"
    ).encode()


FB_A, FB_B = "20240701T080000Z/PT8H", "20240702T080000Z/PT8H"

#: (what the server rewrote, sent, stored, the properties named as converted)
CONVERSIONS = [
    ("FREEBUSY list as one line per period (Xandikos)", freebusy(f"FREEBUSY:{FB_A},{FB_B}"),
     freebusy(f"FREEBUSY:{FB_A}", f"FREEBUSY:{FB_B}"), ["VFREEBUSY FREEBUSY"]),
    ("EXDATE list as one line per date, a TZID with a colon",
     event('EXDATE;TZID="(UTC-03:00) Brasilia":20240101T100000,20240102T100000'),
     event('EXDATE;TZID="(UTC-03:00) Brasilia":20240101T100000',
           'EXDATE;TZID="(UTC-03:00) Brasilia":20240102T100000'), ["VEVENT EXDATE"]),
    ("TZID=Etc/GMT local time as UTC (Xandikos)", event("DTEND;TZID=Etc/GMT:20240917T010000"),
     event("DTEND:20240917T010000Z"), ["VEVENT DTEND"]),
    ("trailing blank (DAViCal -> Cyrus)", event("SUMMARY:Boxing Day "),
     event("SUMMARY:Boxing Day"), ["VEVENT SUMMARY"]),
    ("VALUE=DATE spelled out", event("DTSTART:20231224"),
     event("DTSTART;VALUE=DATE:20231224"), ["VEVENT DTSTART"]),
    ("VALUE=DATE-TIME spelled out", event("DTSTART:20231224T100000Z"),
     event("DTSTART;VALUE=DATE-TIME:20231224T100000Z"), ["VEVENT DTSTART"]),
    ("vCalendar 1.0 stored as 2.0", event("SUMMARY:a", version="1.0"), event("SUMMARY:a"),
     ["VCALENDAR VERSION"]),
    ("RSVP=TRUE added (SOGo)", event("ATTENDEE:mailto:a@example.org"),
     event("ATTENDEE;RSVP=TRUE:mailto:a@example.org"), ["VEVENT ATTENDEE"]),
    ("mailto: case", event("ORGANIZER:MAILTO:Boss@Example.org"),
     event("ORGANIZER:mailto:boss@example.org"), ["VEVENT ORGANIZER"]),
    ("empty ADR dropped (SOGo)", card("ADR;TYPE=HOME:;;;;;;"), card(), ["VCARD ADR"]),
    ("vCard 4 PREF=1 as 3's TYPE=pref", card("EMAIL;PREF=1:jo@example.org", version="4.0"),
     card("EMAIL;TYPE=pref:jo@example.org"), ["VCARD EMAIL"]),
    ("vCard 4 tel: URI as 3's text", card("TEL;VALUE=uri;TYPE=cell:tel:+49-30-1", version="4.0"),
     card("TEL;TYPE=CELL:+49-30-1"), ["VCARD TEL"]),
]  # fmt: skip

#: (what changed, sent, stored, the property the reason must name)
CHANGES = [
    ("a FREEBUSY period lost", freebusy(f"FREEBUSY:{FB_A},{FB_B}"), freebusy(f"FREEBUSY:{FB_A}"),
     "VFREEBUSY FREEBUSY"),
    ("a zone's local time read as UTC", event("DTEND;TZID=Europe/Berlin:20240917T010000"),
     event("DTEND:20240917T010000Z"), "VEVENT DTEND"),
    ("Etc/GMT+1 is not UTC", event("DTEND;TZID=Etc/GMT+1:20240917T010000"),
     event("DTEND:20240917T010000Z"), "VEVENT DTEND"),
    ("a time moved: floating -> UTC", event("DTSTART:20231224T100000"),
     event("DTSTART:20231224T100000Z"), "VEVENT DTSTART"),
    ("a date became a date-time", event("DTSTART;VALUE=DATE:20231224"),
     event("DTSTART:20231224T000000"), "VEVENT DTSTART"),
    ("text cut at a bare comma (Radicale)", event("DESCRIPTION:profiling, monitoring, and more"),
     event("DESCRIPTION:profiling"), "VEVENT DESCRIPTION"),
    ("inner blank lost", event("SUMMARY:Boxing  Day"), event("SUMMARY:Boxing Day"),
     "VEVENT SUMMARY"),
    ("PARTSTAT reset", event("ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@example.org"),
     event("ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:a@example.org"), "VEVENT ATTENDEE"),
    ("attendee lost", event("ATTENDEE:mailto:a@example.org", "ATTENDEE:mailto:b@example.org"),
     event("ATTENDEE:mailto:a@example.org"), "VEVENT ATTENDEE"),
    ("property lost", event("LOCATION:Room 1"), event(), "VEVENT LOCATION"),
    ("an ADR with content lost", card("ADR;TYPE=HOME:;;Main St 1;;;;"), card(), "VCARD ADR"),
    ("another address", event("ATTENDEE:mailto:a@example.org"),
     event("ATTENDEE:mailto:b@example.org"), "VEVENT ATTENDEE"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "sent", "stored", "names"), CONVERSIONS,
                         ids=[c[0] for c in CONVERSIONS])  # fmt: skip
def test_form_only_is_a_conversion(what: str, sent: bytes, stored: bytes, names: list) -> None:
    assert converted(sent, stored) == names
    assert first_difference(sent, stored) is not None  # the content hashes differ: a conversion
    assert content_hash(sent) != content_hash(stored)


@pytest.mark.parametrize(("what", "sent", "stored", "name"), CHANGES,
                         ids=[c[0] for c in CHANGES])  # fmt: skip
def test_a_change_of_meaning_stays_different(what: str, sent: bytes, stored: bytes, name: str):
    assert converted(sent, stored) == []
    assert content_hash(sent, meaning=True) != content_hash(stored, meaning=True)
    assert (first_difference(sent, stored) or "").startswith(f"{name}:")


def test_the_reason_names_the_change_not_a_conversion_beside_it() -> None:
    """`SUMMARY` lost a trailing blank (form) and DESCRIPTION was cut (meaning): the reason is
    the DESCRIPTION."""
    sent = event("SUMMARY:Day ", "DESCRIPTION:a\\, b")
    stored = event("SUMMARY:Day", "DESCRIPTION:a")
    assert first_difference(sent, stored) == "VEVENT DESCRIPTION: sent a, b, stored a"


def test_an_escaped_comma_is_the_same_text() -> None:
    """What `escape-text` sends hashes as the source does: no stored hash changes."""
    sent = event("DESCRIPTION:profiling, monitoring; and analysis.")
    fixed, applied = fixups.apply(sent)
    assert applied == ["escape-text"]
    assert b"DESCRIPTION:profiling\\, monitoring\\; and analysis." in fixed
    assert content_hash(fixed) == content_hash(sent)


def test_escape_text_leaves_valid_items_and_lists_alone() -> None:
    valid = event("DESCRIPTION:a\\, b\\; c", "CATEGORIES:work,home", "RESOURCES:beamer,room")
    assert fixups.fix_escape_text(valid) is valid
    assert fixups.fix_escape_text(card("NOTE:a; b")) is not None  # vCards: not this fix-up
    vcard = card("NOTE:a; b")
    assert fixups.fix_escape_text(vcard) is vcard


def test_windows_zones_are_cldrs_table() -> None:
    """icalendar's CLDR table: more than the 50 zones once copied by hand."""
    assert fixups.windows_zones()["W. Europe Standard Time"] == "Europe/Berlin"
    assert len(fixups.windows_zones()) > 100
    sent = event("DTSTART;TZID=Mountain Standard Time (Mexico):20240101T100000")
    fixed, applied = fixups.apply(sent)
    assert "windows-tzid" in applied and b"TZID=America/Mazatlan" in fixed


def _done(outcome: str, reason: str | None = None) -> ItemDone:
    return ItemDone("work", "a.ics", "a", "A", "event", outcome, reason)


def test_verdict_exit_codes() -> None:
    """0: as sent, fixed or converted; 1: failed, refused or skipped; 6: missing or changed."""
    entry = {"collection": "work", "href": "a.ics", "uid": "a"}
    tally = Tally()
    tally.item(_done("created"), 10)
    converted_only = Verification(converted=1, conversions=[{**entry, "reason": "form"}])
    assert tally.verdict(converted_only)[2] == OK
    alias = Tally()
    alias.item(_done("skipped", f"same event as in calendar 'x' {ALIAS_NOTE}: copied once"), 1)
    assert alias.verdict(Verification())[2] == OK
    skipped = Tally()
    skipped.item(_done("skipped", "the destination collection 'x' does not accept VJOURNAL"), 1)
    assert skipped.verdict(Verification())[2] == ITEM_ERRORS
    assert skipped.skipped[0]["reason"].endswith("VJOURNAL")
    conflict = Tally()
    conflict.item(_done("conflict", "changed on both sides"), 1)
    assert conflict.verdict(Verification())[2] == ITEM_ERRORS
    assert skipped.verdict(Verification(different=[entry]))[2] == VERIFY
    assert tally.verdict(Verification(missing=[entry]))[2] == VERIFY


def _stored_items(base: str) -> list[bytes]:
    """Every item in alice's collections, read with plain HTTP."""
    status, text = dav.request(base + "alice/", "PROPFIND", dav.LISTING, headers={"Depth": "1"})
    assert status == 207
    hrefs = re.findall(rb"<(?:\w+:)?href>([^<]*/)</", text)
    collections = {h.decode() for h in hrefs if h.decode().rstrip("/") != "/alice"}
    return [
        dav.request(urljoin(base, item), "GET")[1]
        for collection in collections
        for item in dav.listing(urljoin(base, collection))
    ]


LONG = "tools for performance profiling, monitoring, and analysis; all of them."


def test_radicale_keeps_the_whole_text_and_a_rerun_reads_nothing(
    fresh_radicale: Server, tmp_path: Path
) -> None:
    """A file with bare commas in DESCRIPTION (a file source hands them out as they are; a
    server like Xandikos would escape them itself) goes to a real Radicale, which would keep
    `tools for performance profiling` alone: escaped, it keeps every word and verifies equal;
    the re-run reads nothing back and writes nothing."""
    item = event(f"DESCRIPTION:{LONG}", "SUMMARY:Tools, all of them", "DTSTART:20240102T100000Z")
    (tmp_path / "work.ics").write_bytes(item)
    config = tmp_path / "f.toml"
    config.write_text(
        f'[source]\nurl = "{tmp_path / "work.ics"}"\nkind = "file"\n[destination]\n'
        f'url = "{fresh_radicale.url}"\nusername = "alice"\npassword_env = "DST_PASS"\n[job]\n'
    )
    first = run_migrate(config, home=tmp_path)
    assert first.returncode == OK, first.stdout + first.stderr
    report = json.loads(first.stdout)
    assert report["verification"]["ok"] and not report["verification"]["different"]
    assert report["stats"].get("fixups", {}).get("escape-text") == 1, report["stats"]
    stored = _stored_items(fresh_radicale.url)
    assert len(stored) == 1
    unfolded = stored[0].replace(b"\r\n ", b"")
    assert b"profiling\\, monitoring\\, and analysis\\; all of them." in unfolded, stored
    second = json.loads(run_migrate(config, home=tmp_path).stdout)
    assert second["verification"]["fetched"] == 0
    assert second["stats"]["events"]["created"] == second["stats"]["events"]["updated"] == 0


def test_the_content_hash_is_the_one_already_stored() -> None:
    """The stored hashes (`dest_hash`, a file's ETags) were made with this very hash: pinned
    (values from before the semantic comparison), so an upgrade makes no stored item look
    changed, and no re-run reads or writes it again. Conversions live in `meaning=True`."""
    ical = (
        event(
            "SUMMARY:Boxing Day ",
            "DTSTART;VALUE=DATE:20231224",
            "DESCRIPTION:a\\, b",
            "ATTENDEE;RSVP=TRUE;PARTSTAT=NEEDS-ACTION:MAILTO:A@B.org",
            version="1.0",
        )
        .replace(b"UID:pair-1", b"UID:pin")
        .replace(b"PRODID:-//test//EN\r\n", b"")
    )
    vcard = card("ADR;TYPE=HOME:;;;;;;", "EMAIL;TYPE=pref:jo@example.org").replace(
        b"UID:card-1", b"UID:pin"
    )
    assert content_hash(ical) == "64e5cfd0db1f4d1dcd50476b18b2fa93eb54505d6978c3d997c7a4ad208e060f"
    assert content_hash(vcard) == "ac0d1a080e896a06b7cca92a8af9318af520fe0301effa152efd5f0eaa8d9298"


def test_a_real_conversion_is_listed_exit_0_and_costs_nothing_next_time(
    fresh_xandikos: Server, fresh_radicale: Server, tmp_path: Path
) -> None:
    """Radicale stores `DTSTART:20231224` as `DTSTART;VALUE=DATE:20231224`: the content hashes
    differ, the meaning does not. The run exits 0 and lists the item as converted (it was
    exit 6, `different`); the re-run reads nothing back and writes nothing."""
    url = dav.make_collection(fresh_xandikos.url, "alice/calendars/work/", "work")
    assert dav.put(url + "pair-1.ics", event("DTSTART:20231224", "SUMMARY:Xmas")) in (201, 204)
    config = config_file(tmp_path / "x.toml", fresh_xandikos.url, fresh_radicale.url)
    first = run_migrate(config, home=tmp_path)
    assert first.returncode == OK, first.stdout
    verification = json.loads(first.stdout)["verification"]
    assert verification["different"] == [] and verification["converted"] == 1
    [entry] = verification["conversions"]
    assert entry["uid"] == "pair-1" and entry["reason"].endswith("VEVENT DTSTART")
    assert b"DTSTART;VALUE=DATE:20231224" in _stored_items(fresh_radicale.url)[0]
    again = run_migrate(config, home=tmp_path)
    assert again.returncode == OK, again.stdout
    second = json.loads(again.stdout)
    assert second["verification"]["fetched"] == 0
    assert second["stats"]["events"]["created"] == second["stats"]["events"]["updated"] == 0
