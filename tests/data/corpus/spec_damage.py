"""Damaged files. `invalid`: the structure holds but a value or a line is wrong (the tool
repairs with a warning, or fails that item; the other items of the file still migrate).
`broken`: the structure itself is damaged (a clear error naming the file, never a crash)."""

from __future__ import annotations

import hashlib

from spec import Spec, calendar, text

PRODID = "-//Example Project//Own Corpus 1.0//EN"


# fmt: off
def _event(uid: str, summary: str, start: str = "20240701T080000Z", extra: str = "") -> str:
    lines = ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20240601T000000Z", f"DTSTART:{start}",
             "DURATION:PT1H", f"SUMMARY:{summary}", *([extra] if extra else []), "END:VEVENT"]
    return "\n".join(lines)


def _good(n: int) -> str:
    """A well-formed neighbour: the damage next to it must not take it down."""
    return _event(f"good-neighbour-{n:04d}@example.org", "Nothing wrong with me")


INVALID_CALENDARS = [
    text("ics/invalid/impossible-date.ics", "invalid", "multi:uids=2",
         "DTSTART on the 55th of July", calendar(PRODID, "\n".join([
             _event("bad-date-0001@example.org", "Never happens", "20130755T100000Z"),
             _good(1)]))),
    text("ics/invalid/double-t-datetime.ics", "invalid", "multi:uids=2",
         "DTSTART 20131009T180000T (a stray trailing T)", calendar(PRODID, "\n".join([
             _event("double-t-0002@example.org", "Stray T", "20131009T180000T"),
             _good(2)]))),
    text("ics/invalid/bad-utc-offset.ics", "invalid", "tz:vtimezone tz:non-iana-tzid",
         "a VTIMEZONE with offsets +2500 and 0100 (no sign)", calendar(PRODID, """
BEGIN:VTIMEZONE
TZID:Nowhere Standard Time
BEGIN:STANDARD
DTSTART:19700101T000000
TZOFFSETFROM:0100
TZOFFSETTO:+2500
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
UID:bad-offset-0003@example.org
DTSTAMP:20240601T000000Z
DTSTART;TZID=Nowhere Standard Time:20240702T090000
DURATION:PT1H
SUMMARY:In a zone that cannot be
END:VEVENT""")),
    text("ics/invalid/undecodable-base64.ics", "invalid", "attach:binary-inline",
         "an inline ATTACH whose base64 does not decode", calendar(PRODID, _event(
             "bad-base64-0004@example.org", "Broken attachment", extra=(
                 "ATTACH;FMTTYPE=text/plain;ENCODING=BASE64;VALUE=BINARY:SGVsbG8*!!not~base6"
                 "4==")))),
    text("ics/invalid/unescaped-commas.ics", "invalid", "",
         "TEXT values with unescaped commas and semicolons", calendar(PRODID, _event(
             "commas-0005@example.org", "Bread, cheese; wine, olives", extra=(
                 "DESCRIPTION:Bring: plates, cups; napkins, and a blanket")))),
    text("ics/invalid/comment-line.ics", "invalid", "multi:uids=2",
         "a # comment line inside an event", calendar(PRODID, "\n".join([
             _event("comment-0006@example.org", "Commented",
                    extra="# exported by a script, do not edit"), _good(6)]))),
    text("ics/invalid/bad-rrule.ics", "invalid", "recur:rrule",
         "an RRULE with a frequency that does not exist", calendar(PRODID, _event(
             "bad-rrule-0007@example.org", "Sometimes", extra="RRULE:FREQ=SOMETIMES;COUNT=3"))),
]

