"""A job's lifecycle: its states, their groups, and every transition between them.

This module is the only code that writes a job's status (besides the queue's atomic claim in
`queue.py`, which is the `queued -> running` step under a lease), so the TUI, the CLI and
headless runners cannot disagree on what a key or a command does. A transition that does not
apply to the job's state raises `Refused` with one sentence, which both front ends show as is.

The rules are README's table "Jobs and their states" (`APPLIES` below says which state each
transition applies in). Stop is the one with three outcomes: a queued job never started, so it
simply leaves the queue (pending); an interrupted one will not resume by itself (cancelled); a
running or paused one is asked through its row, and the run ends cancelled.
"""

from __future__ import annotations

from enum import StrEnum

from peewee import fn

from davtui.store.changes import bump
from davtui.store.db import serialized
from davtui.store.models import Account, Job, database, utcnow


class JobStatus(StrEnum):
    """What the TUI, the CLI, JSON and logs call a job's state (a str: rows store the value)."""

    PENDING = "pending"
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    COMPLETED_WITH_ERRORS = "completed_with_errors"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"


S = JobStatus
#: A runner has the job (takeable by another only once its lease expired).
HELD = (S.RUNNING, S.PAUSED)
#: What the queue takes by itself: waiting its turn, or left by a process that died.
RUNNABLE = (S.QUEUED, S.INTERRUPTED)
#: On its way or under way: not editable, not removable.
ACTIVE = (S.QUEUED, *HELD)
#: How a run can end (the job's status after it).
FINISHED = (S.COMPLETED, S.COMPLETED_WITH_ERRORS, S.FAILED, S.CANCELLED)
#: Never run, or left half-way: what the TUI's "queue all" queues.
WAITING = (S.PENDING, S.INTERRUPTED)
#: Nothing is happening to the job: it can be edited, started or removed.
IDLE = (S.PENDING, *FINISHED, S.INTERRUPTED)

DRY_RUN = "dry-run"  # the `control` of a job queued for one dry run (the TUI's "Dry" key)

#: What a duplicate takes over from its original: the settings, not the history.
SETTINGS = (
    "source",
    "destination",
    "what",
    "mode",
    "conflict",
    "dry_run",
    "suppress_invitations",
    "default_collections",
    "collections",
    "hook",
    "rename",
)

#: transition -> the states it applies in (the TUI shows a key only where it applies).
APPLIES: dict[str, tuple[JobStatus, ...]] = {
    "start": IDLE,
    "pause": (S.RUNNING,),
    "resume": (S.PAUSED,),
    "stop": (*ACTIVE, S.INTERRUPTED),
    "remove": IDLE,
}


class Refused(Exception):
    """A transition that does not apply to the job's state; `str()` is the one sentence."""


def allowed(action: str, status: str) -> bool:
    """Whether `action` (a key of APPLIES) applies to a job in `status`."""
    return status in APPLIES[action]


def words(status: str) -> str:
    """A state as people read it (the TUI, log lines, messages): the same names, spaced."""
    return status.replace("_", " ")


def _require(job: Job, action: str) -> None:
    if allowed(action, job.status):
        return
    name, status = job.name, words(job.status)
    if action == "start":
        raise Refused(f"Job '{name}' is {status} already.")
    if action == "remove":
        raise Refused(f"Job '{name}' is {status}: stop it first.")
    if action == "resume":
        raise Refused(f"Job '{name}' is not paused (it is {status}).")
    raise Refused(f"Job '{name}' is not running (it is {status}).")


def start(job: Job, dry_run: bool = False) -> str:
    """Queue the job at the end of the queue; with `dry_run`, its next run only plans."""
    _require(job, "start")
    enqueue(job.id, dry_run)
    return f"Queued job '{job.name}'{' for a dry run' if dry_run else ''}."


def enqueue(job_id: int, dry_run: bool = False) -> None:
    """Put a job at the end of the queue, whatever its state (`start` checks the state).
    The last position is read under the write lock: read first in a deferred transaction,
    the write would fail at once when another process committed in between."""
    with serialized():
        last = Job.select(fn.MAX(Job.queue_position)).scalar() or 0
        Job.update(
            status=S.QUEUED,
            control=DRY_RUN if dry_run else None,
            queue_position=last + 1,
            updated_at=utcnow(),
        ).where(Job.id == job_id).execute()
        bump()


def enqueue_many(job_ids: list[int]) -> None:
    """Put many jobs at the end of the queue, in id order, in one statement (a batch import
    of a thousand rows queues a thousand jobs inside its own transaction)."""
    if not job_ids:
        return
    with serialized():
        last = Job.select(fn.MAX(Job.queue_position)).scalar() or 0
        offset = last + 1 - min(job_ids)  # positions after the last, in the jobs' id order
        for start in range(0, len(job_ids), 500):
            Job.update(
                status=S.QUEUED,
                control=None,
                queue_position=Job.id + offset,
                updated_at=utcnow(),
            ).where(Job.id.in_(job_ids[start : start + 500])).execute()
        bump()


