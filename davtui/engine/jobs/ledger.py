"""Each run's ledger in the store: written once when the run ends, read by `davtui job show
NAME --items`, `job conflicts` and the TUI's job detail.

The ledger is a run's account of every item not copied as sent and verified equal (see
`davtui.engine.sync.ledger`); the item state says what the next run does, this says what a
run found, so an admin can sign each run off later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from davtui.engine.sync.ledger import entry
from davtui.engine.sync.outcomes import GRAVITY, Finding
from davtui.store.models import LedgerEntry, Run, database
from davtui.store.rows import tuples

#: A stored entry's columns, in the order of the INSERT's parameters.
COLUMNS = ("run", "outcome", "collection", "href", "uid", "kind", "summary", "reason", "details",
           "kept", "standing")  # fmt: skip
OUTCOMES = tuple(str(outcome) for outcome in GRAVITY)


@dataclass(frozen=True, slots=True)
class Entry:
    """One ledger entry of a run, as stored."""

    run_id: int
    outcome: str
    collection: str | None
    href: str | None
    uid: str | None
    kind: str | None
    summary: str | None
    reason: str | None
    details: list[str] = field(default_factory=list)
    kept: str | None = None
    standing: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The entry as the JSON report shows it (`sync.ledger.entry`), plus its run."""
        shown = entry(
            Finding(self.outcome), self.collection, self.href, self.uid, self.kind,
            self.summary, self.reason, self.details,
            kept=self.kept or None, standing=True if self.standing else None,
        )  # fmt: skip
        return {"run": self.run_id, **shown}


def store(run_id: int, ledger: list[dict[str, Any]]) -> None:
    """Write a finished run's ledger in one transaction (inside the run's own when called
    there): one prepared INSERT run for every row, as the log's rows are written."""
    if not ledger:
        return
    fields = [getattr(LedgerEntry, name) for name in COLUMNS]
    sql, _ = LedgerEntry.insert({field: None for field in fields}).sql()
    rows = [
        [field.db_value(value) for field, value in zip(fields, _values(run_id, item), strict=True)]
        for item in ledger
    ]
    with database.atomic():
        database.cursor().executemany(sql, rows)


def _values(run_id: int, item: dict[str, Any]) -> tuple[Any, ...]:
    """A ledger entry's values in the order of COLUMNS."""
    return (
        run_id,
        item["outcome"],
        item.get("collection"),
        item.get("href"),
        item.get("uid"),
        item.get("kind"),
        item.get("summary"),
        item.get("reason"),
        list(item.get("details") or ()),
        item.get("kept"),
        bool(item.get("standing")),
    )


def last_run(job_id: int) -> int | None:
    """The id of the job's last finished run (not a dry run), if any."""
    row = (
        Run.select(Run.id)
        .where((Run.job == job_id) & Run.finished_at.is_null(False) & (Run.dry_run == False))  # noqa: E712
        .order_by(Run.id.desc())
        .first()
    )
    return row.id if row else None


def check_outcome(outcome: str) -> str:
    """`outcome` if it is a ledger outcome, else ValueError with one sentence."""
    if outcome not in OUTCOMES:
        raise ValueError(f"Unknown outcome '{outcome}': use one of {', '.join(OUTCOMES)}.")
    return outcome


def entries(
    job_id: int,
    run_id: int | None = None,
    outcome: str | None = None,
    offset: int = 0,
    limit: int = 100,
) -> list[Entry]:
    """A page of a run's ledger (`run_id` None: the job's last run), gravest first, then by
    collection and href; `outcome` filters to one outcome (ValueError if it is none)."""
    run = run_id if run_id is not None else last_run(job_id)
    if run is None:
        return []
    query = LedgerEntry.select().join(Run).where((LedgerEntry.run == run) & (Run.job == job_id))
    if outcome is not None:
        query = query.where(LedgerEntry.outcome == check_outcome(outcome))
    rows = query.order_by(LedgerEntry.id).offset(offset).limit(limit)
    return [_entry(row) for row in rows]


def counts(job_id: int, run_id: int | None = None) -> dict[str, int]:
    """Entries per outcome of a run (`run_id` None: the job's last run), every outcome named."""
    run = run_id if run_id is not None else last_run(job_id)
    found: dict[str, int] = dict.fromkeys(OUTCOMES, 0)
    if run is None:
        return found
    from peewee import fn

    query = (
        LedgerEntry.select(LedgerEntry.outcome, fn.COUNT(LedgerEntry.id))
        .join(Run)
        .where((LedgerEntry.run == run) & (Run.job == job_id))
        .group_by(LedgerEntry.outcome)
    )
    for name, number in tuples(query):
        found[name] = number
    return found


def _entry(row: LedgerEntry) -> Entry:
    return Entry(
        run_id=row.run_id,
        outcome=Finding(row.outcome),
        collection=row.collection,
        href=row.href,
        uid=row.uid,
        kind=row.kind,
        summary=row.summary,
        reason=row.reason,
        details=list(row.details or ()),
        kept=row.kept,
        standing=row.standing,
    )