INVALID_CARDS = [
    text("vcf/invalid/unknown-charset.vcf", "invalid", "vcard:2.1 charset:invalid uid:missing",
         "CHARSET=X-MADE-UP-8", """
BEGIN:VCARD
VERSION:2.1
N;CHARSET=X-MADE-UP-8:Doe;Jon;;;
FN;CHARSET=X-MADE-UP-8:Jon Doe
TEL;CELL:+1 555 0100
END:VCARD"""),
    text("vcf/invalid/broken-quoted-printable.vcf", "invalid", "vcard:2.1 qp uid:missing",
         "quoted-printable with =ZZ and a dangling =", """
BEGIN:VCARD
VERSION:2.1
N:Roux;Lea;;;
FN:Lea Roux
NOTE;ENCODING=QUOTED-PRINTABLE:caf=E9 =ZZ au lait=
END:VCARD"""),
    text("vcf/invalid/undecodable-photo.vcf", "invalid", "vcard:3.0 photo:inline",
         "a PHOTO whose base64 does not decode", """
BEGIN:VCARD
VERSION:3.0
FN:Mats Vik
N:Vik;Mats;;;
PHOTO;ENCODING=b;TYPE=JPEG:@@@not*base64@@@
UID:bad-photo-0008@example.org
END:VCARD"""),
    text("vcf/invalid/comment-line.vcf", "invalid", "vcard:3.0",
         "a # comment line inside a card", """
BEGIN:VCARD
VERSION:3.0
# written by hand
FN:Noor Bakker
N:Bakker;Noor;;;
UID:comment-card-0009@example.org
END:VCARD"""),
]

#: Deterministic "random" bytes with NULs and high bytes, no BEGIN anywhere.
GARBAGE = b"".join(hashlib.sha256(bytes([n])).digest() for n in range(64))

BROKEN = [
    text("ics/broken/unterminated-vevent.ics", "broken", "broken:structure multi:uids=2",
         "a VEVENT never ended, a good one after it", calendar(PRODID, "\n".join([
             _event("unterminated-0010@example.org", "Never ends").replace("END:VEVENT", ""),
             _good(10)]).replace("\n\n", "\n"))),
    text("ics/broken/end-without-begin.ics", "broken", "broken:structure",
         "an END:VTODO that was never begun", calendar(PRODID, _event(
             "stray-end-0011@example.org", "Stray end") + "\nEND:VTODO")),
    text("ics/broken/bare-vevent.ics", "broken", "broken:no-vcalendar-wrapper",
         "a VEVENT without VCALENDAR", _event("bare-0012@example.org", "Nobody wraps me")),
    text("ics/broken/bare-vtodo.ics", "broken", "broken:no-vcalendar-wrapper comp:todo",
         "a VTODO without VCALENDAR", "\n".join([
             "BEGIN:VTODO", "UID:bare-todo-0013@example.org", "DTSTAMP:20240601T000000Z",
             "SUMMARY:Unwrapped", "END:VTODO"])),
    text("ics/broken/truncated.ics", "broken", "broken:structure",
         "a file cut off in the middle of an event", calendar(PRODID, _event(
             "truncated-0014@example.org", "Cut"))[:120]),
    text("ics/broken/text-outside.ics", "broken", "broken:structure",
         "stray text before the calendar", "this is not a calendar line\n" + calendar(
             PRODID, _event("outside-0015@example.org", "After the junk"))),
    text("ics/broken/now-placeholder.ics", "broken", "broken:template-placeholders",
         "an unexpanded test template: DTSTART;TZID=US/Eastern:$now.year.1:0101T100000",
         calendar(PRODID, """
BEGIN:VEVENT
UID:placeholder-0016@example.org
DTSTAMP:20240601T000000Z
DTSTART;TZID=US/Eastern:$now.year.1:0101T100000
DURATION:PT1H
SUMMARY:Template never filled in
END:VEVENT""")),
    Spec("ics/broken/binary-garbage.ics", "broken", ("broken:garbage",),
         "2 KiB of binary bytes", GARBAGE),
    Spec("ics/broken/zero-bytes.ics", "broken", ("broken:empty",), "an empty file", b""),
    text("vcf/broken/unterminated-card.vcf", "broken", "broken:structure vcard:3.0",
         "a card never ended, a good one after it", """
BEGIN:VCARD
VERSION:3.0
FN:Otto Berg
UID:unterminated-card-0017@example.org
BEGIN:VCARD
VERSION:3.0
FN:Pia Berg
UID:good-card-0018@example.org
END:VCARD"""),
]
# fmt: on

FILES: list[Spec] = [*INVALID_CALENDARS, *INVALID_CARDS, *BROKEN]
