"""The Jobs screen: every job with its live status and progress, a page at a time, filtered
and sorted in the database, above the selected job's detail.

Its keys (`job_actions`, `jobs_bulk`) call the transitions of `engine.jobs.lifecycle`: control
requests go to the job row (`control` "pause"/"resume"/"stop"), where the App's queue worker
(or a runner in another process) picks them up; what actually happens comes back as
`JobStateChanged`/`JobProgress` messages, or, for a job another process runs, from its run
row (`stored_progress`).
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING

from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Header, Input, Static

from davtui.durations import duration
from davtui.engine.jobs import lifecycle
from davtui.tui.job_pages import SORT_ORDER
from davtui.tui.messages import JobProgress, JobsChanged, JobStateChanged
from davtui.tui.screens.job_actions import JobActions
from davtui.tui.stored_progress import POLL_SECONDS, stored_progress
from davtui.tui.widgets.format import bar
from davtui.tui.widgets.job_detail import JobDetail
from davtui.tui.widgets.job_table import JobTable
from davtui.tui.widgets.keys_footer import KeysFooter

if TYPE_CHECKING:
    from davtui.tui.app import DavtuiApp

# The engine's phases as the Progress cell names them; copying ("act") shows the bar.
PHASE_WORDS = {
    "discover": "discovering…",
    "list": "listing…",
    "plan": "planning…",
    "verify": "verifying…",
    "done": "finishing…",
}
TYPING_PAUSE = 0.3  # seconds without a key before the filter applies
SORT_WORDS = {"id": "oldest first", "name": "by name", "status": "by status"}


class JobsScreen(JobActions):
    """Jobs table above a detail panel (last run's statistics and the run history)."""

    if TYPE_CHECKING:  # Textual's own way to type `self.app` (its MessagePump does the same)
        app = getters.app(DavtuiApp)

    AUTO_FOCUS = "#jobs"  # keys act on the table; `/` goes to the filter
    #: Progress cells are redrawn at most this often (a new phase at once): each redraw makes
    #: the table render every visible row again, and four copying jobs post 40 progresses a
    #: second, which kept the UI thread from the keys.
    PROGRESS_SECONDS = 0.25
    _typing: Timer | None = None
    _progress_timer: Timer | None = None
    _progress_drawn = 0.0  # when progress was last drawn (time.monotonic)

    BINDINGS = [
        Binding("n", "new", "New", id="job.new"),
        Binding("e", "edit", "Edit", id="job.edit"),
        Binding("s", "start", "Start", id="job.start"),
        Binding("t", "dry_run", "Dry", id="job.dry_run", tooltip="Queue a dry run: plan only"),
        Binding("p", "pause", "Pause", id="job.pause"),
        Binding("r", "resume", "Resume", id="job.resume"),
        Binding("x", "stop", "Stop", id="job.stop"),
        Binding("c", "duplicate", "Duplicate", id="job.duplicate"),
        Binding("d", "delete", "Delete", id="job.delete"),
        Binding("l", "log", "Log", id="job.log"),
        Binding(
            "i", "items", "Items", id="job.items", tooltip="Items the last run did not copy as sent"
        ),
        # Off the footer (at 80 columns it has no room left); `?` lists them.
        Binding("slash", "filter", "Filter", id="job.filter", show=False),
        Binding("o", "sort", "Sort", id="job.sort", show=False, tooltip="By id, name or status"),
        Binding("F", "rerun_failed", "Re-run failed", id="job.rerun_failed", show=False),
        Binding("escape", "focus_table", "To table", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="jobs-bar"):
            yield Input(
                placeholder="filter: name, account or status  /", id="jobs-filter", compact=True
            )
            yield Static(id="jobs-count")
        yield JobTable(id="jobs")
        yield JobDetail(id="job-panel")
        yield KeysFooter()

    def on_mount(self) -> None:
        self._progress_due: dict[int, JobProgress] = {}
        self._phases: dict[int, str | None] = {}  # the phase drawn for each job
        self.app.job_events.subscribe(self, self.on_job_event)
        self.reload()
        self.set_interval(POLL_SECONDS, self._stored_progress)

    def on_screen_resume(self) -> None:
        """Back on this screen: other processes (the CLI, a headless runner) may have written,
        and the job events that came while it was hidden were left to this reread."""
        self.reload()

    @property
    def on_display(self) -> bool:
        """On display, perhaps under a dialog; not while another mode's screen shows."""
        return self in self.app.screen_stack

    def on_job_event(self, message: Message) -> None:
        if not self.on_display:
            return  # `on_screen_resume` rereads the jobs and draws the latest progress
        if isinstance(message, JobProgress):
            self._progress(message)
        elif isinstance(message, (JobStateChanged, JobsChanged)):
            self.reload()

    def _progress(self, message: JobProgress) -> None:
        """Draw now when the last drawing is old enough or the job's phase changed, else
        once the pause between two drawings is over (the latest progress of each job)."""
        self._progress_due[message.job_id] = message
        since = time.monotonic() - self._progress_drawn
        pause = self.PROGRESS_SECONDS
        if since >= pause or self._phases.get(message.job_id, "") != message.phase:
            self._draw_progress()
        elif self._progress_timer is None:
            self._progress_timer = self.set_timer(pause - since, self._draw_progress)

    def _draw_progress(self) -> None:
        if self._progress_timer is not None:
            self._progress_timer.stop()
            self._progress_timer = None
        self._progress_drawn = time.monotonic()
        due, self._progress_due = self._progress_due, {}
        for progress in due.values():
            self._phases[progress.job_id] = progress.phase
            self.show_progress(progress)

    def reload(self, select: int | None = None) -> None:
        """Reread the table's window of jobs (one page query), keeping or moving the cursor."""
        table = self.query_one(JobTable)
        current = select if select is not None else self.selected_id()
        table.reread()
        if select is not None and str(select) not in {str(row.id) for row in table.window}:
            table.first_page()  # a new job (or one filtered out): show where the order starts
        self._fill(current)

    def _fill(self, current: int | None) -> None:
        """The window into the table, with the live progress of its running jobs."""
        table = self.query_one(JobTable)
        table.show(self.app.theme_variables, current)
        for row in table.window:
            live = self.app.progress.get(row.id)
            if live is not None and row.status in lifecycle.ACTIVE:
                self.show_progress(live)
        self._stored_progress(detail=False)
        self._count()
        self._selection_changed()

    def _stored_progress(self, detail: bool = True) -> None:
        """Running jobs this App does not run show their run rows' progress (no query while
        none is in view); the detail of a selected running job is redrawn with it."""
        if not self.is_current:
            return
        table = self.query_one(JobTable)
        held = {row.id: row.status for row in table.window if row.status in lifecycle.HELD}
        for progress in stored_progress(
            {i: s for i, s in held.items() if i not in self.app.progress}
        ):
            self.show_progress(progress)
        if detail and self.selected_id() in held:
            self.query_one(JobDetail).show(self.selected_id())

    def _count(self) -> None:
        table = self.query_one(JobTable)
        if table.window:
            first = table.get_row_index(str(table.window[0].id)) + 1
            where = f"{first}-{first + len(table.window) - 1} of {table.total:,}"
        else:
            where = "none" if table.job_query.text else "no jobs"
        order = SORT_WORDS[table.job_query.sort]
        order += ", reversed" if table.job_query.descending else ""
        if table.all_matching:
            order += f" · all {table.total:,} selected"
        elif table.marked:
            order += f" · {len(table.marked):,} selected"
        self.query_one("#jobs-count", Static).update(f"{where} · {order}")

    @on(JobTable.Marked)
    def _marked(self) -> None:
        self._count()
        self.refresh_bindings()

    def on_resize(self) -> None:
        if self.query_one(JobTable).fit_name(self.size.width):
            self._fill(self.selected_id())

    @on(JobTable.Jumped)
    def _jumped(self) -> None:
        self._fill(self.selected_id())

    def _page_at_edge(self) -> None:
        """The cursor on the first or last row held: read the page beyond it."""
        table = self.query_one(JobTable)
        row, current = table.cursor_row, self.selected_id()
        if (row == table.row_count - 1 and table.next_page()) or (
            row == 0 and table.row_count and table.previous_page()
        ):
            self._fill(current)

    @on(Input.Changed, "#jobs-filter")
    def _typed(self) -> None:
        """Filter once the keys pause (or on enter), not for every letter typed."""
        if self._typing is not None:
            self._typing.stop()
        self._typing = self.set_timer(TYPING_PAUSE, self._filter_changed)

    def _filter_changed(self) -> None:
        self._typing = None
        table = self.query_one(JobTable)
        text = self.query_one("#jobs-filter", Input).value.strip()
        if text == table.job_query.text:
            return
        table.job_query = replace(table.job_query, text=text)
        table.first_page()
        self._fill(None)

    @on(Input.Submitted, "#jobs-filter")
    def action_focus_table(self) -> None:
        if self._typing is not None:  # enter: what was typed applies now
            self._typing.stop()
            self._filter_changed()
        self.query_one(JobTable).focus()

    def action_filter(self) -> None:
        self.query_one("#jobs-filter", Input).focus()

    def action_sort(self, column: str | None = None) -> None:
        """Order by the next sortable column (or by `column`, reversed when it is the current)."""
        table = self.query_one(JobTable)
        now = table.job_query
        if column is None:
            column = SORT_ORDER[(SORT_ORDER.index(now.sort) + 1) % len(SORT_ORDER)]
            descending = False
        else:
            descending = not now.descending if column == now.sort else False
        table.job_query = replace(now, sort=column, descending=descending)
        current = self.selected_id()
        table.first_page()
        self._fill(current)

    @on(DataTable.HeaderSelected, "#jobs")
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        column = str(event.column_key.value)
        self.action_sort({"name": "name", "status": "status"}.get(column, "id"))

    def show_progress(self, progress: JobProgress) -> None:
        table = self.query_one(JobTable)
        row = str(progress.job_id)
        if row not in table.rows:
            return
        phase = PHASE_WORDS.get(progress.phase or "act")
        shown = phase if phase else bar(progress.done, progress.total)
        table.update_cell(row, "progress", shown)
        table.update_cell(
            row, "done", f"{progress.done}/{progress.total}" if progress.total else ""
        )
        table.update_cell(row, "rate", f"{progress.rate:.0f}/s" if progress.rate else "")
        copying = progress.phase in (None, "act") and progress.total
        eta = duration(progress.eta) if progress.eta is not None else "estimating"
        table.update_cell(row, "eta", eta if copying else "")

    @on(DataTable.RowHighlighted, "#jobs")
    def _highlighted(self) -> None:
        self._page_at_edge()
        self._selection_changed()

    def _selection_changed(self) -> None:
        self.query_one(JobDetail).show(self.selected_id())
        self.refresh_bindings()
