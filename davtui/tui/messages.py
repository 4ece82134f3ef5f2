"""Messages the engine's events become inside the TUI.

The App's queue worker turns engine events into these and posts them to the App from its
thread (`post_message` is thread-safe); the App republishes them on `DavtuiApp.job_events`
so every screen that cares (Jobs, Logs, the header indicator) reacts, visible or not.
Progress coalesces: only the latest count of a job matters, so 10,000 items never mean
10,000 repaints. Log lines never coalesce: each one is shown (in batches of ~100 ms).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from textual.message import Message


class JobProgress(Message):
    """How far a running job is; replaces an older, still queued progress of the same job."""

    def __init__(
        self,
        job_id: int,
        done: int,
        total: int,
        rate: float = 0.0,
        eta: float | None = None,
        phase: str | None = None,
    ) -> None:
        super().__init__()
        self.job_id = job_id
        self.done = done
        self.total = total
        self.rate = rate
        self.eta = eta
        self.phase = phase
        """The engine's phase (list, plan, act, verify, ...), when known."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, JobProgress) and message.job_id == self.job_id


@dataclass(frozen=True, slots=True)
class LogLine:
    """One log line as the Logs screen shows it, live or read back from `LogEntry`."""

    time: str
    level: str
    message: str
    collection: str | None = None
    uid: str | None = None
    summary: str | None = None


class JobLog(Message):
    """Log lines of a running job, batched by the worker (~100 ms); never coalesced."""

    def __init__(self, job_id: int, run_id: int | None, lines: Sequence[LogLine]) -> None:
        super().__init__()
        self.job_id = job_id
        self.run_id = run_id
        self.lines = tuple(lines)


class JobStateChanged(Message):
    """A job's status changed (queued, running, paused, completed, ...): reread its row."""

    def __init__(self, job_id: int, status: str, run_id: int | None = None) -> None:
        super().__init__()
        self.job_id = job_id
        self.status = status
        self.run_id = run_id


class JobsChanged(Message):
    """Jobs were added, edited or removed from a screen: other screens refresh their lists."""


class DiscoveryDone(Message):
    """A connection test ended: `discovery` is the engine's result, or `error` one sentence."""

    def __init__(self, account_id: int, discovery: Any = None, error: str | None = None) -> None:
        super().__init__()
        self.account_id = account_id
        self.discovery = discovery
        self.error = error


class CollectionsFound(Message):
    """An account's collections were discovered for the job form's picker (`role` is "source"
    or "destination"): `collections` the engine's `Collection`s, or `error` one sentence."""

    def __init__(
        self, account_id: int, role: str, collections: Sequence[Any] = (), error: str | None = None
    ) -> None:
        super().__init__()
        self.account_id = account_id
        self.role = role
        self.collections = tuple(collections)
        self.error = error
