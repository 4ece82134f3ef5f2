"""Read-back verification of a two-way pass: what the pass wrote on either side is read back
and compared with what was sent, by meaning, as the copy's verification does (`verify`).

Only the items this pass wrote are read, a multiget batch at a time while the writes go on,
and a batch's sent bodies are dropped once it is checked: a first pass of 100,000 items holds
a few batches, not the collection. A copy the server holds in another form of the same
meaning is `converted` (listed, no alarm); one whose meaning changed is `different` (the
ledger's `changed-by-server`, exit 6), unless its ETag moved since the write (someone edited
it meanwhile: the next pass carries that edit, nothing the server did); one not found is
`missing`.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from davtui.engine.errors import DavError, ItemError
from davtui.engine.items.compare import content_hash, converted, first_difference, rewritten_only
from davtui.engine.storages.contract import Fetched
from davtui.engine.sync.twoway_sides import Side
from davtui.engine.sync.verify import BATCH, READERS, Verification

#: Batches read back at once, at most: more wait for one of them (their bodies are held).
IN_FLIGHT = 2 * READERS


@dataclass(frozen=True, slots=True)
class Sent:
    """One item as this pass wrote it on one side."""

    href: str  # where, on the side written
    etag: str | None  # the ETag the write left there (None: the server did not say)
    body: bytes  # what was sent
    at: str  # how the report names the item: its source href, or "(destination) href"
    uid: str | None
    kind: str | None


class ReadBack:
    """Reads back what one pair's writes left on each side and adds what it finds to a
    `Verification` (thread-safe: the writers call `wrote`)."""

    def __init__(self, name: str, result: Verification) -> None:
        self.name = name  # the pair's source collection, as the report names it
        self.result = result
        self._lock = threading.Lock()
        self._pending: dict[str, tuple[Side, list[Sent]]] = {}
        self._futures: list[Future[None]] = []
        self._pool = ThreadPoolExecutor(READERS, thread_name_prefix="davtui-verify")

    def __enter__(self) -> ReadBack:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:  # fmt: skip
        """Check what is left once the writes are done; a pass that stops on an error or a
        stop request checks nothing more (its report says why it ended)."""
        try:
            if kind is None:
                with self._lock:
                    left = [(side, sent) for side, sent in self._pending.values() if sent]
                    self._pending.clear()
                for side, batch in left:
                    self._submit(side, batch)
                for future in list(self._futures):
                    future.result()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def wrote(self, side: Side, sent: Sent) -> None:
        """One item written on `side`: read back with the next full batch of that side."""
        with self._lock:
            _, pending = self._pending.setdefault(side.name, (side, []))
            pending.append(sent)
            if len(pending) < BATCH:
                return
            self._pending[side.name] = (side, [])
        self._submit(side, pending)

    def _submit(self, side: Side, batch: list[Sent]) -> None:
        """Read a batch back on the pool; with IN_FLIGHT batches out, wait for the oldest."""
        with self._lock:
            self._futures = [f for f in self._futures if not f.done()]
            oldest = self._futures[0] if len(self._futures) >= IN_FLIGHT else None
        if oldest is not None:
            oldest.result()
        future = self._pool.submit(self._check, side, batch)
        with self._lock:
            self._futures.append(future)

    def _check(self, side: Side, batch: list[Sent]) -> None:
        """Read a batch back (one multiget) and compare each item with what was sent."""
        sent = {item.href: item for item in batch}
        try:
            found = {f.href: f for f in side.storage.fetch(side.collection, list(sent))}
        except (DavError, ItemError, OSError) as exc:  # unread is not verified: missing
            found = {}
            reason = f"could not be read back from the {side.name}: {exc}"
        else:
            reason = f"not found on the {side.name} after this pass wrote it"
        for href, item in sent.items():
            fetched = found.get(href)
            with self._lock:
                self.result.checked += 1
                self.result.fetched += fetched is not None and fetched.data is not None
                if fetched is None or fetched.data is None:
                    self.result.missing.append({**self._entry(item), "reason": reason})
                else:
                    self._compare(side, item, fetched)

    def _compare(self, side: Side, item: Sent, fetched: Fetched) -> None:
        """Sort one read-back item into the result (called under the lock)."""
        stored = fetched.data or b""
        if content_hash(stored, meaning=True) == content_hash(item.body, meaning=True):
            if content_hash(stored) != content_hash(item.body):
                forms = converted(item.body, stored)
                reason = f"the {side.name} stored an equivalent form: {', '.join(forms)}"
                self.result.converted += 1
                self.result.conversions.append(
                    {**self._entry(item), "reason": reason, "details": forms}
                )
            return
        if item.etag is not None and fetched.etag is not None and fetched.etag != item.etag:
            return  # edited since the write: the next pass carries it over
        if rewritten := rewritten_only(item.body, stored):
            reason = f"the {side.name} rewrote what was not valid: {', '.join(rewritten)}"
            self.result.rewritten.append(
                {**self._entry(item), "reason": reason, "details": rewritten}
            )
            return
        difference = first_difference(item.body, stored) or "the components are nested differently"
        self.result.different.append({**self._entry(item), "reason": f"{side.name}: {difference}"})

    def _entry(self, item: Sent) -> dict[str, Any]:
        return {"collection": self.name, "href": item.at, "uid": item.uid, "kind": item.kind}
