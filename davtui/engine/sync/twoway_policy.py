"""Which version of an item changed on both sides wins, and why, in words for the ledger.

`newer`: the higher SEQUENCE (what calendar clients raise on a real change), then the later
LAST-MODIFIED, DTSTAMP or REV (vCard); a tie keeps the source's. The other policies name a
side outright; `keep-both` keeps the newer one under the UID and the other as a new item.
"""

from __future__ import annotations

import re

from davtui.engine.items.compare import content_hash
from davtui.engine.items.lines import edit_lines, is_item
from davtui.engine.items.scan import Line, parsed

SOURCE, DEST = "source", "destination"
#: The properties that date an item's last edit, in the order `newer` consults them.
STAMPS = ("LAST-MODIFIED", "DTSTAMP", "REV")
#: Items whose properties date the whole object (the first one found is read).
ITEMS = ("VEVENT", "VTODO", "VJOURNAL", "VCARD")


def _fields(data: bytes) -> dict[str, str]:
    """SEQUENCE and the stamps of the item's first component (the master, not an override)."""
    found: dict[str, str] = {}
    for top in parsed(data).components:
        for component in [top, *top.children]:
            if component.name not in ITEMS:
                continue
            for name in ("SEQUENCE", *STAMPS):
                line = component.first(name)
                if line is not None and name not in found:
                    found[name] = line.value().strip()
            return found
    return found


def _sequence(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


def _stamp(value: str | None) -> str:
    """A date-time comparable as text: its digits (20261203T120000Z and 2026-12-03T12:00:00Z
    both become 20261203120000)."""
    return re.sub(r"\D", "", value or "")[:14]


def newer(source: bytes, dest: bytes) -> tuple[str, str]:
    """The side whose version is newer, and why ("SEQUENCE 3 > 2")."""
    mine, theirs = _fields(source), _fields(dest)
    s_seq, d_seq = _sequence(mine.get("SEQUENCE")), _sequence(theirs.get("SEQUENCE"))
    if s_seq != d_seq:
        side = SOURCE if s_seq > d_seq else DEST
        return side, f"SEQUENCE {max(s_seq, d_seq)} > {min(s_seq, d_seq)}"
    for name in STAMPS:
        s_at, d_at = _stamp(mine.get(name)), _stamp(theirs.get(name))
        if s_at and d_at and s_at != d_at:
            side = SOURCE if s_at > d_at else DEST
            later, earlier = (mine, theirs) if side == SOURCE else (theirs, mine)
            return side, f"{name} {later[name]} > {earlier[name]}"
    return SOURCE, "same SEQUENCE and dates: the source's is kept"


def choose(policy: str, source: bytes, dest: bytes) -> tuple[str, str]:
    """The winning side under `policy` (not `ask`) and the ledger's reason."""
    if policy == "source-wins":
        return SOURCE, "both changed; source-wins kept the source's"
    if policy == "destination-wins":
        return DEST, "both changed; destination-wins kept the destination's"
    side, why = newer(source, dest)
    if policy == "keep-both":
        other = DEST if side == SOURCE else SOURCE
        return side, f"both changed; keep-both kept the {side}'s ({why}), the {other}'s as a copy"
    return side, f"both changed; newer ({why}) kept the {side}'s"


def with_new_uid(data: bytes) -> tuple[bytes, str]:
    """The item under a new UID (keep-both's copy of the losing version), and that UID. The
    UID comes from the content, so a pass killed after making the copy makes the same one
    again (found there, adopted), never a second."""
    new = f"davtui-copy-{content_hash(data, meaning=True)[:32]}"

    def one(line: Line, parents: list[str]) -> list[str] | None:
        item = bool(parents) and is_item(parents[-1], parents[:-1])
        return [f"UID:{new}"] if line.name == "UID" and item else None

    return edit_lines(data, one), new
