"""Named, logged fix-ups: the only changes the engine ever makes to an item's bytes.

Each fix-up is a pure function `bytes -> bytes` that returns its input object unchanged when
there is nothing to do, so `apply` knows which ones acted and the engine sends the source bytes
untouched whenever possible. Fix-ups work on unfolded lines and re-fold (at 75 octets) only the
lines they change; nothing else is rewritten (SEQUENCE is never bumped).

How a fix-up edits lines is `lines.edit_lines`'s; this module holds the catalogue and `apply`.

Order matters: `utf8` first (the others work on UTF-8), then `add-uid` (the UID is derived
from the content before anything else changes it, so it equals the UID `split` announced).
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Callable

from davtui.engine.errors import ItemError
from davtui.engine.items.compare import derive_uid
from davtui.engine.items.lines import edit_lines, is_item, param_of, with_param
from davtui.engine.items.normal import UTC_TIMES, bare_name, split_outside_quotes
from davtui.engine.items.scan import Component, Line, decode, parsed, split_line


@functools.cache
def windows_zones() -> dict[str, str]:
    """Windows time-zone names (Outlook/Exchange) -> IANA: CLDR's whole table, as icalendar
    ships it (a dependency of caldav). Loaded on first use: most runs never need it."""
    from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

    return dict(WINDOWS_TO_OLSON)


Fixup = Callable[[bytes], bytes]


def fix_utf8(data: bytes) -> bytes:
    """Re-encode non-UTF-8 text (Latin-1, Windows-1252, UTF-16) as UTF-8; strip a BOM."""
    text, codec = decode(data)
    return data if codec == "utf-8" else text.encode("utf-8")


_BARE_CR = re.compile(rb"\r(?!\n)")
_LINE_END = re.compile(rb"\r\n|\r|\n")


def fix_line_ends(data: bytes) -> bytes:
    """Lines ended by a bare CR (old Mac files, or mixed with CRLF and LF) end in CRLF, as
    RFC 5545 and 6350 ask: some servers (Xandikos) refuse them, and a bare CR would become
    part of a value. Plain LF files are left alone: every server reads them."""
    if not _BARE_CR.search(data):
        return data
    return _LINE_END.sub(b"\r\n", data)


def fix_add_uid(data: bytes) -> bytes:
    """Give each item component without a UID the UID `split` derives from the content.

    The UID goes right after BEGIN: before END it could be taken as the continuation of a
    quoted-printable line ending in `=`.
    """
    tops = parsed(data).components
    holders = [c for top in tops for c in ([top] if top.name == "VCARD" else top.children)]
    named = [c.first("UID") is not None for c in holders if is_item(c.name, _parents(c, tops))]
    if all(named):
        return data
    index = -1

    def edit(line: Line, parents: list[str]) -> list[str] | None:
        nonlocal index
        if line.name != "BEGIN" or not is_item(line.value().strip().upper(), parents):
            return None
        index += 1
        missing = index < len(named) and not named[index]
        return [line.text, f"UID:{derive_uid(data)}"] if missing else None

    return edit_lines(data, edit)


def _parents(component: Component, tops: list[Component]) -> list[str]:
    return [] if component in tops else ["VCALENDAR"]


def fix_strip_method(data: bytes) -> bytes:
    """Drop METHOD: an iTIP method is invalid in a stored calendar object (RFC 4791 4.1)."""
    return edit_lines(data, lambda line, parents: [] if line.name == "METHOD" and
                 parents == ["VCALENDAR"] else None)  # fmt: skip


#: A TZID that might be a Windows name: every CLDR key has a space or starts with UTC, no IANA
#: name has a space. Checked on the bytes first, so that the items with IANA zones (nearly all)
#: never load the table: importing it imports all of icalendar (+4 MB, 40 ms).
_WINDOWS_HINT = re.compile(rb'(?i)TZID[ \t]*[=:]"?(?:UTC|[^";:\r\n]* )')


def fix_windows_tzid(data: bytes) -> bytes:
    """Rename Windows zone names (`W. Europe Standard Time`) to IANA ones, everywhere."""
    if not _WINDOWS_HINT.search(_unfolded(data)):
        return data

    def edit(line: Line, parents: list[str]) -> list[str] | None:
        if line.name == "TZID" and parents[-1:] == ["VTIMEZONE"]:
            iana = windows_zones().get(line.value().strip())
            return [f"TZID:{iana}"] if iana else None
        tzid = param_of(line, "TZID") if "TZID=" in line.text[:300].upper() else None
        if tzid is None or tzid not in windows_zones():
            return None
        head, params, value = split_line(line.text)
        kept = [p for p in split_outside_quotes(params, ";") if not _is_tzid(p)]
        return [";".join([head, *kept, f"TZID={windows_zones()[tzid]}"]) + ":" + value]

    return edit_lines(data, edit)


def _is_tzid(param: str) -> bool:
    return param.partition("=")[0].strip().upper() == "TZID"


_DATES_ONLY = re.compile(r"\d{8}(?:,\d{8})*")
_TZID_LINE = re.compile(r"^[^:]*;TZID=", re.IGNORECASE)
#: Cheap byte-level pre-checks on the unfolded text: most items need neither fix-up.
_UTC_WITH_TZID = re.compile(rb"(?i);TZID=[^\r\n]*:\d{8}T\d{6}Z")
_DATE_WITH_TZID = re.compile(rb"(?im);TZID=[^\r\n]*:\d{8}(?:[,\r\n]|$)")
_VCARD_VERSION = re.compile(rb"(?im)^VERSION:[ \t]*([0-9.]+)")


def _unfolded(data: bytes) -> bytes:
    return data.replace(b"\r\n ", b"").replace(b"\n ", b"").replace(b"\r\n\t", b"")


def _drop_tzid(data: bytes, invalid: re.Pattern[str], hint: re.Pattern[bytes]) -> bytes:
    """Drop the TZID parameter of each property whose whole value matches `invalid`."""
    if not hint.search(_unfolded(data)):
        return data

    def edit(line: Line, parents: list[str]) -> list[str] | None:
        if not _TZID_LINE.match(line.text[:300]):
            return None
        head, params, value = split_line(line.text)
        if not invalid.fullmatch(value.strip()):
            return None
        kept = [p for p in split_outside_quotes(params, ";") if not _is_tzid(p)]
        return [";".join([head, *kept]) + ":" + value]

    return edit_lines(data, edit)


def fix_utc_with_tzid(data: bytes) -> bytes:
    """`DTSTART;TZID=X:...T120000Z` is invalid (RFC 5545 3.3.5): keep the UTC time, drop the
    TZID; Xandikos would keep the TZID and drop the Z, moving the event by the offset."""
    return _drop_tzid(data, UTC_TIMES, _UTC_WITH_TZID)


def fix_date_with_tzid(data: bytes) -> bytes:
    """A TZID on a DATE value is invalid (RFC 5545 3.2.19): drop it; Xandikos would turn
    `VALUE=DATE:20050108` into the date-time `20050108T000000`."""
    return _drop_tzid(data, _DATES_ONLY, _DATE_WITH_TZID)


_SINGLE_TEXT = frozenset({"FN", "NOTE", "TITLE", "ROLE"})
_UNESCAPED_COMMA = re.compile(r"(\\.)|,")


def _vcard_version(data: bytes) -> str | None:
    """The VERSION of a vCard, or None for anything else (a byte-level look: no parsing)."""
    if not data.lstrip()[:11].upper().startswith(b"BEGIN:VCARD"):
        return None
    found = _VCARD_VERSION.search(data)
    return found.group(1).decode() if found else None


def fix_vcard_commas(data: bytes) -> bytes:
    """Escape bare commas in the single-value text of a vCard 3.0/4.0 (FN, NOTE, TITLE, ROLE):
    they must be escaped (RFC 6350 3.4), and vobject (Radicale) cuts `FN:Doe, Jo` to `Doe`."""
    if b"," not in data or _vcard_version(data) not in ("3.0", "4.0"):
        return data

    def edit(line: Line, parents: list[str]) -> list[str] | None:
        if line.name not in _SINGLE_TEXT or "ENCODING" in line.text[:200].upper():
            return None
        head, params, value = split_line(line.text)
        escaped = _UNESCAPED_COMMA.sub(lambda m: m.group(1) or "\\,", value)
        if escaped == value:
            return None
        return [";".join([head, *filter(None, [params])]) + ":" + escaped]

    return edit_lines(data, edit)


#: Single-value TEXT properties of iCalendar (RFC 5545 3.3.11); CATEGORIES and RESOURCES are
#: comma-separated lists, their commas are separators and stay bare.
_ICAL_TEXT = frozenset({"SUMMARY", "DESCRIPTION", "LOCATION", "COMMENT", "CONTACT"})
_UNESCAPED_SEPARATOR = re.compile(r"(\\.)|([,;])")


def fix_escape_text(data: bytes) -> bytes:
    """Escape bare commas and semicolons in the single-value text of an iCalendar item: RFC
    5545 requires it, and Radicale (vobject) cuts `DESCRIPTION:profiling, monitoring` at the
    first bare comma, keeping `profiling`. Escaped, every word is kept; a valid item is left
    as it is."""
    if not data.lstrip()[:15].upper().startswith(b"BEGIN:VCALENDAR"):
        return data

    def edit(line: Line, parents: list[str]) -> list[str] | None:
        if line.name not in _ICAL_TEXT or "ENCODING" in line.text[:200].upper():
            return None
        head, params, value = split_line(line.text)
        escaped = _UNESCAPED_SEPARATOR.sub(lambda m: m.group(1) or "\\" + m.group(2), value)
        if escaped == value:
            return None
        return [";".join([head, *filter(None, [params])]) + ":" + escaped]

    return edit_lines(data, edit)


def fix_vcard_bare_params(data: bytes) -> bytes:
    """Name the bare parameters of a vCard 2.1 (`TEL;WORK;VOICE` -> `TEL;TYPE=WORK;TYPE=VOICE`,
    `QUOTED-PRINTABLE` -> `ENCODING=...`): both forms are 2.1, vobject (Radicale) drops the
    bare ones. Only the first physical line changes: quoted-printable continuations stay."""
    if _vcard_version(data) != "2.1":
        return data

    def edit(line: Line, parents: list[str]) -> list[str] | None:
        head, params, _ = split_line(line.text)
        if not params or all("=" in p for p in split_outside_quotes(params, ";")):
            return None
        named = [
            p if "=" in p else f"{bare_name(p)}={p.strip()}"
            for p in split_outside_quotes(params, ";")
        ]
        old_head, new_head = f"{head};{params}:", ";".join([head, *named]) + ":"
        if not line.raw.startswith(old_head):  # parameters folded: rare, left alone
            return None
        return [new_head + line.raw[len(old_head) :]]  # later physical lines stay as they are

    return edit_lines(data, edit, refold=False)


def fix_add_vtimezone(data: bytes) -> bytes:
    """Add the VTIMEZONE of an IANA zone that is referenced but not defined (from zoneinfo)."""
    referenced, defined = set(), set()
    for line in parsed(data).lines:
        if line.name == "TZID":
            defined.add(line.value().strip())
        elif "TZID=" in line.text[:300].upper() and (tzid := param_of(line, "TZID")):
            referenced.add(tzid)
    zones = [z for z in sorted(referenced - defined) if _vtimezone(z)]
    if not zones:
        return data
    done = False

    def edit(line: Line, parents: list[str]) -> list[str] | None:
        nonlocal done
        if done or line.name != "BEGIN" or parents != ["VCALENDAR"]:
            return None
        done = True
        return [text for zone in zones for text in _vtimezone(zone)] + [line.text]

    return edit_lines(data, edit)


@functools.lru_cache(maxsize=512)
def _vtimezone(tzid: str) -> tuple[str, ...]:
    """The VTIMEZONE lines of an IANA zone, or () when the name is not one. Cached: vobject
    takes milliseconds to build one, and an account's items share a handful of zones."""
    import vobject  # only here: a missing VTIMEZONE is rare, vobject is slow to import

    try:
        zone = zoneinfo.ZoneInfo(tzid)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        return ()
    text = vobject.icalendar.TimezoneComponent(tzinfo=zone).serialize()
    return tuple(f"TZID:{tzid}" if t.startswith("TZID:") else t for t in text.splitlines() if t)


