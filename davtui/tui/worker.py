"""The bridge from the engine to the TUI: the App's job queue, and engine events as messages.

`JobQueue.run` is the body of the App's queue worker thread: it keeps up to `workers` runnable
jobs running, each through `engine.queue.run_queue` in a thread of its own, and sleeps while
nothing more can start, until the UI or an ending job wakes it (`nudge`) or a few seconds
pass. `JobBridge` is the engine's listener for one job: progress leaves at most `interval`
apart (Textual only coalesces *adjacent* messages, so the rate is capped here), log lines
leave in batches every `interval` and are never dropped, and the job's state changes
(started, paused, resumed, ended) leave at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime

from textual.message import Message

from davtui.engine.events import Event, Finished, ItemDone, Phase, Progress
from davtui.engine.events import Message as EngineMessage
from davtui.engine.jobs.lifecycle import HELD
from davtui.engine.jobs.queue import next_runnable, run_queue
from davtui.engine.jobs.recorder import describe
from davtui.store.models import Job, Run, database
from davtui.tui.messages import JobLog, JobProgress, JobStateChanged, LogLine

Post = Callable[[Message], object]
GATE_STATES = HELD  # the phases the pause gate reports: paused, running
#: The run-wide phases the progress line names (a collection's own phases are log lines).
NAMED_PHASES = ("discover", "list", "plan", "act", "verify")


def log_line(event: Event) -> LogLine | None:
    """The line the Logs screen shows for `event` (the text the recorder stores), if any."""
    described = describe(event)
    if described is None:
        return None
    level, text = described
    now = datetime.now().strftime("%H:%M:%S")
    if isinstance(event, ItemDone):
        return LogLine(now, level, text, event.collection, event.uid, event.summary)
    if isinstance(event, EngineMessage):
        return LogLine(now, level, text, event.collection)
    return LogLine(now, level, text)


class JobBridge:
    """The listener of one job's run; called from engine threads, posts to the App.

    Use as a context manager: a small thread flushes lines and held-back progress every
    `interval` while the job runs, and everything left is flushed on exit."""

    def __init__(self, job_id: int, post: Post, interval: float = 0.1) -> None:
        self.job_id = job_id
        self.run_id: int | None = None
        self._post = post
        self._interval = interval
        self._lock = threading.Lock()
        self._lines: list[LogLine] = []
        self._progress: Progress | None = None  # held back: the last one left too recently
        self._progress_sent = 0.0
        self._phase: str | None = None
        self._last_progress = Progress(0, 0)
        self._started = False
        self._closed = threading.Event()
        self._flusher = threading.Thread(target=self._flush_loop, daemon=True)

    def __enter__(self) -> JobBridge:
        self._flusher.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._closed.set()
        self._flusher.join()
        self.flush()

    def __call__(self, event: Event) -> None:
        if not self._started:
            self._started = True  # the first event comes after the run row was written
            self.run_id = (
                Run.select(Run.id).where(Run.job == self.job_id).order_by(Run.id.desc()).scalar()
            )
            self._post(JobStateChanged(self.job_id, "running", self.run_id))
        if isinstance(event, Progress):
            self._progress_event(event)
            return
        line = log_line(event)
        if line is not None:
            with self._lock:
                self._lines.append(line)
        if isinstance(event, Phase) and event.name in GATE_STATES:
            self.flush()
            self._post(JobStateChanged(self.job_id, event.name, self.run_id))
        elif isinstance(event, Phase) and event.name in NAMED_PHASES and event.collection is None:
            self._phase = event.name  # the progress line names it at once
            self._post_progress(self._last_progress)
        elif isinstance(event, Finished):
            self.flush()

    def _progress_event(self, progress: Progress) -> None:
        now = time.monotonic()
        with self._lock:
            due = now - self._progress_sent >= self._interval
            self._progress = None if due else progress
            if due:
                self._progress_sent = now
        if due:
            self._post_progress(progress)

    def _post_progress(self, progress: Progress) -> None:
        self._last_progress = progress
        self._post(
            JobProgress(
                self.job_id,
                progress.done,
                progress.total,
                progress.rate,
                progress.eta,
                self._phase,
            )
        )

    def flush(self) -> None:
        """Post the waiting lines (one message) and the held-back progress, if any."""
        with self._lock:
            lines, self._lines = self._lines, []
            progress, self._progress = self._progress, None
            if progress is not None:
                self._progress_sent = time.monotonic()
        if lines:
            self._post(JobLog(self.job_id, self.run_id, lines))
        if progress is not None:
            self._post_progress(progress)

    def _flush_loop(self) -> None:
        while not self._closed.wait(self._interval):
            self.flush()


class JobQueue:
    """Runs runnable jobs in queue order, up to `workers` at once, until `stop()`; one per App.

    `run` (the App's queue worker thread) dispatches: while fewer than `workers` jobs run and
    one is takeable, it starts a slot thread in which `engine.queue.run_queue` claims and runs
    that one job with its own `JobBridge`, and waits for the claim before looking again, so two
    slots never go for one job (and a job another runner took first is skipped: claims are
    atomic). One `run_queue(workers=N)` would not do: its N threads end as soon as nothing is
    takeable, so a job queued while another runs would wait for it, and N is fixed per call.
    `workers` is read before each start: a change never interrupts a running job."""

    def __init__(self, post: Post, idle_wait: float = 3.0, workers: int = 1) -> None:
        self._post = post
        self._idle_wait = idle_wait
        self.workers = workers
        """How many jobs may run at once; the next job started obeys a change."""
        self.shutdown = threading.Event()
        """Set to stop: running jobs end at the next item boundary, left `interrupted`."""
        self.stopped = threading.Event()
        """Set once `run` has returned (or was never started)."""
        self.stopped.set()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._error: Exception | None = None
        self.current: frozenset[int] = frozenset()
        """The jobs this queue is running now."""

    def nudge(self) -> None:
        """Something was queued, or `workers` changed: look now, not after the idle wait."""
        self._wake.set()

    def stop(self) -> None:
        self.shutdown.set()
        self._wake.set()

    def run(self) -> None:
        """The worker thread's body: returns once `stop()` was called and every job ended.

        A bug in a slot stops the queue: no job is started after it, and it is raised here
        once the other running jobs ended."""
        self.stopped.clear()
        slots: list[threading.Thread] = []
        try:
            while not self.shutdown.is_set() and self._error is None:
                self._wake.clear()
                slots = [slot for slot in slots if slot.is_alive()]
                job_id = next_runnable() if len(slots) < self.workers else None
                if job_id is None:
                    self._wake.wait(self._idle_wait)
                    continue
                claimed = threading.Event()
                slot = threading.Thread(
                    target=self._slot, args=(job_id, claimed), name=f"job-{job_id}"
                )
                slot.start()
                slots.append(slot)
                claimed.wait()
        finally:
            for slot in slots:
                slot.join()
            self.stopped.set()
        if self._error is not None:
            raise self._error

    def _slot(self, job_id: int, claimed: threading.Event) -> None:
        """A slot thread's body: run `job_id` unless another runner claimed it first."""
        started = time.monotonic()

        def listener_for(_job_id: int) -> JobBridge:  # called once the claim succeeded
            self._set_current(job_id, running=True)
            claimed.set()
            return bridge

        try:
            with JobBridge(job_id, self._post) as bridge:
                run_queue(
                    shutdown=self.shutdown,
                    only=[job_id],
                    on_finished=lambda done_id, finished: _hook(
                        done_id, finished, time.monotonic() - started
                    ),
                    listener_for=listener_for,
                    recover=False,  # the other slots' jobs are alive, not left by a dead process
                )
        except Exception as exc:  # a bug: the queue's worker reports it and stops
            self._error = exc
        finally:
            claimed.set()
            if job_id in self.current:
                self._set_current(job_id, running=False)
                status = Job.select(Job.status).where(Job.id == job_id).scalar()
                self._post(JobStateChanged(job_id, status or "deleted", bridge.run_id))
            database.close()  # this thread's connection
            self._wake.set()  # a slot is free

    def _set_current(self, job_id: int, running: bool) -> None:
        with self._lock:
            self.current = self.current | {job_id} if running else self.current - {job_id}


def _hook(job_id: int, finished: Finished, duration: float) -> None:
    """Give the run's JSON report to the job's (or the global) hook command, as headless does."""
    from davtui.engine.jobs.hooks import notify
    from davtui.engine.report import report

    job = Job.get_or_none(Job.id == job_id)
    if job is not None:
        notify(job, report(finished, duration, job.name))
