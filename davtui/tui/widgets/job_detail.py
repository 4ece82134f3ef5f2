"""The job detail panel: what the job does, its last run's statistics, and its run history."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Static

from davtui.durations import duration
from davtui.engine.jobs import ledger
from davtui.engine.jobs.fleet import progress_text, run_progress
from davtui.store.models import Account, Job, Run
from davtui.tui.widgets.format import as_datetime, badge, local_time
from davtui.tui.widgets.ledger_view import counts_line
from davtui.tui.widgets.stats import StatsTable, extras, verification_line

# suppress_invitations -> what the summary says (None: on where the server e-mails, SOGo)
INVITATIONS = {True: ["no invitations"], False: [], None: ["invitations: auto"]}
HISTORY = 50


def ledger_counts(run: Run) -> dict[str, int] | None:
    """The finished run's ledger counts per outcome: as its report gave them (`stats`), else
    from its stored entries; None for a run still going, a dry run, or one that made none
    (a run from before the ledger must not read as "every item arrived as sent")."""
    if run.finished_at is None or run.dry_run or not run.stats:
        return None
    if isinstance(found := run.stats.get("ledger"), dict):
        return found
    counts = ledger.counts(run.job_id, run.id)
    return counts if any(counts.values()) else None


def run_time(run: Run) -> str:
    started, finished = as_datetime(run.started_at), as_datetime(run.finished_at)
    if started is None or finished is None:
        return ""
    return duration((finished - started).total_seconds())


class JobDetail(Vertical):
    """Shows the job given to `show`: a hint when there is none or it never ran."""

    def compose(self) -> ComposeResult:
        yield Static(id="job-summary")
        with Horizontal():
            yield Static(id="run-stats")
            history: DataTable[Any] = DataTable(id="runs", cursor_type="none")
            history.add_columns("Run", "Started", "Status", "Time")
            history.can_focus = False
            yield history

    def show(self, job_id: int | None) -> None:
        summary = self.query_one("#job-summary", Static)
        stats = self.query_one("#run-stats", Static)
        history = self.query_one("#runs", DataTable)
        history.clear()
        job = None if job_id is None else Job.get_or_none(Job.id == job_id)
        if job is None:
            summary.update("")
            first = (
                "press [b]n[/] to create one"
                if Account.select().count() >= 2
                else "add two accounts first ([b]1[/]): a job copies from one to the other"
            )
            stats.update(f"No jobs yet: {first}.")
            return
        options = [job.what, job.mode, f"conflicts: {job.conflict}"]
        options += ["dry run"] * job.dry_run + INVITATIONS[job.suppress_invitations]
        route = f"{job.source.name} → {job.destination.name}"
        summary.update(Text.assemble((job.name, "bold"), f"  {route} · {' · '.join(options)}"))
        runs = list(Run.select().where(Run.job == job_id).order_by(Run.id.desc()).limit(HISTORY))
        if not runs:
            waiting = "Queued: it starts when its turn comes."
            idle = "Not run yet: [b]s[/] starts it, [b]t[/] makes a dry run."
            stats.update(waiting if job.status == "queued" else idle)
            return
        theme = self.app.theme_variables
        for run in runs:
            started = local_time(run.started_at, "%m-%d %H:%M")
            label = f"{run.id}{' dry' if run.dry_run else ''}"
            history.add_row(label, started, badge(run.status, theme, width=15), run_time(run))
        last = runs[0]
        parts: list[Any] = [Text(f"Run {last.id}, {local_time(last.started_at)}", style="bold")]
        if last.dry_run and last.status != "running":
            parts.append(Text("Dry run: nothing was written; the counts say what a run would do."))
        if job.status == "paused":
            parts.append(Text.assemble(("Paused", f"bold {theme['warning']}"), ": r resumes it."))
        progress = run_progress(last, job.status)  # whichever process runs it
        if progress is not None and progress["total"] is not None:
            parts.append(Text(f"Progress: {progress_text(progress)} items"))
        if last.stats:
            parts.append(StatsTable(last.stats))
            parts += [Text(line) for line in extras(last.stats)]
        elif last.status == "running" and job.status != "paused":
            parts.append(Text("Running: statistics follow when it ends."))
        if line := verification_line(last.verification):
            ok = (last.verification or {}).get("ok")
            parts.append(Text(line, style="" if ok else theme["error"]))
        if (found := ledger_counts(last)) is not None:
            parts.append(Text(counts_line(found)))
        if last.error:
            parts.append(Text(last.error, style=theme["error"]))
        stats.update(Group(*parts))
