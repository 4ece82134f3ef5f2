"""Fix-ups: each acts only when needed, says so, and touches nothing else."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest

from davtui.engine.errors import ItemError
from davtui.engine.items import compare, fixups, lines
from davtui.engine.items.compare import content_hash
from davtui.engine.items.scan import scan
from davtui.engine.items.split import Item, split
from tests.contract import sample_event, sample_task, sample_vcard
from tests.dav import make_collection, put, request
from tests.servers import Server


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


def test_bare_cr_line_ends_become_crlf_and_lf_files_stay() -> None:
    event = sample_event("cr")
    cr_only = event.replace(b"\r\n", b"\r")
    mixed = event.replace(b"\r\n", b"\r", 3).replace(b"\r\n", b"\n", 3)
    for data in (cr_only, mixed):
        fixed, applied = fixups.apply(data)
        assert applied == ["line-ends"] and fixed == event
    lf = event.replace(b"\r\n", b"\n")
    assert fixups.apply(lf) == (lf, [])


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


def test_every_windows_zone_passes_the_byte_precheck() -> None:
    """The pre-check that spares IANA-only items the CLDR table must let every Windows name
    through, as a parameter (quoted or not) and as a VTIMEZONE's TZID, even folded."""
    base = sample_event("wz").replace(
        b"DTSTART:20240102T100000Z", b"DTSTART;TZID=%s:20240102T100000"
    )
    for name, iana in fixups.windows_zones().items():
        for form in (name.encode(), b'"' + name.encode() + b'"'):
            fixed, applied = fixups.apply(base % form)
            assert "windows-tzid" in applied and f"TZID={iana}:".encode() in fixed, name
        folded = b"BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:" + name.encode()[:3] + b"\r\n "
        folded += name.encode()[3:] + b"\r\nEND:VTIMEZONE\r\nEND:VCALENDAR\r\n"
        assert fixups.fix_windows_tzid(folded) is not folded, name


def test_iana_zones_never_load_the_windows_table() -> None:
    """Importing the CLDR table imports all of icalendar (+4 MB peak): an item whose zones are
    IANA names must not (a fresh interpreter, as `davtui migrate` is)."""
    code = (
        "import sys\n"
        "from davtui.engine.items import fixups\n"
        "from tests.contract import sample_event\n"
        "e = sample_event('ia').replace(b'DTSTART:20240102T100000Z',"
        " b'DTSTART;TZID=Europe/Berlin:20240102T100000')\n"
        "fixed, applied = fixups.apply(e)\n"
        "assert applied == ['add-vtimezone'], applied\n"
        "print('icalendar' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


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
    folded = lines.fold("SUMMARY:" + "é" * 100)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == "SUMMARY:" + "é" * 100


def _calendar(*props: str) -> bytes:
    body = ["BEGIN:VEVENT", "UID:f1", "SUMMARY:x", *props, "END:VEVENT"]
    return (
        "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", *body, "END:VCALENDAR"]) + "\r\n"
    ).encode()


def _card(version: str, *props: str) -> bytes:
    lines = ["BEGIN:VCARD", f"VERSION:{version}", "UID:c1", *props, "END:VCARD"]
    return ("\r\n".join(lines) + "\r\n").encode()


def test_utc_with_tzid_keeps_the_utc_time() -> None:
    event = _calendar("DTSTART;TZID=Europe/Berlin:20150602T120000Z", "DTEND:20150602T130000Z")
    fixed, applied = fixups.apply(event)
    assert applied == ["utc-with-tzid"]  # and no VTIMEZONE added: nothing references it now
    assert fixed == event.replace(b";TZID=Europe/Berlin", b"")
    local = _calendar("DTSTART;TZID=Europe/Berlin:20150602T120000")
    assert fixups.fix_utc_with_tzid(local) is local


def test_date_with_tzid_drops_the_zone_of_dates() -> None:
    event = _calendar(
        "DTSTART;TZID=Japan;VALUE=DATE:20050108",
        "EXDATE;VALUE=DATE;TZID=Japan:20050115,20050122",
        "DESCRIPTION;TZID=Japan:20050108",  # not a date property with a TZID: but a date value
    )
    fixed, applied = fixups.apply(event)
    assert applied == ["date-with-tzid"]
    assert b"DTSTART;VALUE=DATE:20050108\r\n" in fixed
    assert b"EXDATE;VALUE=DATE:20050115,20050122\r\n" in fixed
    timed = _calendar("DTSTART;TZID=Japan:20050108T090000")
    assert fixups.fix_date_with_tzid(timed) is timed


def test_vcard_commas_escapes_single_value_text_of_3_and_4() -> None:
    card = _card("3.0", "FN:Mustermann, Heiko", "NOTE:a\\, b, c", "CATEGORIES:x,y", "N:M;H;;;")
    fixed, applied = fixups.apply(card)
    assert applied == ["vcard-commas"]
    assert b"FN:Mustermann\\, Heiko\r\n" in fixed and b"NOTE:a\\, b\\, c\r\n" in fixed
    assert b"CATEGORIES:x,y\r\n" in fixed  # a list: its commas separate values
    assert content_hash(fixed) == content_hash(card)  # the same meaning
    old = _card("2.1", "FN:Mustermann, Heiko")  # 2.1 has no comma escape
    assert fixups.apply(old) == (old, [])
    encoded = _card("3.0", "NOTE;ENCODING=QUOTED-PRINTABLE:a, b")
    assert fixups.fix_vcard_commas(encoded) is encoded


