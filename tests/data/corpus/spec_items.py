"""Calendar files whose quirk is in their items rather than their producer: tasks, journals,
free/busy, floating and all-day times, missing UID/DTEND, several UIDs in one file, files
without any item, and the line endings and encodings files come in."""

from __future__ import annotations

from spec import Spec, calendar, text

PRODID = "-//Example Project//Own Corpus 1.0//EN"


def _event(uid: str, summary: str, start: str = "20240610T080000Z") -> str:
    return f"""
BEGIN:VEVENT
UID:{uid}
DTSTAMP:20240601T000000Z
DTSTART:{start}
DURATION:PT1H
SUMMARY:{summary}
END:VEVENT"""


# fmt: off
FOLDED = calendar(PRODID, """
BEGIN:VEVENT
UID:folded-lines-0001@example.org
DTSTAMP:20240601T000000Z
DTSTART:20240620T160000Z
DTEND:20240620T170000Z
SUMMARY:A summary long enough that a careful writer folds it at seventy-five o
 ctets\\, as RFC 5545 asks
DESCRIPTION:First paragraph of the agenda.\\nSecond paragraph\\, which goes on
  and on about the things to bring: maps\\, pencils\\, a thermos of tea and th
 e list of questions.\\nThird: Grüße aus Übersee \u2013 bis bald!
END:VEVENT""")

ITEM_FILES = [
    text("ics/tasks/due-completed.ics", "ok", "comp:todo",
         "a finished task: DUE, COMPLETED, PERCENT-COMPLETE 100", calendar(PRODID, """
BEGIN:VTODO
UID:task-done-0001@example.org
DTSTAMP:20240405T170000Z
CREATED:20240401T090000Z
SUMMARY:File the tax return
DUE:20240430T170000Z
COMPLETED:20240405T165900Z
PERCENT-COMPLETE:100
STATUS:COMPLETED
PRIORITY:2
END:VTODO""")),
    text("ics/tasks/related-subtasks.ics", "ok", "comp:todo multi:uids=3",
         "a task and two subtasks linked by RELATED-TO", calendar(PRODID, """
BEGIN:VTODO
UID:task-parent-0002@example.org
DTSTAMP:20240501T080000Z
SUMMARY:Move to the new flat
DUE;VALUE=DATE:20240630
STATUS:NEEDS-ACTION
END:VTODO
BEGIN:VTODO
UID:task-child-0003@example.org
DTSTAMP:20240501T080000Z
SUMMARY:Book the van
RELATED-TO;RELTYPE=PARENT:task-parent-0002@example.org
DTSTART:20240601T080000Z
DURATION:P1D
STATUS:NEEDS-ACTION
END:VTODO
BEGIN:VTODO
UID:task-child-0004@example.org
DTSTAMP:20240501T080000Z
SUMMARY:Pack the books
RELATED-TO:task-parent-0002@example.org
PERCENT-COMPLETE:30
STATUS:IN-PROCESS
END:VTODO""")),
    text("ics/tasks/journal.ics", "ok", "comp:journal", "a plain VJOURNAL",
         calendar(PRODID, """
BEGIN:VJOURNAL
UID:journal-0005@example.org
DTSTAMP:20240310T203000Z
DTSTART;VALUE=DATE:20240310
SUMMARY:Sunday
DESCRIPTION:Long walk by the river. Saw the herons again.
CATEGORIES:Diary
END:VJOURNAL""")),
    text("ics/tasks/freebusy.ics", "ok", "comp:freebusy", "a published VFREEBUSY",
         calendar(PRODID, """
BEGIN:VFREEBUSY
UID:freebusy-0006@example.org
DTSTAMP:20240701T000000Z
ORGANIZER:mailto:jan.oberg@example.org
DTSTART:20240701T000000Z
DTEND:20240708T000000Z
FREEBUSY:20240701T080000Z/PT8H,20240702T080000Z/PT8H
FREEBUSY;FBTYPE=BUSY-TENTATIVE:20240703T120000Z/20240703T130000Z
END:VFREEBUSY""", method="PUBLISH")),
    text("ics/quirks/floating.ics", "ok", "tz:floating", "local time without TZID",
         calendar(PRODID, _event("floating-0007@example.org", "Breakfast", "20240611T073000"))),
    text("ics/quirks/allday-no-dtend.ics", "ok", "allday",
         "an all-day event with DTSTART only", calendar(PRODID, """
BEGIN:VEVENT
UID:allday-0008@example.org
DTSTAMP:20240601T000000Z
DTSTART;VALUE=DATE:20240704
SUMMARY:Holiday
END:VEVENT""")),
    text("ics/quirks/no-uid.ics", "ok", "uid:missing", "an event without UID",
         calendar(PRODID, """
BEGIN:VEVENT
DTSTAMP:20240601T000000Z
DTSTART:20240612T150000Z
DTEND:20240612T153000Z
SUMMARY:Coffee with nobody in particular
END:VEVENT""")),
    text("ics/quirks/no-dtend.ics", "ok", "", "a timed event without DTEND or DURATION",
         calendar(PRODID, """
BEGIN:VEVENT
UID:no-dtend-0009@example.org
DTSTAMP:20240601T000000Z
DTSTART:20240613T120000Z
SUMMARY:Call the plumber
END:VEVENT""")),
    text("ics/quirks/duration-and-dtend.ics", "ok", "",
         "DTEND and DURATION together (RFC 5545 forbids it; servers store it)",
         calendar(PRODID, """
BEGIN:VEVENT
UID:duration-dtend-0010@example.org
DTSTAMP:20240601T000000Z
DTSTART:20240614T090000Z
DTEND:20240614T100000Z
DURATION:PT2H
SUMMARY:Which end is right?
END:VEVENT""")),
    text("ics/quirks/several-uids.ics", "ok", "comp:todo multi:uids=4",
         "three events and a task in one file", calendar(PRODID, "\n".join([
             _event("multi-a-0011@example.org", "Yoga", "20240615T070000Z"),
             _event("multi-b-0012@example.org", "Lunch with Ada", "20240615T110000Z"),
             _event("multi-c-0013@example.org", "Board games", "20240615T180000Z"), """
BEGIN:VTODO
UID:multi-d-0014@example.org
DTSTAMP:20240601T000000Z
SUMMARY:Bring snacks
END:VTODO"""]))),
    text("ics/quirks/same-uid-twice.ics", "ok", "uid:duplicate multi:uids=1",
         "two unrelated events share a UID (split renames the second)", calendar(PRODID, "\n".join([
             _event("shared-uid-0015@example.org", "Piano lesson", "20240616T160000Z"),
             _event("shared-uid-0015@example.org", "Swimming", "20240617T160000Z")]))),
    text("ics/quirks/non-ascii-uid.ics", "ok", "enc:utf8-nonascii",
         "a UID with non-ASCII letters and a space, an emoji summary", calendar(PRODID,
             _event("Fête d'été 2024 ☀ @example.org", "Fête d'été 🎉"))),
    text("ics/quirks/two-vcalendars.ics", "ok", "multi:uids=2",
         "two VCALENDAR objects concatenated in one file", "\n".join([
             calendar(PRODID, _event("concat-a-0016@example.org", "First half")),
             calendar(PRODID, _event("concat-b-0017@example.org", "Second half"))])),
    text("ics/quirks/vtimezone-only.ics", "ok", "tz:vtimezone",
         "a calendar holding only a time zone: nothing to migrate, no error",
         calendar(PRODID, """
BEGIN:VTIMEZONE
TZID:Europe/Lisbon
BEGIN:STANDARD
DTSTART:19701025T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T010000
TZOFFSETFROM:+0000
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
END:VTIMEZONE""")),
    text("ics/quirks/empty-vcalendar.ics", "ok", "",
         "an empty VCALENDAR: nothing to migrate, no error",
         "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:" + PRODID + "\nEND:VCALENDAR"),
]

