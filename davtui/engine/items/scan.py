"""The item model: a fast line scan of iCalendar/vCard text into a component tree.

No vobject on the hot path: every fetched item goes through `scan` and `compare.content_hash`,
both one linear pass over unfolded lines. The same line parser (`parse`) serves `split` and
`fixups`; `parsed` keeps the last trees, since one item is looked at by several of them in turn.

Decoding: servers require UTF-8, but files come in UTF-8 (with or without BOM), UTF-16 (with or
without BOM), Windows-1252 or Latin-1. `decode` tells which; the hash works on the decoded text,
so an item hashes the same before and after the `utf8` fix-up.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from davtui.engine.errors import ItemError

CALENDAR_TYPE = "text/calendar; charset=utf-8"
VCARD_TYPE = "text/vcard; charset=utf-8"
KINDS = {"VEVENT": "event", "VTODO": "task", "VJOURNAL": "journal", "VFREEBUSY": "freebusy"}

_NAME = re.compile(r"(?:([A-Za-z0-9_-]+)\.)?([A-Za-z0-9_-]+)(?=[;:])")
_COMPONENT = re.compile(r"[A-Za-z0-9-]+")
_SAFE_NAME = re.compile(r"[A-Za-z0-9_@-][A-Za-z0-9._@-]{0,199}")
_CONTINUED_ENCODINGS = ("QUOTED-PRINTABLE", "BASE64", "ENCODING=B")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
#: Characters text does not hold: a NUL, or more than a few other control characters, once
#: decoded, is binary data (an image, a compressed file) and nothing a server could store.
_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_BINARY_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_VERSION = re.compile(rb"^VERSION:[ \t]*([^\r\n]*)", re.M | re.I)
_DATES = re.compile(r"\d{8}(?:T\d{6}Z?)?(?:,\d{8}(?:T\d{6}Z?)?)*")
_DATE_PROPS = frozenset({"DTSTART", "DTEND", "DUE", "RECURRENCE-ID", "EXDATE"})
_TIME = r"T(?:\d+H)?(?:\d+M)?(?:\d+S)?"
_DURATION = re.compile(rf"[+-]?P(?:\d+W|\d+D(?:{_TIME})?|{_TIME})")


@dataclass(frozen=True, slots=True)
class ItemInfo:
    """What the engine needs to know about one item without parsing it fully."""

    kind: str  # event | task | journal | contact | freebusy | other
    component: str  # VEVENT, VTODO, VJOURNAL, VFREEBUSY, VCARD, or the X-/unknown name
    uid: str | None
    summary: str | None
    content_type: str
    #: what davtui found odd but a server may well store: the item is sent as it is, the
    #: destination decides, and these are recorded with the item's outcome
    warnings: tuple[str, ...] = ()


@dataclass(slots=True)
class Line:
    """One content line: `text` unfolded, `raw` as in the source (folding kept)."""

    text: str
    raw: str
    group: str = ""  # upper-case `itemN` group, "" when none
    name: str = ""  # upper-case property name; "" when the line is not a content line

    def value(self) -> str:
        return split_line(self.text)[2]


@dataclass(slots=True)
class Component:
    """BEGIN:NAME ... END:NAME with its properties and sub-components, in source order."""

    name: str
    begin: Line
    props: list[Line] = field(default_factory=list)
    children: list[Component] = field(default_factory=list)
    end: Line | None = None
    problems: list[str] = field(default_factory=list)  # damage to the structure
    findings: list[str] = field(default_factory=list)  # a value that is not what it says

    def first(self, name: str) -> Line | None:
        return next((line for line in self.props if line.name == name), None)

    def walk(self) -> Iterator[Component]:
        yield self
        for child in self.children:
            yield from child.walk()

    def broken(self) -> list[str]:
        """Every problem found in this component and below it."""
        return [p for c in self.walk() for p in c.problems]

    def found(self) -> list[str]:
        """Every value-level finding (a bad date or duration) in this component and below:
        no reason to refuse the item, a server may store it as it is."""
        return [f for c in self.walk() for f in c.findings]

    def raw_lines(self) -> list[str]:
        """The source lines (folding kept) of this component, in source order."""
        lines = [self.begin.raw, *(line.raw for line in self.props)]
        for child in self.children:
            lines.extend(child.raw_lines())
        return [*lines, self.end.raw] if self.end else lines


@dataclass(slots=True)
class Parsed:
    """The top-level components of a text, and what was found outside any of them."""

    components: list[Component]
    problems: list[str]  # damage outside any component: the whole text is suspect
    ignored: list[str]  # content lines outside any component (a trailing X-COMMENT), dropped
    lines: list[Line] = field(default_factory=list)  # every unfolded line, in source order


def decode(data: bytes) -> tuple[str, str]:
    """The text and the codec it was read with (utf-8, utf-8-sig, utf-16, cp1252, latin-1)."""
    if data.startswith(b"\xef\xbb\xbf"):
        codecs = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        codecs = ["utf-16"]
    elif len(data) > 1 and (data[0] == 0) != (data[1] == 0):
        codecs = ["utf-16-be" if data[0] == 0 else "utf-16-le"]
    else:
        codecs = ["utf-8"]
    for codec in [*codecs, "cp1252"]:
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def split_line(text: str) -> tuple[str, str, str]:
    """(name with group, parameters without the leading `;`, value) of an unfolded line."""
    colon = text.find(":")
    if colon < 0:
        return text, "", ""
    head = text[:colon]
    if '"' in head:  # a quoted parameter value may hold a colon
        quoted, colon = False, -1
        for index, char in enumerate(text):
            if char == '"':
                quoted = not quoted
            elif char == ":" and not quoted:
                colon = index
                break
        if colon < 0:
            return text, "", ""
        head = text[:colon]
    name, _, params = head.partition(";")
    return name, params, text[colon + 1 :]


def _make_line(raw_parts: list[str], text: str) -> Line:
    match = _NAME.match(text)
    raw = "\r\n".join(raw_parts)
    if match is None:
        return Line(text, raw)
    return Line(text, raw, (match.group(1) or "").upper(), match.group(2).upper())


def _continues(head: str, previous: str, physical: str) -> bool:
    """A QP soft line break, or an unindented base64 line of an old vCard, continuing the
    logical line whose parameters are `head` and whose last physical line is `previous`."""
    if physical[:6].upper() in ("BEGIN:", "END:VC", "END:VE", "END:VT", "END:VJ"):
        return False
    head = head.upper()
    if "QUOTED-PRINTABLE" in head:
        return previous.endswith("=")
    return ("BASE64" in head or "ENCODING=B" in head) and not _NAME.match(physical)


def lines(text: str) -> list[Line]:
    """Unfolded content lines; CRLF, LF and CR-only line endings alike; blank lines dropped."""
    physical = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    result: list[Line] = []
    parts: list[str] = []
    unfolded: list[str] = []
    head = ""
    for line in physical:
        if not line.strip():
            continue
        if parts and line[0] in (" ", "\t"):
            parts.append(line)
            unfolded.append(line[1:])
            continue
        if parts and head and _continues(head, parts[-1], line):
            parts.append(line)
            unfolded.append("\n" + line)
            continue
        if parts:
            result.append(_make_line(parts, "".join(unfolded)))
        parts, unfolded = [line], [line]
        head = line[: line.find(":")] if ";" in line[:200] else ""
    if parts:
        result.append(_make_line(parts, "".join(unfolded)))
    return result


def value_problem(line: Line) -> str | None:
    """A date or duration that is not one, or an unexpanded template placeholder
    (`$now.year`)."""
    if line.name not in _DATE_PROPS and line.name not in ("UID", "DURATION"):
        return None
    value = line.value().strip()
    if line.name in _DATE_PROPS and not _DATES.fullmatch(value):
        return f"{line.name} is not a valid date: {value[:40]!r}"
    if line.name == "DURATION" and not _DURATION.fullmatch(value):
        return f"DURATION is not a valid duration: {value[:40]!r}"
    if line.name == "UID" and value.startswith("$"):
        return f"UID is an unexpanded placeholder: {value[:40]!r}"
    return None


def parse(text: str) -> Parsed:
    """Build the component tree, recovering from damage and recording it as problems.

    A BEGIN of a component already open (VEVENT inside VEVENT) or an END of an outer one
    closes the open ones as unterminated, so the good items around them survive.
    """
    top: list[Component] = []
    stack: list[Component] = []
    problems: list[str] = []
    ignored: list[str] = []
    unfolded = lines(text)
    for number, line in enumerate(unfolded, 1):
        keyword = line.name if not line.group else ""
        value = line.value().strip().upper() if keyword in ("BEGIN", "END") else ""
        if keyword in ("BEGIN", "END") and not _COMPONENT.fullmatch(value):
            where = stack[-1].problems if stack else problems
            where.append(f"line {number}: bad component name {value[:40]!r}")
            continue
        if keyword == "BEGIN":
            if any(c.name == value for c in stack):
                _close_until(stack, value, number)
                stack.pop().problems.append(f"line {number}: BEGIN:{value} is never ended")
            component = Component(value, line)
            (stack[-1].children if stack else top).append(component)
            stack.append(component)
        elif keyword == "END":
            if not any(c.name == value for c in stack):
                where = stack[-1].problems if stack else problems
                where.append(f"line {number}: END:{value} without BEGIN:{value}")
                continue
            _close_until(stack, value, number)
            stack.pop().end = line
        elif not stack and line.name:
            ignored.append(line.text[:60])
        elif not stack:
            problems.append(f"line {number}: text outside BEGIN/END: {line.text[:40]!r}")
        elif not line.name or _CONTROL.search(line.text):
            stack[-1].problems.append(f"line {number}: not a content line: {line.text[:40]!r}")
        else:
            stack[-1].props.append(line)
            if problem := value_problem(line):
                stack[-1].findings.append(f"line {number}: {problem}")
    for component in stack:
        component.problems.append(f"BEGIN:{component.name} is never ended")
    return Parsed(top, problems, ignored, unfolded)


#: Items larger than this are parsed each time: the cache's memory stays small.
_CACHED_SIZE = 64 * 1024


def parsed(data: bytes) -> Parsed:
    """The tree of an item's bytes, decoded as `decode` reads them. The scan, the hashes, the
    fix-ups and the acceptance check each look at the same item in turn, on the writer
    threads: the last trees are kept, so an item is parsed once, not five times. The result
    is shared: read it, never change it."""
    if len(data) > _CACHED_SIZE:
        return parse(decode(data)[0])
    return _parsed(data)


@functools.lru_cache(maxsize=64)
def _parsed(data: bytes) -> Parsed:
    return parse(decode(data)[0])


def _close_until(stack: list[Component], name: str, number: int) -> None:
    while stack[-1].name != name:
        open_ = stack.pop()
        open_.problems.append(f"line {number}: BEGIN:{open_.name} is never ended")


def unescape(value: str) -> str:
    return (
        value.replace("\\n", "\n").replace("\\N", "\n").replace("\\,", ",").replace("\\;", ";")
    ).replace("\\\\", "\\")


def describe(component: Component) -> tuple[str | None, str | None]:
    """(UID, summary) of an item component: SUMMARY, or FN/N for a vCard."""
    uid_line = component.first("UID")
    uid = uid_line.value().strip() or None if uid_line else None
    for name in ("SUMMARY", "FN", "N"):
        line = component.first(name)
        if line is not None and line.value().strip(";, "):
            return uid, unescape(line.value().strip())
    return uid, None


def items_of(calendar: Component) -> list[Component]:
    """The components of a VCALENDAR that are items (everything but VTIMEZONE)."""
    return [c for c in calendar.children if c.name != "VTIMEZONE"]


def info_of(component: Component, members: list[Component] | None = None) -> ItemInfo:
    """ItemInfo of a VCARD, or of a calendar item given its members (master + overrides)."""
    if component.name == "VCARD":
        uid, summary = describe(component)
        return ItemInfo("contact", "VCARD", uid, summary, VCARD_TYPE)
    members = members or [component]
    master = next((m for m in members if m.first("RECURRENCE-ID") is None), members[0])
    uid, summary = describe(master)
    kind = KINDS.get(members[0].name, "other")
    return ItemInfo(kind, members[0].name, uid, summary, CALENDAR_TYPE)


def _binary(data: bytes) -> bool:
    if not _BINARY_BYTES.search(data):  # most items: no control byte at all, no decoding
        return False
    head = decode(data)[0][:4096]
    return "\x00" in head or len(_BINARY.findall(head)) > 8


def scan(data: bytes, source: str = "") -> ItemInfo:
    """Kind, UID and summary of ONE calendar object resource or ONE vCard.

    The destination decides what it stores, not this parser: what looks wrong (a bad date,
    an unterminated component, two objects) comes back in `warnings` and the item is sent as
    it is. Only what cannot be sent at all raises ItemError, naming `source` and the item
    where known: binary data, no VCALENDAR or VCARD, or a calendar without any item (nothing
    a UID could be given to).
    """
    tree = parsed(data)
    top = tree.components
    if _binary(data):
        raise ItemError(f"{source or 'item'}: binary data, not calendar or vCard text",
                        source=source)  # fmt: skip
    if not top:
        raise ItemError(f"{source or 'item'}: no BEGIN:VCALENDAR or BEGIN:VCARD", source=source)
    first = top[0]
    members = items_of(first) if first.name == "VCALENDAR" else [first]
    if not members:
        what = source or "item"
        raise ItemError(f"{what}: the calendar holds no event, task or journal", source=source)
    info = info_of(first, members)
    notes = [*tree.problems]
    if len(top) > 1:
        notes.append(f"{len(top)} objects where one was expected")
    if first.name not in ("VCALENDAR", "VCARD"):
        notes.append(f"BEGIN:{first.name} is not inside a VCALENDAR")
    notes += first.broken()
    uids = {describe(m)[0] for m in members}
    if len(uids) > 1:
        notes.append(f"one resource holds {len(uids)} different UIDs")
    notes += first.found()
    return replace(info, warnings=tuple(notes)) if notes else info


def resource_name(uid: str, kind: str) -> str:
    """The file name / last href segment of a new item: its UID when that is safe in a URL
    and a file name, else a UUID derived from the UID (stable across runs)."""
    ext = ".vcf" if kind in ("contact", "addressbook", "VCARD") else ".ics"
    if _SAFE_NAME.fullmatch(uid):
        return uid + ext
    return str(uuid.uuid5(uuid.NAMESPACE_URL, uid)) + ext


def version_of(data: bytes) -> bytes | None:
    """The VERSION value of an item (vCard 3.0/4.0...), by a cheap search, not a parse."""
    found = _VERSION.search(data)
    return found.group(1).strip() if found else None
