"""The one dispatcher: it claims takeable jobs in queue order and runs up to `workers` of them
at once, each in a thread of its own, and does the after-run work (the JSON report, the user's
hook) the same way whoever asked — the TUI, `davtui --headless`, `--every`, `davtui serve`.

Use:
```
dispatcher = Dispatcher(workers=2, listener_for=..., on_finished=...)
dispatcher.run()        # blocks: until the queue is drained (or, `forever`, until stop())
dispatcher.start()      # or the same in a thread of its own (serve); `stopped` says when done
dispatcher.nudge()      # from any thread: something was queued, or `workers` changed
dispatcher.stop()       # from any thread or a signal handler: end at the next item boundary
```
- `workers` may be changed at any time; the next job started obeys it, a running job is never
  interrupted by it.
- `listener_for(job_id)` gives each job's event listener (its own label, its own TUI bridge).
  A listener that is a context manager is entered for the job's run and left after the
  after-run work, so it can flush what it holds back.
- `on_finished(Ended)` is the front end's part of the after-run work (a summary line, the exit
  code, a JSON list): it is called after the report was written and before the hook runs (a
  hook may take up to a minute; the user sees the summary first).
- `forever=False` drains: it returns once nothing is takeable and nothing runs (a job held under
  a lease that stopped being renewed is waited for and taken over first). `every` repeats a
  drain after that many seconds, queueing again the jobs the last pass ran (not those a user
  stopped). `forever=True` runs until `stop()`, waking on `nudge()` or every `idle_wait` s.
- `only` limits the dispatcher to these job ids, each taken at most once per pass.
- One `run` (or `start`) per Dispatcher: after `stop()` make a new one.
- `recover` marks this host's jobs whose process died `interrupted` before each pass (a
  dispatcher that shares its process with other runners of the queue passes False).

A job is always claimed (`queue.claim_next`, with a lease kept by `queue.Lease`) before it
runs, in the dispatcher's own thread, so two slots never go for one job and two runners never
run one job. A bug in a slot stops the dispatcher: no job is started after it, and it is
raised from `run()` once the other running jobs ended.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from davtui.engine.events import Finished, Listener, ignore
from davtui.engine.jobs.lifecycle import DRY_RUN, JobStatus, enqueue
from davtui.engine.jobs.queue import Lease, claim_next, lapsing, lease_seconds, mark_interrupted
from davtui.engine.jobs.run import run_job
from davtui.store.models import Job, Run, database


@dataclass(frozen=True)
class Ended:
    """One job's run as it ended: what front ends show and collect."""

    job_id: int
    name: str
    finished: Finished
    duration: float
    """Seconds, from the run row (jobs run side by side, so no wall clock of the caller)."""
    report: dict[str, Any] = field(default_factory=dict)
    """The run's JSON report, as the hook receives it and `--json` prints it."""


def run_seconds(job_id: int) -> float:
    """How long the job's last run took, from its run row."""
    run = Run.select().where(Run.job == job_id).order_by(Run.id.desc()).first()
    if run is None or run.finished_at is None:
        return 0.0
    return float((run.finished_at - run.started_at).total_seconds())


def after_run(job_id: int, finished: Finished) -> Ended:
    """The run's report, written once for every front end (the hook runs separately)."""
    from davtui.engine.report import report

    job = Job.get_or_none(Job.id == job_id)
    name = job.name if job is not None else f"#{job_id}"
    duration = run_seconds(job_id)
    return Ended(job_id, name, finished, duration, report(finished, duration, name))


def run_hook(ended: Ended) -> None:
    """Give the report to the job's (or the global) hook command; a failing hook is logged on
    the job and never fails the run."""
    from davtui.engine.jobs.hooks import notify

    job = Job.get_or_none(Job.id == ended.job_id)
    if job is not None:
        notify(job, ended.report)


