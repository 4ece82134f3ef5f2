"""The Logs screen: one job's (or run's) log lines with a level filter and a text search.

Lines come from the database page by page (`LogView`), and live lines arrive as `JobLog`
messages. The job is typed (completed from the job names in the database) rather than picked
from a list: a list of a thousand jobs took seconds to build on each visit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.suggester import Suggester
from textual.timer import Timer
from textual.widgets import Header, Input, Select, Static

from davtui.store.models import Job, Run
from davtui.tui.messages import JobLog, JobStateChanged
from davtui.tui.widgets.format import local_time
from davtui.tui.widgets.keys_footer import KeysFooter
from davtui.tui.widgets.log_view import LogFilter, LogView

if TYPE_CHECKING:
    from davtui.tui.app import DavtuiApp

LEVEL_CHOICES = (
    ("All levels", "debug"),
    ("Info and up", "info"),
    ("Warnings and errors", "warning"),
    ("Errors only", "error"),
)
ALL = -1  # the "every job" / "every run" choice of the selects
TYPING_PAUSE = 0.3  # seconds without a key before typed text filters


class JobNames(Suggester):
    """Completes a job name from the database (the first name with the typed beginning)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        first = Job.select(Job.name).where(Job.name.startswith(value)).order_by(Job.name)
        return first.limit(1).scalar()


class LogsScreen(Screen[None]):
    """Filters on top, the virtualised log below, and a status line with the count."""

    if TYPE_CHECKING:  # Textual's own way to type `self.app` (its MessagePump does the same)
        app = getters.app(DavtuiApp)

    BINDINGS = [
        Binding("slash", "search", "Search", id="log.search"),
        Binding("f", "next_level", "Level", id="log.level"),
        Binding("escape", "focus_log", "To log", show=False),
    ]

    _typing: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="log-filters"):
            yield Input(
                placeholder="all jobs (type a name)",
                id="log-job",
                compact=True,
                suggester=JobNames(),
            )
            yield Select([("All runs", ALL)], allow_blank=False, id="log-run", compact=True)
            yield Select(
                LEVEL_CHOICES, value="debug", allow_blank=False, id="log-level", compact=True
            )
            yield Input(placeholder="search  /", id="log-search", compact=True)
        yield LogView(id="log")
        yield Static(id="log-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.app.job_events.subscribe(self, self.on_job_event)
        self._fill_jobs(ALL)
        self._fill_runs(ALL)
        self.apply()
        self.query_one(LogView).focus()

    def _fill_jobs(self, value: int) -> None:
        """Show job `value` (ALL: none) in the job box."""
        name = Job.select(Job.name).where(Job.id == value).scalar() if value != ALL else ""
        with self.prevent(Input.Changed):
            self.query_one("#log-job", Input).value = name or ""

    def chosen_job(self) -> int | None:
        """The job named in the job box: None for all jobs, 0 for a name no job has."""
        name = self.query_one("#log-job", Input).value.strip()
        if not name:
            return None
        return Job.select(Job.id).where(Job.name == name).scalar() or 0

    def _fill_runs(self, value: int) -> None:
        job_id = self.chosen_job()
        runs = [("All runs", ALL)]
        if job_id:
            query = Run.select().where(Run.job == job_id).order_by(Run.id.desc()).limit(100)
            runs += [(f"Run {r.id} {local_time(r.started_at)}", r.id) for r in query]
        select = self.query_one("#log-run", Select)
        with self.prevent(Select.Changed):
            select.set_options(runs)
            select.value = value if value in {v for _l, v in runs} else ALL

    def show(self, job_id: int | None, run_id: int | None = None) -> None:
        """Open the log of `job_id` (and `run_id`), clearing the search."""
        self._fill_jobs(ALL if job_id is None else job_id)
        self._fill_runs(ALL if run_id is None else run_id)
        with self.prevent(Input.Changed):
            self.query_one("#log-search", Input).value = ""
        self.apply()
        self.query_one(LogView).focus()

    def current_filter(self) -> LogFilter:
        def chosen(name: str) -> int | None:
            value = self.query_one(name, Select).value
            return None if value == ALL else int(value)  # type: ignore[arg-type]

        return LogFilter(
            job_id=self.chosen_job(),
            run_id=chosen("#log-run"),
            min_level=str(self.query_one("#log-level", Select).value),
            search=self.query_one("#log-search", Input).value.strip(),
        )

    def apply(self) -> None:
        log = self.query_one(LogView)
        log.set_filter(self.current_filter())
        self.show_count()

    def show_count(self) -> None:
        log = self.query_one(LogView)
        status = self.query_one("#log-status", Static)
        if log.filter.job_id == 0:
            name = self.query_one("#log-job", Input).value.strip()
            status.update(f"No job is named “{name}”.")
            return
        found = f"{log.total:,} line{'s' if log.total != 1 else ''}"
        if not log.counted:
            found = f"{log.total:,}+ lines, counting…" if log.total else "searching…"
        search = log.filter.search
        status.update(f"{found} matching “{search}”" if search else found)

    @on(LogView.Counted)
    def _counted(self) -> None:
        self.show_count()

    @on(Input.Changed, "#log-job")
    @on(Input.Changed, "#log-search")
    def _typed(self) -> None:
        """Search once the keys pause (or on enter), not for every letter: each is a query
        over the whole log, and a count in a thread that cannot be called back."""
        if self._typing is not None:
            self._typing.stop()
        self._typing = self.set_timer(TYPING_PAUSE, self._typed_done)

    def _typed_done(self) -> None:
        self._typing = None
        log = self.query_one(LogView)
        if self.chosen_job() != log.filter.job_id:
            self._fill_runs(ALL)
        if self.current_filter() != log.filter:
            self.apply()

    @on(Select.Changed, "#log-run")
    @on(Select.Changed, "#log-level")
    def _filter_changed(self) -> None:
        # The selects say "changed" once as they mount too: the same filter is not reread
        # (each apply is a page query and a count over every matching row).
        if self.current_filter() != self.query_one(LogView).filter:
            self.apply()

    @on(Input.Submitted, "#log-search")
    @on(Input.Submitted, "#log-job")
    def action_focus_log(self) -> None:
        if self._typing is not None:  # enter: what was typed applies now
            self._typing.stop()
            self._typed_done()
        self.query_one(LogView).focus()

    def action_search(self) -> None:
        self.query_one("#log-search", Input).focus()

    def action_next_level(self) -> None:
        select = self.query_one("#log-level", Select)
        values = [value for _label, value in LEVEL_CHOICES]
        select.value = values[(values.index(str(select.value)) + 1) % len(values)]

    def on_screen_resume(self) -> None:
        self.query_one(LogView).show_unseen()  # the lines that came while another screen showed
        self.show_count()

    def on_job_event(self, message: Message) -> None:
        if isinstance(message, JobLog):
            self.query_one(LogView).add_live(message.job_id, message.run_id, message.lines)
            if self in self.app.screen_stack:  # hidden: counted when it shows again
                self.show_count()
        elif isinstance(message, JobStateChanged) and message.run_id is not None:
            self._fill_runs(self.query_one("#log-run", Select).value)  # type: ignore[arg-type]
