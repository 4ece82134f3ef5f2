"""The job queue's claims and leases: a job is claimed atomically, in queue order, so runners
(the TUI, headless runners on any number of machines) never run the same job twice. The
dispatcher (`dispatcher.py`) claims through here and runs what it claimed.

A claim is one conditional UPDATE on SQLite (the database serialises writers); on PostgreSQL
the first takeable job is picked with `SELECT ... FOR UPDATE SKIP LOCKED`, so runners never
wait for each other. A runner holds a lease on the job it runs (`Job.lease_until`), renewed
by a small thread; a job whose lease expired — its runner died, hung or lost the database — is
taken over by any runner and resumes from its item state. Runners' clocks must agree to well
within the lease (NTP).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from peewee import DatabaseError, Expression, ModelSelect, PostgresqlDatabase

from davtui.engine.jobs.lifecycle import DRY_RUN, HELD, RUNNABLE, JobStatus, enqueue, interrupt
from davtui.engine.jobs.run import runner_id
from davtui.store.changes import bump
from davtui.store.models import Job, Run, database, utcnow

__all__ = ["DRY_RUN", "HELD", "RUNNABLE", "enqueue"]  # the lifecycle's, where callers look
DEFAULT_LEASE = 60.0


def lease_seconds() -> float:
    """How long a claim lasts without renewal: `DAVTUI_LEASE_SECONDS`, else 60 s."""
    return float(os.environ.get("DAVTUI_LEASE_SECONDS") or DEFAULT_LEASE)


def _alive(runner: str | None) -> bool:
    """Whether the runner that claimed a job is still alive (same host: by pid)."""
    if not runner or ":" not in runner:
        return False
    host, _, pid = runner.rpartition(":")
    if host != socket.gethostname():
        return True  # another machine: leases decide (multi-runner setups)
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError):
        return False
    except PermissionError:
        return True
    return True


def _close_runs(job_id: int, runner: str | None, at: datetime | None) -> None:
    """End the open run rows a dead runner left: `interrupted`, at the latest moment it could
    still have acted (its lease's end, or now)."""
    Run.update(status="interrupted", finished_at=at or utcnow()).where(
        (Run.job == job_id) & Run.finished_at.is_null() & (Run.runner == runner)
    ).execute()


def mark_interrupted() -> list[int]:
    """Jobs left running or paused by a process of this host that died are `interrupted`."""
    stale = [
        job
        for job in Job.select(Job.id, Job.runner).where(Job.status.in_(HELD))
        if not _alive(job.runner) or job.runner == runner_id()
    ]
    for job in stale:
        with database.atomic():
            interrupt(job.id, job.runner)
            _close_runs(job.id, job.runner, None)
    return [job.id for job in stale]


def _takeable() -> Expression:
    """Queued or interrupted, or held under a lease that expired."""
    expired = Job.status.in_(HELD) & (Job.lease_until < utcnow())
    return Job.status.in_(RUNNABLE) | expired


def _free() -> Expression:
    """Held by no live runner: in any state but running or paused, or under a lease that
    expired. What a run asked for by name (`davtui migrate`) may take."""
    return Job.status.not_in(HELD) | (Job.lease_until < utcnow())


def _candidates(only: Iterable[int] | None, explicit: bool = False) -> ModelSelect[Job]:
    query = Job.select(Job.id, Job.status, Job.runner, Job.lease_until)
    query = query.where(_free() if explicit else _takeable())
    if only is not None:
        query = query.where(Job.id.in_(list(only)))
    return query.order_by(Job.queue_position.asc(nulls="LAST"), Job.id)


def _take(job: Job, explicit: bool = False) -> bool:
    """Make `job` (as read while takeable, or free when `explicit`) this runner's, unless
    another runner was faster; the run a dead runner left open is closed."""
    unchanged = Job.runner.is_null() if job.runner is None else Job.runner == job.runner
    wanted = _free() if explicit else _takeable()
    with database.atomic():
        taken: int = (
            Job.update(
                status=JobStatus.RUNNING,  # the claim: the one status write outside lifecycle
                runner=runner_id(),
                lease_until=utcnow() + timedelta(seconds=lease_seconds()),
                updated_at=utcnow(),
            )
            .where((Job.id == job.id) & wanted & unchanged)
            .execute()
        )
        if taken:
            bump()
    if taken and job.status in HELD:
        _close_runs(job.id, job.runner, job.lease_until)
    return taken == 1


def claim(job_id: int, explicit: bool = False) -> bool:
    """Take a takeable job for this process; False when another runner got it first.

    Every runner claims through here before it runs a job (the queue of the TUI and of
    `--headless`, and `davtui migrate`), so one job never runs twice at once. `explicit`: a
    run asked for by name takes the job in any state no live runner holds (completed,
    failed ...), where the queue takes only queued and interrupted jobs."""
    job = _candidates([job_id], explicit).first()
    if job is None:
        return False
    with database.atomic():
        return _take(job, explicit)


def is_held(job_id: int) -> bool:
    """Whether a runner holds the job under a lease that has not expired."""
    live = Job.lease_until.is_null() | (Job.lease_until >= utcnow())
    return Job.select().where((Job.id == job_id) & Job.status.in_(HELD) & live).exists()


def already_running(job_id: int, name: str) -> str:
    """The sentence for a second runner of a job that another runner holds."""
    runner = Job.select(Job.runner).where(Job.id == job_id).scalar() or ""
    host, _, pid = runner.rpartition(":")
    where = f"pid {pid} on host {host}" if host and pid else "in another process"
    return f"job '{name}' is already running ({where})."


def claim_next(only: Iterable[int] | None = None) -> int | None:
    """Claim the first takeable job in queue order (of `only`); None when there is none."""
    if isinstance(database.obj, PostgresqlDatabase):
        with database.atomic():
            job = _candidates(only).for_update(skip_locked=True).first()
            return job.id if job is not None and _take(job) else None
    while (job_id := next_runnable(only)) is not None:
        if claim(job_id):
            return job_id
    return None


def next_runnable(only: Iterable[int] | None = None) -> int | None:
    row = _candidates(only).first()
    return row.id if row else None


def lapsing(only: Iterable[int] | None = None) -> bool:
    """Whether a job is held under a lease that missed its renewals, or by a runner of this
    host that died: worth waiting for, to take it over when the lease ends. A runner killed
    just after renewing leaves a lease that looks fresh for a while, so the pid decides."""
    soon = utcnow() + timedelta(seconds=lease_seconds() / 3)
    query = Job.select(Job.id, Job.runner, Job.lease_until).where(Job.status.in_(HELD))
    if only is not None:
        query = query.where(Job.id.in_(list(only)))
    return any(
        job.lease_until is not None and (job.lease_until < soon or not _alive(job.runner))
        for job in query
    )


class Lease:
    """Keeps this runner's claim on a job alive while it runs (a thread renews `lease_until`
    every third of the lease), and sets `stop` — the run then ends at the next item boundary
    — when this process shuts down or the lease was lost (taken over after a stall)."""

    def __init__(self, job_id: int, shutdown: threading.Event | None) -> None:
        self.job_id = job_id
        self.stop = threading.Event()
        self._shutdown = shutdown
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._keep, name=f"lease-{job_id}", daemon=True)

    def __enter__(self) -> Lease:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _renew(self) -> bool:
        """Extend the lease; False when the job is no longer this runner's."""
        until = utcnow() + timedelta(seconds=lease_seconds())
        return bool(
            Job.update(lease_until=until)
            .where((Job.id == self.job_id) & (Job.runner == runner_id()))
            .execute()
        )

    def _keep(self) -> None:
        period = lease_seconds() / 3
        held_until = time.monotonic() + lease_seconds()
        renew_at = time.monotonic() + period
        try:
            while not self._done.wait(0.2):
                if self._shutdown is not None and self._shutdown.is_set():
                    self.stop.set()
                if time.monotonic() < renew_at:
                    continue
                renew_at = time.monotonic() + period
                try:
                    if not self._renew():
                        self.stop.set()
                        continue
                    held_until = time.monotonic() + lease_seconds()
                except DatabaseError:
                    database.close()  # reconnect on the next try
                if time.monotonic() > held_until:
                    self.stop.set()  # unrenewable past its end: another runner may take over
        finally:
            database.close()  # this thread's connection
