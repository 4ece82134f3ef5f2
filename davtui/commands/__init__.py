"""Subcommands of the `davtui` CLI, one module per noun."""

from __future__ import annotations

import json

from davtui import exitcodes


def print_rows(
    rows: list[dict], as_json: bool, empty: str, columns: list[tuple[str, str, int]]
) -> int:
    """A listing: JSON on request, else a plain table of `columns` (title, key, width)."""
    if as_json:
        print(json.dumps(rows, indent=2))
    elif not rows:
        print(empty)
    else:
        print("  ".join(f"{title:{width}}" for title, _key, width in columns).rstrip())
        for row in rows:
            cells = (f"{row[key]!s:{width}}" for _title, key, width in columns)
            print("  ".join(cells).rstrip())
    return exitcodes.OK
