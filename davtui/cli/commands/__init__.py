"""Subcommands of the `davtui` CLI, one module per noun."""

from __future__ import annotations

import json
import sys
from typing import Any

from davtui import exitcodes


def lookup(model: Any, key: str) -> Any:
    """A row of `model` (Account, Job) by name, or by id when `key` is a number; else None."""
    row = model.get_or_none(model.name == key)
    if row is None and key.isdigit():
        row = model.get_or_none(model.id == int(key))
    return row


def find(model: Any, key: str, noun: str) -> Any:
    """`lookup`, saying on stderr when there is no such row."""
    row = lookup(model, key)
    if row is None:
        print(f"davtui: no {noun} named '{key}'.", file=sys.stderr)
    return row


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
