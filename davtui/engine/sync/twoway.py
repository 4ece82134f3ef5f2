"""A two-way sync run (`mode = "sync"`): one pass per collection pair, changes, creations and
deletions flowing both ways, conflicts settled by the job's policy.

discover (which collections pair up; one found on one side only is made on the other) ->
read both sides (`twoway_reads`: a side still at the version stored when the pair last ended
clean is not read, its records stand in) -> plan (`twoway_plan`) -> act per item
(`twoway_items`), each item recorded in its own transaction, what was written read back by
meaning (`twoway_verify`).

Both storages are writable here; `Migration` (copy, mirror) keeps its source read-only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial

from davtui.engine.errors import (
    AuthFailed,
    DavError,
    EngineError,
    ItemError,
    TLSFailed,
    Unreachable,
)
from davtui.engine.events import CollectionCreated, Finished, ItemDone, Listener, Phase, ignore
from davtui.engine.storages.contract import Collection, WritableStorage
from davtui.engine.sync.gate import Gate, Stopped
from davtui.engine.sync.ledger import entry
from davtui.engine.sync.listing import Reader, Wanted
from davtui.engine.sync.mapping import Pair, kinds_for
from davtui.engine.sync.migration import Options
from davtui.engine.sync.outcomes import Finding, Outcome
from davtui.engine.sync.progress import ProgressMeter
from davtui.engine.sync.records import ItemRecord, ItemStates
from davtui.engine.sync.streams import both_in, merged
from davtui.engine.sync.tally import Tally
from davtui.engine.sync.twoway_counts import Directions, failed
from davtui.engine.sync.twoway_items import PairActor
from davtui.engine.sync.twoway_plan import DEST, SOURCE, Guard, SideListing, TwoWayPlan, plan_pair
from davtui.engine.sync.twoway_reads import SideRead, read_side, side_listing
from davtui.engine.sync.twoway_sides import Done, Read, Side
from davtui.engine.sync.twoway_verify import ReadBack
from davtui.engine.sync.verify import Verification
from davtui.engine.sync.writers import Writers
from davtui.exitcodes import CANCELLED

#: Errors that concern a whole server: the run stops, the state stays.
FATAL = (AuthFailed, TLSFailed, Unreachable)
#: The ledger's detail for a resolution a killed pass stored with the item.
UNLISTED = "settled by an earlier pass that ended before its ledger was stored"
#: Collection pairs acted on at once (measured, see bench/RESULTS.md "two-way").
PAIRS_AT_ONCE = 8


@dataclass(slots=True)
class PairRun:
    """One pair in a pass: its sides, its plan, whether it ended clean."""

    pair: Pair
    source: Side
    dest: Side
    plan: TwoWayPlan
    versions: tuple[str | None, str | None]
    troubled: bool = False


class TwoWay:
    """A two-way sync run; the same interface as `Migration` (`run() -> Finished`)."""

    def __init__(self, source: WritableStorage, destination: WritableStorage, state: ItemStates,
                 options: Options, listener: Listener = ignore,
                 gate: Gate | None = None) -> None:  # fmt: skip
        self.source, self.destination = source, destination
        self.state = state
        self.options = options
        self.listener = listener
        self.gate = gate or Gate()
        self.create_collections = options.create_collections
        self.tally = Tally()
        self.progress = ProgressMeter(listener)
        self.directions = Directions()
        wanted = Wanted(options.choices, options.default_collections, options.rename,
                        options.dry_run)  # fmt: skip
        self.reader = Reader(source, destination, state, wanted, self.gate, listener)
        self._runs: list[PairRun] = []
        self.verification = Verification()  # what this pass wrote, read back (`twoway_verify`)
        self._fatal: BaseException | None = None
        #: (source collection, href) of the items whose stored resolution this run's ledger
        #: lists: cleared where the ledger is stored (`JobState.clear_resolved`)
        self.handed_over: set[tuple[str, str]] = set()

    def run(self) -> Finished:
        """Run to the end, a stop, or a failure; never raises for expected failures."""
        try:
            self._run()
            self.tally.verified(self.verification)
            status, error, code = self.tally.verdict(self.verification)
        except Stopped:
            status, error, code = "cancelled", None, CANCELLED
        except EngineError as exc:
            status, error, code = "failed", str(exc), exc.exit_code
        way = self.directions.totals()
        stats = replace(
            self.tally.stats.snapshot(self.tally.ledger.counts()),
            to_destination=way["to_destination"],
            to_source=way["to_source"],
        )
        finished = Finished(
            status=status, stats=stats, errors=self.tally.errors, error=error,
            verification=None if self.options.dry_run else self.verification.as_dict(),
            warnings=self.tally.warnings, exit_code=code, dry_run=self.options.dry_run,
            plan={r.pair.source.name: r.plan.counts() for r in self._runs}
            if self.options.dry_run else None,
            ledger=self.tally.ledger.entries(),
        )  # fmt: skip
        self.listener(Phase("done"))
        self.listener(finished)
        return finished

    # -- discover, list, plan ------------------------------------------------------------------
    def _run(self) -> None:
        kinds = kinds_for(self.options.what)
        self.listener(Phase("discover"))
        with ThreadPoolExecutor(8, thread_name_prefix="davtui-list") as pool:
            pairs = self._pairs(pool, kinds)
            self.listener(Phase("list"))
            reads = [(pair, *self._start(pool, pair)) for pair in pairs if pair.target]
            self.listener(Phase("plan"))
            if self.options.dry_run:
                self._runs.extend(self._plan(p, s.result(), d.result()) for p, s, d in reads)
                self._total()
                return
            self._pipeline(reads)
        if self._fatal is not None:
            raise self._fatal
        for run in self._runs:
            self._remember(run)

    def _pipeline(self, reads: list[tuple[Pair, Future[SideRead], Future[SideRead]]]) -> None:
        """Plan and act on each pair once both its sides are read, while other pairs' listings
        are in flight; pairs act at once: each waits on its own multigets and on writes that
        a server may take one at a time per collection (Xandikos). A failed listing stops the
        pairs acting, as a stop would (each item is recorded on its own), and fails the run."""
        with ThreadPoolExecutor(PAIRS_AT_ONCE, thread_name_prefix="davtui-pair") as pool:
            acting: list[Future[None]] = []
            self.listener(Phase("act"))
            try:
                for pair, src, dst in both_in(reads):
                    run = self._plan(pair, src, dst)
                    self._runs.append(run)
                    acting.append(pool.submit(self._act, run))
            except BaseException as exc:
                self._fatal = self._fatal or exc
                raise
            self._total()  # known once every pair is planned; the acts counted meanwhile
            for acted in acting:
                acted.result()

    def _total(self) -> None:
        """The progress total: every planned pair's items."""
        self.progress.total = sum(r.plan.size for r in self._runs)
        self.progress.emit()

    def _pairs(self, pool: ThreadPoolExecutor, kinds: tuple[str, ...]) -> list[Pair]:
        """Source collections and where each goes; a collection on one side only is made on
        the other (`create_collections = "both"`), as the job's remembered pairs allow."""
        pairs = self.reader.pairs(pool, kinds)
        made = [self._made(pair) for pair in pairs]
        if self.create_collections != "both" or self.options.choices:
            return [p for p in made if p.target is not None]
        taken = {p.target.href for p in made if p.target is not None}
        for found in self.reader.destinations:
            if found.href in taken:
                continue
            twin = self._create(self.source, found, found.name)
            if twin is not None:
                made.append(Pair(twin, found))
                if not self.options.dry_run:
                    self.state.set_target(twin.href, found.href)
        return [p for p in made if p.target is not None]

    def _made(self, pair: Pair) -> Pair:
        """The pair with its destination collection, made now if missing (and allowed)."""
        if pair.target is not None or self.create_collections != "both":
            if pair.target is not None and not self.options.dry_run:
                self.state.set_target(pair.source.href, pair.target.href)
            return pair
        target = self._create(self.destination, pair.source, pair.create_name or pair.source.name)
        if target is not None and not self.options.dry_run:
            self.state.set_target(pair.source.href, target.href)
        return replace(pair, target=target)

    def _create(self, on: WritableStorage, template: Collection, name: str) -> Collection | None:
        """A copy of `template` made on `on`; None when it failed (reported). A dry run makes
        nothing: a stand-in without href, listed as empty, lets the plan count its items."""
        if self.options.dry_run:
            self.tally.stats.collection(template.kind, "created")
            return replace(template, href="", name=name, ctag=None, sync_token=None)
        try:
            made = on.create_collection(template, name)
        except (EngineError, OSError) as exc:
            self.tally.collection_failed(template, f"'{name}' could not be created: {exc}")
            return None
        self.tally.stats.collection(template.kind, "created")
        self.listener(CollectionCreated(made.collection.href, made.collection.name,
                                        tuple(made.not_kept)))  # fmt: skip
        return made.collection

    def _start(self, pool: ThreadPoolExecutor, pair: Pair
               ) -> tuple[Future[SideRead], Future[SideRead]]:  # fmt: skip
        """Start reading both sides of `pair` against their stored versions (`twoway_reads`)."""
        assert pair.target is not None
        seen = self.state.versions(pair.source.href) or (None, None)
        if not self.options.dry_run:
            self.destination.tidy(pair.target)
            self.source.tidy(pair.source)
        return (pool.submit(read_side, self.source, pair.source, seen[0]),
                pool.submit(read_side, self.destination, pair.target, seen[1]))  # fmt: skip

    def _plan(self, pair: Pair, src_read: SideRead, dst_read: SideRead) -> PairRun:
        assert pair.target is not None
        src = self._listing(pair, SOURCE, src_read)
        dst = self._listing(pair, DEST, dst_read)
        guard = Guard(self.options.max_delete_share, self.options.force_delete)
        plan = plan_pair(
            pair.source.name,
            src,
            dst,
            self._unlisted(pair, self.state.pages(pair.source.href)),  # a page at a time
            guard,
            lambda record: self.tally.stats.item(record.kind, Outcome.UNCHANGED),
        )
        src, dst = plan.acted(SOURCE, src), plan.acted(DEST, dst)
        for problem in plan.refusals:
            self.tally.refused(pair.source, problem)
        for record in plan.standing + plan.settled:  # as found before: listed again
            self._report(pair, Done(record.outcome, None, record.uid, record.kind, None,
                                    record.error, at=record.source_href))  # fmt: skip
        self.progress.advance(plan.unchanged)
        suppress = self.options.suppress_invitations
        source = Side.of(SOURCE, self.source, pair.source, src.etags or {}, suppress)
        dest = Side.of(DEST, self.destination, pair.target, dst.etags or {}, suppress)
        versions = (pair.source.version, pair.target.version)
        # a side listed in part may hide a new item that no record names: list it whole
        troubled = bool(plan.refusals) or not (src.complete and dst.complete)
        return PairRun(pair, source, dest, plan, versions, troubled=troubled)

    def _listing(self, pair: Pair, side: str, read: SideRead) -> SideListing:
        records = (r for page in self.state.pages(pair.source.href) for r in page)
        return side_listing(side, read, records)

    def _unlisted(self, pair: Pair, pages: Iterable[list[ItemRecord]]
                  ) -> Iterator[list[ItemRecord]]:  # fmt: skip
        """The pages, as they go to the planner; a resolution stored with an item by a pass
        that ended before its ledger was stored (killed) is listed in this run's (standing:
        a fresh one replaces it)."""
        for page in pages:
            for record in (r for r in page if r.finding == Finding.RESOLVED):
                at = (pair.source.name, record.source_href, record.uid, record.kind, None)
                found = entry(Finding.RESOLVED, *at, record.finding_reason, [UNLISTED])
                self.tally.ledger.add({**found, "standing": True})
                if not self.options.dry_run:
                    self.handed_over.add((pair.source.href, record.source_href))
            yield page

    def _remember(self, run: PairRun) -> None:
        """A pair that ended clean is stored at the versions its listings were read at; a
        side this pass wrote to is listed again next time (its version moved with our own
        writes, and a user's edit made meanwhile must not hide behind it): whole, unless its
        sync token is exact, then the changes since the token read before the writes."""
        if run.troubled or run.plan.standing:
            self.state.set_versions(run.pair.source.href, None, None)
            return
        source = None if run.source.wrote and not _exact(run.source) else run.versions[0]
        dest = None if run.dest.wrote and not _exact(run.dest) else run.versions[1]
        self.state.set_versions(run.pair.source.href, source, dest)

    # -- act ---------------------------------------------------------------------------------
    def _act(self, run: PairRun) -> None:
        """Hand each item of the plan to the writers as it is read: the items changed on one
        side stream from that side; those changed on both, and new ones (matched by UID),
        need the other side's version first, so the destination's few are read before."""
        plan, pair = run.plan, run.pair
        if plan.idle or self._fatal is not None:
            return
        self.gate.checkpoint()
        self.listener(Phase("act", pair.source.name))
        for record in plan.forget:
            self.state.forget(pair.source.href, record.source_href)
            self.progress.advance()
        # each side takes its own writes in flight (Side.slots): the pool holds both
        size = self.source.write_concurrency + self.destination.write_concurrency
        with ReadBack(pair.source.name, self.verification) as check, \
                Writers(self.options.writers or size) as writers:  # fmt: skip
            actor = PairActor(run.source, run.dest, pair.source.href, self.options.conflict,
                              self.state, partial(self._done, run),
                              writers.window.answered, check.wrote)  # fmt: skip

            def hand(work: Callable[..., None], *args: object) -> None:
                self.gate.checkpoint()
                read = [a for a in args if isinstance(a, Read)]  # what the failure names
                item = read[0] if read else next((a for a in args if a is not None), None)
                writers.submit(partial(self._carry, run, partial(work, *args), item))

            # deletions first: an item deleted and made again under its UID (a client's move)
            # is then created where the old one was
            for record in plan.delete_dest:
                hand(actor.delete, record, run.dest)
            for record in plan.delete_source:
                hand(actor.delete, record, run.source)
            writers.drain()
            held = self._read(run, run.dest, [r.dest_href or "" for r in plan.both]
                              + plan.new_dest)  # fmt: skip
            both = {r.source_href: r for r in plan.both}
            new_dest = set(plan.new_dest)
            twins = {r.info.uid: r for r in held.values() if r.info.uid and r.href in new_dest}
            from_dest = {href: record for record, href in plan.to_source}
            to_dest = {href: record for record, href in plan.to_dest}
            # both sides read at once (`streams`): neither read waits behind writes to its server
            for read in merged(self._stream(run, run.dest, list(from_dest)),
                               self._stream(run, run.source,
                                            [*to_dest, *both, *plan.new_source])):  # fmt: skip
                if read.side is run.dest:
                    hand(actor.carry, from_dest[read.href], read, run.source)
                elif read.href in to_dest:
                    hand(actor.carry, to_dest[read.href], read, run.dest)
                elif read.href in both:
                    stored = both[read.href]
                    if (theirs := held.get(stored.dest_href or "")) is not None:
                        hand(actor.settle, stored, read, theirs)
                elif (twin := twins.pop(read.info.uid or "", None)) is not None:
                    held.pop(twin.href, None)
                    hand(actor.settle, None, read, twin)  # new on both sides: one item?
                else:
                    hand(actor.carry, None, read, run.dest)
            for href in plan.new_dest:  # those no new source item matched
                if (left := held.get(href)) is not None:
                    hand(actor.carry, None, left, run.source)

    def _read(self, run: PairRun, side: Side, hrefs: list[str]) -> dict[str, Read]:
        """The items at `hrefs` on `side`, parsed, by href."""
        return {read.href: read for read in self._stream(run, side, hrefs)}

    def _stream(self, run: PairRun, side: Side, hrefs: list[str]) -> Iterator[Read]:
        """The items at `hrefs` on `side`, parsed, as they arrive (multiget batches); one
        that could not be read is failed, for the next pass to try again."""
        if not hrefs:
            return
        for fetched in side.storage.fetch(side.collection, hrefs):
            try:
                yield Read.of(side, fetched)
            except ItemError as exc:
                self._done(run, Done(str(Outcome.FAILED), None, None, None, None, str(exc)))

    def _carry(self, run: PairRun, job: Callable[[], None], item: object, _ticket: int) -> None:
        """One item in a writer's hands, inside the gate; its failure is its own, reported
        with what is known of the item (`item`: its stored record or what was read)."""
        try:
            with self.gate.working():
                if self._fatal is not None:
                    return
                job()
        except Stopped:
            return
        except FATAL as exc:
            self._fatal = exc
        except (DavError, ItemError, OSError) as exc:
            self._done(run, failed(item, str(exc)))
        except Exception as exc:  # a bug must not lose the item silently: report it
            self._done(run, failed(item, f"internal error: {exc!r}"))

    # -- report --------------------------------------------------------------------------------
    def _done(self, run: PairRun, done: Done) -> None:
        if done.outcome in (Outcome.FAILED, Outcome.CONFLICT):
            run.troubled = True
        self._report(run.pair, done)

    def _report(self, pair: Pair, done: Done) -> None:
        record: ItemRecord | None = done.record
        gone = done.replaces.source_href if done.replaces else None
        href = record.source_href if record else done.at or gone
        event = ItemDone(pair.source.name, href or "", done.uid, done.summary, done.kind,
                         done.outcome, done.reason)  # fmt: skip
        self.directions.count(done.direction, done.outcome)
        self.tally.item(event, 0, pair.source.href)
        if done.resolved:
            at = (pair.source.name, href, done.uid, done.kind, done.summary)
            self.tally.ledger.add(entry(Finding.RESOLVED, *at, done.resolved))
        if record is not None and record.finding == Finding.RESOLVED:  # `PairActor._finish`
            self.handed_over.add((pair.source.href, record.source_href))
        self.progress.advance()
        self.listener(event)


def _exact(side: Side) -> bool:
    """Whether the changes since this side's pre-pass sync token are all its changes."""
    return side.collection.sync_token is not None and side.storage.exact_sync_tokens
