"""When two copies of an item are the same: the normalised content hash, and the first
difference, in words, when they are not.

What the hash ignores, because servers rewrite it on store: line endings, folding, the order
of lines and of sub-components inside a component, property-name case, DTSTAMP, PRODID, REV
(vCard), LAST-MODIFIED (SOGo and Nextcloud set it to the time of the PUT: it dates the copy,
not the content), the VERSION of a vCard (SOGo turns 4.0 into 3.0), VTIMEZONE definitions
(servers own them), and, per property, what `normal.property_line` lists. CREATED, SEQUENCE
and the `itemN.` group names are kept: they are content.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from davtui.engine.items.normal import (
    SPLIT_LISTS,
    implied_duration,
    list_values,
    property_line,
)
from davtui.engine.items.scan import Component, parsed, split_line, value_problem

_IGNORED = frozenset({"DTSTAMP", "PRODID", "REV", "LAST-MODIFIED"})
_VCARD_IGNORED = frozenset({"VERSION", "PROFILE"})
_MEANING_IGNORED = frozenset({"VERSION"})


def _normal(component: Component, meaning: bool = False) -> str:
    """Properties normalised and sorted, then the sub-components, sorted; VTIMEZONEs are left
    out (servers own them: Xandikos rewrites TZOFFSETTO:+000000 as +0000, SOGo replaces them),
    the TZIDs that properties reference stay in their parameters."""
    children = sorted(_normal(c, meaning) for c in component.children if c.name != "VTIMEZONE")
    body = _props(component, meaning)
    return "\n".join([f"BEGIN:{component.name}", *body, *children, "END:"])


def _props(component: Component, meaning: bool = False) -> list[str]:
    """The normal properties, sorted; `meaning`: in the looser form of `normal.meaning_only`,
    and without the VCALENDAR's VERSION (a vCalendar 1.0 stored as 2.0 is a conversion)."""
    vcard = component.name == "VCARD"
    ignored = _VCARD_IGNORED if vcard else _MEANING_IGNORED if meaning else frozenset()
    props = []
    for line in component.props:
        if line.name in _IGNORED or line.name in ignored:
            continue
        _, params, value = split_line(line.text)
        values = list_values(value) if meaning and line.name in SPLIT_LISTS else [value]
        for one in values:
            normal = property_line(line.group, line.name, params, one, vcard, meaning)
            if normal is not None:
                props.append(normal)
    if component.name == "VEVENT":
        props += implied_duration(props)
    return sorted(props)


def content_hash(data: bytes, meaning: bool = False) -> str:
    """A hash equal for two copies of an item that differ only in what servers rewrite.

    The stored hashes (and a file's ETags) are this hash: what it ignores changes only with
    care, or every stored item looks changed. `meaning`: the looser hash of two copies that
    mean the same (`normal.meaning_only`), used when the stored hashes differ."""
    digest = hashlib.sha256()
    for component in parsed(data).components:
        digest.update(_normal(component, meaning).encode("utf-8", "surrogatepass"))
        digest.update(b"\n")
    return digest.hexdigest()


def first_difference(sent: bytes, stored: bytes) -> str | None:
    """The first property whose normal form differs, as `NAME: sent X, stored Y`: the reason
    of a verification mismatch, read by a person (None when the hashes would agree)."""
    for meaning in (True, False):  # a change of meaning first, else one of form
        mine, theirs = (_property_map(data, meaning) for data in (sent, stored))
        if mine != theirs:
            break
    for name in sorted(mine.keys() | theirs.keys()):
        if mine.get(name) != theirs.get(name):
            shown = [", ".join(found.get(name, ["(none)"]))[:120] for found in (mine, theirs)]
            return f"{name}: sent {shown[0]}, stored {shown[1]}"
    return None


def rewritten_only(sent: bytes, stored: bytes) -> list[str]:
    """The properties that differ, when every one of them held a value davtui found invalid
    in `sent` (`items.value_problem`): the server rewrote what was not valid (Radicale stores
    DTSTART 20131009T180000T as 20131009T180000), and nothing else. [] otherwise."""
    flagged = {line.name for line in parsed(sent).lines if value_problem(line)}
    if not flagged:
        return []
    mine, theirs = _property_map(sent), _property_map(stored)
    differ = sorted(k for k in mine.keys() | theirs.keys() if mine.get(k) != theirs.get(k))
    if differ and all(key.rsplit(" ", 1)[-1] in flagged for key in differ):
        return differ
    return []


def converted(sent: bytes, stored: bytes) -> list[str]:
    """The properties the server stored in another form of the same meaning (`VCALENDAR
    VERSION`, `VEVENT DTSTART`), when the two copies mean the same; [] when they do not, or
    when their content hashes agree already."""
    if content_hash(sent, meaning=True) != content_hash(stored, meaning=True):
        return []
    mine, theirs = _property_map(sent), _property_map(stored)
    return sorted(k for k in mine.keys() | theirs.keys() if mine.get(k) != theirs.get(k))


def _property_map(data: bytes, meaning: bool = False) -> dict[str, list[str]]:
    """Normal properties keyed by component and name (`VEVENT DTSTART`), valued by what follows
    the name: `TZID=Europe/Berlin:20150602T120000Z`, or the bare value."""
    found: dict[str, list[str]] = {}
    for top in parsed(data).components:
        for component in _without_timezones(top):
            for normal in _props(component, meaning):
                name, params, value = split_line(normal)
                shown = f"{params}:{value}" if params else value
                found.setdefault(f"{component.name} {name}", []).append(shown)
    return {key: sorted(values) for key, values in found.items()}


def _without_timezones(component: Component) -> Iterator[Component]:
    yield component
    for child in component.children:
        if child.name != "VTIMEZONE":
            yield from _without_timezones(child)


def derive_uid(data: bytes) -> str:
    """A UID for an item without one, from its normalised content: stable across runs."""
    return "davtui-" + content_hash(data)[:32]