def fix_drop_duration(data: bytes) -> bytes:
    """A VEVENT with both DTEND and DURATION (invalid) keeps DTEND."""
    if b"DURATION" not in data.upper():
        return data
    tops = parsed(data).components
    events = [c for top in tops for c in top.walk() if c.name == "VEVENT"]
    both = [bool(c.first("DTEND") and c.first("DURATION")) for c in events]
    if not any(both):
        return data
    index = -1

    def edit(line: Line, parents: list[str]) -> list[str] | None:
        nonlocal index
        if line.name == "BEGIN" and line.value().strip().upper() == "VEVENT":
            index += 1
        elif line.name == "DURATION" and parents[-1:] == ["VEVENT"]:
            return [] if 0 <= index < len(both) and both[index] else None
        return None

    return edit_lines(data, edit)


def fix_suppress_invitations(data: bytes) -> bytes:
    """SCHEDULE-AGENT=CLIENT on ORGANIZER/ATTENDEE: SOGo then e-mails nobody (RFC 6638)."""

    def edit(line: Line, parents: list[str]) -> list[str] | None:
        if line.name not in ("ORGANIZER", "ATTENDEE") or param_of(line, "SCHEDULE-AGENT"):
            return None
        return [with_param(line, "SCHEDULE-AGENT", "CLIENT")]

    return edit_lines(data, edit)


