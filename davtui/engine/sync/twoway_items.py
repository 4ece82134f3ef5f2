"""Acting on one item of a two-way sync: carry one side's version to the other, settle an
item changed on both sides, delete what was deleted on the other side.

Both sides are the same kind of thing here (`Side`: a writable storage, a collection, its
listing, and which fields of the stored record are its own), so every rule is written once
and runs in either direction. Each finished item is recorded in its own small transaction
before it is reported; a crash between a write and its record is met by the next pass's rule
for items changed on both sides (read both; the same meaning: just record).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from davtui.engine.errors import (
    AuthFailed,
    CollectionError,
    DavError,
    PreconditionFailed,
    TLSFailed,
)
from davtui.engine.items import fixups
from davtui.engine.items.compare import content_hash, derive_uid
from davtui.engine.items.scan import ItemInfo, scan
from davtui.engine.storages.contract import Ref
from davtui.engine.sync.outcomes import Finding, Outcome
from davtui.engine.sync.records import DEST_ONLY, ItemRecord, ItemStates
from davtui.engine.sync.twoway_policy import DEST, SOURCE, choose, with_new_uid
from davtui.engine.sync.twoway_sides import (
    Done,
    Read,
    Report,
    Side,
    Version,
    direction,
)
from davtui.engine.sync.twoway_verify import Sent

#: Stored outcomes that a user's `job resolve` set: the chosen side is written even where
#: its meaning equals what was stored (it is the other side's version that goes).
FORCED = (Outcome.RESOLVED, Outcome.ACCEPTED)


def refusal(exc: DavError) -> bool:
    """A server's answer that writing the item again as it is would get again (403, 415),
    as the copy judges it: not retryable, not about the whole server (login, TLS) or the
    collection, and not a 412 (another item there, or an edit meanwhile: next pass)."""
    passing = (PreconditionFailed, AuthFailed, TLSFailed, CollectionError)
    return not exc.retryable and not isinstance(exc, passing)


class PairActor:
    """Carries out the items of one collection pair (thread-safe: one item per call)."""

    def __init__(self, source: Side, dest: Side, pair_source: str, policy: str,
                 state: ItemStates, report: Report,
                 answered: Callable[[float], None] = lambda seconds: None,
                 wrote: Callable[[Side, Sent], None] = lambda *_: None) -> None:  # fmt: skip
        self.source, self.dest = source, dest
        #: told how long each write took: the writers' window follows the servers' queues
        self.answered = answered
        self.pair_source = pair_source  # the source collection's href: the records' key
        self.policy = policy
        self.state = state
        self.report = report
        self.wrote = wrote  # each write, for the read-back (`twoway_verify.ReadBack`)

    # -- the record both sides agree on -----------------------------------------------------
    def _synced(self, s: Version, d: Version, info: ItemInfo, outcome: str,
                **more: Any) -> ItemRecord:  # fmt: skip
        """The state of an item both sides now hold with the same meaning: each side's
        (href, ETag, semantic hash of what it holds)."""
        return ItemRecord(
            source_collection=self.pair_source, source_href=s[0], outcome=str(outcome),
            source_etag=s[1], source_hash=s[2], uid=info.uid, kind=info.kind,
            dest_collection=self.dest.collection.href, dest_href=d[0], dest_etag=d[1],
            dest_hash=d[2], created_by_job=True, **more,
        )  # fmt: skip

    @staticmethod
    def _both(one: Version, other: Version, to: Side) -> tuple[Version, Version]:
        """(source, destination) of a write from `one`'s side to `to` (at `other`)."""
        return (other, one) if to.name == SOURCE else (one, other)

    def _finish(self, done: Done) -> None:
        """Record first (its own transaction), then report. A resolution is stored with the
        item (its `finding`), so it is durable when the item is: a pass killed after this
        record still has it listed by the next one (`TwoWay` hands it to the run's ledger,
        which clears it). One that an earlier, unfinished pass stored stays until then."""
        old = done.replaces
        if old is not None and (done.record is None or old.source_href != done.record.source_href):
            self.state.forget(self.pair_source, old.source_href)
        if done.record is not None:
            if done.resolved:
                done.record.finding = str(Finding.RESOLVED)
                done.record.finding_reason = done.resolved
            elif old is not None and old.finding == Finding.RESOLVED and not done.record.finding:
                done.record.finding, done.record.finding_reason = old.finding, old.finding_reason
            self.state.record(done.record)
        self.report(done)
        for extra in done.extra:
            self._finish(extra)

    # -- writing -----------------------------------------------------------------------------
    @staticmethod
    def _body_for(to: Side, read: Read) -> bytes:
        """What is written to `to`: the item with the fix-ups `to` needs (suppressed
        invitations where the server e-mails), else the very bytes read."""
        body, _fixed = fixups.apply(read.data, accepts=to.collection.components,
                                    suppress_invitations=to.suppress_invitations)  # fmt: skip
        return body

    def _write(self, to: Side, href: str | None, etag: str | None, read: Read
               ) -> tuple[Version, str]:  # fmt: skip
        """Write `read` to `to`: over `href` if the ETag is still `etag`, else as a new item
        (`If-None-Match: *`). What `to` holds then (the ETag read back when the answer had
        none) and the outcome."""
        body = self._body_for(to, read)
        sent = read.meaning if body is read.data else content_hash(body, meaning=True)
        with to.slots:
            started = time.monotonic()
            if href is None:
                uid = read.info.uid or derive_uid(read.data)
                href = to.storage.href_for(to.collection, uid)
                try:
                    ref = to.storage.create(to.collection, href, body)
                    outcome = str(Outcome.CREATED)
                except PreconditionFailed:  # taken: by this very item (a killed pass)?
                    ref, outcome = self._same_there(to, href, sent), str(Outcome.ADOPTED)
            else:
                ref = to.storage.update(to.collection, href, body, etag)
                outcome = str(Outcome.UPDATED)
            self.answered(time.monotonic() - started)
        to.wrote = True
        if ref.etag is None:  # a server that does not say: read it, or next pass sees an edit
            found = next(iter(to.storage.fetch(to.collection, [ref.href])), None)
            ref = Ref(ref.href, found.etag if found else None)
        at = ref.href if to.name == SOURCE else read.href if read.side.name == SOURCE else ""
        self.wrote(to, Sent(ref.href, ref.etag, body, at or f"(destination) {ref.href}",
                            read.info.uid, read.info.kind))  # fmt: skip
        return (ref.href, ref.etag, sent), outcome

    @staticmethod
    def _same_there(to: Side, href: str, meaning: str) -> Ref:
        """The item at a taken `href` on `to`, if it has the `meaning` we were to write
        (then it is adopted); else the refusal stands: another item is there."""
        found = next(iter(to.storage.fetch(to.collection, [href])), None)
        if (
            found is None
            or found.data is None
            or (content_hash(found.data, meaning=True) != meaning)
        ):
            raise PreconditionFailed(
                f"The {to.name} holds another item at {href}: nothing was written there.",
                status=412,
            )
        return Ref(href, found.etag)

    def carry(self, record: ItemRecord | None, read: Read, to: Side) -> None:
        """`read` changed on its side only (or is new there): write it to `to`, unless its
        meaning is what was last synced (a server's rewrite, a form-only change): then only
        its new ETag is recorded."""
        frm = read.side
        info = read.info
        # a refused version never arrived: sent again whatever its meaning
        forced = record is not None and record.outcome in (*FORCED, Outcome.REFUSED)
        if record is not None and not forced and read.meaning == frm.hash(record):
            stored = (to.href(record) or "", to.etag(record), to.hash(record) or "")
            s, d = self._both(read.version, stored, to)
            kept = self._synced(s, d, info, Outcome.UNCHANGED)
            self._finish(Done(str(Outcome.UNCHANGED), kept, info.uid, info.kind, info.summary,
                              replaces=record))  # fmt: skip
            return
        href = to.href(record)
        if href is not None and href not in to.etags:
            href = None  # deleted there, changed here: the change wins, re-created
        resolved = None
        if record is not None and href is None and to.href(record) is not None:
            resolved = f"deleted on the {to.name} but changed on the {frm.name}: re-created"
            self.state.record(_intent(record, resolved))  # see `_intend`
        try:
            written, outcome = self._write(to, href, to.etag(record) if href else None, read)
        except BaseException as exc:
            if resolved is not None and record is not None:  # not settled: as it was
                self.state.record(record)
            if not (isinstance(exc, DavError) and refusal(exc)):
                raise
            held = (href, to.etag(record), to.hash(record) or "") if href else None
            self._refused(record, read, to, held, str(exc))
            return
        s, d = self._both(read.version, written, to)
        new = self._synced(s, d, info, outcome)
        self._finish(Done(outcome, new, info.uid, info.kind, info.summary, direction(to),
                          direction(to), resolved=resolved, replaces=record))  # fmt: skip

    def _refused(self, record: ItemRecord | None, read: Read, to: Side, kept: Version | None,
                 reason: str) -> None:  # fmt: skip
        """`to` refused `read` for good: recorded as refused by `to`, with the version sent
        and the one `to` kept (`kept`; None: it has none), so the item is listed on each
        pass and sent again only once either side changes (`twoway_plan`)."""
        info = read.info
        if kept is None:  # nothing there: a destination-only item is keyed by its href
            kept = ("", None, "") if to.name == DEST else (DEST_ONLY + read.href, None, "")
        s, d = self._both(read.version, kept, to)
        refused = self._synced(s, d, info, Outcome.REFUSED, error=reason, refused_by=to.name)
        refused.source_hash, refused.dest_hash = s[2] or None, d[2] or None
        refused.dest_href = d[0] or None
        self._finish(Done(str(Outcome.REFUSED), refused, info.uid, info.kind, info.summary,
                          reason, replaces=record))  # fmt: skip

    def _agree(self, src: Read, dst: Read) -> bool:
        """Both versions mean the same, allowing for the fix-ups a write adds (what we wrote
        before a kill, found on the other side with SCHEDULE-AGENT=CLIENT, is no edit)."""
        if src.meaning == dst.meaning:
            return True
        sent = (self._body_for(self.dest, src), self._body_for(self.source, dst))
        return content_hash(sent[0], meaning=True) == dst.meaning or (
            content_hash(sent[1], meaning=True) == src.meaning
        )

    def settle(self, record: ItemRecord | None, src: Read, dst: Read) -> None:
        """Both sides changed (or both hold a new item of one UID): the same meaning is
        just recorded; else the conflict policy decides."""
        info = src.info
        if self._agree(src, dst):
            same = Outcome.UNCHANGED if record is not None else Outcome.ADOPTED
            both = self._synced(src.version, dst.version, info, same)
            self._finish(Done(str(same), both, info.uid, info.kind, info.summary,
                              replaces=record))  # fmt: skip
            return
        if self.policy == "ask":
            reason = "both changed; left as they are (policy ask): davtui job resolve settles it"
            kept = self._synced(src.version, dst.version, info, Outcome.CONFLICT,
                                seen_etag=dst.etag, error=reason)  # fmt: skip
            self._finish(Done(str(Outcome.CONFLICT), kept, info.uid, info.kind, info.summary,
                              reason, replaces=record))  # fmt: skip
            return
        side, why = choose(self.policy, src.data, dst.data)
        win, lose = (src, dst) if side == SOURCE else (dst, src)
        self._intend(record, src, dst, why)
        writing = False  # a refusal of keep-both's copy is no refusal of the item
        try:
            # keep-both: the losing version is copied before it is overwritten, or a kill in
            # between would lose it
            copy = self._copy_of(lose) if self.policy == "keep-both" else None
            writing = True
            written, outcome = self._write(lose.side, lose.href, lose.etag, win)
        except BaseException as exc:  # not settled after all: the stored state as it was
            if record is not None:
                self.state.record(record)
            else:
                self.state.forget(self.pair_source, src.href)
            if writing and isinstance(exc, DavError) and refusal(exc):
                self._refused(record, win, lose.side, lose.version, str(exc))
                return
            raise
        s, d = self._both(win.version, written, lose.side)
        new = self._synced(s, d, win.info, outcome)
        done = Done(outcome, new, info.uid, info.kind, info.summary, why,
                    direction(lose.side), resolved=why, replaces=record)  # fmt: skip
        if copy is not None:
            done.extra.append(copy)
        self._finish(done)

    def _intend(self, record: ItemRecord | None, src: Read, dst: Read, why: str) -> None:
        """Store the resolution with the item before it is written: killed after the write
        and before its record, the next pass finds both sides equal and would just record
        them, the settlement listed nowhere. The stored versions stay as they were (for an
        item new on both sides: no ETags), so a resolution never written is settled again."""
        if record is not None:
            intent = _intent(record, why)
        else:
            intent = ItemRecord(
                source_collection=self.pair_source, source_href=src.href,
                outcome=str(Outcome.UPDATED), uid=src.info.uid, kind=src.info.kind,
                dest_collection=self.dest.collection.href, dest_href=dst.href,
                created_by_job=True, finding=str(Finding.RESOLVED), finding_reason=why,
            )  # fmt: skip
        self.state.record(intent)

    def _copy_of(self, lose: Read) -> Done:
        """keep-both: the losing version under a new UID, created on both sides."""
        body, uid = with_new_uid(lose.data)
        info = scan(body, source=f"{lose.side.name} {lose.href}")
        copy = Read(lose.side, "", None, body, info, content_hash(body, meaning=True))
        s, _ = self._write(self.source, None, None, copy)
        d, _ = self._write(self.dest, None, None, copy)
        record = self._synced(s, d, info, Outcome.CREATED)
        reason = f"the {lose.side.name}'s version, kept as a copy with the new UID {uid}"
        return Done(str(Outcome.CREATED), record, uid, info.kind, info.summary, reason,
                    "both", resolved=reason)  # fmt: skip

    def delete(self, record: ItemRecord, on: Side) -> None:
        """Gone from the other side and unchanged here: delete it here (If-Match)."""
        href = on.href(record)
        assert href is not None  # planned only for items listed on `on`
        with on.slots:
            on.storage.delete(on.collection, href, on.etag(record))
        on.wrote = True
        self._finish(Done(str(Outcome.DELETED), None, record.uid, record.kind, None,
                          f"deleted on the {SOURCE if on.name == DEST else DEST}",
                          direction(on), replaces=record))  # fmt: skip


def _intent(record: ItemRecord, why: str) -> ItemRecord:
    """`record` with a resolution to be written, its stored versions as they were."""
    return replace(record, finding=str(Finding.RESOLVED), finding_reason=why)
