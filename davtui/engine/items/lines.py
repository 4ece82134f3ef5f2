"""Editing an item line by line, as every fix-up does: only the lines a fix-up changes are
rewritten (and re-folded at 75 octets); all other bytes stay exactly the source's.

Apart from `fixups` (the catalogue of named fix-ups) because this is the one way they touch
an item, written once.
"""

from __future__ import annotations

from collections.abc import Callable

from davtui.engine.items.normal import split_outside_quotes
from davtui.engine.items.scan import Line, parsed, split_line

#: Given a line and the components around it, its replacement lines (None: keep it).
Edit = Callable[[Line, list[str]], "list[str] | None"]


def fold(text: str) -> str:
    """`text` folded at 75 octets with CRLF + space, never inside a UTF-8 sequence."""
    if len(text.encode()) <= 75:
        return text
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for char in text:
        width = len(char.encode())
        if size + width > (75 if not parts else 74):
            parts.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    return "\r\n ".join([*parts, "".join(current)])


def edit_lines(data: bytes, edit: Edit, refold: bool = True) -> bytes:
    """Replace each line for which `edit` returns new unfolded lines (None keeps it as is).

    `edit` gets the line and the names of the components around it, outermost first: for a
    BEGIN or END line, the components around that component. Unchanged data is returned as
    the same object. `refold=False`: `edit` returns the lines as they are to be written.
    """
    stack: list[str] = []
    out: list[str] = []
    changed = False
    for line in parsed(data).lines:
        if line.name == "END" and stack:
            stack.pop()
        new = edit(line, stack)
        if line.name == "BEGIN":
            stack.append(line.value().strip().upper())
        if new is None:
            out.append(line.raw)
        else:
            changed = True
            out.extend(fold(text) if refold else text for text in new)
    return "\r\n".join([*out, ""]).encode() if changed else data


def is_item(name: str, parents: list[str]) -> bool:
    """A component that must carry a UID: a vCard, or a VCALENDAR member but VTIMEZONE."""
    return (name == "VCARD" and not parents) or (parents == ["VCALENDAR"] and name != "VTIMEZONE")


def with_param(line: Line, name: str, value: str) -> str:
    """The line with one more parameter, the rest of it as it was."""
    head, params, rest = split_line(line.text)
    return ";".join([head, *filter(None, [params]), f"{name}={value}"]) + ":" + rest


def param_of(line: Line, name: str) -> str | None:
    """The value of a parameter of the line (quotes removed), None when it has none."""
    for param in split_outside_quotes(split_line(line.text)[1], ";"):
        key, _, value = param.partition("=")
        if key.strip().upper() == name:
            return value.strip('"')
    return None
