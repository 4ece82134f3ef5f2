"""Verification: after acting, every copied item must be in the destination with the content
this job sent (compared by normalised hash, so server re-serialisation is tolerated).

The plan's listing of the destination vouches for the items whose ETag there is the one they
were last verified with (the plan counts them while it has their records); every other copied
item (written this run, or changed since) is read back by multiget, and one the server does
not return is missing. So a re-run with no change verifies from the listing alone, and a run
that wrote 160 items into a collection of 13,000 looks up and reads back those 160 instead of
listing the collection again or walking its stored state. A hash mismatch is confirmed against
the source, read again (for the mismatches only) and fixed up as in the act phase: a stored
hash from an older normal form, or a source edited since the copy, is no difference when the
destination holds what would be sent now; a real difference gets a `reason` naming the first
differing property.

What is found is stored with the item at the ETag it was found at (`finding`: converted or
changed-by-server), so the next run's listing vouches for it and the ledger states it again
without a read. A copy verified before at another ETag and now different was edited in the
destination since: a conflict for the user to settle (`job resolve`), not the server's doing.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from davtui.engine.items import fixups
from davtui.engine.items.compare import content_hash, converted, first_difference, rewritten_only
from davtui.engine.items.scan import version_of
from davtui.engine.storages.contract import Collection, Fetched, Storage, WritableStorage
from davtui.engine.sync.outcomes import Finding
from davtui.engine.sync.plan import CollectionPlan, vouched
from davtui.engine.sync.records import COPIED, ItemRecord, ItemStates

#: The reason of a suspect whose source cannot be read to confirm it.
SOURCE_GONE = "the source item can no longer be read"
#: The reason's start for a verified copy changed in the destination since.
EDITED = "changed in the destination since this job verified it"
#: Read-back batches in flight at once: each waits on the link and the server, not on us.
READERS = 4
#: Items per read-back batch (one multiget).
BATCH = 100


@dataclass(slots=True)
class Verification:
    checked: int = 0
    fetched: int = 0
    converted: int = 0  # stored equal in meaning but converted (SOGo: vCard 4.0 -> 3.0)
    #: items the server stored in another form of the same meaning, with the properties
    conversions: list[dict[str, str | None]] = field(default_factory=list)
    #: items whose only difference is a value davtui found invalid, rewritten by the server
    rewritten: list[dict[str, str | None]] = field(default_factory=list)
    missing: list[dict[str, str | None]] = field(default_factory=list)
    different: list[dict[str, str | None]] = field(default_factory=list)
    #: copies verified before and edited in the destination since (conflicts, not alarms)
    conflicts: list[dict[str, str | None]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.different

    def merge(self, other: Verification) -> None:
        """Add another collection's verification to this one."""
        self.checked += other.checked
        self.fetched += other.fetched
        self.converted += other.converted
        self.conversions += other.conversions
        self.rewritten += other.rewritten
        self.missing += other.missing
        self.different += other.different
        self.conflicts += other.conflicts

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "fetched": self.fetched,
            "converted": self.converted,
            "conversions": self.conversions,
            "rewritten": self.rewritten,
            "missing": self.missing,
            "different": self.different,
        }


def verify_collection(
    plan: CollectionPlan,
    destination: WritableStorage,
    state: ItemStates,
    result: Verification,
    source: Storage | None = None,
    suppress_invitations: bool = False,
) -> None:
    """Check one collection pair, a page of stored items at a time (memory stays flat
    however large the collection). Without `source`, a mismatch is not confirmed."""
    if plan.target is None:
        return
    result.checked += plan.vouched  # the plan saw their verified ETags in the listing
    listing = plan.dest_etags
    for page in state.pages(plan.pair.source.href, only={*plan.fetch, *plan.recheck}):
        planned = [r for r in page if r.outcome in COPIED]
        result.checked += len(planned)
        to_read = {r.dest_href: r for r in planned if not vouched(r, listing)}
        if to_read:
            _read_back(plan, destination, state, result, source, suppress_invitations, to_read)


def _read_back(
    plan: CollectionPlan,
    destination: WritableStorage,
    state: ItemStates,
    result: Verification,
    source: Storage | None,
    suppress_invitations: bool,
    to_read: dict[str | None, ItemRecord],
) -> None:
    """Read back the items the listing cannot vouch for and compare them with what was sent."""
    listing = plan.dest_etags
    verified: dict[str, str | None] = {}
    suspects: dict[str, _Suspect] = {}
    confirmed: list[_Suspect] = []  # every suspect, for the findings stored with the item
    for fetched in _read(destination, plan.target, list(to_read)):
        record = to_read.pop(fetched.href, None)
        if record is None:
            continue
        result.fetched += 1
        etag = fetched.etag or listing.get(fetched.href)
        if fetched.data is None:
            result.missing.append(_entry(plan, record))
        elif content_hash(fetched.data) != record.dest_hash:
            entry = _entry(plan, record)
            record.finding = record.finding_reason = None  # found afresh by `_confirm`
            suspects[record.source_href] = _Suspect(record, entry, fetched.data, etag)
        else:
            verified[record.source_href] = etag
            sent = plan.sent_versions.get(fetched.href, b"")
            result.converted += sent != b"" and version_of(fetched.data) != sent
    result.missing.extend(_entry(plan, record) for record in to_read.values())
    if suspects and source is not None:
        confirmed = list(suspects.values())
        _confirm(source, plan, suspects, suppress_invitations, state, verified, result)
    for href in [h for h, suspect in suspects.items() if _edited(suspect)]:
        edited = suspects.pop(href)
        edited.entry["reason"] = f"{EDITED}: {edited.entry.get('reason')}"
        result.conflicts.append(edited.entry)
    result.different.extend(suspect.entry for suspect in suspects.values())
    if verified:
        state.mark_verified(plan.pair.source.href, verified)
    _keep_findings(state, confirmed, suspects)


