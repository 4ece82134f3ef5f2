"""Zimbra/Carbonio as a migration source, reproduced against real Radicale and Xandikos.

We cannot run Zimbra here, so its reported answers are put on the wire by the real proxy of
tests/proxy.py, which rewrites response bodies: every `<response>` of a multistatus twice, hrefs
with raw spaces, and an empty answer to addressbook-query (as in vdirsyncer#83). Item data comes
from the Zimbra export of the corpus (PRODID Zimbra-Calendar-Provider) and its task files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from davtui.engine.dav.discovery import candidates
from davtui.engine.dav.storage import DavStorage
from davtui.engine.events import CollectionCreated, Event, Finished, ItemDone, Progress
from davtui.engine.items import fixups
from davtui.engine.jobs.state import JobState
from davtui.engine.run_stats import ItemCounts
from davtui.engine.storages.contract import ADDRESSBOOK, CALENDAR, AccountSpec, ReadOnly
from davtui.engine.sync.migration import Migration, Options
from tests import dav
from tests.conftest import CORPUS
from tests.proxy import Fault, Proxy
from tests.servers import Server

#: An event shaped as Zimbra exports one (its PRODID, an `Etc/GMT` zone with `-0000` offsets,
#: Outlook's X- properties), written for these tests.
ZIMBRA_EVENT = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:Zimbra-Calendar-Provider
BEGIN:VTIMEZONE
TZID:Etc/GMT
BEGIN:STANDARD
DTSTART:19710101T000000
TZOFFSETTO:-0000
TZOFFSETFROM:-0000
TZNAME:GMT
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
UID:d118e997-3683-4552-8fe8-57c641f1f179
SUMMARY:And another
ORGANIZER;CN=Dana Example:mailto:dana@example.org
DTSTART;TZID=Etc/GMT:20120821T210000
DTEND;TZID=Etc/GMT:20120821T213000
STATUS:CONFIRMED
CLASS:PUBLIC
X-MICROSOFT-CDO-INTENDEDSTATUS:BUSY
TRANSP:OPAQUE
X-MICROSOFT-DISALLOW-COUNTER:TRUE
DTSTAMP:20120817T032509Z
SEQUENCE:0
END:VEVENT
END:VCALENDAR
"""
ZIMBRA_UID = b"UID:d118e997-3683-4552-8fe8-57c641f1f179"
TASKS = [  # Radicale keeps these as sent (it rewrites floating CREATED and TRIGGER;VALUE=)
    CORPUS / "ics/tasks.org/thunderbird__repeat_until_date_time.ics",
    CORPUS / "ics/biweekly/io__text__rfc5545-example4.ics",
    CORPUS / "ics/radicale/todo9.ics",
    CORPUS / "ics/vobject/vtodo.ics",
]
WRITES = ("PUT", "DELETE", "MKCOL", "MKCALENDAR", "PROPPATCH")
HREF = re.compile(rb"(<(?:\w+:)?href>)([^<]*)(</(?:\w+:)?href>)")
RESPONSE = re.compile(rb"<((?:\w+:)?)response\b.*?</\1response>", re.S)
EMPTY = b'<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:"/>'
TASK_LIST = (
    b'<?xml version="1.0"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
    b"<D:set><D:prop><D:displayname>Tasks</D:displayname><C:supported-calendar-component-set>"
    b'<C:comp name="VTODO"/></C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>'
)


def zimbra_event(uid: str, summary: str = "And another", extra: bytes = b"") -> bytes:
    """The Zimbra-shaped event with another UID and summary; `extra` goes after DTEND."""
    data = ZIMBRA_EVENT
    assert ZIMBRA_UID in data and b"SUMMARY:And another" in data
    data = data.replace(ZIMBRA_UID, f"UID:{uid}".encode())
    data = data.replace(b"SUMMARY:And another", f"SUMMARY:{summary}".encode())
    return re.sub(rb"(DTEND[^\n]*\n)", lambda m: m[1] + extra, data, count=1)


