"""Acting on many jobs from the Jobs screen: the selected ones (space, shift+arrows) or every
job the filter matches (`*`), started, paused, resumed, stopped, re-run or deleted at once.

Each job goes through `engine.jobs.selection.act`, that is through `lifecycle` (the only code
that writes a job's status), one by one: a job the action does not apply to is refused with
the lifecycle's sentence and the others go on; the note says how many were acted on and why
the others were not (the CLI's `davtui job ... --all` does the same).
"""

from __future__ import annotations

from textual.screen import Screen

from davtui.engine.jobs import lifecycle, selection
from davtui.store.models import Job
from davtui.store.rows import tuples
from davtui.tui.messages import JobsChanged
from davtui.tui.screens.confirm import ConfirmScreen
from davtui.tui.widgets.job_table import JobTable

#: The screen's action -> the selection's (the lifecycle transition it applies).
BULK = {"start": "start", "pause": "pause", "resume": "resume", "stop": "stop", "delete": "remove"}
#: What "re-run failed" queues again.
RERUN = (lifecycle.JobStatus.FAILED, lifecycle.JobStatus.COMPLETED_WITH_ERRORS)
PAST = {"start": "Queued", "pause": "Paused", "resume": "Resumed", "stop": "Stopped",
        "remove": "Deleted"}  # fmt: skip


class BulkActions(Screen[None]):
    """The part of the Jobs screen that acts on a selection of jobs."""

    def bulk_ids(self) -> list[int] | None:
        """The selected jobs' ids, or None when the keys act on the cursor's job."""
        return self.query_one(JobTable).selection()

    def run_bulk(self, action: str) -> bool:
        """Act on the selection when there is one (asking first for stop and delete); False
        when there is none, so the key acts on the cursor's job as before."""
        ids = self.bulk_ids()
        if ids is None:
            return False
        transition = BULK[action]
        if transition in ("stop", "remove"):
            verb = "Stop" if transition == "stop" else "Delete"
            extra = " with their runs and logs" if transition == "remove" else ""
            question = f"{verb} {len(ids):,} selected jobs{extra}?"
            self.app.push_screen(
                ConfirmScreen(f"{verb} jobs", question, yes=verb),
                lambda yes: self._act(transition, ids) if yes else None,
            )
        else:
            self._act(transition, ids)
        return True

    def action_rerun_failed(self) -> None:
        """Queue again the failed and with-errors jobs of the selection (or of the filter)."""
        table = self.query_one(JobTable)
        ids = table.selection() or table.job_query.ids()
        failed = Job.select(Job.id).where(Job.id.in_(ids) & Job.status.in_(RERUN))
        chosen = [job_id for (job_id,) in tuples(failed)]
        if not chosen:
            self.notify("No failed job (nor one with errors) among these.")
            return
        self._act("start", chosen)

    def _act(self, transition: str, ids: list[int]) -> None:
        outcome = selection.act(transition, ids)
        table = self.query_one(JobTable)
        table.clear_marks()
        self.reload()  # type: ignore[attr-defined]
        self.app.post_message(JobsChanged())
        note = f"{PAST[transition]} {len(outcome.acted):,} job(s)."
        if outcome.refused:
            _name, why = outcome.refused[0]
            more = f" (and {len(outcome.refused) - 1:,} more)" if len(outcome.refused) > 1 else ""
            note += f" {len(outcome.refused):,} refused: {why}{more}"
        self.notify(note, severity="warning" if outcome.refused else "information")
