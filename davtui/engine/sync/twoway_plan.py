"""Planning one collection pair of a two-way sync from both listings and the stored state,
without reading any item.

The stored record of an item is the state both sides were in when it was last synced: the
source's href and ETag, the destination's href and ETag, and the semantic hash of the content
they then held. Each side's ETag now, against the stored one, says what changed:

| source            | destination       | what the pass does                               |
|-------------------|-------------------|--------------------------------------------------|
| as stored         | as stored         | nothing (no GET, no PUT)                         |
| changed           | as stored         | source -> destination                            |
| as stored         | changed           | destination -> source                            |
| changed           | changed           | read both: same meaning -> record; else policy   |
| gone              | as stored         | delete on the destination (guarded)              |
| gone              | changed           | the change wins: re-created on the source        |
| as stored         | gone              | delete on the source (guarded)                   |
| changed           | gone              | the change wins: re-created on the destination   |
| gone              | gone              | forget                                           |
| new (no record)   | new (no record)   | matched by UID when read (see `twoway`)          |

An item one side refused for good (`refused_by`; its record holds the version sent and the
one the refusing side kept) is planned by the sender's side and the refuser's instead:

| sender            | refuser           | what the pass does                               |
|-------------------|-------------------|--------------------------------------------------|
| as stored         | as stored or none | listed again as refused (no GET, no PUT)         |
| changed           | as stored or none | sent again                                       |
| here              | changed           | read both, as changed on both sides              |
| gone              | (any)             | the first table's rows for a deleted item        |
| here              | gone (it had one) | the first table's rows for a deleted item        |

A version the source refused of an item made on the destination has no source href: its
record is keyed by `records.DEST_ONLY` + its destination href, which no listing holds. A side
at the version stored when the pair last ended clean is not listed (`SideListing(None)`):
each recorded item is there as recorded, and the records come a page at a time.

A side whose listing is incomplete deletes and re-creates nothing: an item it left out may
well be there. A side that loses more than `max_share` of the pair's items at once (an empty
collection is the 100 % case) deletes nothing on the other side unless forced.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from davtui.engine.sync.outcomes import Outcome
from davtui.engine.sync.records import ItemRecord

SOURCE, DEST = "source", "destination"


@dataclass(frozen=True, slots=True)
class SideListing:
    """One side's listing of the pair (href -> ETag) and whether it names every member;
    `etags` None: the side was not listed (at the version stored when the pair last ended
    clean), every recorded item is there as recorded."""

    etags: dict[str, str | None] | None
    complete: bool = True
    reason: str | None = None


@dataclass(slots=True)
class TwoWayPlan:
    """What one pass does in one collection pair."""

    #: (stored record or None for a new item, href on the source): source -> destination
    to_dest: list[tuple[ItemRecord | None, str]] = field(default_factory=list)
    #: (stored record or None, href on the destination): destination -> source
    to_source: list[tuple[ItemRecord | None, str]] = field(default_factory=list)
    #: changed on both sides since the last sync: read both and compare
    both: list[ItemRecord] = field(default_factory=list)
    #: hrefs with no record, matched by UID once read
    new_source: list[str] = field(default_factory=list)
    new_dest: list[str] = field(default_factory=list)
    delete_dest: list[ItemRecord] = field(default_factory=list)
    delete_source: list[ItemRecord] = field(default_factory=list)
    forget: list[ItemRecord] = field(default_factory=list)
    #: conflicts left for the user (`ask`) that neither side changed since
    standing: list[ItemRecord] = field(default_factory=list)
    #: items the destination refused, unchanged since: listed again, not sent again
    settled: list[ItemRecord] = field(default_factory=list)
    unchanged: int = 0
    #: why deletions were refused, one sentence each
    refusals: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return (
            len(self.to_dest) + len(self.to_source) + len(self.both) + len(self.new_source)
            + len(self.new_dest) + len(self.delete_dest) + len(self.delete_source)
            + len(self.forget) + len(self.standing) + len(self.settled) + self.unchanged
        )  # fmt: skip

    @property
    def idle(self) -> bool:
        """Nothing to read, write or forget."""
        return self.size == self.unchanged + len(self.standing) + len(self.settled)

    def acted(self, side: str, listing: SideListing) -> SideListing:
        """`listing`, or for a side not listed, the ETags its records give the items this
        plan acts on: what the actor asks of a side (is the item still there?)."""
        if listing.etags is not None:
            return listing
        key = "source" if side == SOURCE else "dest"
        records = [*self.both, *self.delete_dest, *self.delete_source,
                   *(r for r, _ in (*self.to_dest, *self.to_source) if r is not None)]  # fmt: skip
        found = ((getattr(r, f"{key}_href"), getattr(r, f"{key}_etag")) for r in records)
        return SideListing({href: etag for href, etag in found if href})

    def counts(self) -> dict[str, int]:
        return {
            "unchanged": self.unchanged,
            "to_destination": len(self.to_dest) + len(self.new_source),
            "to_source": len(self.to_source) + len(self.new_dest),
            "both_changed": len(self.both),
            "delete_on_destination": len(self.delete_dest),
            "delete_on_source": len(self.delete_source),
            "conflicts": len(self.standing),
            "refused": len(self.settled),
        }


@dataclass(frozen=True, slots=True)
class Guard:
    """When a side's missing items may be deleted on the other side (mirror's rule, both
    ways): see the module docstring."""

    max_share: float = 0.2
    force: bool = False

    def refusal(self, gone_side: str, listing: SideListing, deletes: int, held: int,
                name: str) -> str | None:  # fmt: skip
        """Why deleting `deletes` of the pair's `held` items on the side opposite to
        `gone_side` is refused, in one sentence; None if they may go."""
        other = DEST if gone_side == SOURCE else SOURCE
        if not listing.complete:
            return (
                f"Nothing deleted on the {other} in '{name}': the {gone_side} listing is "
                f"incomplete ({listing.reason}); {deletes} item(s) it did not list were kept."
            )
        if self.force or deletes <= self.max_share * held + 1e-9:
            return None
        empty = f" (the {gone_side} collection is empty)" if listing.etags == {} else ""
        return (
            f"Nothing deleted on the {other} in '{name}': {deletes} of the {held} synced "
            f"item(s) are gone from the {gone_side}{empty} ({deletes * 100 / held:.0f} % > "
            f"{self.max_share * 100:.0f} %); run with --force-delete (or force_delete = true) "
            "to confirm."
        )


def _changed(etags: dict[str, str | None] | None, href: str | None, stored: str | None) -> bool:
    """Whether a listed item's ETag differs from the stored one (unlisted side: never)."""
    if etags is None:
        return False
    current = etags.get(href or "")
    return current is None or stored is None or current != stored