class AsZimbra:
    """A proxy fault hook answering as Zimbra does; it keeps what it sent, to prove it."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def __call__(self, method: str, _path: str, _attempt: int, body: bytes) -> Fault | None:
        if method == "REPORT" and b"addressbook-query" in body:
            return Fault(mangle=lambda _body: EMPTY, identity=True)
        if method in ("PROPFIND", "REPORT"):
            return Fault(mangle=self.mangle, identity=True)
        return None

    def mangle(self, body: bytes) -> bytes:
        raw = HREF.sub(lambda m: m[1] + m[2].replace(b"%20", b" ") + m[3], body)
        twice = RESPONSE.sub(lambda m: m[0] + m[0], raw)
        self.sent.append(twice)
        return twice


def storage(url: str, preset: str | None = None) -> DavStorage:
    return DavStorage(AccountSpec(url=url, username="alice", password="alicepw", preset=preset))


def migrate(
    source_url: str, dest_url: str, job_id: int, preset: str | None = None, **options
) -> tuple[Finished, list]:
    """One run; `preset` is the source account's ("zimbra": the source mounts shares)."""
    events: list[Event] = []
    source, destination = storage(source_url, preset), storage(dest_url)
    try:
        run = Migration(
            ReadOnly(source), destination, JobState(job_id), Options(**options), events.append
        )
        return run.run(), events
    finally:
        source.close()
        destination.close()


def writes(proxy: Proxy) -> int:
    return sum(proxy.counts[method] for method in WRITES)


@pytest.fixture
def zimbra(fresh_radicale: Server) -> Iterator[tuple[Proxy, AsZimbra]]:
    hook = AsZimbra()
    with Proxy(fresh_radicale.url, fault=hook) as proxy:
        yield proxy, hook


@pytest.fixture
def destination(fresh_xandikos: Server) -> Iterator[Proxy]:
    with Proxy(fresh_xandikos.url) as proxy:
        yield proxy


def test_the_zimbra_preset_is_dav_user() -> None:
    spec = AccountSpec(url="mail.example.org", username="alice@example.org", preset="zimbra")
    url, how = next(candidates(spec))
    assert (url, how) == ("https://mail.example.org/dav/alice@example.org/", "preset zimbra")


def test_doubled_responses_and_raw_spaces_are_one_item_each(
    fresh_radicale: Server, zimbra, destination: Proxy, job_id: int
) -> None:
    proxy, hook = zimbra
    cal = dav.make_collection(fresh_radicale.url, "alice/Zimbra%20Work/", "Zimbra Work")
    for n in range(3):
        assert dav.put(f"{cal}event%20{n}.ics", zimbra_event(f"zimbra {n}@example.org")) == 201
    source = storage(proxy.url)
    [work] = source.collections([CALENDAR])  # the home listing names it twice too
    proxy.reset()
    refs = list(source.list(work))
    fetched = list(source.fetch(work, [ref.href for ref in refs]))
    source.close()
    assert sorted(ref.href for ref in refs) == [
        f"/alice/Zimbra%20Work/event%20{n}.ics" for n in range(3)
    ]
    assert len(fetched) == 3 and all(f.error is None and b"Zimbra" in f.data for f in fetched)
    assert proxy.counts == {"PROPFIND": 1, "REPORT": 1}, "one listing, one multiget, no GET"
    assert b"<href>/alice/Zimbra Work/event 0.ics</href>" in hook.sent[-1]
    assert hook.sent[-1].count(b"/alice/Zimbra Work/event 0.ics<") == 2

    first, events = migrate(proxy.url, destination.url, job_id, what="calendars")
    assert first.status == "completed" and first.verification["ok"], first
    assert first.stats.events.created == 3 and first.stats.events.skipped == 0
    assert [e.total for e in events if isinstance(e, Progress)][-1] == 3, "no double count"
    [made] = [e for e in events if isinstance(e, CollectionCreated)]
    names = sorted(dav.listing(destination.url.rstrip("/") + made.href))
    assert len(names) == 3 and not any(" " in n or "%20" in n for n in names), names

    destination.reset()
    again, _ = migrate(proxy.url, destination.url, job_id, what="calendars")
    assert again.stats.events.unchanged == 3 and writes(destination) == 0