def _edited(suspect: _Suspect) -> bool:
    """The copy was verified equal before, at another ETag: someone edited it since (a
    conflict for the user to settle, `job resolve`), not a server's change of what was sent."""
    verified_at = suspect.record.verified_etag
    gone = suspect.entry.get("reason") == SOURCE_GONE
    return verified_at is not None and suspect.etag not in (None, verified_at) and not gone


def _keep_findings(
    state: ItemStates, confirmed: list[_Suspect], different: dict[str, _Suspect]
) -> None:
    """Store what was found with each confirmed item and the ETag it was found at: a re-run
    that sees the same ETag reads it no more, and reports the finding from the state. A
    changed item keeps the ETag this job wrote (a later source change is then a conflict,
    never written over someone's edit); an edited one becomes a conflict seen at that ETag."""
    for suspect in confirmed:
        record, reason = suspect.record, suspect.entry.get("reason")
        if suspect.etag is None or reason == SOURCE_GONE:
            continue
        if reason is not None and reason.startswith(EDITED):
            record.outcome, record.error, record.seen_etag = "conflict", reason, suspect.etag
            record.finding = record.finding_reason = None
        elif record.source_href in different:
            record.finding, record.finding_reason = str(Finding.CHANGED), reason
            record.verified_etag = suspect.etag
        elif record.finding:  # converted: the server's form of this job's copy
            record.verified_etag = record.dest_etag = suspect.etag
        else:
            continue
        state.record(record)


def _read(destination: Storage, target: Collection, hrefs: list) -> Iterator[Fetched]:
    """The items at `hrefs`, READERS multiget batches in flight."""
    batches = [hrefs[start : start + BATCH] for start in range(0, len(hrefs), BATCH)]
    with ThreadPoolExecutor(READERS, thread_name_prefix="davtui-verify") as pool:
        for found in pool.map(lambda batch: list(destination.fetch(target, batch)), batches):
            yield from found


def _entry(plan: CollectionPlan, record: ItemRecord) -> dict[str, str | None]:
    """How a missing or different item is named in the report."""
    return {
        "collection": plan.pair.source.name,
        "href": record.source_href,
        "uid": record.uid,
        "kind": record.kind,
    }


@dataclass(slots=True)
class _Suspect:
    record: ItemRecord
    entry: dict[str, str | None]
    stored: bytes
    etag: str | None


def _confirm(
    source: Storage,
    plan: CollectionPlan,
    suspects: dict[str, _Suspect],
    suppress_invitations: bool,
    state: ItemStates,
    verified: dict[str, str | None],
    result: Verification,
) -> None:
    """Compare each suspect with its source as it would be sent now: equal, it is verified (and
    its stored hash renewed) and leaves `suspects`; else its entry gets the reason. A server
    that rewrote only values davtui found invalid (the item was sent with that warning), or
    stored another form of the same meaning (`compare.converted`), did not change its meaning:
    verified too, and listed as `rewritten` or in `conversions`. The stored form's hash is
    kept, so the next read-back of the same copy is equal at once."""
    for fetched in source.fetch(plan.pair.source, list(suspects)):
        suspect = suspects.get(fetched.href)
        if suspect is None:
            continue
        if fetched.data is None:
            suspect.entry["reason"] = SOURCE_GONE
            continue
        sent, _ = fixups.apply(fetched.data, suppress_invitations=suppress_invitations)
        digest, stored = content_hash(sent), content_hash(suspect.stored)
        rewritten = [] if digest == stored else rewritten_only(sent, suspect.stored)
        if rewritten:  # the stored form is what the next verification compares with
            digest = stored
            reason = f"the server rewrote what was not valid: {', '.join(rewritten)}"
            result.rewritten.append({**suspect.entry, "reason": reason, "details": rewritten})
            suspect.record.finding, suspect.record.finding_reason = str(Finding.CONVERTED), reason
        elif digest != stored and (forms := converted(sent, suspect.stored)):
            digest = stored
            reason = f"the server stored an equivalent form: {', '.join(forms)}"
            result.converted += 1
            result.conversions.append({**suspect.entry, "reason": reason, "details": forms})
            suspect.record.finding, suspect.record.finding_reason = str(Finding.CONVERTED), reason
        if digest == stored:
            suspect.record.dest_hash = digest
            state.record(suspect.record)
            verified[fetched.href] = suspect.etag
            del suspects[fetched.href]
        else:
            reason = first_difference(sent, suspect.stored)
            suspect.entry["reason"] = reason or "the components are nested differently"