def _refused(plan: TwoWayPlan, record: ItemRecord, s_here: bool, s_new: bool, d_here: bool,
             d_new: bool) -> bool:  # fmt: skip
    """Plan an item one side refused (see the table); False when the side that sent it no
    longer lists it, or the refusing side lost the version it kept: the usual rules apply."""
    by = record.refused_by or DEST  # before `refused_by`: only the destination refused
    sender, refuser = ((d_here, d_new), (s_here, s_new)) if by == SOURCE else (
        (s_here, s_new), (d_here, d_new))  # fmt: skip
    kept = record.on_source if by == SOURCE else record.dest_href is not None
    if not sender[0] or (kept and not refuser[0]):
        return False
    if refuser[1]:
        plan.both.append(record)
    elif not sender[1]:
        plan.settled.append(record)
    elif by == DEST:
        plan.to_dest.append((record, record.source_href))
    else:
        plan.to_source.append((record, record.dest_href or ""))
    return True


def plan_pair(
    name: str,
    source: SideListing,
    dest: SideListing,
    pages: Iterable[list[ItemRecord]],
    guard: Guard | None = None,
    on_unchanged: Callable[[ItemRecord], None] = lambda record: None,
) -> TwoWayPlan:
    """Plan a pair from both sides' listings and its stored records (see the table above);
    each item left as it is goes to `on_unchanged` (counted, not kept)."""
    plan = TwoWayPlan()
    new_source, new_dest = set(source.etags or ()), set(dest.etags or ())
    gone_source: list[ItemRecord] = []  # deleted on the source, unchanged on the destination
    gone_dest: list[ItemRecord] = []
    held = 0
    for page in pages:
        for record in page:
            s_href, d_href = record.source_href, record.dest_href
            new_source.discard(s_href)
            if d_href:
                new_dest.discard(d_href)
            s_here = record.on_source if source.etags is None else s_href in source.etags
            d_here = d_href is not None and (dest.etags is None or d_href in dest.etags)
            held += s_here or d_here
            s_new = s_here and _changed(source.etags, s_href, record.source_etag)
            d_new = d_here and _changed(dest.etags, d_href, record.dest_etag)
            if record.outcome == Outcome.REFUSED and _refused(plan, record, s_here, s_new,
                                                              d_here, d_new):  # fmt: skip
                continue
            if d_href is None:  # never reached the destination: refused, or failed before
                if not s_here:
                    plan.forget.append(record)
                elif record.outcome == Outcome.REFUSED and not s_new:
                    plan.settled.append(record)  # listed again, tried when it changes
                else:
                    plan.to_dest.append((record, s_href))
                continue
            if (not s_here and not source.complete) or (not d_here and not dest.complete):
                plan.unchanged += 1  # a side that may have left it out decides nothing
                on_unchanged(record)
                continue
            if s_here and d_here:
                if record.outcome == Outcome.CONFLICT:  # left for the user (`ask`)
                    (plan.both if s_new or d_new else plan.standing).append(record)
                elif record.outcome == Outcome.ACCEPTED and not s_new:  # `resolve --keep dest`
                    plan.to_source.append((record, d_href))
                elif s_new and d_new:
                    plan.both.append(record)
                elif s_new:
                    plan.to_dest.append((record, s_href))
                elif d_new:
                    plan.to_source.append((record, d_href))
                else:
                    plan.unchanged += 1
                    on_unchanged(record)
            elif d_here:  # gone from the source
                (plan.to_source.append((record, d_href)) if d_new else gone_source.append(record))
            elif s_here:  # gone from the destination
                (plan.to_dest.append((record, s_href)) if s_new else gone_dest.append(record))
            else:
                plan.forget.append(record)
    plan.new_source = sorted(new_source)
    plan.new_dest = sorted(new_dest)
    guard = guard or Guard()
    for gone, side, listing, into in (
        (gone_source, SOURCE, source, plan.delete_dest),
        (gone_dest, DEST, dest, plan.delete_source),
    ):
        if not gone:
            continue
        refused = guard.refusal(side, listing, len(gone), held, name)
        if refused:
            plan.refusals.append(refused)
            plan.unchanged += len(gone)
            for record in gone:
                on_unchanged(record)
        else:
            into.extend(gone)
    return plan