class Dispatcher:
    """Claims and runs jobs, up to `workers` at once; see the module docstring."""

    def __init__(
        self,
        workers: int = 1,
        *,
        only: Iterable[int] | None = None,
        listener_for: Callable[[int], Listener] | None = None,
        on_finished: Callable[[Ended], None] | None = None,
        forever: bool = False,
        every: float | None = None,
        idle_wait: float = 3.0,
        recover: bool = True,
        shutdown: threading.Event | None = None,
    ) -> None:
        self.workers = workers
        """How many jobs may run at once; the next job started obeys a change."""
        self.shutdown = shutdown or threading.Event()
        """Set to stop: running jobs end at the next item boundary, left `interrupted`."""
        self.stopped = threading.Event()
        """Set once `run` has returned (or was never started)."""
        self.stopped.set()
        self.current: frozenset[int] = frozenset()
        """The jobs this dispatcher is running now."""
        self._ended: list[Ended] = []  # this pass's (not kept by a dispatcher that runs forever)
        self._only = None if only is None else frozenset(only)
        self._listener_for = listener_for or (lambda _job_id: ignore)
        self._on_finished = on_finished
        self._forever = forever
        self._every = every
        self._idle_wait = idle_wait
        self._recover = recover
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._error: Exception | None = None
        self.error: Exception | None = None
        """What stopped a dispatcher run by `start()`, if a bug did (`run()` raises it)."""

    def nudge(self) -> None:
        """Something was queued, or `workers` changed: look now, not after the idle wait."""
        self._wake.set()

    def stop(self) -> None:
        """Start no more jobs; the running ones end at the next item boundary."""
        self.shutdown.set()
        self._wake.set()

    def start(self) -> threading.Thread:
        """`run` in a thread of its own, for a caller with its own loop (serve): `stopped` is
        set when it ended, `error` holds the bug that ended it, if any."""
        self.stopped.clear()  # at once: a caller may wait on it right after start()
        thread = threading.Thread(target=self._run_in_thread, name="dispatcher")
        thread.start()
        return thread

    def _run_in_thread(self) -> None:
        try:
            self.run()
        except Exception as exc:  # kept for the caller: a thread has no one to raise to
            self.error = exc
        finally:
            database.close()  # this thread's connection

    def run(self) -> list[Ended]:
        """Dispatch until done (see the module docstring); the runs that ended, in order
        (none kept when `forever`: `on_finished` sees each)."""
        self.stopped.clear()
        all_ended: list[Ended] = []
        try:
            while True:
                ran = self._pass()
                all_ended.extend(ran)
                if self._every is None or self._forever or self._stopping():
                    break
                if self.shutdown.wait(self._every):
                    break
                for ended in ran:
                    if ended.finished.status != JobStatus.CANCELLED:
                        enqueue(ended.job_id)
        finally:
            self.stopped.set()
        return all_ended

    def _stopping(self) -> bool:
        return self.shutdown.is_set() or self._error is not None

    def _pass(self) -> list[Ended]:
        """One drain of the queue (or, `forever`, everything until stop); the runs it ended."""
        if self._recover:
            mark_interrupted()
        self._ended = []
        wanted = None if self._only is None else set(self._only)
        slots: list[threading.Thread] = []
        try:
            while not self._stopping():
                self._wake.clear()
                slots = [slot for slot in slots if slot.is_alive()]
                job_id = self._claim(wanted) if len(slots) < self.workers else None
                if job_id is not None:
                    slots.append(self._start(job_id))
                    continue
                if not self._forever and not slots and not lapsing(wanted):
                    break
                self._wake.wait(self._pause(slots))
        finally:
            for slot in slots:
                slot.join()
        if self._error is not None:
            raise self._error
        ran, self._ended = self._ended, []
        return ran

    def _pause(self, slots: list[threading.Thread]) -> float:
        """How long to sleep when nothing could start: until woken, a lapsing lease is looked
        at again soon, anything else after the idle wait."""
        if not slots and not self._forever:
            return min(1.0, lease_seconds() / 6)  # a lease is lapsing: take it over when it ends
        return self._idle_wait

    def _claim(self, wanted: set[int] | None) -> int | None:
        if wanted is not None and not wanted:
            return None
        job_id = claim_next(wanted)
        if job_id is not None and wanted is not None:
            wanted.discard(job_id)
        return job_id

    def _start(self, job_id: int) -> threading.Thread:
        self._set_current(job_id, running=True)
        slot = threading.Thread(target=self._slot, args=(job_id,), name=f"job-{job_id}")
        slot.start()
        return slot

    def _slot(self, job_id: int) -> None:
        """A slot thread's body: run the claimed job, then the after-run work."""
        try:
            dry = Job.select(Job.control).where(Job.id == job_id).scalar() == DRY_RUN
            listener = self._listener_for(job_id)
            with contextlib.ExitStack() as stack:
                if isinstance(listener, contextlib.AbstractContextManager):
                    listener = stack.enter_context(listener)
                with Lease(job_id, self.shutdown) as lease:
                    finished, _run = run_job(
                        job_id, listener, lease.stop, dry_run=True if dry else None
                    )
                self._finish(job_id, finished)
                self._set_current(job_id, running=False)  # before the listener's last word
        except Exception as exc:  # a bug: the dispatcher stops and raises it from run()
            self._error = exc
        finally:
            self._set_current(job_id, running=False)
            database.close()  # this thread's connection
            self._wake.set()  # a slot is free

    def _finish(self, job_id: int, finished: Finished) -> None:
        ended = after_run(job_id, finished)
        if not self._forever:
            with self._lock:
                self._ended.append(ended)
        if self._on_finished is not None:
            self._on_finished(ended)
        run_hook(ended)

    def _set_current(self, job_id: int, running: bool) -> None:
        with self._lock:
            self.current = self.current | {job_id} if running else self.current - {job_id}
