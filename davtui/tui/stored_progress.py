"""The progress of jobs another process runs, as their run rows have it.

A job run by the App's own queue reports its progress as `JobProgress` messages. A job run by
another process (the `davtui serve` queue behind every browser tab, a `--headless` runner,
another TUI) sends nothing here; but its recorder stores the run's counts and recent rate on the
run row every couple of seconds, so the Jobs screen rereads those rows, one query for the jobs
it shows, and presents them as the same messages.
"""

from __future__ import annotations

from davtui.engine.jobs.fleet import run_progress
from davtui.store.models import Run
from davtui.tui.messages import JobProgress

#: Seconds between two rereads: the recorder writes a run's row at most this often.
POLL_SECONDS = 2.0


def stored_progress(jobs: dict[int, str]) -> list[JobProgress]:
    """The progress of the jobs `jobs` maps to their status (running or paused), from the
    unfinished run of each: one query, whatever the number of jobs. A run whose row has no
    total yet (it lists or plans: the row does not say which) shows nothing but its status."""
    if not jobs:
        return []
    current: dict[int, Run] = {}
    runs = Run.select().where(Run.job.in_(list(jobs)) & Run.finished_at.is_null())
    for run in runs.order_by(Run.id):  # the newest unfinished run of each job wins
        current[run.job_id] = run
    found = []
    for job_id, run in current.items():
        progress = run_progress(run, jobs[job_id])
        if progress is None or progress["total"] is None:
            continue
        rate, eta = progress["rate"] or 0.0, progress["eta"]
        found.append(JobProgress(job_id, progress["done"], progress["total"], rate, eta))
    return found
