"""Many rows of one model inserted through one prepared statement (`executemany`).

Peewee's `insert_many` builds the SQL text of every row, value by value, in Python: a
thousand-row `batch import` spent most of its own time there. Here the statement is built once
(every column of the model, so defaults are the model's own) and only the values vary.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from peewee import AutoField, Model

from davtui.store.models import database


def insert_all(model: type[Model], rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert `rows` (field name -> value; a missing field takes the model's default) in the
    caller's transaction."""
    meta = model._meta
    fields = [f for f in meta.sorted_fields if not isinstance(f, AutoField)]
    q = database.obj.quote[0]
    columns = ", ".join(f"{q}{f.column_name}{q}" for f in fields)
    params = ", ".join([database.obj.param] * len(fields))
    sql = f"INSERT INTO {q}{meta.table_name}{q} ({columns}) VALUES ({params})"
    values = [[f.db_value(_value(f, row)) for f in fields] for row in rows]
    if values:
        database.cursor().executemany(sql, values)


def _value(field: Any, row: Mapping[str, Any]) -> Any:
    if field.name in row:
        value = row[field.name]
        return value.get_id() if isinstance(value, Model) else value
    default = field.default
    return default() if callable(default) else default
