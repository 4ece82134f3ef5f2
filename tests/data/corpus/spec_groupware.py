"""Calendars as groupware servers and desktop clients write them: Zimbra, SOGo, Thunderbird/
Lightning, KOrganizer, Evolution, Lotus Notes. Made-up people and places; the quirks are the
producers' (X- properties, time-zone names and offsets, alarms, journals)."""

from __future__ import annotations

from spec import BERLIN, Spec, calendar, text

# fmt: off
FILES: list[Spec] = [
    text("ics/zimbra/etc-gmt-zero-offsets.ics", "ok",
         "vendor:zimbra x:other tz:vtimezone sched:itip-method sched:attendees",
         "Etc/GMT zone with -0000 offsets, X-ZIMBRA-* properties",
         calendar("Zimbra-Calendar-Provider", """
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
UID:zimbra-8a1f2e3d-4c5b-6a79-8e0d-1f2a3b4c5d6e
SUMMARY:Release window
ORGANIZER;CN=Ops Desk:mailto:ops@example.org
ATTENDEE;CN=Rune Hale;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:ma
 ilto:rune.hale@example.org
DTSTART;TZID="Etc/GMT":20240916T220000
DTEND;TZID="Etc/GMT":20240917T010000
STATUS:CONFIRMED
CLASS:PUBLIC
X-MICROSOFT-CDO-INTENDEDSTATUS:BUSY
TRANSP:OPAQUE
LAST-MODIFIED:20240910T090000Z
DTSTAMP:20240910T090000Z
SEQUENCE:0
X-ZIMBRA-CALNAME:Operations
X-ZIMBRA-DISCARD-EXCEPTIONS:FALSE
X-ZIMBRA-LOCATION-DISPLAY-NAME:Ops room
END:VEVENT""", method="REQUEST")),
    text("ics/sogo/rsvp-event.ics", "ok",
         "vendor:sogo x:other sched:attendees",
         "SOGo event with RSVP=TRUE attendees, private class",
         calendar("-//Inverse inc./SOGo 5.10.0//EN", BERLIN + """
BEGIN:VEVENT
UID:3A2F-66E1B200-1-5D9E1C00
SUMMARY:Choir rehearsal
CLASS:PRIVATE
TRANSP:OPAQUE
DTSTART;TZID=Europe/Berlin:20241008T193000
DTEND;TZID=Europe/Berlin:20241008T213000
ORGANIZER;CN="Greta Somm":mailto:greta.somm@example.org
ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;ROLE=REQ-PARTICIPANT;CN="Lutz Ebner":ma
 ilto:lutz.ebner@example.org
ATTENDEE;PARTSTAT=ACCEPTED;RSVP=TRUE;ROLE=REQ-PARTICIPANT;CN="Greta Somm":mailt
 o:greta.somm@example.org
X-SOGO-SEND-APPOINTMENT-NOTIFICATIONS:NO
CREATED:20241001T120000Z
DTSTAMP:20241001T120000Z
LAST-MODIFIED:20241001T120000Z
END:VEVENT""")),
    text("ics/thunderbird/snoozed-alarm.ics", "ok",
         "vendor:mozilla x:mozilla x:lic alarm tz:vtimezone",
         "Lightning event with X-MOZ-GENERATION, LASTACK and a snoozed alarm",
         calendar("-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN", BERLIN + """
BEGIN:VEVENT
CREATED:20240115T083000Z
LAST-MODIFIED:20240118T074500Z
DTSTAMP:20240118T074500Z
UID:4f0c6a2e-9d1b-4e8a-b7c3-2d5f8e1a9b0c
SUMMARY:Dentist
DTSTART;TZID=Europe/Berlin:20240118T090000
DTEND;TZID=Europe/Berlin:20240118T093000
X-MOZ-GENERATION:3
X-MOZ-LASTACK:20240118T074500Z
X-MOZ-SNOOZE-TIME:20240118T080000Z
X-MOZ-SEND-INVITATIONS:FALSE
BEGIN:VALARM
ACTION:DISPLAY
TRIGGER;VALUE=DURATION:-PT1H
DESCRIPTION:Default Mozilla Description
END:VALARM
END:VEVENT""")),
    text("ics/thunderbird/task-in-process.ics", "ok",
         "vendor:mozilla x:mozilla comp:todo",
         "Lightning task half done", calendar(
             "-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN", """
BEGIN:VTODO
CREATED:20240220T101010Z
LAST-MODIFIED:20240221T101010Z
DTSTAMP:20240221T101010Z
UID:b7e3c1a0-2f4d-4c6b-9e8a-0d1c2b3a4f5e
SUMMARY:Renew passport
STATUS:IN-PROCESS
PERCENT-COMPLETE:50
PRIORITY:1
DUE;VALUE=DATE:20240315
X-MOZ-GENERATION:2
END:VTODO""")),
    text("ics/korganizer/birthday-and-journal.ics", "ok",
         "vendor:kde x:kde allday comp:journal multi:uids=2",
         "KOrganizer: an all-day yearly event with X-KDE-* and a journal entry",
         calendar("-//K Desktop Environment//NONSGML libkcal 4.3//EN", """
BEGIN:VEVENT
DTSTAMP:20240301T120000Z
CREATED:20240301T120000Z
UID:KOrganizer-1478523690.412
LAST-MODIFIED:20240301T120000Z
SUMMARY:Birthday of Hedda Korn
DTSTART;VALUE=DATE:19870321
DTEND;VALUE=DATE:19870322
RRULE:FREQ=YEARLY
TRANSP:TRANSPARENT
CATEGORIES:Birthday
X-KDE-KADDRESSBOOK-BIRTHDAY:YES
X-KDE-KCALCORE-ENABLED:TRUE
END:VEVENT
BEGIN:VJOURNAL
DTSTAMP:20240302T210000Z
CREATED:20240302T210000Z
UID:KOrganizer-963258741.118
LAST-MODIFIED:20240302T210000Z
SUMMARY:Garden notes
DESCRIPTION:Planted the tomatoes\\; the basil can wait a week.
DTSTART;VALUE=DATE:20240302
END:VJOURNAL""", extra="X-KDE-ICAL-IMPLEMENTATION-VERSION:1.0")),
    text("ics/evolution/olson-tzid-memo.ics", "ok",
         "vendor:evolution x:evolution x:lic tz:non-iana-tzid tz:vtimezone comp:journal "
         "alarm multi:uids=2",
         "Evolution: libical-style TZID with a path, X-EVOLUTION-*, and a memo (VJOURNAL)",
         calendar("-//Ximian//NONSGML Evolution Calendar//EN", """
BEGIN:VTIMEZONE
TZID:/freeassociation.sourceforge.net/Tzfile/Europe/London
X-LIC-LOCATION:Europe/London
BEGIN:STANDARD
TZNAME:GMT
DTSTART:19701025T020000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
TZOFFSETFROM:+0100
TZOFFSETTO:+0000
END:STANDARD
BEGIN:DAYLIGHT
TZNAME:BST
DTSTART:19700329T010000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
TZOFFSETFROM:+0000
TZOFFSETTO:+0100
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:20240411T101010Z-4821-1000-1-7@laptop.example.org
DTSTAMP:20240411T101010Z
DTSTART;TZID=/freeassociation.sourceforge.net/Tzfile/Europe/London:20240412T1
 40000
DTEND;TZID=/freeassociation.sourceforge.net/Tzfile/Europe/London:20240412T150
 000
SUMMARY:Library talk
SEQUENCE:1
X-EVOLUTION-CALDAV-ETAG:"1712830210"
BEGIN:VALARM
X-EVOLUTION-ALARM-UID:20240411T101011Z-4821-1000-1-8@laptop.example.org
ACTION:AUDIO
TRIGGER;RELATED=START:-PT10M
END:VALARM
END:VEVENT
BEGIN:VJOURNAL
UID:20240411T101500Z-4821-1000-1-9@laptop.example.org
DTSTAMP:20240411T101500Z
DTSTART;VALUE=DATE:20240411
SUMMARY:Ideas for the talk
DESCRIPTION:Start with the map\\, end with the questions.
CLASS:PUBLIC
END:VJOURNAL""")),
    text("ics/lotus/notes-invite.ics", "ok",
         "vendor:lotus-notes x:lotus tz:non-iana-tzid tz:vtimezone sched:itip-method "
         "sched:attendees", "Lotus Notes invitation with X-LOTUS-* and a custom TZID",
         calendar("-//Lotus Development Corporation//NONSGML Notes 9.0.1//EN_C", """
BEGIN:VTIMEZONE
TZID:Eastern
BEGIN:STANDARD
DTSTART:19501105T020000
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
RRULE:FREQ=YEARLY;BYMINUTE=0;BYHOUR=2;BYDAY=1SU;BYMONTH=11
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19500312T020000
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
RRULE:FREQ=YEARLY;BYMINUTE=0;BYHOUR=2;BYDAY=2SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
DTSTART;TZID="Eastern":20240522T130000
DTEND;TZID="Eastern":20240522T140000
TRANSP:OPAQUE
DTSTAMP:20240515T180000Z
SEQUENCE:0
ATTENDEE;ROLE=CHAIR;PARTSTAT=ACCEPTED;CN="Nils Aurland/Sales/Example":mailto:nil
 s.aurland@example.org
ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:vera.holm@e
 xample.org
CLASS:PUBLIC
SUMMARY:Pricing workshop
ORGANIZER;CN="Nils Aurland/Sales/Example":mailto:nils.aurland@example.org
UID:A1B2C3D4E5F6A7B8C9D0E1F2A3B4C5D6-Lotus_Notes_Generated
X-LOTUS-BROADCAST:FALSE
X-LOTUS-UPDATE-SEQ:1
X-LOTUS-UPDATE-WISL:$S:1;$L:1;$B:1;$R:1;$E:1;$W:1;$O:1;$M:1
X-LOTUS-NOTESVERSION:2
X-LOTUS-NOTICETYPE:I
X-LOTUS-APPTTYPE:3
X-LOTUS-CHILD-UID:A1B2C3D4E5F6A7B8C9D0E1F2A3B4C5D6
END:VEVENT""", method="REQUEST")),
]
# fmt: on