FIXUPS: dict[str, Fixup] = {
    "utf8": fix_utf8,
    "line-ends": fix_line_ends,
    "add-uid": fix_add_uid,
    "strip-method": fix_strip_method,
    "windows-tzid": fix_windows_tzid,
    "utc-with-tzid": fix_utc_with_tzid,
    "date-with-tzid": fix_date_with_tzid,
    "add-vtimezone": fix_add_vtimezone,
    "drop-duration": fix_drop_duration,
    "escape-text": fix_escape_text,
    "vcard-commas": fix_vcard_commas,
    "vcard-bare-params": fix_vcard_bare_params,
}


def apply(
    data: bytes,
    *,
    accepts: tuple[str, ...] = (),
    suppress_invitations: bool = False,
    steps: list[tuple[str, bytes, bytes]] | None = None,
) -> tuple[bytes, list[str]]:
    """The item as it may be stored, and the names of the fix-ups that changed it.

    `accepts` lists the components the destination collection takes (empty: any); an item of
    another component raises ItemError instead of a server refusal later. Nothing needed: the
    very same bytes object and an empty list. `steps`, when given, receives each acting
    fix-up's (name, before, after), so the ledger can say what it changed.
    """
    chain = dict(FIXUPS)
    if suppress_invitations:
        chain["suppress-invitations"] = fix_suppress_invitations
    applied = []
    for name, fixup in chain.items():
        fixed = fixup(data)
        if fixed is not data:
            applied.append(name)
            if steps is not None:
                steps.append((name, data, fixed))
            data = fixed
    if accepts:
        _check_accepted(data, accepts)
    return data, applied


def _check_accepted(data: bytes, accepts: tuple[str, ...]) -> None:
    for top in parsed(data).components:
        names = [c.name for c in top.children if c.name != "VTIMEZONE"] or [top.name]
        refused = sorted({n for n in names if n not in accepts and n != "VCARD"})
        if refused:
            raise ItemError(f"the destination collection does not accept {', '.join(refused)}")
