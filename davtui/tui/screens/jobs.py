"""The Jobs screen: every job with its live status and progress, and the keys that control it.

Keys call the transitions of `engine.jobs.lifecycle` (the CLI's `davtui job` calls the same):
control requests go to the job row (`control` "pause"/"resume"/"stop"), where the App's queue
worker (or a headless runner in another process) picks them up; what actually happens comes
back as `JobStateChanged`/`JobProgress` messages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Input, Static

from davtui.engine.jobs import lifecycle
from davtui.store.changes import bump
from davtui.store.models import Account, Job, database, utcnow
from davtui.tui.job_pages import SORT_ORDER
from davtui.tui.messages import JobProgress, JobsChanged, JobStateChanged
from davtui.tui.screens.confirm import ConfirmScreen
from davtui.tui.screens.job_form import JobFields, JobForm
from davtui.tui.screens.jobs_bulk import BULK, BulkActions
from davtui.tui.screens.ledger import LedgerScreen
from davtui.tui.stored_progress import POLL_SECONDS, stored_progress
from davtui.tui.widgets.format import bar, duration
from davtui.tui.widgets.job_detail import JobDetail
from davtui.tui.widgets.job_table import JobTable

if TYPE_CHECKING:
    from davtui.tui.app import DavtuiApp

# action -> the statuses of the selected job in which it applies (None: any job).
APPLIES: dict[str, tuple[str, ...] | None] = {
    "edit": lifecycle.IDLE,
    "start": lifecycle.APPLIES["start"],
    "dry_run": lifecycle.APPLIES["start"],
    "delete": lifecycle.APPLIES["remove"],
    "stop": lifecycle.APPLIES["stop"],
    "pause": lifecycle.APPLIES["pause"],
    "resume": lifecycle.APPLIES["resume"],
    "duplicate": None,
    "log": None,
    "items": None,
}
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


class JobsScreen(BulkActions):
    """Jobs table above a detail panel (last run's statistics and the run history)."""

    if TYPE_CHECKING:  # Textual's own way to type `self.app` (its MessagePump does the same)
        app = getters.app(DavtuiApp)

    AUTO_FOCUS = "#jobs"  # keys act on the table; `/` goes to the filter
    _typing: Timer | None = None

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
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.app.job_events.subscribe(self, self.on_job_event)
        self.reload()
        self.set_interval(POLL_SECONDS, self._stored_progress)

    def on_screen_resume(self) -> None:
        """Back on this screen: other processes (the CLI, a headless runner) may have written."""
        self.reload()

    def on_job_event(self, message: Message) -> None:
        if isinstance(message, JobProgress):
            self.show_progress(message)
        elif isinstance(message, (JobStateChanged, JobsChanged)):
            self.reload()

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

    def selected_id(self) -> int | None:
        table = self.query_one(JobTable)
        if not table.row_count:
            return None
        return int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or 0)

    def selected(self) -> Job | None:
        job_id = self.selected_id()
        return None if job_id is None else Job.get_or_none(Job.id == job_id)

    @on(DataTable.RowHighlighted, "#jobs")
    def _highlighted(self) -> None:
        self._page_at_edge()
        self._selection_changed()

    def _selection_changed(self) -> None:
        self.query_one(JobDetail).show(self.selected_id())
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in BULK and self.bulk_ids() is not None:
            return True  # for many jobs: each is refused or not by the lifecycle
        if action not in APPLIES:
            return True
        job = self.selected()
        statuses = APPLIES[action]
        # Hidden, not greyed: at 80 columns the footer only has room for what applies.
        return job is not None and (statuses is None or job.status in statuses)

    def _applicable(self, action: str) -> Job | None:
        """The selected job when `action` applies to it (keys and the palette share this)."""
        return self.selected() if self.check_action(action, ()) is True else None

    def _changed(self, job: Job, note: str) -> None:
        self.reload(select=job.id)
        self.app.post_message(JobsChanged())
        self.notify(note)

    def _transition(self, job: Job, step: Callable[[Job], str]) -> None:
        """Apply a lifecycle transition; what it refused (the job changed meanwhile, by
        another process) is said in its one sentence."""
        try:
            note = step(job)
        except lifecycle.Refused as exc:
            self.reload(select=job.id)
            self.notify(str(exc), severity="error")
            return
        self._changed(job, note)

    def action_new(self) -> None:
        if Account.select().count() < 2:  # a job copies from one account to another
            self.notify("Add two accounts first (press 1): a job copies from one to the other.")
            return
        self.app.push_screen(JobForm(), lambda fields: self.save(Job(), fields))

    @on(DataTable.RowSelected, "#jobs")
    def action_edit(self) -> None:
        job = self._applicable("edit")
        if job is not None:
            self.app.push_screen(JobForm(job), lambda fields: self.save(job, fields))

    def save(self, job: Job, fields: JobFields | None) -> None:
        if fields is None:
            return
        job.name, job.what, job.mode = fields.name, fields.what, fields.mode
        job.source_id, job.destination_id = fields.source_id, fields.destination_id
        job.conflict, job.dry_run = fields.conflict, fields.dry_run
        job.suppress_invitations, job.updated_at = fields.suppress_invitations, utcnow()
        job.default_collections = fields.default_collections
        job.collections = fields.collections
        with database.atomic():
            job.save()
            bump()  # other TUIs on the same database (this one posts JobsChanged itself)
        self._changed(job, f"Saved job {job.name}.")

    def _queue(self, job: Job, dry_run: bool) -> None:
        self._transition(job, lambda job: lifecycle.start(job, dry_run=dry_run))

    def action_start(self) -> None:
        if self.run_bulk("start"):
            return
        if job := self._applicable("start"):
            self._queue(job, dry_run=False)

    def action_dry_run(self) -> None:
        if job := self._applicable("dry_run"):
            self._queue(job, dry_run=True)

    def action_queue_all(self) -> None:
        """Queue every pending or interrupted job, in creation order."""
        waiting = Job.select().where(Job.status.in_(lifecycle.WAITING)).order_by(Job.id)
        for job in waiting:
            self._queue(job, dry_run=False)

    def action_pause(self) -> None:
        if self.run_bulk("pause"):
            return
        if job := self._applicable("pause"):
            self._transition(job, lifecycle.pause)

    def action_resume(self) -> None:
        if self.run_bulk("resume"):
            return
        if job := self._applicable("resume"):
            self._transition(job, lifecycle.resume)

    def action_stop(self) -> None:
        if self.run_bulk("stop"):
            return
        job = self._applicable("stop")
        if job is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._transition(job, lifecycle.stop)

        question = f"Stop job {job.name}? Items copied so far are kept; start resumes it."
        self.app.push_screen(ConfirmScreen("Stop job", question, yes="Stop"), confirmed)

    def action_duplicate(self) -> None:
        job = self._applicable("duplicate")
        if job is None:
            return
        copy = lifecycle.duplicate(job)
        self._changed(copy, f"Created job {copy.name}.")

    def action_delete(self) -> None:
        if self.run_bulk("delete"):
            return
        job = self._applicable("delete")
        if job is None:
            return

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            try:
                note = lifecycle.remove(job)
            except lifecycle.Refused as exc:
                note = str(exc)
            self.reload()
            self.app.post_message(JobsChanged())
            self.notify(note)

        runs = job.runs.count()
        question = f"Delete job {job.name} with its {runs} run(s) and their logs?"
        self.app.push_screen(ConfirmScreen("Delete job", question, yes="Delete"), confirmed)

    def action_items(self) -> None:
        if job := self._applicable("items"):
            self.app.push_screen(LedgerScreen(job.id), lambda _: self.reload(select=job.id))

    async def action_log(self) -> None:
        if job := self._applicable("log"):
            await self.app.open_log(job.id)