@pytest.mark.corpus
def test_address_books_are_listed_by_propfind_not_addressbook_query(
    fresh_radicale: Server, zimbra
) -> None:
    """Zimbra answers addressbook-query with nothing: the listing must not depend on it."""
    proxy, _hook = zimbra
    book = dav.make_collection(fresh_radicale.url, "alice/Contacts/", "Contacts", "addressbook")
    manifest = json.loads((CORPUS / "manifest.json").read_text())["files"]
    cards = [
        f["file"]
        for f in manifest
        if f["status"] == "ok" and f["components"] == {"VCARD": 1} and f["distinct_uids"] == 1
    ][:8]
    accepted = sum(
        dav.put(f"{book}card%20{n}.vcf", (CORPUS / name).read_bytes(), "text/vcard") == 201
        for n, name in enumerate(cards)
    )
    query = b'<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"/>'
    status, answer = dav.request(proxy.url + "alice/Contacts/", "REPORT", query)
    assert status == 207 and b"<D:response" not in answer, "the proxy answers as Zimbra"
    source = storage(proxy.url)
    [contacts] = source.collections([ADDRESSBOOK])
    proxy.reset()
    refs = list(source.list(contacts))
    assert len(refs) == accepted >= 5 and proxy.counts == {"PROPFIND": 1}
    fetched = list(source.fetch(contacts, [ref.href for ref in refs]))
    source.close()
    assert len(fetched) == accepted and all(b"BEGIN:VCARD" in f.data.upper() for f in fetched)
    assert proxy.counts == {"PROPFIND": 1, "REPORT": 1}


def test_an_alias_calendar_is_copied_once_and_reported(
    fresh_radicale: Server, zimbra, destination: Proxy, job_id: int
) -> None:
    """A shared calendar mounted in Zimbra holds the same items as the original: identical
    UID and content is copied once; the same UID with other content is a different item."""
    proxy, _hook = zimbra
    same = zimbra_event("shared@zimbra")
    mounted = (("alice/calendar/", "Calendar", "Mine"), ("alice/team/", "Team", "Theirs"))
    for path, name, summary in mounted:
        url = dav.make_collection(fresh_radicale.url, path, name)
        assert dav.put(url + "shared.ics", same) == 201
        assert dav.put(url + "other.ics", zimbra_event("other@zimbra", summary)) == 201
    source = storage(proxy.url)
    first_name, second_name = (c.name for c in source.collections([CALENDAR]))
    source.close()

    first, events = migrate(proxy.url, destination.url, job_id, "zimbra", what="calendars")
    assert first.status == "completed" and first.verification["ok"] and not first.errors
    assert first.stats.events == ItemCounts(created=3, skipped=1)
    [alias] = [e for e in events if isinstance(e, ItemDone) and e.outcome == "skipped"]
    assert (alias.collection, alias.uid) == (second_name, "shared@zimbra")
    assert alias.reason.startswith(f"same event as in calendar '{first_name}' (a Zimbra alias?)")
    assert f"not again from '{second_name}'" in alias.reason
    dest = storage(destination.url)
    held = {c.name.lower(): len(list(dest.list(c))) for c in dest.collections([CALENDAR])}
    dest.close()
    assert held == {first_name.lower(): 2, second_name.lower(): 1}  # Calendar: Xandikos's own

    destination.reset()
    again, events = migrate(proxy.url, destination.url, job_id, "zimbra", what="calendars")
    assert writes(destination) == 0 and again.status == "completed" and not again.errors
    assert again.stats.events.skipped == 1 and again.stats.events.unchanged == 3
    [alias] = [e for e in events if isinstance(e, ItemDone) and e.outcome == "skipped"]
    assert "(a Zimbra alias?)" in alias.reason and second_name in alias.reason

    edited = zimbra_event("shared@zimbra", "Moved")  # an edit shows in both Zimbra folders
    for path in ("alice/calendar/", "alice/team/"):
        url = fresh_radicale.url + path + "shared.ics"
        etag = dav.listing(fresh_radicale.url + path)["/" + path + "shared.ics"]
        assert dav.request(url, "PUT", edited, headers={"If-Match": etag})[0] in (201, 204)
    third, _ = migrate(proxy.url, destination.url, job_id, "zimbra", what="calendars")
    assert third.stats.events.updated == 1 and third.stats.events.skipped == 1


