"""Typed events: how the engine tells the TUI, the headless runner and the store what happens.

The engine calls one callback with these; it never knows who listens. `Progress` is emitted
often and may be coalesced by a listener; every other event matters individually.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from davtui.engine.run_stats import RunStats


@dataclass(frozen=True, slots=True)
class Phase:
    """The run entered a phase: discover, list, plan, act, verify, done."""

    name: str
    collection: str | None = None


@dataclass(frozen=True, slots=True)
class Progress:
    done: int
    total: int
    rate: float = 0.0  # items per second
    eta: float | None = None  # seconds


@dataclass(frozen=True, slots=True)
class ItemDone:
    """What happened to one item: outcome is created, updated, unchanged, skipped, conflict,
    deleted or failed; `reason` explains skips, conflicts and failures."""

    collection: str
    href: str
    uid: str | None
    summary: str | None
    kind: str | None
    outcome: str
    reason: str | None = None
    fixups: tuple[str, ...] = ()
    #: what each fix-up changed ("windows-tzid: DTSTART TZID W. Europe ... -> Europe/Berlin")
    details: tuple[str, ...] = ()
    #: what davtui found odd in an item it sent as it was ("stored as the source had it: ...")
    warnings: tuple[str, ...] = ()
    #: where an item refused before any PUT is kept, byte for byte (see `leftovers`)
    kept: str | None = None
    dry_run: bool = False  # the outcome is what a real run would do: nothing was written


@dataclass(frozen=True, slots=True)
class CollectionCreated:
    href: str
    name: str
    not_kept: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Retry:
    """A request is retried after `delay` seconds."""

    method: str
    url: str
    attempt: int
    delay: float
    reason: str


@dataclass(frozen=True, slots=True)
class Throttled:
    """The server asked us to wait `delay` seconds (429/503 with Retry-After)."""

    host: str
    delay: float


@dataclass(frozen=True, slots=True)
class Message:
    """A free log line (level: debug, info, warning, error)."""

    level: str
    text: str
    collection: str | None = None


@dataclass(frozen=True, slots=True)
class Finished:
    """The run ended: status (completed, completed_with_errors, failed, cancelled, paused),
    statistics, verification and the per-item errors, as the JSON report shows them."""

    status: str
    stats: RunStats | None = None  # None: the run failed before anything was counted
    verification: dict[str, Any] | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    #: items stored with a warning (each: collection, href, uid, summary, reason)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    leftovers: str | None = None  # the folder of the items kept because they were refused
    exit_code: int = 0
    dry_run: bool = False
    plan: dict[str, Any] | None = None
    #: one entry per item not copied as sent and verified equal (see `sync.ledger`)
    ledger: list[dict[str, Any]] = field(default_factory=list)


Event = Phase | Progress | ItemDone | CollectionCreated | Retry | Throttled | Message | Finished
Listener = Callable[[Event], None]


def ignore(_event: Event) -> None:
    """A listener that drops everything."""