def _request(job: Job, request: str) -> None:
    """A control request on the job row: whichever process runs the job acts on it."""
    with database.atomic():
        Job.update(control=request, updated_at=utcnow()).where(Job.id == job.id).execute()
        bump()


def pause(job: Job) -> str:
    _require(job, "pause")
    _request(job, "pause")
    return f"Asked job '{job.name}' to pause."


def resume(job: Job) -> str:
    _require(job, "resume")
    _request(job, "resume")
    return f"Asked job '{job.name}' to resume."


def stop(job: Job) -> str:
    """Queued: off the queue (pending); interrupted: cancelled; held: ask the runner to stop
    (the run ends cancelled). A job that changed meanwhile is refused, not overwritten."""
    _require(job, "stop")
    if job.status in HELD:
        _request(job, "stop")
        return f"Asked job '{job.name}' to stop."
    after = S.PENDING if job.status == S.QUEUED else S.CANCELLED
    with database.atomic():
        changed = (
            Job.update(status=after, control=None, queue_position=None, updated_at=utcnow())
            .where((Job.id == job.id) & (Job.status == job.status))
            .execute()
        )
        bump()
    if not changed:
        raise Refused(f"Job '{job.name}' changed meanwhile: look again.")
    if after == S.PENDING:
        return f"Took job '{job.name}' off the queue."
    return f"Stopped job '{job.name}': it will not resume by itself."


def remove(job: Job) -> str:
    """Delete the job with its runs and logs, unless a runner may have it meanwhile.

    The state is read again under the write lock (IMMEDIATE on SQLite): a deferred
    transaction would read as a reader, and when another process commits before the delete,
    SQLite cannot upgrade that stale read to the write lock and fails at once with "database
    is locked" (no busy handler is called for the upgrade)."""
    _require(job, "remove")
    with serialized():
        fresh = Job.get_or_none(Job.id == job.id)
        if fresh is not None and not allowed("remove", fresh.status):
            _require(fresh, "remove")
        if fresh is not None:
            fresh.delete_instance()
            bump()
    return f"Removed job '{job.name}'."


def duplicate(job: Job, fields: tuple[str, ...] = SETTINGS) -> Job:
    """A new pending job with the settings of `job`, named '<name> copy' (or copy 2, 3 ...):
    its history (runs, item state, status) is its own."""
    name, number = f"{job.name} copy", 2
    while Job.select().where(Job.name == name).exists():
        name, number = f"{job.name} copy {number}", number + 1
    values = {field: getattr(job, field) for field in fields}
    with database.atomic():
        bump()
        return Job.create(name=name, status=S.PENDING, **values)


def interrupt(job_id: int, runner: str | None) -> bool:
    """Recover a job its runner left when it died: interrupted, free for any runner."""
    with database.atomic():
        bump()
        return bool(
            Job.update(status=S.INTERRUPTED, runner=None, lease_until=None)
            .where((Job.id == job_id) & (Job.runner == runner))
            .execute()
        )


def begin(job_id: int, runner: str) -> None:
    """The run starts: running, its control request consumed (a dry run's marker too)."""
    with database.atomic():
        Job.update(status=S.RUNNING, control=None, runner=runner, updated_at=utcnow()).where(
            Job.id == job_id
        ).execute()
        bump()


def hold(job_id: int, paused: bool) -> None:
    """The runner's gate paused or went on: paused <-> running."""
    status = S.PAUSED if paused else S.RUNNING
    with database.atomic():
        Job.update(status=status, updated_at=utcnow()).where(Job.id == job_id).execute()
        bump()


def finish(job_id: int, status: str, runner: str) -> None:
    """Leave the job with its final status, unless another runner took it over meanwhile
    (this one stalled past its lease): the job is then that runner's."""
    with database.atomic():
        Job.update(
            status=status,
            control=None,
            runner=None,
            lease_until=None,
            updated_at=utcnow(),
        ).where((Job.id == job_id) & (Job.runner == runner)).execute()
        bump()


def account_users(account: Account) -> list[str]:
    """The names of the jobs that use `account` (either side)."""
    users = Job.select(Job.name).where((Job.source == account) | (Job.destination == account))
    return [job.name for job in users.order_by(Job.id)]


def check_account_removable(account: Account) -> None:
    """An account still used by a job cannot go: the job would lose a side."""
    if names := account_users(account):
        raise Refused(
            f"Account '{account.name}' is used by job(s) {', '.join(names)}:"
            " remove those jobs first."
        )


def remove_account(account: Account) -> str:
    """Delete an account no job uses, checked again in the same transaction: a job added
    meanwhile (another process, while the TUI asked "Delete?") is refused with the sentence
    of `check_account_removable`, never a foreign-key error. Checked under the write lock,
    as `remove` is, for the same reason."""
    with serialized():
        check_account_removable(account)
        account.delete_instance()
    return f"Removed account '{account.name}'."
