"""What a fix-up changed in an item, in words an admin can check: `TZID=W. Europe Standard
Time -> TZID=Europe/Berlin`, `removed METHOD:REQUEST`.

A line diff of the unfolded content lines before and after: fix-ups change few lines, so the
diff is small, and only items that were fixed are described.
"""

from __future__ import annotations

import difflib

from davtui.engine.items.scan import parsed, split_line

#: Changes listed per fix-up and item; more are counted ("and 12 more").
LIMIT = 8
#: Characters of a line or value shown before it is cut with "...".
WIDTH = 100
_STOPS = ";:=,"


def describe(before: bytes, after: bytes, limit: int = LIMIT) -> list[str]:
    """The changes from `before` to `after`, one sentence each, repeats said once."""
    old = [line.text for line in parsed(before).lines]
    new = [line.text for line in parsed(after).lines]
    said: list[str] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        removed, added = old[i1:i2], new[j1:j2]
        if tag == "replace" and len(removed) == len(added):
            said.extend(_changed(a, b) for a, b in zip(removed, added, strict=True))
            continue
        said.extend(f"removed {what}" for what in _blocks(removed))
        said.extend(f"added {what}" for what in _blocks(added))
    unique = list(dict.fromkeys(said))
    if len(unique) > limit:
        return [*unique[:limit], f"and {len(unique) - limit} more"]
    return unique


def _blocks(lines: list[str]) -> list[str]:
    """The lines, a whole component (BEGIN:X ... END:X) said as `X` (with its TZID)."""
    out: list[str] = []
    depth, name, tzid = 0, "", ""
    for line in lines:
        head, _, value = line.partition(":")
        head = head.upper()
        if head == "BEGIN":
            depth += 1
            if depth == 1:
                name, tzid = value, ""
            continue
        if depth:
            if head == "TZID" and depth == 1:
                tzid = f" {value}"
            if head == "END":
                depth -= 1
                if depth == 0:
                    out.append(_cut(name + tzid))
            continue
        out.append(_cut(line))
    if depth:  # a component cut by the diff: its name is still the best summary
        out.append(_cut(name + tzid))
    return out


def _changed(old: str, new: str) -> str:
    """`PROPERTY part -> part`: the property name and the part of the line that differs,
    widened to whole parameters or values."""
    name = old.split(";", 1)[0].split(":", 1)[0]
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    end = 0
    while end < min(len(old), len(new)) - start and old[-1 - end] == new[-1 - end]:
        end += 1
    added = new[start : len(new) - end]
    if (
        not old[start : len(old) - end]
        and added.startswith(";")
        and start < len(old) - len(split_line(old)[2])
    ):
        return _parameters_added(name, added[1:])
    value_at = len(old) - len(split_line(old)[2])
    if start >= value_at and len(split_line(new)[2]) == len(new) - value_at:
        start, end = value_at, 0  # a changed value is shown whole
    while start > 0 and old[start - 1] not in _STOPS:
        start -= 1
    while end > 0 and old[len(old) - end] not in _STOPS:
        end -= 1
    a, b = old[start : len(old) - end], new[start : len(new) - end]
    if start > 0 and old[start - 1] == "=":  # inside a parameter: name it
        name += " " + old[: start - 1].rsplit(";", 1)[-1]
    return f"{name} {_cut(a) or '(nothing)'} -> {_cut(b) or '(nothing)'}"


def _parameters_added(name: str, added: str) -> str:
    """`ATTENDEE SCHEDULE-AGENT (nothing) -> CLIENT`: one parameter added is named with its
    property (widening the change to the parameter before it would say that one changed)."""
    parameter, equals, value = added.partition("=")
    if equals and ";" not in value:
        return f"{name} {parameter} (nothing) -> {_cut(value)}"
    return f"{name} (nothing) -> {_cut(added)}"


def _cut(text: str) -> str:
    return text if len(text) <= WIDTH else text[: WIDTH - 3] + "..."
