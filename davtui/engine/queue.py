"""The job queue: jobs run in queue order, one at a time; a job is claimed atomically so two
runners (a TUI and a headless runner, or two headless runners) never run the same job."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterable

from peewee import fn

from davtui.engine.events import Finished, Listener, ignore
from davtui.engine.jobs import run_job, runner_id
from davtui.store.models import Job, database, utcnow

RUNNABLE = ("queued", "interrupted")


DRY_RUN = "dry-run"  # the `control` of a job queued for one dry run (the TUI's "Dry" key)


def enqueue(job_id: int, dry_run: bool = False) -> None:
    """Put a job at the end of the queue; with `dry_run`, its next run only plans."""
    with database.atomic():
        last = Job.select(fn.MAX(Job.queue_position)).scalar() or 0
        Job.update(
            status="queued",
            control=DRY_RUN if dry_run else None,
            queue_position=last + 1,
            updated_at=utcnow(),
        ).where(Job.id == job_id).execute()


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


def mark_interrupted() -> list[int]:
    """Jobs left running or paused by a process that died are `interrupted` (they resume)."""
    stale = [
        job.id
        for job in Job.select().where(Job.status.in_(("running", "paused")))
        if not _alive(job.runner) or job.runner == runner_id()
    ]
    if stale:
        with database.atomic():
            Job.update(status="interrupted", runner=None).where(Job.id.in_(stale)).execute()
    return stale


def claim(job_id: int) -> bool:
    """Take a runnable job for this process; False when another runner got it first."""
    with database.atomic():
        taken = (
            Job.update(status="running", runner=runner_id(), updated_at=utcnow())
            .where((Job.id == job_id) & Job.status.in_(RUNNABLE))
            .execute()
        )
    return taken == 1


def next_runnable(only: Iterable[int] | None = None) -> int | None:
    query = Job.select(Job.id).where(Job.status.in_(RUNNABLE))
    if only is not None:
        query = query.where(Job.id.in_(list(only)))
    row = query.order_by(Job.queue_position.asc(nulls="LAST"), Job.id).first()
    return row.id if row else None


def run_queue(
    listener: Listener = ignore,
    shutdown: threading.Event | None = None,
    only: Iterable[int] | None = None,
    on_finished: Callable[[int, Finished], None] | None = None,
) -> list[tuple[int, Finished]]:
    """Run runnable jobs (or just `only`) until none is left or `shutdown` is set;
    `on_finished(job_id, finished)` is called as each job ends (reports, notifications)."""
    mark_interrupted()
    wanted = None if only is None else set(only)
    results = []
    while shutdown is None or not shutdown.is_set():
        job_id = next_runnable(wanted)
        if job_id is None:
            break
        if not claim(job_id):
            continue
        dry = Job.select(Job.control).where(Job.id == job_id).scalar() == DRY_RUN
        finished, _run_id = run_job(job_id, listener, shutdown, dry_run=True if dry else None)
        results.append((job_id, finished))
        if on_finished is not None:
            on_finished(job_id, finished)
        if wanted is not None:
            wanted.discard(job_id)
    return results
