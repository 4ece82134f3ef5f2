"""The Textual app: four modes (Accounts, Jobs, Logs, Fleet; switched as `modes` does), the
palette's commands, the header's worker indicator, and the hub through which job events reach
every screen.

Engine events arrive as messages (`davtui.tui.messages`) posted to the App from worker threads;
the App keeps the latest progress per job, updates the indicator and republishes each
message on `job_events`, so a screen that is not on display stays current without polling.
The App owns the queue worker (`davtui.tui.worker.JobQueue` in a thread worker), so leaving a
screen or opening a modal never stops a migration; quitting while a job runs asks first.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Iterable
from functools import partial

from peewee import fn
from textual import work
from textual.app import SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen
from textual.signal import Signal
from textual.theme import Theme
from textual.worker import Worker, WorkerState

from davtui.engine.jobs.lifecycle import FINISHED, HELD, words
from davtui.engine.jobs.queue import mark_interrupted
from davtui.store import changes, open_database
from davtui.store.models import Account, Job, Run, Setting
from davtui.store.rows import tuples
from davtui.tui.eta import Eta
from davtui.tui.messages import JobLog, JobProgress, JobsChanged, JobStateChanged
from davtui.tui.modes import PREBUILD_AFTER, QuickModesApp
from davtui.tui.screens import (
    AccountsScreen,
    ConfirmScreen,
    FleetScreen,
    HelpScreen,
    JobsScreen,
    LogsScreen,
)
from davtui.tui.worker import JobQueue

THEME_KEY = "theme"
WORKERS_KEY = "workers"
MAX_WORKERS = 8
MODE_KEYS = {"accounts": "1", "jobs": "2", "logs": "3", "fleet": "4"}
#: From this many jobs on, the header also says how far the whole migration is.
FLEET_HEADER_JOBS = 10


#: How often the App looks at the change counter: other processes' writes show within a second.
CHANGES_POLL_SECONDS = 0.5

#: How long a greeting stays on screen (the demo prints it on the terminal too, before and after).
GREETING_SECONDS = 30

#: The interpreter's thread switch interval while this App runs jobs. The jobs copy in threads
#: of this process; each time the UI thread gives up the GIL (a query, a write to the terminal,
#: waiting for a key) it waits up to the interval (5 ms by default) for it back, many times per
#: key. With four jobs copying, a shorter interval cut the slowest keys by about a third.
SWITCH_INTERVAL = 0.001


class DavtuiApp(QuickModesApp):
    """davtui's terminal UI over the database at `db_path`."""

    TITLE = "davtui"
    CSS_PATH = "app.tcss"
    MODES = {
        "accounts": AccountsScreen,
        "jobs": JobsScreen,
        "logs": LogsScreen,
        "fleet": FleetScreen,
    }
    DEFAULT_MODE = "jobs"
    PREBUILT = ("logs", "fleet")
    # Quit and help first: the footer draws the App's keys after the screen's, and at 80
    # columns the last ones fall off.
    BINDINGS = [
        Binding("q", "quit_key", "Quit", id="app.quit", tooltip="Quit (asks while jobs run)"),
        Binding(
            "question_mark,f1",
            "help",
            "Help",
            key_display="?",
            id="app.help",
            tooltip="These keys, for the screen on display (also F1)",
        ),
        Binding("1", "show_mode('accounts')", "Accounts", id="mode.accounts"),
        Binding("2", "show_mode('jobs')", "Jobs", id="mode.jobs"),
        Binding("3", "show_mode('logs')", "Logs", id="mode.logs"),
        Binding("4", "show_mode('fleet')", "Fleet", id="mode.fleet"),
    ]

    def __init__(self, db_path: str, run_jobs: bool = True, greeting: str | None = None) -> None:
        """`run_jobs=False` leaves the queue alone (pictures of a fixed state); `greeting` is
        shown once the app is up (the demo's servers and logins)."""
        super().__init__()
        open_database(db_path)
        self.run_jobs = run_jobs
        self.greeting = greeting
        if run_jobs:
            mark_interrupted()  # left running by a process that died: shown as interrupted
        self.queue = JobQueue(self.post_message, workers=saved_workers())
        """The job queue the App's worker runs; screens `nudge` it when they queue a job."""
        self.job_events: Signal[Message] = Signal(self, "job-events")
        """Every job message (progress, log line, state change), for screens to subscribe."""
        self.progress: dict[int, JobProgress] = {}
        """The latest progress of each job seen running in this session."""
        self.estimates: dict[int, Eta] = {}
        """Each running job's smoothed rate and ETA (the engine's is an average since the start)."""
        self.changes_seen = changes.current()
        """The change counter as last seen: when it moves, some process changed the jobs."""
        self._switch_interval = sys.getswitchinterval()  # the process's, given back at the end

    def on_mount(self) -> None:
        if self.greeting:
            self.notify(self.greeting, title="Welcome", timeout=GREETING_SECONDS, markup=False)
        saved = Setting.get_or_none(Setting.key == THEME_KEY)
        if saved is not None and saved.value in self.available_themes:
            self.theme = saved.value
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self.show_worker_state()
        self.set_interval(CHANGES_POLL_SECONDS, self.look_for_changes)
        if not Account.select().exists():  # a newcomer starts where the first step is
            self.switch_mode("accounts")
        if not self.is_headless:  # tests drive a headless App: they build what they visit
            self.set_timer(PREBUILD_AFTER, self.prebuild_screens)
        if self.run_jobs:
            sys.setswitchinterval(min(SWITCH_INTERVAL, self._switch_interval))
            self.queue.stopped.clear()
            self.run_queue()

    @work(thread=True, exclusive=True, exit_on_error=False, group="queue", description="queue")
    def run_queue(self) -> None:
        """Queued and interrupted jobs, up to the parallel-jobs setting at once, until the App
        stops the queue."""
        self.queue.run()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A bug, not a server error, ended the queue: say so rather than sit idle."""
        if event.worker.group == "queue" and event.state == WorkerState.ERROR:
            self.notify(str(event.worker.error), title="The job queue stopped", severity="error")

    def on_unmount(self) -> None:
        """Stop the queue and wait for its thread, which ends at the next item boundary."""
        self.queue.stop()
        self.queue.stopped.wait(timeout=60)
        if self.run_jobs:
            sys.setswitchinterval(self._switch_interval)

    async def action_quit(self) -> None:
        jobs = list(Job.select().where(Job.id.in_(list(self.queue.current))).order_by(Job.id))
        if not jobs:
            self.exit()
            return
        if len(jobs) == 1:
            what, left = f"Job {jobs[0].name} is {jobs[0].status}.", "It is left interrupted"
        else:
            what, left = f"{len(jobs)} jobs are running.", "They are left interrupted"
        question = f"{what} Quit after the items in flight? {left} and resume on the next start."
        self.push_screen(ConfirmScreen("Quit", question, yes="Quit"), self._quit_confirmed)

    async def action_quit_key(self) -> None:
        """`q`, the key a newcomer tries first: the same as ctrl+q (asks while jobs run)."""
        await self.action_quit()

    def _quit_confirmed(self, yes: bool | None) -> None:
        if yes:
            self.queue.stop()
            self.sub_title = "stopping after the items in flight…"
            self._exit_when_stopped()

    @work(group="quit", exclusive=True)
    async def _exit_when_stopped(self) -> None:
        await asyncio.to_thread(self.queue.stopped.wait)
        self.exit()

    def _remember_theme(self, theme: Theme) -> None:
        Setting.put(THEME_KEY, theme.name)

    def set_workers(self, count: int) -> None:
        """Run up to `count` jobs at once from the next job started on; remembered."""
        Setting.put(WORKERS_KEY, count)
        self.queue.workers = count
        self.queue.nudge()  # more room: the next queued job starts now
        self.show_worker_state()

    def choose_workers(self) -> None:
        """The palette's second step: how many jobs may run at once."""
        self.search_commands(
            [
                (
                    f"{count} jobs at once" if count > 1 else "1 job at a time",
                    partial(self.set_workers, count),
                    "current setting" if count == self.queue.workers else None,
                )
                for count in range(1, MAX_WORKERS + 1)
            ],
            placeholder="Run how many jobs at once?",
        )

    def action_help(self) -> None:
        """davtui's keys for the screen on display (its own, then the App's)."""
        screen = self.screen
        titles = {"accounts": "Accounts", "jobs": "Jobs", "logs": "Logs", "fleet": "Fleet"}
        title = titles.get(self.current_mode)
        if isinstance(screen, ModalScreen):
            title = getattr(screen, "title_text", None) or type(screen).__name__
        title = getattr(screen, "title_text", None) or title  # a pushed screen (Items)
        self.push_screen(HelpScreen(screen, title or "davtui"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "help" and isinstance(self.screen, HelpScreen):
            return False  # the help modal closes with these keys
        if action == "quit_key" and isinstance(self.screen, ModalScreen):
            return False  # a dialog is answered first (ctrl+q still quits from anywhere)
        if action == "show_mode":
            if isinstance(self.screen, ModalScreen):
                return False
            return bool(parameters) and parameters[0] != self.current_mode
        return True

    async def action_show_mode(self, mode: str) -> None:
        await self.show(mode)
        self.refresh_bindings()

    async def run_on(self, mode: str, action: str) -> None:
        """Switch to `mode` and run one of its screen's actions (for the command palette)."""
        await self.show(mode)
        await self.screen.run_action(action)

    async def open_log(self, job_id: int | None, run_id: int | None = None) -> None:
        await self.show("logs")
        screen = self.screen
        if isinstance(screen, LogsScreen):
            screen.show(job_id, run_id)

    def show_worker_state(self) -> None:
        """Header: the running and paused jobs (by whichever process), else idle and how many
        are queued; and how many may run at once, when that is more than one."""
        held = Job.select(Job.name, Job.status).where(Job.status.in_(HELD))
        names: dict[str, list[str]] = {"running": [], "paused": []}
        for job in held.order_by(Job.id):
            names[job.status].append(job.name)
        state = ", ".join(
            f"{status} job {jobs[0]}" if len(jobs) == 1 else f"{status} {len(jobs)} jobs"
            for status, jobs in names.items()
            if jobs
        )
        if not state:
            queued = Job.select().where(Job.status == "queued").count()
            state = f"idle, {queued} queued" if queued else "idle"
        workers = self.queue.workers
        self.sub_title = state if workers == 1 else f"{state} · up to {workers} at once"
        counts: dict[str, int] = dict(
            tuples(Job.select(Job.status, fn.COUNT(Job.id)).group_by(Job.status))
        )
        jobs = sum(counts.values())
        if jobs >= FLEET_HEADER_JOBS:  # a fleet: how far all of it is, in one phrase
            finished = sum(counts.get(status, 0) for status in FINISHED)
            failed = counts.get("failed", 0)
            self.sub_title += f" · {finished:,}/{jobs:,} finished, {failed:,} failed"

    def on_job_progress(self, message: JobProgress) -> None:
        if message.phase in (None, "act") and message.total:
            estimate = self.estimates.setdefault(message.job_id, Eta())
            now = time.monotonic()
            message.rate, message.eta = estimate.update(message.done, message.total, now)
        else:  # listing, planning, verifying: no copying rate to speak of
            message.rate, message.eta = 0.0, None
        self.progress[message.job_id] = message
        self.job_events.publish(message)

    def on_job_log(self, message: JobLog) -> None:
        self.job_events.publish(message)

    def on_job_state_changed(self, message: JobStateChanged) -> None:
        if message.status not in ("running", "paused"):  # a next run starts from nothing
            self.progress.pop(message.job_id, None)
            self.estimates.pop(message.job_id, None)
        self.show_worker_state()
        self.job_events.publish(message)
        if message.status in FINISHED:  # say it, also to someone on another screen
            job = Job.get_or_none(Job.id == message.job_id)
            name = job.name if job else f"#{message.job_id}"
            severity: SeverityLevel = "information" if message.status == "completed" else "warning"
            run = Run.get_or_none(Run.id == message.run_id) if message.run_id else None
            dry = "dry run " if run is not None and run.dry_run else ""  # it wrote nothing
            self.notify(f"{name}: {dry}{words(message.status)}", severity=severity)
            self.bell()

    def on_jobs_changed(self, message: JobsChanged) -> None:
        self.queue.nudge()  # a job may have been queued
        self.show_worker_state()
        self.job_events.publish(message)

    def look_for_changes(self) -> None:
        """One small SELECT: when another process (the CLI, a headless runner) added, edited,
        queued, paused or finished a job, every screen rereads its jobs as after a local change."""
        seen = changes.current()
        if seen != self.changes_seen:
            self.changes_seen = seen
            self.post_message(JobsChanged())

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield SystemCommand(
            "Add account", "A CalDAV/CardDAV login", lambda: self.run_on("accounts", "add")
        )
        yield SystemCommand(
            "Test connection",
            "Discover the selected account's calendars and address books",
            lambda: self.run_on("accounts", "test"),
        )
        yield SystemCommand(
            "New job", "Copy from one account to another", lambda: self.run_on("jobs", "new")
        )
        yield SystemCommand(
            "Start queue",
            "Queue every pending or interrupted job",
            lambda: self.run_on("jobs", "queue_all"),
        )
        yield SystemCommand(
            "Parallel jobs",
            f"How many jobs run at once (now {self.queue.workers})",
            self.choose_workers,
        )
        for mode, key in MODE_KEYS.items():
            yield SystemCommand(
                f"Show {mode}",
                f"The {mode} screen (key {key})",
                lambda m=mode: self.action_show_mode(m),
            )
        yield from super().get_system_commands(screen)


def saved_workers() -> int:
    """The parallel-jobs setting: 1 unless set (a value out of range is brought back in)."""
    saved = Setting.get_or_none(Setting.key == WORKERS_KEY)
    value = saved.value if saved is not None else 1
    return min(max(value, 1), MAX_WORKERS) if isinstance(value, int) else 1
