"""Split a whole .ics or .vcf file into the resources a CalDAV/CardDAV server stores.

A calendar file becomes one VCALENDAR per UID: the master and its RECURRENCE-ID overrides
together, the VTIMEZONEs they reference copied in, and the VCALENDAR's own properties
(VERSION, PRODID, CALSCALE, X-WR-*, and METHOD, which `fixups` strips) kept. A vCard file
becomes one vCard per card. The content, not the file extension, decides which.

Damage never stops the file: each item whose structure is broken (its boundaries are not
known), and damage outside any item, comes out as an `ItemError` naming the file and the item
(UID, summary) where known, and every other item still comes out. A value that is not what it
says (a bad date) is no reason to hold an item back: the destination decides (`items.scan`
reports it when the item is copied). What `split` repaired is said in `Item.warnings`:

- no UID: a stable one is derived from the content (`derive_uid`), the same that the `add-uid`
  fix-up writes into the item, so re-runs find the same item again;
- the same UID twice: identical repeats are dropped; of two versions (different SEQUENCE) the
  newest is kept; unrelated items sharing a UID each keep their content and the later ones
  get the UID `<uid>-<hash>` (a visible change, stable across runs);
- vCalendar 1.0 (.vcs) is passed on as it is, with a warning: servers may refuse it.

A file that is one resource already comes back as the very same bytes. Resources that had to be
assembled keep the file's encoding (the `utf8` fix-up converts it) and use CRLF line endings.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from davtui.engine.errors import ItemError
from davtui.engine.items.compare import content_hash, derive_uid
from davtui.engine.items.scan import (
    Component,
    ItemInfo,
    Line,
    decode,
    describe,
    info_of,
    items_of,
    parse,
    split_line,
)


@dataclass(slots=True)
class Item:
    """One resource cut out of a file: its UID (derived when it had none), bytes and info."""

    uid: str
    data: bytes
    info: ItemInfo
    warnings: list[str] = field(default_factory=list)


def _error(
    source: str, reason: str, uid: str | None = None, summary: str | None = None
) -> ItemError:
    what = ", ".join(x for x in (source, uid and f"UID {uid}", summary and repr(summary)) if x)
    return ItemError(f"{what}: {reason}", source=source, uid=uid, summary=summary)


def _encode(text: str, codec: str) -> bytes:
    return text.encode("utf-8" if codec == "utf-8-sig" else codec, "surrogateescape")


def _tzids(component: Component) -> set[str]:
    """TZIDs referenced by the component and its sub-components (TZID= parameters)."""
    found = set()
    for part in component.walk():
        for line in part.props:
            if "TZID=" in line.text[:300].upper():
                for param in split_line(line.text)[1].split(";"):
                    name, _, value = param.partition("=")
                    if name.strip().upper() == "TZID":
                        found.add(value.strip('"'))
    return found


def _sequence(component: Component) -> int:
    line = component.first("SEQUENCE")
    value = line.value().strip() if line else ""
    return int(value) if value.isdigit() else 0


def _rid(component: Component) -> str | None:
    line = component.first("RECURRENCE-ID")
    return line.value().strip() if line else None


def _with_uid(component: Component, uid: str) -> Component:
    """A copy of `component` whose own UID line says `uid`."""
    props = [Line(f"UID:{uid}", f"UID:{uid}", "", "UID") if p.name == "UID" else p for p in
             component.props]  # fmt: skip
    return replace(component, props=props)


class _Grouper:
    """Calendar members grouped by UID, resolving duplicates as the module docstring says."""

    def __init__(self) -> None:
        self.groups: dict[str, list[Component]] = {}
        self.calendars: dict[str, Component] = {}
        self.warnings: dict[str, list[str]] = {}

    def add(self, uid: str, member: Component, calendar: Component) -> None:
        group = self.groups.setdefault(uid, [])
        self.calendars.setdefault(uid, calendar)
        twin = next((m for m in group if _rid(m) == _rid(member)), None)
        same_type = not group or group[0].name == member.name
        if twin is None and same_type:
            group.append(member)
        elif twin is not None and _normal_hash(twin) == _normal_hash(member):
            self.warn(uid, "an identical repeat of this item was dropped")
        elif twin is not None and _sequence(twin) != _sequence(member):
            newest = max(twin, member, key=_sequence)
            group[group.index(twin)] = newest
            self.warn(uid, f"an older version (SEQUENCE {min(map(_sequence, (twin, member)))})"
                      " of this item was dropped")  # fmt: skip
        else:
            new_uid = f"{uid}-{_normal_hash(member)[:8]}"
            self.add(new_uid, _with_uid(member, new_uid), calendar)
            self.warn(new_uid, f"UID {uid} is also used by another item: renamed to {new_uid}")

    def warn(self, uid: str, message: str) -> None:
        self.warnings.setdefault(uid, []).append(message)


def _normal_hash(component: Component) -> str:
    return content_hash("\r\n".join(component.raw_lines()).encode("utf-8", "surrogatepass"))


def _assemble_calendar(
    calendar: Component, zones: list[Component], members: list[Component]
) -> str:
    """One resource: the calendar's own properties, the time zones its members use, the
    members. A property with an odd value is kept: the destination decides."""
    lines = [calendar.begin.raw, *(p.raw for p in calendar.props)]
    for part in [*zones, *members]:
        lines.extend(part.raw_lines())
    return "\r\n".join([*lines, "END:VCALENDAR", ""])


def _calendar_items(
    calendars: list[Component], source: str, codec: str, whole: bytes | None
) -> Iterator[Item | ItemError]:
    grouper = _Grouper()
    zones: dict[str, Component] = {}
    for calendar in calendars:
        for zone in (c for c in calendar.children if c.name == "VTIMEZONE" and not c.broken()):
            tzid = zone.first("TZID")
            zones.setdefault(tzid.value().strip() if tzid else "", zone)
        for member in items_of(calendar):
            uid, summary = describe(member)
            if problems := member.broken():
                whole = None
                yield _error(source, "; ".join(problems[:3]), uid, summary)
            else:  # members without a UID get a placeholder key until their bytes are known
                grouper.add(uid or f"\0{len(grouper.groups)}", member, calendar)
    if grouper.warnings or len(grouper.groups) != 1:
        whole = None
    for key, members in grouper.groups.items():
        calendar = grouper.calendars[key]
        needed = set().union(*(_tzids(m) for m in members))
        text = _assemble_calendar(calendar, [z for t, z in zones.items() if t in needed], members)
        data = whole if whole is not None else _encode(text, codec)
        uid, warnings = key, grouper.warnings.get(key, [])
        if key.startswith("\0"):
            uid = derive_uid(data)
            warnings.append(f"no UID: {uid} is derived from the content (add-uid fix-up)")
        version = calendar.first("VERSION")
        if version is not None and version.value().strip() == "1.0":
            warnings.append("vCalendar 1.0, not iCalendar 2.0: the server may refuse it")
        yield Item(uid, data, info_of(members[0], members), warnings)


def _vcard_items(
    cards: list[Component], source: str, codec: str, whole: bytes | None
) -> Iterator[Item | ItemError]:
    seen: dict[str, str] = {}
    for card in cards:
        uid, summary = describe(card)
        if problems := card.broken():
            yield _error(source, "; ".join(problems[:3]), uid, summary)
            continue
        text = "\r\n".join([*card.raw_lines(), ""])
        data = whole if whole is not None and len(cards) == 1 else _encode(text, codec)
        warnings = []
        digest = content_hash(data)
        if uid is None:
            uid = derive_uid(data)
            warnings.append(f"no UID: {uid} is derived from the content (add-uid fix-up)")
        if seen.get(uid) == digest:
            continue
        if uid in seen:
            old, uid = uid, f"{uid}-{digest[:8]}"
            card = _with_uid(card, uid)
            data = _encode("\r\n".join([*card.raw_lines(), ""]), codec)
            warnings.append(f"UID {old} is also used by another card: renamed to {uid}")
        seen[uid] = digest
        yield Item(uid, data, info_of(card), warnings)


def split(data: bytes, source: str) -> Iterator[Item | ItemError]:
    """Every resource of a .ics/.vcf file, or an ItemError for each part that is damaged."""
    if not data.strip():
        yield _error(source, "the file is empty")
        return
    text, codec = decode(data)
    parsed = parse(text)
    if parsed.problems:
        yield _error(source, "damaged outside any item: " + "; ".join(parsed.problems[:3]))
    tops = parsed.components
    intact = len(tops) == 1 and not parsed.problems and not parsed.ignored and not tops[0].problems
    whole = data if intact else None
    calendars = [c for c in tops if c.name == "VCALENDAR"]
    cards = [c for c in tops if c.name == "VCARD"]
    for other in (c for c in tops if c.name not in ("VCALENDAR", "VCARD")):
        uid, summary = describe(other)
        yield _error(source, f"BEGIN:{other.name} is not inside a VCALENDAR or VCARD", uid, summary)
    for calendar in (c for c in calendars if c.problems):
        yield _error(source, "; ".join(calendar.problems[:3]))
    if calendars:
        yield from _calendar_items(calendars, source, codec, whole)
    if cards:
        yield from _vcard_items(cards, source, codec, whole)
    if not tops and not parsed.problems:
        yield _error(source, "no BEGIN:VCALENDAR or BEGIN:VCARD found")