LINE_FILES = [
    text("ics/lines/folded-crlf.ics", "ok", "enc:utf8-nonascii", "folded lines, CRLF", FOLDED),
    text("ics/lines/folded-lf.ics", "ok", "enc:utf8-nonascii eol:lf-only",
         "folded lines, LF only", FOLDED.replace("0001@", "0002@"), eol="\n"),
    text("ics/lines/folded-cr.ics", "ok", "enc:utf8-nonascii eol:cr-only",
         "folded lines, CR only (old Mac)", FOLDED.replace("0001@", "0003@"), eol="\r"),
    Spec("ics/lines/folded-mixed.ics", "ok", ("enc:utf8-nonascii", "eol:mixed"),
         "folded lines, CRLF, LF and CR mixed in one file",
         b"".join(line.encode() + (b"\r\n", b"\n", b"\r")[n % 3] for n, line in
                  enumerate(FOLDED.replace("0001@", "0004@").split("\n")))),
    text("ics/lines/utf8-bom.ics", "ok", "enc:utf8-bom enc:utf8-nonascii",
         "UTF-8 with a byte order mark", "\ufeff" + calendar(PRODID,
             _event("bom-0018@example.org", "Café am Ufer"))),
    text("ics/lines/latin1.ics", "ok", "enc:non-utf8",
         "Latin-1 bytes (é, ü, ß) in SUMMARY and LOCATION", calendar(PRODID, """
BEGIN:VEVENT
UID:latin1-0019@example.org
DTSTAMP:20240601T000000Z
DTSTART:20240618T100000Z
DTEND:20240618T110000Z
SUMMARY:Réunion über Straßenbau
LOCATION:Salle Müller
END:VEVENT"""), codec="latin-1"),
    text("ics/lines/cp1252.ics", "ok", "enc:non-utf8 vendor:outlook",
         "Windows-1252 bytes (curly quotes, euro sign)", calendar(
             "-//Microsoft Corporation//Outlook 11.0 MIMEDIR//EN", """
BEGIN:VEVENT
UID:cp1252-0020@example.org
DTSTAMP:20240601T000000Z
DTSTART:20240619T100000Z
DTEND:20240619T110000Z
SUMMARY:“Budget” \u2013 50 € per head
END:VEVENT"""), codec="cp1252"),
    text("ics/lines/utf16-bom.ics", "ok", "enc:utf-16 enc:utf8-nonascii",
         "UTF-16 with a byte order mark", calendar(PRODID,
             _event("utf16-bom-0021@example.org", "Ångström seminar")), codec="utf-16"),
    text("ics/lines/utf16le-no-bom.ics", "ok", "enc:utf-16",
         "UTF-16 little-endian without a byte order mark", calendar(PRODID,
             _event("utf16-nobom-0022@example.org", "Quiet hour")), codec="utf-16-le"),
    text("ics/lines/one-megabyte-description.ics", "ok",
         "lines:over-998-octets lines:unfolded-long big",
         "a single unfolded DESCRIPTION line of 1 MiB", calendar(PRODID, f"""
BEGIN:VEVENT
UID:long-line-0023@example.org
DTSTAMP:20240601T000000Z
DTSTART:20240621T090000Z
DTEND:20240621T100000Z
SUMMARY:Minutes of the very long meeting
DESCRIPTION:{("The minutes go on. " * 55189)[:1 << 20]}
END:VEVENT""")),
]
# fmt: on

FILES: list[Spec] = [*ITEM_FILES, *LINE_FILES]
