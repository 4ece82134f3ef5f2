"""The keys of the Jobs screen that act on the cursor's job (or, for start, pause, resume,
stop and delete, on the selection: `BulkActions`): new, edit, start, dry run, pause, resume,
stop, duplicate, delete, its items and its log. Each status change is a transition of
`engine.jobs.lifecycle` (the CLI's `davtui job` calls the same); a transition the job no
longer allows (another process changed it meanwhile) is said in the lifecycle's sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import getters, on
from textual.widgets import DataTable

from davtui.engine.jobs import lifecycle
from davtui.store.changes import bump
from davtui.store.models import Account, Job, database, utcnow
from davtui.tui.messages import JobsChanged
from davtui.tui.screens.confirm import ConfirmScreen
from davtui.tui.screens.job_form import JobFields, JobForm
from davtui.tui.screens.jobs_bulk import BULK, BulkActions
from davtui.tui.screens.ledger import LedgerScreen
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


class JobActions(BulkActions):
    """The one-job actions of the Jobs screen; the screen itself lays out, reads and shows."""

    if TYPE_CHECKING:  # Textual's own way to type `self.app`
        app = getters.app(DavtuiApp)

    def reload(self, select: int | None = None) -> None:
        """Read the jobs again, the cursor on `select` (the screen does it)."""
        raise NotImplementedError

    def selected_id(self) -> int | None:
        table = self.query_one(JobTable)
        if not table.row_count:
            return None
        return int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or 0)

    def selected(self) -> Job | None:
        job_id = self.selected_id()
        return None if job_id is None else Job.get_or_none(Job.id == job_id)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in BULK and self.bulk_ids() is not None:
            return True  # for many jobs: each is refused or not by the lifecycle
        if action not in APPLIES:
            return True
        # The status as the table shows it, not a query: Textual asks for every key on every
        # move and switch (the action itself rereads the job, and the lifecycle refuses a
        # transition another process made stale).
        status = self.query_one(JobTable).status_of(self.selected_id())
        statuses = APPLIES[action]
        # Hidden, not greyed: at 80 columns the footer only has room for what applies.
        return status is not None and (statuses is None or status in statuses)

    def _applicable(self, action: str) -> Job | None:
        """The selected job when `action` applies to it (keys and the palette share this)."""
        job = self.selected() if self.check_action(action, ()) is True else None
        statuses = APPLIES.get(action)
        # The job as stored now: the table's status may be a moment old.
        return job if job is not None and (statuses is None or job.status in statuses) else None

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
