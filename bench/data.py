"""Deterministic, realistic benchmark data, and seeding it into a fresh Radicale source.

Events: ~70% single (timed in several TZIDs, UTC or all-day), 20% recurring with EXDATEs, 10%
recurring with RECURRENCE-ID overrides; attendees and alarms on many; a few carry 50-200 KB
attachments. Tasks with due dates, priorities and some completed. vCard 3.0 contacts, one in
five with a 20 KB photo. The same seed always gives the same bytes.

Seeding creates the collections over HTTP and writes the items straight into Radicale's
storage folder, one file each (as Radicale itself stores them): item PUTs or whole-collection
PUTs take Radicale about a minute per 1,600 items, files take seconds at any size.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from bench.dav import Dav

SIZES = {
    "tiny": (50, 10, 20),  # a smoke test of the benchmark itself
    "small": (1_000, 100, 500),
    "medium": (10_000, 1_000, 5_000),
    "large": (50_000, 5_000, 20_000),
}
#: Share of the events per calendar: spread over several, or one main calendar with 80%.
SHAPES = {
    "spread": {"work": 0.35, "personal": 0.30, "family": 0.20, "holidays": 0.15},
    "main": {"main": 0.80, "work": 0.10, "family": 0.10},
}
BOOKS = {"contacts": 0.7, "colleagues": 0.3}
TZIDS = ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "Europe/London")
VTIMEZONES = {
    "Europe/Berlin": ("+0100", "+0200", "CET", "CEST", "-1SU"),
    "Europe/London": ("+0000", "+0100", "GMT", "BST", "-1SU"),
    "America/New_York": ("-0500", "-0400", "EST", "EDT", "2SU"),
}
WORDS = tuple(
    [
        "budget",
        "review",
        "sprint",
        "planning",
        "dentist",
        "lunch",
        "call",
        "quarterly",
        "board",
        "offsite",
        "training",
        "yoga",
        "school",
        "pickup",
        "dinner",
        "flight",
        "hotel",
        "conference",
        "release",
        "retro",
        "interview",
        "standup",
        "migration",
        "server",
        "backup",
        "party",
        "birthday",
        "football",
        "concert",
        "doctor",
        "invoice",
        "audit",
    ]
)
NAMES = tuple(
    [
        "Anna",
        "Ben",
        "Clara",
        "David",
        "Eva",
        "Felix",
        "Greta",
        "Hugo",
        "Ines",
        "Jonas",
        "Karin",
        "Lukas",
        "Mia",
        "Noah",
        "Olga",
    ]
)
SURNAMES = tuple(
    [
        "Muller",
        "Schmidt",
        "Garcia",
        "Rossi",
        "Dubois",
        "Novak",
        "Silva",
        "Tanaka",
        "Smith",
        "Jensen",
        "Kowalski",
    ]
)


@dataclass
class Collection:
    """One source collection: its path segment (also its display name), kind and items."""

    segment: str
    kind: str  # "calendar" or "addressbook"
    items: dict[str, str] = field(default_factory=dict)  # uid -> component text (no wrapper)


def _fold(line: str) -> str:
    """RFC 5545 folding at 75 octets (ASCII content)."""
    if len(line) <= 75:
        return line + "\r\n"
    parts = [line[:75]] + [" " + line[i : i + 74] for i in range(75, len(line), 74)]
    return "\r\n".join(parts) + "\r\n"


def _blob(rnd: random.Random, size: int, magic: bytes) -> str:
    return base64.b64encode(magic + rnd.randbytes(size - len(magic))).decode()


def vtimezone(tzid: str) -> str:
    std, dst, std_name, dst_name, spring = VTIMEZONES[tzid]
    fall = "1SU" if tzid == "America/New_York" else "-1SU"
    return (
        f"BEGIN:VTIMEZONE\r\nTZID:{tzid}\r\n"
        f"BEGIN:DAYLIGHT\r\nTZOFFSETFROM:{std}\r\nTZOFFSETTO:{dst}\r\nTZNAME:{dst_name}\r\n"
        f"DTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY={spring}\r\nEND:DAYLIGHT\r\n"
        f"BEGIN:STANDARD\r\nTZOFFSETFROM:{dst}\r\nTZOFFSETTO:{std}\r\nTZNAME:{std_name}\r\n"
        f"DTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH={11 if fall == '1SU' else 10};"
        f"BYDAY={fall}\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
    )


def _when(rnd: random.Random, n: int) -> tuple[str, str, datetime | date, str]:
    """(DTSTART line, DTEND line, start, tz suffix for EXDATE/RECURRENCE-ID) of event n."""
    start = datetime(2024, 1, 1, 7) + timedelta(days=rnd.randrange(900), hours=rnd.randrange(12))
    if n % 9 == 0:  # all-day
        day = start.date()
        end = day + timedelta(days=rnd.choice((1, 1, 1, 3)))
        return (f"DTSTART;VALUE=DATE:{day:%Y%m%d}", f"DTEND;VALUE=DATE:{end:%Y%m%d}", day, "")
    end = start + timedelta(minutes=rnd.choice((30, 60, 90, 120)))
    tzid = rnd.choice((*TZIDS, "UTC"))
    if tzid == "UTC":
        return (f"DTSTART:{start:%Y%m%dT%H%M%S}Z", f"DTEND:{end:%Y%m%dT%H%M%S}Z", start, "Z")
    return (
        f"DTSTART;TZID={tzid}:{start:%Y%m%dT%H%M%S}",
        f"DTEND;TZID={tzid}:{end:%Y%m%dT%H%M%S}",
        start,
        f";TZID={tzid}",
    )


def _stamp(value: datetime | date, tz: str) -> str:
    if isinstance(value, datetime):
        return f":{value:%Y%m%dT%H%M%S}Z" if tz == "Z" else f"{tz}:{value:%Y%m%dT%H%M%S}"
    return f";VALUE=DATE:{value:%Y%m%d}"


def _people(rnd: random.Random) -> list[str]:
    lines = ["ORGANIZER;CN=Alice Example:mailto:alice@example.org"]
    for _ in range(rnd.randrange(1, 6)):
        who = f"{rnd.choice(NAMES)} {rnd.choice(SURNAMES)}"
        state = rnd.choice(("ACCEPTED", "NEEDS-ACTION", "TENTATIVE", "DECLINED"))
        lines.append(
            f"ATTENDEE;CN={who};ROLE=REQ-PARTICIPANT;PARTSTAT={state};RSVP=TRUE:"
            f"mailto:{who.lower().replace(' ', '.')}@example.com"
        )
    return lines


def event(rnd: random.Random, n: int, uid: str, attach: bool) -> str:
    """One event (and its overrides) as VEVENT blocks."""
    start_line, end_line, start, tz = _when(rnd, n)
    summary = " ".join(rnd.sample(WORDS, 3)).capitalize()
    lines = [
        "BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20240101T000000Z", start_line, end_line,
        f"SUMMARY:{summary}", f"LOCATION:Room {rnd.randrange(1, 40)}",
        "DESCRIPTION:" + " ".join(rnd.choices(WORDS, k=rnd.randrange(5, 80))),
        f"SEQUENCE:{rnd.randrange(3)}", "STATUS:CONFIRMED",
    ]  # fmt: skip
    if rnd.random() < 0.5:
        lines += _people(rnd)
    kind = rnd.random()
    overrides: list[str] = []
    if kind >= 0.7:  # recurring
        lines.append("RRULE:FREQ=WEEKLY;COUNT=20")
        step = timedelta(weeks=1)
        if kind < 0.9:
            for week in rnd.sample(range(1, 20), rnd.randrange(1, 4)):
                lines.append("EXDATE" + _stamp(start + week * step, tz))
        else:
            for week in rnd.sample(range(1, 20), rnd.randrange(1, 3)):
                rid = _stamp(start + week * step, tz)
                length = "PT45M" if isinstance(start, datetime) else "P1D"
                overrides += [
                    "BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20240101T000000Z",
                    f"RECURRENCE-ID{rid}", f"DTSTART{rid}", f"DURATION:{length}",
                    f"SUMMARY:{summary} (moved)", "SEQUENCE:1", "END:VEVENT",
                ]  # fmt: skip
    if rnd.random() < 0.4:
        lines += ["BEGIN:VALARM", "ACTION:DISPLAY", "DESCRIPTION:Reminder",
                  f"TRIGGER:-PT{rnd.choice((5, 15, 30, 60))}M", "END:VALARM"]  # fmt: skip
    if attach:
        size = rnd.randrange(50_000, 200_000)
        lines.append(
            "ATTACH;ENCODING=BASE64;VALUE=BINARY;FMTTYPE=application/pdf;"
            f"X-FILENAME=doc{n}.pdf:" + _blob(rnd, size * 3 // 4, b"%PDF-1.4\n")
        )
    lines.append("END:VEVENT")
    return "".join(_fold(line) for line in lines + overrides)


def task(rnd: random.Random, n: int, uid: str) -> str:
    due = date(2024, 1, 1) + timedelta(days=rnd.randrange(900))
    lines = [
        "BEGIN:VTODO", f"UID:{uid}", "DTSTAMP:20240101T000000Z",
        "SUMMARY:" + " ".join(rnd.sample(WORDS, 2)).capitalize(),
        f"DUE;VALUE=DATE:{due:%Y%m%d}", f"PRIORITY:{rnd.randrange(10)}",
    ]  # fmt: skip
    if n % 3 == 0:
        lines += ["STATUS:COMPLETED", "COMPLETED:20240301T100000Z", "PERCENT-COMPLETE:100"]
    else:
        lines.append("STATUS:NEEDS-ACTION")
    lines.append("END:VTODO")
    return "".join(_fold(line) for line in lines)


def contact(rnd: random.Random, n: int, uid: str) -> str:
    first, last = rnd.choice(NAMES), rnd.choice(SURNAMES)
    lines = [
        "BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", f"FN:{first} {last} {n}",
        f"N:{last};{first};;;", f"EMAIL;TYPE=INTERNET:{first.lower()}.{n}@example.com",
        f"TEL;TYPE=CELL:+49 151 {rnd.randrange(10**7, 10**8)}",
        f"ADR;TYPE=HOME:;;{rnd.randrange(1, 200)} Main St;Springfield;;"
        f"{rnd.randrange(10**4, 10**5)};DE",
        f"ORG:{rnd.choice(SURNAMES)} GmbH",
        f"BDAY:19{rnd.randrange(50, 99)}-0{rnd.randrange(1, 9)}-1{rnd.randrange(9)}",
    ]  # fmt: skip
    if n % 5 == 0:
        lines.append("PHOTO;ENCODING=b;TYPE=JPEG:" + _blob(rnd, 15_000, b"\xff\xd8\xff\xe0"))
    lines.append("END:VCARD")
    return "".join(_fold(line) for line in lines)


def generate(size: str, shape: str, tag: str, seed: int = 10) -> list[Collection]:
    """The collections of one benchmark account; `tag` prefixes segments and UIDs."""
    events, tasks, contacts = SIZES[size]
    rnd = random.Random(seed)
    out = []
    attach_every = max(1, events // max(3, events // 200))
    n = 0
    for name, share in SHAPES[shape].items():
        cal = Collection(f"{tag}-{name}", "calendar")
        for _ in range(round(events * share)):
            uid = f"{tag}-ev{n}@bench.example.org"
            cal.items[uid] = event(rnd, n, uid, attach=n % attach_every == attach_every // 2)
            n += 1
        out.append(cal)
    todo = Collection(f"{tag}-tasks", "calendar")
    for i in range(tasks):
        uid = f"{tag}-todo{i}@bench.example.org"
        todo.items[uid] = task(rnd, i, uid)
    out.append(todo)
    n = 0
    for name, share in BOOKS.items():
        book = Collection(f"{tag}-{name}", "addressbook")
        for _ in range(round(contacts * share)):
            uid = f"{tag}-card{n}"
            book.items[uid] = contact(rnd, n, uid)
            n += 1
        out.append(book)
    return out


HEAD = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davtui bench//EN\r\nCALSCALE:GREGORIAN\r\n"


def item_file(kind: str, text: str) -> bytes:
    """One stored item: a vCard as is, a calendar component wrapped with the VTIMEZONEs its
    TZIDs name."""
    if kind == "addressbook":
        return text.encode()
    zones = "".join(vtimezone(tzid) for tzid in VTIMEZONES if f"TZID={tzid}" in text)
    return (HEAD + zones + text + "END:VCALENDAR\r\n").encode()


def seed(dav: Dav, home: str, collections: list[Collection], store: Path) -> None:
    """Create every collection on a Radicale source (`store`: its collection-root folder of
    the user), then write one file per item into it."""
    for collection in collections:
        href = f"{home}{collection.segment}/"
        status = dav.make_collection(href, collection.kind, collection.segment)
        if status not in (200, 201):
            raise RuntimeError(f"creating {href}: {status}")
        extension = "vcf" if collection.kind == "addressbook" else "ics"
        for uid, text in collection.items.items():
            (store / collection.segment / f"{uid}.{extension}").write_bytes(
                item_file(collection.kind, text)
            )


def change_some(dav: Dav, home: str, collections: list[Collection], every: int = 100) -> set[str]:
    """Edit every `every`-th item of the source in place (SUMMARY or FN gets a suffix); return
    the UIDs changed. Items are taken in a fixed order, so every contender sees the same edit."""
    changed: set[str] = set()
    for collection in collections:
        href = f"{home}{collection.segment}/"
        docs = dav.fetch_all(href, collection.kind)
        etags = dav.listing(href)
        for item_href in sorted(docs)[::every]:
            text = docs[item_href].decode()
            key = "FN:" if collection.kind == "addressbook" else "SUMMARY:"
            new = text.replace(key, key + "Changed ", 1)
            kind = "text/vcard" if collection.kind == "addressbook" else "text/calendar"
            response = dav.request(
                "PUT", item_href, new, Content_Type=kind, If_Match=etags[item_href]
            )
            if response.status_code not in (200, 201, 204):
                raise RuntimeError(f"changing {item_href}: {response.status_code}")
            changed.add(_uid(text))
    return changed


def _uid(text: str) -> str:
    for line in text.splitlines():
        if line.startswith("UID:"):
            return line[4:].strip()
    raise ValueError("item without UID")
