"""Calendars as the big hosted services write them: Outlook/Exchange, Google, iCloud. Made-up
people and places; the quirks are the producers' (their X- properties, time-zone names,
scheduling methods, alarms)."""

from __future__ import annotations

from spec import BERLIN, Spec, calendar, text

EXCHANGE = "Microsoft Exchange Server 2010"
OUTLOOK = "-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN"
GOOGLE = "-//Google Inc//Google Calendar 70.9054//EN"
APPLE = "-//Apple Inc.//macOS 14.4//EN"

W_EUROPE = """
BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE"""

# fmt: off
OUTLOOK_FILES = [
    text("ics/outlook/request-windows-tzid.ics", "ok",
         "vendor:exchange x:microsoft sched:itip-method sched:attendees tz:windows-name "
         "tz:vtimezone", "METHOD:REQUEST invitation, Windows TZID with its VTIMEZONE",
         calendar(EXCHANGE, W_EUROPE + """
BEGIN:VEVENT
ORGANIZER;CN=Maren Quist:mailto:maren.quist@example.org
ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=Tobias Wren:
 mailto:tobias.wren@example.org
ATTENDEE;ROLE=OPT-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=Ilse Dorn:ma
 ilto:ilse.dorn@example.org
DESCRIPTION;LANGUAGE=en-US:Quarterly numbers\\, bring the draft.\\n
UID:040000008200E00074C5B7101A82E00800000000F0A1B2C3D4E5F601000000000000000010
 000000AB12CD34EF56AB78CD90EF12AB34CD56
SUMMARY;LANGUAGE=en-US:Budget review
DTSTART;TZID=W. Europe Standard Time:20240312T100000
DTEND;TZID=W. Europe Standard Time:20240312T113000
CLASS:PUBLIC
PRIORITY:5
DTSTAMP:20240301T091500Z
TRANSP:OPAQUE
STATUS:CONFIRMED
SEQUENCE:0
LOCATION;LANGUAGE=en-US:Room Heron (2nd floor)
X-MICROSOFT-CDO-APPT-SEQUENCE:0
X-MICROSOFT-CDO-OWNERAPPTID:2117392518
X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE
X-MICROSOFT-CDO-INTENDEDSTATUS:BUSY
X-MICROSOFT-CDO-ALLDAYEVENT:FALSE
X-MICROSOFT-CDO-IMPORTANCE:1
X-MICROSOFT-CDO-INSTTYPE:0
X-MICROSOFT-DONOTFORWARDMEETING:FALSE
X-MICROSOFT-DISALLOW-COUNTER:FALSE
X-MS-OLK-AUTOFILLLOCATION:FALSE
X-MS-OLK-CONFTYPE:0
X-ALT-DESC;FMTTYPE=text/html:<html><body><p>Quarterly numbers\\, bring the draf
 t.</p></body></html>
BEGIN:VALARM
DESCRIPTION:REMINDER
TRIGGER;RELATED=START:-PT15M
ACTION:DISPLAY
END:VALARM
END:VEVENT""", method="REQUEST")),
    text("ics/outlook/tzid-without-vtimezone.ics", "ok",
         "vendor:outlook x:microsoft tz:windows-name tz:tzid-without-vtimezone",
         "TZID Pacific Standard Time used, never defined",
         calendar(OUTLOOK, """
BEGIN:VEVENT
UID:outlook-no-vtz-7f3e2a@example.org
DTSTAMP:20240402T160000Z
DTSTART;TZID=Pacific Standard Time:20240415T090000
DTEND;TZID=Pacific Standard Time:20240415T093000
SUMMARY:Stand-up with the west office
X-MICROSOFT-CDO-BUSYSTATUS:BUSY
X-MICROSOFT-CDO-ALLDAYEVENT:FALSE
X-MS-OLK-SENDER;CN="Kai Brandt":mailto:kai.brandt@example.org
END:VEVENT""", method="PUBLISH")),
    text("ics/outlook/recurring-quoted-tzid.ics", "ok",
         "vendor:outlook x:microsoft tz:windows-name tz:non-iana-tzid tz:vtimezone recur:rrule "
         "recur:exdate recur:override", "TZID with a comma (quoted), weekly series with EXDATE "
         "and one moved occurrence",
         calendar(OUTLOOK, """
BEGIN:VTIMEZONE
TZID:(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:outlook-weekly-3c9d@example.org
DTSTAMP:20240105T080000Z
DTSTART;TZID="(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna":20240108T
 083000
DTEND;TZID="(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna":20240108T09
 0000
RRULE:FREQ=WEEKLY;UNTIL=20240325T073000Z;INTERVAL=1;BYDAY=MO;WKST=MO
EXDATE;TZID="(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna":20240122T0
 83000,20240205T083000
SUMMARY:Team sync
X-MICROSOFT-CDO-OWNERAPPTID:-1844421337
X-MICROSOFT-CDO-BUSYSTATUS:BUSY
END:VEVENT
BEGIN:VEVENT
UID:outlook-weekly-3c9d@example.org
RECURRENCE-ID;TZID="(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna":202
 40212T083000
DTSTAMP:20240105T080000Z
DTSTART;TZID="(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna":20240213T
 083000
DTEND;TZID="(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna":20240213T09
 0000
SUMMARY:Team sync (moved to Tuesday)
X-MICROSOFT-CDO-BUSYSTATUS:BUSY
END:VEVENT""")),
    text("ics/outlook/cancel.ics", "ok",
         "vendor:exchange x:microsoft sched:itip-method sched:attendees tz:windows-name "
         "tz:vtimezone", "METHOD:CANCEL of a meeting",
         calendar(EXCHANGE, W_EUROPE + """
BEGIN:VEVENT
ORGANIZER;CN=Maren Quist:mailto:maren.quist@example.org
ATTENDEE;ROLE=REQ-PARTICIPANT;CN=Tobias Wren:mailto:tobias.wren@example.org
UID:exchange-cancel-51b0@example.org
SUMMARY;LANGUAGE=en-US:Canceled: Supplier call
DTSTART;TZID=W. Europe Standard Time:20240320T140000
DTEND;TZID=W. Europe Standard Time:20240320T150000
DTSTAMP:20240318T120000Z
SEQUENCE:2
STATUS:CANCELLED
PRIORITY:1
X-MICROSOFT-CDO-BUSYSTATUS:FREE
X-MICROSOFT-CDO-IMPORTANCE:2
END:VEVENT""", method="CANCEL")),
    text("ics/outlook/custom-timezone-two-events.ics", "ok",
         "vendor:exchange x:microsoft x:wr tz:non-iana-tzid tz:vtimezone multi:uids=2",
         "Customized Time Zone, two meetings in one export",
         calendar(EXCHANGE, """
BEGIN:VTIMEZONE
TZID:Customized Time Zone
BEGIN:STANDARD
DTSTART:16010101T000000
TZOFFSETFROM:+0930
TZOFFSETTO:+0930
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
UID:exchange-custom-tz-a@example.org
DTSTAMP:20240610T010000Z
DTSTART;TZID=Customized Time Zone:20240611T090000
DTEND;TZID=Customized Time Zone:20240611T100000
SUMMARY:Harbour survey
X-MICROSOFT-CDO-BUSYSTATUS:OOF
END:VEVENT
BEGIN:VEVENT
UID:exchange-custom-tz-b@example.org
DTSTAMP:20240610T010000Z
DTSTART;TZID=Customized Time Zone:20240612T130000
DTEND;TZID=Customized Time Zone:20240612T143000
SUMMARY:Harbour survey debrief
X-MICROSOFT-CDO-BUSYSTATUS:BUSY
END:VEVENT""", method="PUBLISH", extra="X-WR-CALNAME:Field work")),
]

