"""One migration run: discover -> list -> plan -> act -> verify, reported through events.

What to read (pairs, and each side's changes since last time) is `listing.Reader`'s; this
module plans, acts and verifies on it.

The runner owns no storage and no database handle of its own: the caller opens the source
(read-only) and the destination, and gives the job's state; the same code serves the TUI, the
headless runner and `davtui migrate`.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from davtui.engine.errors import (
    AuthFailed,
    CollectionError,
    DavError,
    EngineError,
    Throttled,
    Unreachable,
)
from davtui.engine.events import (
    CollectionCreated,
    Finished,
    ItemDone,
    Listener,
    Message,
    Phase,
    ignore,
)
from davtui.engine.storages.contract import (
    Changes,
    Fetched,
    Listing,
    Storage,
    WritableStorage,
)
from davtui.engine.sync.aliases import Aliases
from davtui.engine.sync.copy import CollectionActor, Settings
from davtui.engine.sync.gate import Gate, Stopped
from davtui.engine.sync.leftovers import Leftovers
from davtui.engine.sync.listing import Reader, SourceRead, TargetRead, Wanted
from davtui.engine.sync.mapping import Choice, Pair, kinds_for
from davtui.engine.sync.outcomes import Outcome
from davtui.engine.sync.overlap import LISTINGS, few_at_once, meanwhile, read_ahead
from davtui.engine.sync.plan import CollectionPlan, DeleteGuard, plan_collection, summarize
from davtui.engine.sync.progress import ProgressMeter
from davtui.engine.sync.records import ItemRecord, ItemStates
from davtui.engine.sync.tally import Tally
from davtui.engine.sync.verify import Verification, verify_collection
from davtui.engine.sync.writers import Writers
from davtui.exitcodes import CANCELLED

SUPPRESSED_BY_DEFAULT = (
    "The destination e-mails the attendees of every event it receives: invitations are "
    "suppressed (SCHEDULE-AGENT=CLIENT); set suppress_invitations = false to send them."
)
#: Failures of one collection (its folder, or a server's error on its listing: a 500, a 403,
#: a collection gone): that collection fails, the others are copied.
LOCAL = (CollectionError, OSError, DavError)
#: ... except those that say the whole server is out of reach: they end the run.
SERVER_DOWN = (AuthFailed, Unreachable, Throttled)


@dataclass(frozen=True, slots=True)
class Options:
    """What a job asks of a run (see DESIGN.md section 3)."""

    what: str = "both"
    mode: str = "copy"
    conflict: str = "skip"
    dry_run: bool = False
    suppress_invitations: bool | None = None  # None: only where the destination schedules
    default_collections: bool = False
    choices: tuple[Choice, ...] = ()
    rename: tuple[tuple[str, str], ...] = ()
    force_delete: bool = False  # the user confirmed a mirror's large deletion
    max_delete_share: float = 0.2  # of the items a job created in a collection
    writers: int | None = None  # None: as many as the destination takes
    create_collections: str = "both"  # sync: make a collection found on one side only


class Migration:
    def __init__(
        self,
        source: Storage,
        destination: WritableStorage,
        state: ItemStates,
        options: Options,
        listener: Listener = ignore,
        gate: Gate | None = None,
        leftovers: Leftovers | None = None,
    ) -> None:
        self.source = source
        self.destination = destination
        self.state = state
        self.options = options
        self.suppress_invitations = (
            destination.schedules_on_write
            if options.suppress_invitations is None
            else options.suppress_invitations
        )
        self.listener = listener
        self.gate = gate or Gate()
        self.tally = Tally()
        # Zimbra: the same item in two source collections (a mounted share) is copied once
        self.aliases = Aliases(enabled=source.mounts_shared_collections)
        self.leftovers = leftovers or Leftovers()
        self.progress = ProgressMeter(listener)
        self.verification: Verification | None = None
        wanted = Wanted(
            options.choices, options.default_collections, options.rename, options.dry_run
        )
        self.reader = Reader(source, destination, state, wanted, self.gate, listener)
        self._plans: list[CollectionPlan] = []

    def run(self) -> Finished:
        """Run to the end, a stop, or a failure; never raises for expected failures."""
        tally = self.tally
        try:
            self._run()
            status, error, code = tally.verdict(self.verification)
        except Stopped:
            status, error, code = "cancelled", None, CANCELLED
        except EngineError as exc:
            status, error, code = "failed", str(exc), exc.exit_code
            self.listener(Message("error", str(exc)))
        finished = Finished(
            status=status,
            stats=tally.stats.snapshot(tally.ledger.counts()),
            verification=self.verification.as_dict() if self.verification else None,
            errors=tally.errors,
            error=error,
            warnings=tally.warnings,
            leftovers=str(self.leftovers.folder) if tally.kept else None,
            exit_code=code,
            dry_run=self.options.dry_run,
            plan=summarize(self._plans) if self.options.dry_run else None,
            ledger=tally.ledger.entries(),
        )
        self.listener(Phase("done"))
        self.listener(finished)
        return finished

    def _run(self) -> None:
        kinds = kinds_for(self.options.what)
        if self.options.suppress_invitations is None and self.suppress_invitations:
            self.listener(Message("info", SUPPRESSED_BY_DEFAULT))
        self.listener(Phase("discover"))
        # Listings wait on the servers, not on us: both sides and all pairs are read at once.
        with ThreadPoolExecutor(LISTINGS, thread_name_prefix="davtui-list") as pool:
            pairs = self.reader.pairs(pool, kinds)
            self.listener(Phase("list"))
            self._plan_all([(pair, *self.reader.start(pool, pair)) for pair in pairs])
        self.progress.total = sum(p.size for p in self._plans)
        self.progress.emit()
        self.listener(Phase("act"))
        with Writers(self.options.writers or self.destination.write_concurrency) as writers:
            wrote = self._act_all(writers)
        writers.raise_fatal()
        self.gate.checkpoint()  # a stop after the last item was handed out: items were left
        for plan in self._plans:
            plan.acted()
        if self.options.dry_run:
            return
        self.listener(Phase("verify"))
        with ThreadPoolExecutor(1, thread_name_prefix="davtui-versions") as pool:
            # the destination's new versions are read while verification reads items back
            fresh = pool.submit(self.destination.collections, kinds) if wrote else None
            clean = self._verify()
            if self.verification is not None:
                self.tally.verified(self.verification)
            versions = {c.href: c.version for c in fresh.result()} if fresh else None
            self._remember_versions(clean, versions)

    def _plan_all(self, listings: list[tuple[Pair, SourceRead | None, TargetRead | None]]) -> None:
        """Plan every pair, one collection's stored state in memory at a time. A pair's
        listings, held by their futures, go once it is planned: its plan keeps only what it
        acts on (a no-change re-run of vdir folders holds two 75,000-item listings)."""
        self.listener(Phase("plan"))
        listings.reverse()
        while listings:
            listing = listings.pop()
            try:
                plan = self._plan(*listing)
            except SERVER_DOWN:
                raise
            except LOCAL as exc:
                self._collection_failed(listing[0], exc)
                continue
            self._report_planned(plan)
            self._plans.append(plan)

    def _verify(self) -> list[CollectionPlan]:
        """Verify every pair (those with few items to read back at once); the plans that
        ended with no missing, different or failed item."""

        def one(plan: CollectionPlan) -> Verification:
            result = Verification()
            verify_collection(
                plan, self.destination, self.state, result, self.source,
                self.suppress_invitations,
            )  # fmt: skip
            return result

        self.verification = Verification()
        clean = []
        results = few_at_once(self._plans, one, lambda plan: len(plan.fetch) + len(plan.recheck))
        troubled = self.tally.troubled
        for plan, result in zip(self._plans, results, strict=True):
            self.verification.merge(result)
            if result.ok and not result.conflicts and plan.pair.source.href not in troubled:
                clean.append(plan)
        return clean

    def _remember_versions(
        self, clean: list[CollectionPlan], fresh: dict[str, str | None] | None
    ) -> None:
        """Store the versions (sync tokens or ctags) of collections that ended complete
        (`fresh`: the destination's as read after this run's writes, None when it wrote
        nothing): next time, a side still at its version is not read, and a source's sync
        token says what changed since. Every other collection is listed again."""
        complete = {id(plan) for plan in clean}
        for plan in self._plans:
            if plan.target is None:
                continue
            if id(plan) in complete:
                dest = plan.target.version if fresh is None else fresh.get(plan.target.href)
                self.state.set_versions(plan.pair.source.href, plan.source_version, dest)
            else:
                self.state.set_versions(plan.pair.source.href, None, None)

    def _plan(
        self, pair: Pair, source: SourceRead | None, target: TargetRead | None
    ) -> CollectionPlan:
        pages = self.state.pages(pair.source.href)
        waiting = [f for f in (source, target) if f is not None]
        if waiting:
            pages = meanwhile(pages, waiting)
        read = source.result() if source else None
        changes = read if isinstance(read, Changes) else None
        plan = plan_collection(
            pair,
            read.etags if isinstance(read, Listing) else None,
            target.result() if target else None if pair.target else {},
            pages,
            lambda record: self._unchanged(record, pair),
            changes=changes,
            conflict_policy=self.options.conflict,
            mirror=self.options.mode == "mirror",
            incomplete=None if read is None or read.complete else read.reason,
            guard=DeleteGuard(self.options.max_delete_share, self.options.force_delete),
        )
        plan.source_version = (changes.token if changes else None) or pair.source.version
        for href in plan.recheck:  # read back in this run: its finding is made afresh
            self.tally.ledger.drop_standing(pair.source.name, href)
        if problem := plan.problem:  # an error of the run; listed whole next time
            self.tally.refused(pair.source, problem)
            self.listener(Message("error", problem, pair.source.name))
        return plan

    def _collection_failed(self, pair: Pair, exc: Exception) -> None:
        """A collection that could not be listed is this run's error, not its end."""
        self.tally.collection_failed(pair.source, str(exc))
        self.listener(Message("error", str(exc), pair.source.name))

    def _unchanged(self, record: ItemRecord, pair: Pair) -> None:
        self.tally.stats.item(record.kind, Outcome.UNCHANGED)
        self.aliases.copied(record, pair.source.name)
        self.tally.standing(record, pair.source.name)

    def _report_planned(self, plan: CollectionPlan) -> None:
        """Report what the plan settled without reading items; keep what the act needs."""
        if plan.conflicts:
            self.tally.troubled.add(plan.pair.source.href)
        for record in plan.conflicts:  # the ETag it is at now is the one `job resolve` settles
            record.seen_etag = plan.dest_etags.get(record.dest_href or "")
            record.outcome = str(Outcome.CONFLICT)
            if not self.options.dry_run:
                self.state.record(record)
        for record in plan.settled + plan.conflicts:  # a conflict's stored outcome: "conflict"
            reason = f"unchanged since an earlier run: {record.error}"
            self._emit_item(plan, record, record.outcome, reason)
        self.progress.advance(plan.unchanged)
        plan.source_etags = {h: plan.source_etags.get(h) for h in plan.fetch}
        plan.records = {h: plan.records[h] for h in plan.fetch if h in plan.records}

    def _emit_item(
        self, plan: CollectionPlan, record: ItemRecord, outcome: str, reason: str
    ) -> None:
        source = plan.pair.source.name
        event = ItemDone(source, record.source_href, record.uid, None, record.kind, outcome, reason)
        self._on_item(event, None, 0)

    def _ensure_target(self, plan: CollectionPlan) -> bool:
        pair = plan.pair
        if plan.target is not None:
            self.tally.stats.collection(pair.source.kind, "used")
            self.state.set_target(
                pair.source.href, plan.target.href
            ) if not self.options.dry_run else None
            return True
        if self.options.dry_run:  # a stand-in, so the items can be planned into it
            plan.target = replace(pair.source, href="", name=pair.create_name or pair.source.name)
            self.tally.stats.collection(pair.source.kind, "created")
            return True
        try:
            made = self.destination.create_collection(
                pair.source, pair.create_name or pair.source.name
            )
        except (EngineError, OSError) as exc:
            self.tally.stats.collection(pair.source.kind, "failed")
            reason = f"the destination collection '{pair.create_name}' could not be created: {exc}"
            for href in plan.fetch:
                self._emit_item(
                    plan, ItemRecord(pair.source.href, href, "failed"), "failed", reason
                )
            return False
        plan.target = made.collection
        self.tally.stats.collection(pair.source.kind, "created")
        self.state.set_target(pair.source.href, made.collection.href)
        self.listener(
            CollectionCreated(made.collection.href, made.collection.name, tuple(made.not_kept))
        )
        return True

    def _act_all(self, writers: Writers) -> bool:
        """Act on every plan with something to do: the destination collections are made
        first, one by one in order, then the collections' items go to the one pool of
        writers a collection at a time, the few changed items of the next collections read
        ahead (`read_ahead`); how many are written at once is the writers' window. Where
        aliases need the copies of the collection before, each collection's writes end
        before the next. Whether anything was written, once the writers are done. No actor
        is kept: each holds every UID of its collection, let go with its last item."""
        ready = [plan for plan in self._plans if self._ready(plan)]
        for plan, items in read_ahead(ready, self._read, lambda plan: len(plan.fetch)):
            self._act(plan, items, writers)
            if self.aliases.enabled:  # Zimbra: the next collection's aliases need these
                writers.drain()
        writers.drain()
        return writers.wrote

    def _read(self, plan: CollectionPlan) -> Iterable[Fetched]:
        """The source items the plan copies, as a stream."""
        return self.source.fetch(plan.pair.source, plan.fetch) if plan.fetch else ()

    def _ready(self, plan: CollectionPlan) -> bool:
        """The plan has items to act on, and its destination collection exists (made now if
        needed)."""
        self.gate.checkpoint()
        if not plan.fetch and not plan.deletes and plan.target is not None:
            self.tally.stats.collection(plan.pair.source.kind, "used")
            return False
        return self._ensure_target(plan)

    def _act(self, plan: CollectionPlan, items: Iterable[Fetched], writers: Writers) -> None:
        """Hand the plan's items to the writers."""
        self.gate.checkpoint()
        self.listener(Phase("act", plan.pair.source.name))
        actor = CollectionActor(
            plan,
            self.destination,
            Settings(
                conflict=self.options.conflict,
                dry_run=self.options.dry_run,
                suppress_invitations=self.suppress_invitations,
                aliases=self.aliases,
                leftovers=self.leftovers,
            ),
            self._on_item,
            self.gate,
            writers,
        )
        actor.run(items)

    def _on_item(self, event: ItemDone, record: ItemRecord | None, size: int) -> None:
        """Commit the item's state first, then count and tell the listener."""
        if record is not None:
            if event.outcome == Outcome.DELETED:
                self.state.forget(record.source_collection, record.source_href)
            else:
                self.state.record(record)
            if event.outcome == Outcome.UNCHANGED:
                self.tally.standing(record, event.collection)
        self.tally.item(event, size, record.source_collection if record else None)
        self.progress.advance()
        self.listener(event)
