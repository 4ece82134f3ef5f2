"""The item model: scan, the normalised hash (also against the real Radicale), resource names."""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
import uuid

import pytest

from davtui.engine import fixups
from davtui.engine.errors import ItemError
from davtui.engine.items import (
    CALENDAR_TYPE,
    VCARD_TYPE,
    content_hash,
    decode,
    derive_uid,
    resource_name,
    scan,
)
from davtui.engine.split import Item, split
from tests.conftest import CORPUS
from tests.contract import sample_event, sample_task, sample_vcard
from tests.servers import Server

JOURNAL = (
    b"BEGIN:VCALENDAR\nBEGIN:VJOURNAL\nUID:j1\nSUMMARY:Notes\\, day 1\nEND:VJOURNAL\n"
    b"END:VCALENDAR\n"
)


def test_scan_tells_kind_uid_summary_and_type() -> None:
    assert scan(sample_event("e1")).kind == "event"
    task = scan(sample_task("t1", "Buy milk"))
    assert (task.kind, task.component, task.uid, task.summary) == (
        "task",
        "VTODO",
        "t1",
        "Buy milk",
    )
    assert task.content_type == CALENDAR_TYPE
    card = scan(sample_vcard("c1", "Jane Doe"))
    assert (card.kind, card.uid, card.summary, card.content_type) == (
        "contact",
        "c1",
        "Jane Doe",
        VCARD_TYPE,
    )
    assert scan(JOURNAL).summary == "Notes, day 1"


def test_scan_kind_is_the_first_component_after_the_timezones() -> None:
    data = sample_task("t2").replace(
        b"BEGIN:VTODO", b"BEGIN:VTIMEZONE\r\nTZID:X\r\nEND:VTIMEZONE\r\nBEGIN:VTODO"
    )
    assert scan(data).kind == "task"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "no BEGIN"),
        (b"BEGIN:VEVENT\nUID:x\nSUMMARY:Bare\nEND:VEVENT\n", "not inside a VCALENDAR"),
        (sample_event("a") + sample_event("b"), "2 objects"),
        (sample_event("a").replace(b"END:VCALENDAR", b""), "never ended"),
        (b"BEGIN:VCALENDAR\nVERSION:2.0\nEND:VCALENDAR\n", "no event"),
    ],
    ids=["empty", "bare", "two", "unterminated", "no-item"],
)
def test_scan_refuses_what_is_not_one_item(data: bytes, reason: str) -> None:
    with pytest.raises(ItemError, match=reason) as caught:
        scan(data, source="cal/x.ics")
    assert "cal/x.ics" in str(caught.value)


def test_scan_refuses_two_uids_and_names_the_item() -> None:
    two = sample_event("a").replace(
        b"END:VCALENDAR", b"BEGIN:VTODO\r\nUID:b\r\nEND:VTODO\r\nEND:VCALENDAR"
    )
    with pytest.raises(ItemError, match="2 different UIDs") as caught:
        scan(two, source="f.ics")
    assert caught.value.uid == "a" and "Réunion" in str(caught.value)


def _lf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n")


def test_hash_ignores_what_servers_rewrite() -> None:
    event = sample_event("h1")
    base = content_hash(event)
    lines = event.split(b"\r\n")
    assert content_hash(_lf(event)) == base
    assert content_hash(event.replace(b"\r\n", b"\r")) == base
    assert content_hash(b"\r\n".join([*lines[:4], lines[8], *lines[4:8], *lines[9:]])) == base
    assert content_hash(event.replace(b"DTSTAMP:20240101", b"DTSTAMP:20250505")) == base
    assert content_hash(event.replace(b"PRODID:-//davtui", b"PRODID:-//SOGo")) == base
    assert content_hash(event.replace(b"LOCATION:Room 1", b"LOCATION:Ro\r\n om 1")) == base
    modified = event.replace(b"END:VEVENT", b"LAST-MODIFIED:20250101T000000Z\r\nEND:VEVENT")
    assert content_hash(modified) == base
    assert content_hash(event.replace(b"SUMMARY:R", b"summary:R")) == base


