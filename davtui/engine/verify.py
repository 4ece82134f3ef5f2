"""Verification: after acting, every copied item must be in the destination with the content
this job sent (compared by normalised hash, so server re-serialisation is tolerated).

Only items whose destination ETag changed since they were last verified are read again, so a
re-run with no change verifies from the listing alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from davtui.engine.items import content_hash
from davtui.engine.plan import CollectionPlan
from davtui.engine.state import COPIED, JobState
from davtui.engine.storage import WritableStorage


@dataclass(slots=True)
class Verification:
    checked: int = 0
    fetched: int = 0
    missing: list[dict[str, str | None]] = field(default_factory=list)
    different: list[dict[str, str | None]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.different

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "fetched": self.fetched,
            "missing": self.missing,
            "different": self.different,
        }


def verify_collection(
    plan: CollectionPlan,
    destination: WritableStorage,
    state: JobState,
    relist: bool,
    result: Verification,
) -> None:
    """Check one collection pair; `relist` when this run wrote to it (else the plan's listing
    of the destination is still current)."""
    target = plan.target
    if target is None:
        return
    listing = (
        {ref.href: ref.etag for ref in destination.list(target)} if relist else plan.dest_etags
    )
    records = state.items(plan.pair.source.href)
    planned = [
        r for href, r in records.items() if href in plan.source_etags and r.outcome in COPIED
    ]
    result.checked += len(planned)
    to_read = {}
    for record in planned:
        entry = {"collection": plan.pair.source.name, "href": record.source_href, "uid": record.uid}
        if record.dest_href not in listing:
            result.missing.append(entry)
        elif listing[record.dest_href] is None or listing[record.dest_href] != record.verified_etag:
            to_read[record.dest_href] = (record, entry)
    verified: dict[str, str | None] = {}
    for fetched in destination.fetch(target, list(to_read)):
        record, entry = to_read.pop(fetched.href, (None, None))
        if record is None:
            continue
        result.fetched += 1
        if fetched.data is None:
            result.missing.append(entry)
        elif content_hash(fetched.data) != record.dest_hash:
            result.different.append(entry)
        else:
            verified[record.source_href] = fetched.etag or listing.get(fetched.href)
    result.missing.extend(entry for _record, entry in to_read.values())
    if verified:
        state.mark_verified(plan.pair.source.href, verified)
