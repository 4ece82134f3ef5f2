"""A job's conflicts and how the user settles them (`davtui job conflicts` / `job resolve`,
the TUI's job detail).

A conflict is an item whose destination copy changed since this job wrote or verified it
(someone edited it there), or a destination item of the same UID that this job did not
write. Policy `skip` leaves both sides alone and reports it on every run; resolving settles
it in the item state, and the next run acts on it:

- keep `source`: the next run writes the source's version over the destination's, on
  condition that the destination still holds the version the conflict was seen at (a later
  edit is a conflict again, never overwritten);
- keep `destination`: the destination's version is accepted as it is, and no longer
  reported until either side changes again (it is then not this job's to delete either).

In a two-way sync (`conflict = "ask"`) the same two settlements write the kept version over
the other side's on the next pass: the source's over the destination's (If-Match the ETag
seen), the destination's over the source's (`sync.twoway_plan` reads `accepted` so).
"""

from __future__ import annotations

from dataclasses import dataclass

from davtui.engine.sync.outcomes import Outcome
from davtui.store.models import ItemState, Job, database, utcnow

KEEP = ("source", "destination")
#: While a job runs, its item state is the run's: resolving waits for the run to end.
BUSY = ("running", "paused")


class Unresolvable(Exception):
    """Nothing to resolve, or not now: the message is one sentence for the user."""


@dataclass(frozen=True, slots=True)
class Conflict:
    source_collection: str
    source_href: str
    uid: str | None
    kind: str | None
    dest_href: str | None
    reason: str | None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "uid": self.uid,
            "kind": self.kind,
            "collection": self.source_collection,
            "href": self.source_href,
            "dest_href": self.dest_href,
            "reason": self.reason,
        }


def conflicts(job_id: int, uid: str | None = None) -> list[Conflict]:
    """The job's items in conflict now (with `uid`: that UID's), by collection and href."""
    query = ItemState.select().where(
        (ItemState.job == job_id) & (ItemState.outcome == str(Outcome.CONFLICT))
    )
    if uid is not None:
        query = query.where(ItemState.uid == uid)
    rows = query.order_by(ItemState.source_collection, ItemState.source_href)
    return [
        Conflict(
            row.source_collection, row.source_href, row.uid, row.kind, row.dest_href, row.error
        )
        for row in rows
    ]


def resolve(job_id: int, keep: str, uid: str | None = None) -> int:
    """Settle the job's conflicts (with `uid`: that UID's) keeping `keep`'s version; how
    many were settled. Unresolvable when the job runs, or nothing matches."""
    if keep not in KEEP:
        raise Unresolvable(f"Keep 'source' or 'destination', not '{keep}'.")
    job = Job.get_by_id(job_id)
    if job.status in BUSY:
        raise Unresolvable(f"Job '{job.name}' is {job.status}: resolve it after the run ends.")
    found = conflicts(job_id, uid)
    if not found:
        which = f" with UID '{uid}'" if uid is not None else ""
        raise Unresolvable(f"Job '{job.name}' has no conflict{which}.")
    with database.atomic():
        for item in found:
            _settle(job_id, item, keep)
    return len(found)


def _settle(job_id: int, item: Conflict, keep: str) -> None:
    row = ItemState.get(
        (ItemState.job == job_id)
        & (ItemState.source_collection == item.source_collection)
        & (ItemState.source_href == item.source_href)
    )
    seen = row.seen_etag or row.dest_etag
    if keep == "source":  # read again and written next run, If-Match the version seen
        changes: dict[str, object] = {
            "outcome": str(Outcome.RESOLVED),
            "source_etag": None,
            "source_hash": None,
            "dest_etag": seen,
            "error": "resolved: the source's version is written next",
        }
    else:  # the destination's version, as it is at `seen`, is accepted
        changes = {
            "outcome": str(Outcome.ACCEPTED),
            "dest_etag": seen,
            "verified_etag": seen,
            "created_by_job": False,
            "finding": None,
            "finding_reason": None,
            "error": "the destination's version was kept (job resolve); it changed again since",
        }
    ItemState.update(updated_at=utcnow(), **changes).where(ItemState.id == row.id).execute()
