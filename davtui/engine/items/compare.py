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

from davtui.engine.items.normal import implied_duration, property_line
from davtui.engine.items.scan import Component, parsed, split_line, value_problem

_IGNORED = frozenset({"DTSTAMP", "PRODID", "REV", "LAST-MODIFIED"})
_VCARD_IGNORED = frozenset({"VERSION", "PROFILE"})


def _normal(component: Component) -> str:
    """Properties normalised and sorted, then the sub-components, sorted; VTIMEZONEs are left
    out (servers own them: Xandikos rewrites TZOFFSETTO:+000000 as +0000, SOGo replaces them),
    the TZIDs that properties reference stay in their parameters."""
    children = sorted(_normal(c) for c in component.children if c.name != "VTIMEZONE")
    return "\n".join([f"BEGIN:{component.name}", *_props(component), *children, "END:"])


def _props(component: Component) -> list[str]:
    vcard = component.name == "VCARD"
    props = []
    for line in component.props:
        if line.name in _IGNORED or (vcard and line.name in _VCARD_IGNORED):
            continue
        _, params, value = split_line(line.text)
        if (normal := property_line(line.group, line.name, params, value, vcard)) is not None:
            props.append(normal)
    if component.name == "VEVENT":
        props += implied_duration(props)
    return sorted(props)


def content_hash(data: bytes) -> str:
    """A hash equal for two copies of an item that differ only in what servers rewrite."""
    digest = hashlib.sha256()
    for component in parsed(data).components:
        digest.update(_normal(component).encode("utf-8", "surrogatepass"))
        digest.update(b"\n")
    return digest.hexdigest()


def first_difference(sent: bytes, stored: bytes) -> str | None:
    """The first property whose normal form differs, as `NAME: sent X, stored Y`: the reason
    of a verification mismatch, read by a person (None when the hashes would agree)."""
    mine, theirs = (_property_map(data) for data in (sent, stored))
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


def _property_map(data: bytes) -> dict[str, list[str]]:
    """Normal properties keyed by component and name (`VEVENT DTSTART`), valued by what follows
    the name: `TZID=Europe/Berlin:20150602T120000Z`, or the bare value."""
    found: dict[str, list[str]] = {}
    for top in parsed(data).components:
        for component in _without_timezones(top):
            for normal in _props(component):
                name, params, value = split_line(normal)
                shown = f"{params}:{value}" if params else value
                found.setdefault(f"{component.name} {name}", []).append(shown)
    return {key: sorted(values) for key, values in found.items()}


def _without_timezones(component: Component):
    yield component
    for child in component.children:
        if child.name != "VTIMEZONE":
            yield from _without_timezones(child)


def derive_uid(data: bytes) -> str:
    """A UID for an item without one, from its normalised content: stable across runs."""
    return "davtui-" + content_hash(data)[:32]