def test_vcard_bare_params_names_them_and_keeps_qp_lines() -> None:
    card = _card(
        "2.1",
        "FN:Jo",
        "TEL;WORK;VOICE:+49 1",
        "NOTE;CHARSET=UTF-8;QUOTED-PRINTABLE:first=",
        "second",
        "PHOTO;URL:http://example.org/p.jpg",
    )
    fixed, applied = fixups.apply(card)
    assert applied == ["vcard-bare-params"]
    assert b"TEL;TYPE=WORK;TYPE=VOICE:+49 1\r\n" in fixed
    assert b"NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:first=\r\nsecond\r\n" in fixed
    assert b"PHOTO;VALUE=URL:http://example.org/p.jpg\r\n" in fixed
    assert content_hash(fixed) == content_hash(card)
    named = _card("3.0", "TEL;WORK:+49 1")  # bare TYPE values are only 2.1
    assert fixups.fix_vcard_bare_params(named) is named


#: What Xandikos (icalendar) rewrites, one line each: invalid input it changes the meaning of
#: (the fix-ups prevent it) and spellings it changes (the hash ignores them).
XANDIKOS_REWRITES = [
    "DTSTART;TZID=Europe/Berlin:20150602T120000Z",
    "EXDATE;TZID=Europe/Berlin;VALUE=DATE:20150609",
    "DTEND;TZID=Europe/Paris:20150602T150000",
    "GEO:+51.76882;+14.32321",
    "ATTENDEE;CN=Sahaja Lal;SCHEDULE-FORCE-SEND=REQUEST:mailto:s@example.org",
    "X-APPLE-STRUCTURED-LOCATION;VALUE=URI;X-ADDRESS=1 Main St\\\\nTown:geo:51.7,14.3",
    "BEGIN:VALARM",
    "ACTION:DISPLAY",
    "DESCRIPTION:x",
    "TRIGGER:PT0S",
    "END:VALARM",
]
PARIS = "BEGIN:VTIMEZONE|TZID:Europe/Paris|BEGIN:STANDARD|DTSTART:19701025T030000|" \
    "TZOFFSETFROM:+020000|TZOFFSETTO:+010000|END:STANDARD|END:VTIMEZONE"  # fmt: skip


def _round_trip(server: Server, kind: str, data: bytes) -> bytes:
    """PUT `data` into a new collection of the real server and GET it back."""
    name = f"fx-{uuid.uuid4().hex[:8]}"
    home = {"calendar": "calendars/", "addressbook": "contacts/"}[kind]
    path = f"alice/{home if server.name == 'xandikos' else ''}{name}/"
    url = make_collection(server.url, path, name, kind)
    content_type = "text/calendar" if kind == "calendar" else "text/vcard"
    assert put(url + "item", data, content_type) in (201, 204)
    status, back = request(url + "item", "GET")
    assert status == 200
    return back


def test_xandikos_keeps_the_meaning_of_what_the_fixups_send(xandikos: Server) -> None:
    event = _calendar(*XANDIKOS_REWRITES).replace(
        b"BEGIN:VEVENT", "\r\n".join(PARIS.split("|")).encode() + b"\r\nBEGIN:VEVENT"
    )
    raw = _round_trip(xandikos, "calendar", event)
    assert compare.first_difference(event, raw) == (
        "VEVENT DTSTART: sent 20150602T120000Z, stored TZID=Europe/Berlin:20150602T120000"
    )  # the meaning changed: the fix-ups exist for this
    sent, applied = fixups.apply(event)
    assert applied == ["utc-with-tzid", "date-with-tzid"]
    back = _round_trip(xandikos, "calendar", sent)
    assert back != sent and compare.first_difference(sent, back) is None
    assert content_hash(back) == content_hash(sent)


@pytest.mark.parametrize(
    ("card", "fixup"),
    [
        (_card("3.0", "FN:Mustermann, Heiko", "N:Mustermann;Heiko;;;"), "vcard-commas"),
        (_card("4.0", "FN:Jo", "NOTE:one, two, three"), "vcard-commas"),
        (_card("2.1", "FN:Jo", "N:Jo;;;;", "TEL;WORK;VOICE:+49 1"), "vcard-bare-params"),
    ],
    ids=["fn-comma", "note-comma", "bare-type"],
)
def test_radicale_keeps_what_the_vcard_fixups_send(
    radicale: Server, card: bytes, fixup: str
) -> None:
    raw = _round_trip(radicale, "addressbook", card)
    assert content_hash(raw) != content_hash(card)  # vobject loses data without the fix-up
    sent, applied = fixups.apply(card)
    assert applied == [fixup]
    back = _round_trip(radicale, "addressbook", sent)
    assert compare.first_difference(sent, back) is None
