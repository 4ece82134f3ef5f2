"""Pages of the jobs table read from the database by keyset, never the whole table.

A thousand mailboxes are a thousand jobs: reading and measuring all of them on every change
made each screen switch take seconds. The table holds a window of a few pages; the next page
is the rows whose sort key comes after the window's last (`(key, id) > (last key, last id)`,
which the indexes on `job(name)`, `job(status, id)` and the primary key answer without a
scan, whatever page it is), and `End` reads the last page backwards the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from peewee import Expression, ModelAlias, fn

from davtui.store.models import Account, Job

#: Sortable columns: the table's column key -> the job field it orders by.
SORTS = {"id": Job.id, "name": Job.name, "status": Job.status}
SORT_ORDER = ("id", "name", "status")

Key = tuple[Any, int]  # (sort value, job id): a row's place in the order


@dataclass(frozen=True)
class JobRow:
    """What one row of the table shows (the live progress comes from the App's messages)."""

    id: int
    name: str
    status: str
    what: str
    source: str
    destination: str

    def key(self, sort: str) -> Key:
        return (self.id if sort == "id" else getattr(self, sort), self.id)


@dataclass(frozen=True)
class JobQuery:
    """Which jobs (a text found in the name, an account's name or the status) in what order."""

    text: str = ""
    sort: str = "id"
    descending: bool = False

    def _accounts(self) -> tuple[ModelAlias[Account], ModelAlias[Account]]:
        return Account.alias("src"), Account.alias("dst")

    def _select(self, *columns: Any) -> Any:
        source, destination = self._accounts()
        query = (
            Job.select(*columns)
            .join(source, on=Job.source == source.id)
            .switch(Job)
            .join(destination, on=Job.destination == destination.id)
        )
        if self.text:
            pattern = f"%{self.text}%"
            status = f"%{self.text.strip().replace(' ', '_')}%"  # "with errors" finds the status
            query = query.where(
                Job.name**pattern
                | source.name**pattern
                | destination.name**pattern
                | Job.status**status
            )
        return query

    def ids(self) -> list[int]:
        """Every matching job's id (the "all matching the filter" selection), in id order."""
        return [job_id for (job_id,) in self._select(Job.id).order_by(Job.id).tuples()]

    def count(self) -> int:
        return int(self._select(fn.COUNT(Job.id)).scalar() or 0)

    def page(
        self, key: Key | None, limit: int, forward: bool = True, inclusive: bool = False
    ) -> list[JobRow]:
        """Up to `limit` rows after `key` (before it when not `forward`), in display order;
        from the start (or the end) when `key` is None."""
        source, destination = self._accounts()
        column: Any = SORTS[self.sort]
        ascending = forward != self.descending
        query = self._select(Job.id, Job.name, Job.status, Job.what, source.name, destination.name)
        if key is not None:
            query = query.where(_beyond(column, key, ascending, inclusive))
        order: tuple[Any, ...] = (
            (column.asc(), Job.id.asc()) if ascending else (column.desc(), Job.id.desc())
        )
        if self.sort == "id":
            order = order[1:]
        rows = [JobRow(*row) for row in query.order_by(*order).limit(limit).tuples()]
        return rows if forward else rows[::-1]


def _beyond(column: Any, key: Key, ascending: bool, inclusive: bool) -> Expression:
    """The rows after `key` in the order (ascending or not) of (column, id)."""
    value, job_id = key
    if column is Job.id:
        if ascending:
            return Job.id >= job_id if inclusive else Job.id > job_id
        return Job.id <= job_id if inclusive else Job.id < job_id
    if ascending:
        tie = Job.id >= job_id if inclusive else Job.id > job_id
        return (column > value) | ((column == value) & tie)
    tie = Job.id <= job_id if inclusive else Job.id < job_id
    return (column < value) | ((column == value) & tie)
