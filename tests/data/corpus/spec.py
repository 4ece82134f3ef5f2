"""What one file of the own corpus is: its path, status, tags, a note and its exact bytes.

The bodies are written as plain text, one content line per source line (folded lines start
with a space, as they would in the file); `text` turns them into bytes with the line ending
and encoding the quirk needs, so a CR-only or UTF-16 file is as deliberate as its content.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Spec:
    path: str  # ics/<folder>/<name> or vcf/<folder>/<name>, as in the shared corpus
    status: str  # ok | invalid | broken (shared corpus README: expected behaviour per status)
    tags: tuple[str, ...]
    note: str
    data: bytes


def text(
    path: str,
    status: str,
    tags: str,
    note: str,
    body: str,
    *,
    eol: str = "\r\n",
    codec: str = "utf-8",
) -> Spec:
    """A file from `body` (lines separated by newlines), with `eol` and `codec` applied."""
    lines = body.strip("\n").split("\n")
    data = (eol.join(lines) + eol).encode(codec)
    return Spec(path, status, tuple(tags.split()), note, data)


def calendar(prodid: str, inner: str, *, method: str = "", extra: str = "") -> str:
    """A VCALENDAR around `inner` (components), with `extra` calendar properties."""
    head = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{prodid}"]
    if method:
        head.append(f"METHOD:{method}")
    if extra:
        head.append(extra.strip("\n"))
    return "\n".join([*head, inner.strip("\n"), "END:VCALENDAR"])


#: A time zone several producers embed as it is (with X-LIC-LOCATION, as libical writes).
BERLIN = """
BEGIN:VTIMEZONE
TZID:Europe/Berlin
X-LIC-LOCATION:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE"""