def test_hash_sees_content_changes() -> None:
    event = sample_event("h2")
    base = content_hash(event)
    assert content_hash(event.replace(b"Room 1", b"Room 2")) != base
    assert content_hash(event.replace(b"END:VEVENT", b"SEQUENCE:1\r\nEND:VEVENT")) != base
    assert content_hash(event.replace(b"END:VEVENT", b"CREATED:20240101T0Z\r\nEND:VEVENT")) != base


def test_hash_of_vcards_across_sogo_and_vobject_rewrites() -> None:
    card = (
        b"BEGIN:VCARD\nVERSION:4.0\nUID:v1\nFN:Jo\nN:Doe;Jo;;;\n"
        b"TEL;TYPE=work,voice;PREF=1:1\nEND:VCARD\n"
    )
    sogo = (
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Doe;Jo\r\nUID:v1\r\nFN:Jo\r\n"
        b"TEL;pref=1;type=WORK;type=VOICE:1\r\nEND:VCARD\r\n"
    )
    assert content_hash(card) == content_hash(sogo)
    assert content_hash(card) != content_hash(card.replace(b"FN:Jo", b"FN:Joe"))


def test_hash_works_on_decoded_text() -> None:
    text = "BEGIN:VCARD\nVERSION:3.0\nUID:l1\nFN:Müller\nEND:VCARD\n"
    assert decode(text.encode("latin-1")) == (text, "cp1252")
    assert decode(text.encode("utf-16-le"))[1] == "utf-16-le"
    digest = content_hash(text.encode())
    for codec in ("latin-1", "utf-16", "utf-16-le", "utf-8-sig"):
        assert content_hash(text.encode(codec)) == digest


def test_resource_name_is_safe_and_stable() -> None:
    assert resource_name("abc-1@host.org", "event") == "abc-1@host.org.ics"
    assert resource_name("abc", "contact") == "abc.vcf"
    for odd in ("a/b", "../x", ".hidden", "x y", "é", "x" * 201, ""):
        name = resource_name(odd, "task")
        assert name == f"{uuid.uuid5(uuid.NAMESPACE_URL, odd)}.ics"
    assert derive_uid(sample_event("")) == derive_uid(_lf(sample_event("")))


def _request(server: Server, method: str, path: str, body: bytes | None = None) -> bytes:
    request = urllib.request.Request(server.url + path, data=body, method=method)
    token = base64.b64encode(b"alice:alicepw").decode()
    request.add_header("Authorization", f"Basic {token}")
    request.add_header("Content-Type", "text/vcard; charset=utf-8")
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


MKCOL = (
    b'<?xml version="1.0"?><mkcol xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><set>'
    b"<prop><resourcetype><collection/><C:addressbook/></resourcetype></prop></set></mkcol>"
)

#: Radicale re-serialises these with vobject (order, parameter case and quoting, base64
#: whitespace, `\;` in TEL, `\N`); other corpus cards it really changes (commas cut off in FN
#: and NOTE, `\:` doubled, vCard 2.1 TYPEs dropped), and the hash rightly tells.
RADICALE_ROUND_TRIP = [
    "vcf/ccs-caldavtester/CardDAV__vcardput__6.vcf",
    "vcf/kcontacts/vcard8.vcf",
    "vcf/ez-vcard/io__text__rfc6350-example.vcf",
    "vcf/kcontacts/testfullvcard.vcf",
]


@pytest.mark.parametrize("name", RADICALE_ROUND_TRIP)
def test_hash_equal_after_radicale_round_trip(radicale: Server, name: str) -> None:
    book = f"alice/hash-{uuid.uuid4().hex}/"
    _request(radicale, "MKCOL", book, MKCOL)
    [item] = split((CORPUS / name).read_bytes(), name)
    assert isinstance(item, Item)
    sent, _ = fixups.apply(item.data)  # as the engine sends it (a UID added where missing)
    _request(radicale, "PUT", book + "card.vcf", sent)
    back = _request(radicale, "GET", book + "card.vcf")
    assert back != sent  # Radicale did rewrite it
    assert content_hash(back) == content_hash(sent)