GOOGLE_FILES = [
    text("ics/google/attendees.ics", "ok",
         "vendor:google x:google x:wr sched:attendees sched:itip-method",
         "Google export: X-WR-*, attendee list with CUTYPE/X-NUM-GUESTS, conference data",
         calendar(GOOGLE, """
BEGIN:VEVENT
DTSTART:20240507T150000Z
DTEND:20240507T160000Z
DTSTAMP:20240501T101010Z
ORGANIZER;CN=Pia Lenz:mailto:pia.lenz@example.org
UID:1q2w3e4r5t6y7u8i9o0pabcdef@google.com
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Pia Lenz;X-NU
 M-GUESTS=0:mailto:pia.lenz@example.org
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN
 =oskar.falk@example.org;X-NUM-GUESTS=0:mailto:oskar.falk@example.org
ATTENDEE;CUTYPE=RESOURCE;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Room Lark;X-NUM-
 GUESTS=0:mailto:example.org_726f6f6d@resource.calendar.example.org
X-GOOGLE-CONFERENCE:https://meet.example.org/abc-defg-hij
CREATED:20240501T101000Z
DESCRIPTION:Join: https://meet.example.org/abc-defg-hij\\n\\n-::~:~::~:~:~:~:~:
 ~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~::~:~::-
LAST-MODIFIED:20240501T101010Z
LOCATION:
SEQUENCE:0
STATUS:CONFIRMED
SUMMARY:Design critique
TRANSP:OPAQUE
END:VEVENT""", method="PUBLISH", extra="""CALSCALE:GREGORIAN
X-WR-CALNAME:pia.lenz@example.org
X-WR-TIMEZONE:Europe/Berlin""")),
    text("ics/google/recurring-overrides.ics", "ok",
         "vendor:google x:wr recur:rrule recur:exdate recur:override "
         "recur:rrule+exdate/rdate+override tz:tzid-without-vtimezone",
         "master with EXDATE and two RECURRENCE-ID overrides in one file (one resource)",
         calendar(GOOGLE, """
BEGIN:VEVENT
DTSTART;TZID=Europe/Berlin:20240902T093000
DTEND;TZID=Europe/Berlin:20240902T100000
RRULE:FREQ=DAILY;COUNT=10;BYDAY=MO,TU,WE,TH,FR
EXDATE;TZID=Europe/Berlin:20240904T093000
DTSTAMP:20240830T120000Z
UID:7g8h9j0k1l2m3n4b5v6c7x8z9@google.com
SEQUENCE:1
SUMMARY:Daily check-in
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Europe/Berlin:20240903T110000
DTEND;TZID=Europe/Berlin:20240903T113000
DTSTAMP:20240830T120000Z
UID:7g8h9j0k1l2m3n4b5v6c7x8z9@google.com
RECURRENCE-ID;TZID=Europe/Berlin:20240903T093000
SEQUENCE:2
SUMMARY:Daily check-in (late)
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Europe/Berlin:20240910T093000
DTEND;TZID=Europe/Berlin:20240910T103000
DTSTAMP:20240830T120000Z
UID:7g8h9j0k1l2m3n4b5v6c7x8z9@google.com
RECURRENCE-ID;TZID=Europe/Berlin:20240910T093000
SEQUENCE:2
SUMMARY:Daily check-in (long)
END:VEVENT""", extra="X-WR-CALNAME:Team\nX-WR-TIMEZONE:Europe/Berlin")),
    text("ics/google/series-master.ics", "ok",
         "vendor:google recur:rrule allday",
         "an all-day weekly series; its moved occurrence is in series-override.ics",
         calendar(GOOGLE, """
BEGIN:VEVENT
DTSTART;VALUE=DATE:20241004
DTEND;VALUE=DATE:20241005
RRULE:FREQ=WEEKLY;UNTIL=20241129T000000Z
DTSTAMP:20241001T080000Z
UID:0acrossfiles9series8@google.com
SUMMARY:Market day
TRANSP:TRANSPARENT
END:VEVENT""")),
    text("ics/google/series-override.ics", "ok",
         "vendor:google recur:override recur:override-without-master allday "
         "mixed-date-datetime",
         "an override whose master is in another file (series-master.ics)",
         calendar(GOOGLE, """
BEGIN:VEVENT
DTSTART;VALUE=DATE:20241019
DTEND;VALUE=DATE:20241020
DTSTAMP:20241001T080000Z
UID:0acrossfiles9series8@google.com
RECURRENCE-ID;VALUE=DATE:20241018
SUMMARY:Market day (Saturday this time)
TRANSP:TRANSPARENT
END:VEVENT""")),
]

