"""Turns engine events into log rows of a run, and passes them on to another listener.

Log rows are buffered and written in small batches (at most every half second), because a
first copy of 50,000 items makes 50,000 lines; item *state* is never buffered (see state.py).
The log's search index follows in its own short transactions after the rows are committed
(every few seconds and at the end of the run), never inside the log writes' transactions.
"""

from __future__ import annotations

import threading
import time
from contextlib import suppress
from typing import Any

from peewee import OperationalError

from davtui.engine.events import (
    CollectionCreated,
    Event,
    Finished,
    ItemDone,
    Listener,
    Message,
    Phase,
    Progress,
    Retry,
    Throttled,
    ignore,
)
from davtui.engine.jobs.lifecycle import words
from davtui.engine.jobs.pace import Pace
from davtui.store.models import LogEntry, Run, database, utcnow
from davtui.store.search import catch_up

#: Seconds between two catch-ups of the log's search index by a running job.
INDEX_SECONDS = 3.0
#: Seconds one catch-up may take: a backlog (old rows of an upgraded database) is left to
#: later calls and to the searches, which read what is not indexed yet directly.
INDEX_BUDGET = 0.1

#: A log row's columns, in the order of `_INSERT`'s parameters.
COLUMNS = ("job", "run", "time", "level", "message", "collection", "href", "uid", "summary")
LEVELS = {
    "failed": "error",
    "refused": "error",
    "conflict": "warning",
    "skipped": "warning",
}
#: A dry run's outcomes as what a real run would do: it writes nothing, so nothing "created".
WOULD = {
    "created": "would create",
    "updated": "would update",
    "deleted": "would delete",
    "skipped": "would skip",
    "used": "would use",
}


def describe(event: Event) -> tuple[str, str] | None:
    """(level, message) for an event worth a log line, else None."""
    match event:
        case ItemDone(outcome=outcome, reason=reason, summary=summary, fixups=fixes):
            said = WOULD.get(outcome, outcome) if event.dry_run else outcome
            text = f"{said}: {summary or event.uid or event.href}"
            if reason:
                text += f" — {reason}"
            if fixes:
                text += f" (fix-ups: {', '.join(fixes)})"
            if event.warnings:
                text += f" — {'; '.join(event.warnings)}"
            level = LEVELS.get(outcome, "warning" if event.warnings else "info")
            return level, text
        case Message(level=level, text=text):
            return level, text
        case CollectionCreated(name=name, href=href, not_kept=not_kept):
            text = f"created collection '{name}' at {href}"
            if not_kept:
                text += f"; the server did not keep: {', '.join(not_kept)}"
            return ("warning" if not_kept else "info"), text
        case Retry(method=method, url=url, attempt=attempt, delay=delay, reason=reason):
            return "warning", f"retry {attempt} of {method} {url} in {delay:.1f} s: {reason}"
        case Throttled(host=host, delay=delay):
            return "warning", f"{host} asked to slow down: waiting {delay:.0f} s"
        case Phase(name=name, collection=collection) if collection is None:
            return "debug", f"phase: {name}"
        case Finished(status=status, error=error, dry_run=dry_run):
            said = words(status)  # the lifecycle's names, spaced: "run completed with errors"
            text = f"dry run {said}, nothing was written" if dry_run else f"run {said}"
            return ("error" if error else "info"), text + (f": {error}" if error else "")
    return None


class Recorder:
    """A listener that stores log rows for (job, run) and forwards every event to `forward`."""

    def __init__(self, job_id: int | None, run_id: int | None, forward: Listener = ignore):
        self.job_id = job_id
        self.run_id = run_id
        self.forward = forward
        self._rows: list[tuple[Any, ...]] = []
        self._lock = threading.Lock()
        self._last_flush = time.monotonic()
        self._last_index = self._last_flush
        self.pace = Pace()

    def __call__(self, event: Event) -> None:
        if isinstance(event, Progress):
            self.pace.progress(event.done, event.total)
        elif isinstance(event, ItemDone) and event.outcome in ("failed", "refused"):
            self.pace.count_failed()
        described = describe(event)
        if described is not None:
            level, message = described
            now = LogEntry.time.db_value(utcnow())
            row: tuple[Any, ...] = (self.job_id, self.run_id, now, level, message)
            if isinstance(event, ItemDone):
                row += (event.collection, event.href, event.uid, event.summary)
            else:
                row += (event.collection if isinstance(event, Message) else None, None, None, None)
            with self._lock:
                self._rows.append(row)
            if isinstance(event, Finished) or time.monotonic() - self._last_flush > 0.5:
                self.flush()
            if isinstance(event, Finished):
                self.index(force=True)
        self.forward(event)

    def flush(self) -> None:
        with self._lock:
            rows, self._rows = self._rows, []
            self._last_flush = time.monotonic()
        if rows:
            with database.atomic():
                database.cursor().executemany(_insert_sql(), rows)
            self.index()
        self.store_progress()

    def index(self, force: bool = False) -> None:
        """Bring the log's search index up to the rows committed (`davtui.store.search`), at
        most every INDEX_SECONDS unless `force`. Never fails the run: whatever is left, the
        next catch-up or the next search takes up."""
        now = time.monotonic()
        if not force and now - self._last_index < INDEX_SECONDS:
            return
        self._last_index = now
        # e.g. another writer held the lock past busy_timeout: the rows wait for the next
        with suppress(OperationalError):
            catch_up(INDEX_BUDGET)

    def store_progress(self, force: bool = False) -> None:
        """The run's counts and recent rate on its row, every few seconds at most: what
        `davtui status`, `job list` and the TUI's overview read of a running job."""
        values = self.pace.due(force)
        if values is None or self.run_id is None:
            return
        with database.atomic():
            Run.update(**values).where(Run.id == self.run_id).execute()


def _insert_sql() -> str:
    """One row's INSERT, the same text for every batch: the driver keeps each distinct
    statement prepared per thread, and a multi-row INSERT for every batch size filled each
    writer thread's cache with large ones (SQLite held 17 MB of a 16,000-item copy's 87 MB)."""
    sql, _ = LogEntry.insert({getattr(LogEntry, name): None for name in COLUMNS}).sql()
    return sql
