"""The bridge from the engine to the TUI: the App's job queue, and engine events as messages.

`JobQueue` is the engine's one dispatcher set up for the App (runs until the App stops it;
each job's events go through a `JobBridge`); its `run` is the body of the App's queue worker
thread. `JobBridge` is the engine's listener for one job: progress leaves at most `interval`
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
from davtui.engine.jobs.dispatcher import Dispatcher
from davtui.engine.jobs.lifecycle import HELD
from davtui.engine.jobs.recorder import describe
from davtui.store.models import Job, Run
from davtui.tui.messages import JobLog, JobProgress, JobStateChanged, LogLine

Post = Callable[[Message], object]
GATE_STATES = HELD  # the phases the pause gate reports: paused, running
#: Seconds between two posts of a running job's progress and log lines to the App: the jobs
#: table draws progress at most as often, and every message is work for the UI thread that
#: answers the keys (four jobs at 0.1 s made 80 messages a second, each sent to every screen).
POST_EVERY = 0.25
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

    def __init__(
        self, job_id: int, post: Post, interval: float = 0.1, final_state: bool = False
    ) -> None:
        """`final_state`: on exit, also post the job's status as the run left it (or
        "deleted"), for the App to show that the job left its queue."""
        self.job_id = job_id
        self._final_state = final_state
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
        if self._final_state:
            status = Job.select(Job.status).where(Job.id == self.job_id).scalar()
            self._post(JobStateChanged(self.job_id, status or "deleted", self.run_id))

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


class JobQueue(Dispatcher):
    """The App's dispatcher (`engine.jobs.dispatcher`): it runs runnable jobs in queue order,
    up to `workers` at once, until `stop()`, each with a `JobBridge` of its own that posts the
    job's events and, as the job leaves this queue, its status. The App's queue worker thread
    calls `run`; screens `nudge` it when they queue a job. The report and the hook are the
    dispatcher's, as for headless runs."""

    def __init__(self, post: Post, idle_wait: float = 3.0, workers: int = 1) -> None:
        super().__init__(
            workers,
            listener_for=self._bridge,
            forever=True,
            idle_wait=idle_wait,
            recover=False,  # the App recovered at its start; later, held jobs may be its own
        )
        self._post = post

    def _bridge(self, job_id: int) -> JobBridge:
        return JobBridge(job_id, self._post, interval=POST_EVERY, final_state=True)