APPLE_FILES = [
    text("ics/icloud/structured-location.ics", "ok",
         "vendor:apple x:apple x:wr alarm tz:vtimezone",
         "X-APPLE-STRUCTURED-LOCATION with URI value and base64 parameter, ACKNOWLEDGED alarm",
         calendar(APPLE, BERLIN + """
BEGIN:VEVENT
CREATED:20240702T071500Z
DTSTAMP:20240702T071600Z
UID:5B1C0E2A-8D3F-4F6A-9B7C-1E2D3F4A5B6C
DTSTART;TZID=Europe/Berlin:20240705T190000
DTEND;TZID=Europe/Berlin:20240705T220000
SUMMARY:Dinner at the boathouse
LOCATION:Boathouse Cafe\\nLakeside 4\\n10000 Examplestadt
X-APPLE-STRUCTURED-LOCATION;VALUE=URI;X-ADDRESS="Lakeside 4, 10000 Examplesta
 dt";X-APPLE-MAPKIT-HANDLE=CAESvAEIrJ0MGhIJeG1wbGVfaGFuZGxlX29ubHkiZQoGRXhhbX
 BsZRICRVgaCkV4YW1wbGVsYW5k;X-APPLE-RADIUS=70.5;X-APPLE-REFERENCEFRAME=1;X-TI
 TLE="Boathouse Cafe":geo:52.512300,13.404100
X-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC
X-APPLE-CREATOR-IDENTITY:com.apple.calendar
SEQUENCE:0
BEGIN:VALARM
X-WR-ALARMUID:9E8D7C6B-5A4F-4E3D-8C2B-1A0F9E8D7C6B
UID:9E8D7C6B-5A4F-4E3D-8C2B-1A0F9E8D7C6B
TRIGGER:-PT30M
ACTION:DISPLAY
DESCRIPTION:Reminder
ACKNOWLEDGED:20240705T183000Z
X-APPLE-DEFAULT-ALARM:TRUE
END:VALARM
END:VEVENT""", extra="""CALSCALE:GREGORIAN
X-WR-CALNAME:Home
X-APPLE-CALENDAR-COLOR:#1BADF8""")),
    text("ics/icloud/location-alarm-todo.ics", "ok",
         "vendor:apple x:apple comp:todo alarm",
         "a reminder (VTODO) with an arrival alarm carrying a structured location",
         calendar("-//Apple Inc.//iOS 17.5//EN", """
BEGIN:VTODO
CREATED:20240801T100000Z
DTSTAMP:20240801T100100Z
UID:A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D
SUMMARY:Buy stamps
STATUS:NEEDS-ACTION
X-APPLE-SORT-ORDER:744123456
BEGIN:VALARM
UID:C3D4E5F6-0718-4293-A4B5-C6D7E8F90A1B
TRIGGER;VALUE=DATE-TIME:19760401T005545Z
ACTION:DISPLAY
DESCRIPTION:Reminder
X-APPLE-PROXIMITY:ARRIVE
X-APPLE-STRUCTURED-LOCATION;VALUE=URI;X-APPLE-RADIUS=100;X-TITLE=Post office:
 geo:52.500000,13.400000
END:VALARM
END:VTODO""")),
]

# fmt: on

FILES: list[Spec] = [*OUTLOOK_FILES, *GOOGLE_FILES, *APPLE_FILES]
