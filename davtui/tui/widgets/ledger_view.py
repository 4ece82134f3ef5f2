"""How a run's ledger reads in the TUI: the counts line of the job detail, and one entry shown
side by side, what was sent against what the destination stored.

The ledger's details are sentences written for the CLI (`windows-tzid: DTSTART TZID W. Europe
Standard Time -> Europe/Berlin`, `VEVENT DESCRIPTION: sent a, b, stored a`); an admin signing
off compares two versions, so the sentences that hold two versions are split into columns
and the rest are shown whole.
"""

from __future__ import annotations

import re
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from davtui.engine.jobs.ledger import OUTCOMES, Entry

#: `NAME: sent X, stored Y` (the verification's words, `compare.first_difference`).
SENT_STORED = re.compile(r"^(?P<what>[^:]+): sent (?P<sent>.*), stored (?P<stored>.*)$", re.S)
#: `fix-up: removed X` / `fix-up: added X` (`changes.describe`).
ADDED_REMOVED = re.compile(r"^(?:(?P<fixup>[a-z0-9-]+): )?(?P<how>added|removed) (?P<what>.*)$")
#: `fix-up: PROPERTY [PARAMETER] before -> after` (`changes.describe`).
CHANGED = re.compile(
    r"^(?:(?P<fixup>[a-z0-9-]+): )?(?P<name>[A-Z0-9-]+) (?P<rest>.*) -> (?P<to>.*)$"
)
#: Parameter names `changes.describe` puts after the property name when only a parameter changed.
PARAMETERS = {
    "TZID", "VALUE", "RSVP", "PARTSTAT", "ROLE", "CUTYPE", "TYPE", "CN", "LANGUAGE",
    "ENCODING", "CHARSET", "RELATED", "ALTREP", "X-LIC-LOCATION", "PREF", "LABEL",
    "SCHEDULE-AGENT", "SCHEDULE-STATUS", "SCHEDULE-FORCE-SEND", "SENT-BY", "EMAIL", "MEMBER",
    "DELEGATED-TO", "DELEGATED-FROM", "RELTYPE", "FMTTYPE",
}  # fmt: skip
#: What a kept or settled conflict now means, by the item state's outcome (`job resolve`).
SETTLED = {
    "resolved": "resolved: the source's version is written on the next run",
    "accepted": "resolved: the destination's version is kept",
}


def counts_line(counts: dict[str, int]) -> str:
    """`ledger: fixed 3, skipped 1` (non-zero outcomes, gravest first), or that every item
    arrived as sent. A non-breaking space keeps each number beside its word when wrapped."""
    found = [f"{name}\u00a0{counts[name]}" for name in OUTCOMES if counts.get(name)]
    if not found:
        return "ledger: every item arrived as sent"
    return "ledger: " + ", ".join(found) + " (i lists them)"


def split_detail(detail: str) -> tuple[str, str, str] | None:
    """(what, sent, stored) when a detail holds two versions, else None."""
    if match := SENT_STORED.match(detail):
        return match["what"], match["sent"], match["stored"]
    if match := ADDED_REMOVED.match(detail):
        what = match["fixup"] or ""
        if match["how"] == "removed":
            return what, match["what"], "(removed)"
        return what, "(none)", match["what"]
    if match := CHANGED.match(detail):
        name, before = match["name"], match["rest"]
        head, _, tail = before.partition(" ")
        if head in PARAMETERS and tail:  # only a parameter changed: name it with the property
            name, before = f"{name} {head}", tail
        what = f"{match['fixup']}: {name}" if match["fixup"] else name
        return what, before, match["to"]
    return None


def side_by_side(
    details: list[str], headings: tuple[str, str] = ("Sent", "Stored")
) -> RenderableType | None:
    """The details holding two versions as a What | Sent | Stored table (a fix-up's: What |
    Source | Sent), the others as lines under it; None when there is no detail at all."""
    pairs = [(detail, split_detail(detail)) for detail in details]
    table = Table(box=None, padding=(0, 1, 0, 0), header_style="bold", expand=True)
    table.add_column("What", ratio=2, overflow="fold")
    for heading in headings:
        table.add_column(heading, ratio=3, overflow="fold")
    for _, split in pairs:
        if split is not None:
            table.add_row(*split)
    lines = [Text(f"- {detail}") for detail, split in pairs if split is None]
    if not table.row_count and not lines:
        return None
    return Group(*([table] if table.row_count else []), *lines)


def entry_panel(entry: Entry, settled: str | None, theme: dict[str, Any]) -> Group:
    """The highlighted entry: what it is, why, its versions side by side, where it was kept,
    and a conflict's resolution (`settled`: the item state's outcome now)."""
    name = entry.summary or entry.uid or entry.href or "(no name)"
    outcome = entry.outcome + (" (standing)" if entry.standing else "")
    parts: list[RenderableType] = [
        Text.assemble(
            (name, "bold"), f"  {outcome} · {entry.kind or 'item'} in {entry.collection or '-'}"
        ),
        Text(f"uid {entry.uid or '-'} · {entry.href or '-'}", style=theme.get("text-muted", "")),
    ]
    if entry.reason:
        parts.append(Text(entry.reason))
    details = [d for d in entry.details if d != entry.reason] or (
        [entry.reason] if entry.reason and split_detail(entry.reason) else []
    )
    headings = ("Source", "Sent") if entry.outcome == "fixed" else ("Sent", "Stored")
    if shown := side_by_side(details, headings):
        parts.append(shown)
    if entry.kept:
        parts.append(Text.assemble("kept byte for byte at ", (entry.kept, "bold")))
    if entry.outcome == "conflict":
        if settled in SETTLED:
            parts.append(Text(SETTLED[settled], style=f"bold {theme.get('success', '')}"))
        else:
            parts.append(Text("s keeps the source's version, d the destination's."))
    return Group(*parts)
