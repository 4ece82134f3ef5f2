"""A select's rows as plain tuples, typed as such.

Peewee's `.tuples()` yields tuples, but its stubs (types-peewee) type every select as yielding
model instances: callers that unpack rows go through these two functions, which say what the
rows are, instead of an ignore each.
"""

from __future__ import annotations

from typing import Any

from peewee import ModelSelect


def tuples(query: ModelSelect[Any]) -> list[tuple[Any, ...]]:
    """Every row of `query`, each a tuple of the selected columns."""
    return list(query.tuples())


def one_tuple(query: ModelSelect[Any]) -> tuple[Any, ...]:
    """The first row of `query` as a tuple (an aggregate's one row)."""
    row: tuple[Any, ...] = query.tuples().get()
    return row