def test_identical_items_in_two_calendars_elsewhere_are_both_copied(
    fresh_radicale: Server, destination: Proxy, job_id: int
) -> None:
    """Only Zimbra mounts shares as collections: on other servers the same event in two
    calendars is two copies the user keeps, and both arrive."""
    for path, name in (("alice/one/", "One"), ("alice/two/", "Two")):
        url = dav.make_collection(fresh_radicale.url, path, name)
        assert dav.put(url + "shared.ics", zimbra_event("twice@example.org")) == 201
    result, _ = migrate(fresh_radicale.url, destination.url, job_id, what="calendars")
    assert result.status == "completed" and result.verification["ok"]
    assert result.stats.events.created == 2 and result.stats.events.skipped == 0


@pytest.mark.corpus
@pytest.mark.parametrize("direction", ["radicale->xandikos", "xandikos->radicale"])
def test_a_task_list_goes_to_a_collection_that_takes_tasks(
    direction: str, fresh_radicale: Server, fresh_xandikos: Server, job_id: int
) -> None:
    """Zimbra keeps tasks in task lists (VTODO only): the destination list is created with
    that component set, and every task arrives."""
    servers = {"radicale": fresh_radicale, "xandikos": fresh_xandikos}
    src, dst = (servers[name] for name in direction.split("->"))
    home = "alice/" if src is fresh_radicale else "alice/calendars/"
    xml = {"Content-Type": "application/xml"}
    assert dav.request(f"{src.url}{home}tasks/", "MKCALENDAR", TASK_LIST, headers=xml)[0] == 201
    accepted = sum(
        dav.put(f"{src.url}{home}tasks/task-{n}.ics", path.read_bytes()) == 201
        for n, path in enumerate(TASKS)
    )
    result, events = migrate(src.url, dst.url, job_id, what="calendars")
    assert result.status == "completed" and result.verification["ok"], result
    assert result.stats.tasks.created == accepted >= 3
    [made] = [e for e in events if isinstance(e, CollectionCreated) and e.name == "Tasks"]
    assert made.not_kept == ()
    dest = storage(dst.url)
    [task_list] = [c for c in dest.collections([CALENDAR]) if c.href == made.href]
    assert task_list.components == ("VTODO",) and len(list(dest.list(task_list))) == accepted
    dest.close()


def test_dtstart_dtend_and_duration_together_keep_dtend(
    fresh_xandikos: Server, fresh_radicale: Server, job_id: int
) -> None:
    """Zimbra exports some events with DTSTART, DTEND and DURATION (RFC 5545 allows one of
    the last two; Radicale refuses such an event): `drop-duration` keeps DTEND, and an
    alarm's DURATION stays."""
    alarm = b"BEGIN:VALARM\nACTION:DISPLAY\nTRIGGER:-PT15M\nDURATION:PT5M\nREPEAT:2\nEND:VALARM\n"
    data = zimbra_event("both@zimbra", extra=b"DURATION:PT30M\n" + alarm)
    fixed, applied = fixups.apply(data)
    assert applied == ["drop-duration"] and fixed.count(b"DURATION") == 1
    assert b"DURATION:PT5M" in fixed and b"DTEND;TZID=Etc/GMT:20120821T213000" in fixed
    cal = dav.make_collection(fresh_radicale.url, "alice/refused/", "Refused")
    assert dav.put(cal + "both.ics", data) == 400, "Radicale refuses DTEND with DURATION"
    cal = fresh_xandikos.url + "alice/calendars/calendar/"
    assert dav.put(cal + "both.ics", data) == 201
    result, events = migrate(fresh_xandikos.url, fresh_radicale.url, job_id, what="calendars")
    assert result.status == "completed" and result.verification["ok"], result
    [done] = [e for e in events if isinstance(e, ItemDone)]
    assert done.outcome == "created" and "drop-duration" in done.fixups  # + Xandikos's Z
    made = next(e for e in events if isinstance(e, CollectionCreated))
    url = fresh_radicale.url.rstrip("/") + made.href + "both@zimbra.ics"
    status, stored = dav.request(url, "GET")
    assert status == 200 and b"DURATION:PT30M" not in stored and b"DURATION:PT5M" in stored
    assert re.search(rb"\nDTEND[;:][^\n]*20120821T213000", stored)
