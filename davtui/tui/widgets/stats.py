"""The last run's statistics as a table that fits whatever width the job panel has.

Numbers are what a user checks a migration by, so none is ever cut: headings shorten, row
labels shorten, columns that are empty for every row go, and if it still does not fit the
columns are split over two (or more) stacked tables, each with the row labels.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

KINDS = ("calendars", "addressbooks", "events", "tasks", "journals", "contacts", "other")
# counter -> (heading, short heading): the short one when the panel is narrow
COUNTERS = {
    "created": ("new", "new"),
    "updated": ("updated", "upd"),
    "unchanged": ("same", "="),
    "skipped": ("skipped", "skip"),
    "failed": ("failed", "fail"),
    "used": ("used", "used"),
    "deleted": ("deleted", "del"),
}
# row -> (label, short label)
LABELS = {
    "calendars": ("calendars", "cals"),
    "addressbooks": ("address books", "books"),
    "events": ("events", "evts"),
    "tasks": ("tasks", "tasks"),
    "journals": ("journals", "jrnl"),
    "contacts": ("contacts", "cards"),
}


def rows_of(stats: dict[str, Any]) -> list[tuple[str, dict[str, int]]]:
    """The kinds with at least one non-zero count, in a fixed order (fix-ups and the ledger's
    counts are not kinds: their names would become columns and push the counts out)."""
    kinds = [k for k in KINDS if isinstance(stats.get(k), dict)]
    kinds += sorted(
        k
        for k, v in stats.items()
        if isinstance(v, dict) and k not in KINDS and k not in ("fixups", "ledger")
    )
    return [
        (k, stats[k]) for k in kinds if any(isinstance(n, int) and n for n in stats[k].values())
    ]


def counters_of(rows: list[tuple[str, dict[str, int]]]) -> list[str]:
    """The counters that are non-zero in at least one row, known ones first."""
    used = {name for _, counts in rows for name, n in counts.items() if n}
    return [c for c in COUNTERS if c in used] + sorted(used - set(COUNTERS))


def _cell(counts: dict[str, int], counter: str) -> str:
    return str(counts[counter]) if counts.get(counter) else "·"


class StatsTable:
    """A Rich renderable: lays the counts out for the width it is given when drawn."""

    def __init__(self, stats: dict[str, Any]) -> None:
        self.rows = rows_of(stats)
        self.counters = counters_of(self.rows)

    def layout(self, width: int) -> tuple[list[str], list[list[str]]]:
        """Row labels and the column groups (each a list of counters) that fit in `width`."""
        for short_heads, short_labels in ((0, 0), (1, 0), (1, 1)):
            labels = [LABELS.get(k, (k, k[:5]))[short_labels] for k, _ in self.rows]
            groups = self._groups(width, labels, short_heads)
            if len(groups) <= 1:
                break
        self.short_heads = short_heads
        return labels, groups

    def heading(self, counter: str, short: int) -> str:
        return COUNTERS.get(counter, (counter, counter))[short]

    def _groups(self, width: int, labels: list[str], short: int) -> list[list[str]]:
        """Counters split into runs whose columns (1 space each before) fit beside the labels."""
        label_width = max((len(label) for label in labels), default=0)
        groups: list[list[str]] = [[]]
        used = label_width
        for counter in self.counters:
            column = max(
                [len(self.heading(counter, short))]
                + [len(_cell(counts, counter)) for _, counts in self.rows]
            )
            if groups[-1] and used + 1 + column > width:
                groups.append([])
                used = label_width
            groups[-1].append(counter)
            used += 1 + column
        return groups

    def tables(self, width: int) -> Iterator[Table]:
        labels, groups = self.layout(width)
        for group in groups:
            table = Table(
                box=None, padding=(0, 0, 0, 1), show_edge=False, pad_edge=False, header_style="bold"
            )
            table.add_column("", no_wrap=True)
            for counter in group:
                heading = self.heading(counter, self.short_heads)
                table.add_column(heading, justify="right", no_wrap=True)
            for label, (_, counts) in zip(labels, self.rows, strict=True):
                table.add_row(label, *[_cell(counts, c) for c in group])
            yield table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if not self.rows:
            yield Text("Nothing counted.")
            return
        yield from self.tables(options.max_width)


def extras(stats: dict[str, Any]) -> list[str]:
    """Lines for what is not a per-kind count: fix-ups by name, deletions, conflicts."""
    lines = []
    fixups = stats.get("fixups")
    if isinstance(fixups, dict) and fixups:
        lines.append("fix-ups: " + ", ".join(f"{name}\u00a0{n}" for name, n in fixups.items()))
    others = [
        (word, stats.get(key)) for key, word in (("deleted", "deleted"), ("conflicts", "conflicts"))
    ]
    said = [f"{word} {n}" for word, n in others if isinstance(n, int) and n]
    if said:
        lines.append(" · ".join(said))
    return lines


def verification_line(verification: dict[str, Any] | None) -> str | None:
    """The run's read-back check in the CLI's words, or None when it was not made."""
    if not verification:
        return None
    state = "ok" if verification.get("ok") else "FAILED"
    missing, different = verification.get("missing") or [], verification.get("different") or []
    line = (
        f"verification {state}: {verification.get('checked', 0)} checked, "
        f"{len(missing)} missing, {len(different)} different"
    )
    if converted := verification.get("converted"):
        line += f", {converted} converted by the server"
    return line
