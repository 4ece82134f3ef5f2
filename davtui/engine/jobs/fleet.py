"""The whole queue at a glance: how many mailboxes are done, running, waiting or failed, how
many items are left, at what pace, and when it will end.

Computed by a few aggregate queries (counts by status, sums over the runs in progress, the
last run of each queued job), never by loading the jobs: an admin migrating a company has a
thousand jobs and a million log rows, and `davtui status` is what a monitoring script calls
every minute. A run's progress is on its row (`Run.items_done`, written by the recorder), so
neither the item state nor the logs are read.

What is estimated says so: a queued job that never ran has no item count yet, and counts as
the average of the runs that have one; the ETA assumes the pace of the runs in progress.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from peewee import JOIN, ModelSelect, fn

from davtui.durations import duration
from davtui.engine.jobs.lifecycle import HELD, RUNNABLE, JobStatus
from davtui.store.models import Account, Job, Run
from davtui.store.rows import one_tuple, tuples

S = JobStatus
#: How many jobs and hosts the lists keep.
TOP = 5


@dataclass(frozen=True)
class JobFailures:
    """A job whose last run failed items."""

    name: str
    status: str
    failed: int


@dataclass(frozen=True)
class HostPace:
    """A server and the pace of the running jobs that use it (either side)."""

    host: str
    jobs: int
    rate: float  # items per second, per job, averaged over its jobs


@dataclass(frozen=True)
class Fleet:
    """The summary; `as_dict()` is what `davtui status --json` prints."""

    jobs: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    items_done: int = 0  # by the runs in progress
    items_total: int | None = None  # of the runs in progress and the queued jobs
    items_estimated: bool = False  # some queued job's count is an average
    rate: float | None = None  # items per second, all running jobs together (recent)
    eta: float | None = None  # seconds until everything queued is done, at that rate
    most_failed: list[JobFailures] = field(default_factory=list)
    slowest: list[HostPace] = field(default_factory=list)

    def count(self, *states: str) -> int:
        return sum(self.by_status.get(s, 0) for s in states)

    @property
    def done(self) -> int:
        return self.count(S.COMPLETED)

    @property
    def with_errors(self) -> int:
        return self.count(S.COMPLETED_WITH_ERRORS)

    @property
    def running(self) -> int:
        return self.count(S.RUNNING)

    @property
    def paused(self) -> int:
        return self.count(S.PAUSED)

    @property
    def queued(self) -> int:
        return self.count(S.QUEUED)

    @property
    def failed(self) -> int:
        return self.count(S.FAILED)

    def pace(self) -> str:
        """The rate and when everything queued is done, or why neither is known."""
        if not (self.running or self.queued):
            return "nothing running or queued"
        if not self.rate:
            return "no job is copying yet; the end is not known"
        end = duration(self.eta, "not known yet")
        return f"{self.rate:,.1f} items/s; everything queued done in {end}"

    def lines(self) -> list[str]:
        """The summary in words within 80 columns, numbers first (they are never cut), as
        `davtui status` prints it and the Fleet screen shows it."""
        counted = self.done + self.with_errors + self.failed + self.running + self.paused
        other = self.jobs - counted - self.queued
        if self.items_total is None:
            items = f"{self.items_done:,} done of a total not known yet (a run is planning)"
        else:
            about = "about " if self.items_estimated else ""
            items = f"{self.items_done:,} done of {about}{self.items_total:,} (running, queued)"
        jobs = "1 job" if self.jobs == 1 else f"{self.jobs:,} jobs"
        return [
            f"Mailboxes  {jobs}: {self.done:,} done, "
            f"{self.with_errors:,} with errors, {self.failed:,} failed",
            f"           {self.running:,} running, {self.paused:,} paused, "
            f"{self.queued:,} queued, {other:,} not queued",
            f"Items      {items}",
            f"Pace       {self.pace()}",
        ]

    def as_dict(self) -> dict[str, Any]:
        found = asdict(self)
        found["mailboxes"] = {
            "total": self.jobs,
            "done": self.done,
            "with_errors": self.with_errors,
            "running": self.running,
            "paused": self.paused,
            "queued": self.queued,
            "failed": self.failed,
        }
        del found["jobs"]
        return found


def summary() -> Fleet:
    """The fleet as the database has it now."""
    by_status = {
        status: count
        for status, count in tuples(Job.select(Job.status, fn.COUNT(Job.id)).group_by(Job.status))
    }
    done, running_total, rate, running = _in_progress()
    queued_total, estimated = _queued_items(by_status)
    total = None if running_total is None or queued_total is None else running_total + queued_total
    eta = None
    if total is not None and rate:
        eta = max(total - done, 0) / rate
    return Fleet(
        jobs=sum(by_status.values()),
        by_status=by_status,
        items_done=done,
        items_total=total,
        items_estimated=estimated,
        rate=rate,
        eta=eta,
        most_failed=_most_failed(),
        slowest=_slowest(running),
    )


def _current_runs(statuses: tuple[str, ...] = HELD) -> ModelSelect[Run]:
    """The runs in progress: the run of a job in `statuses` (running or paused) that has not
    ended."""
    return (
        Run.select()
        .join(Job, on=Run.job == Job.id)
        .where(Job.status.in_(statuses) & Run.finished_at.is_null())
    )


def _in_progress() -> tuple[int, int | None, float | None, int]:
    """(items done, items total or None while one is planning, summed rate, run count)."""
    count, done, total, unknown, rate = one_tuple(
        _current_runs().select(
            fn.COUNT(Run.id),
            fn.COALESCE(fn.SUM(Run.items_done), 0),
            fn.COALESCE(fn.SUM(Run.items_total), 0),
            fn.SUM(Run.items_total.is_null().cast("integer")),
            fn.SUM(Run.rate),
        )
    )
    return int(done), None if unknown else int(total), rate, int(count)


def _queued_items(by_status: dict[str, int]) -> tuple[int | None, bool]:
    """Items of the jobs waiting to run: each one's last counted run, else the average run
    (estimated); None when no run was ever counted and some job waits."""
    waiting = sum(by_status.get(s, 0) for s in RUNNABLE)
    if not waiting:
        return 0, False
    last = (
        Run.select(fn.MAX(Run.id))
        .join(Job, on=Run.job == Job.id)
        .where(Job.status.in_(RUNNABLE) & Run.items_total.is_null(False))
        .group_by(Run.job)
    )
    known, counted = one_tuple(
        Run.select(fn.COALESCE(fn.SUM(Run.items_total), 0), fn.COUNT(Run.id)).where(
            Run.id.in_(last)
        )
    )
    unknown = waiting - int(counted)
    if not unknown:
        return int(known), False
    average = Run.select(fn.AVG(Run.items_total)).where(Run.items_total.is_null(False)).scalar()
    if average is None:
        return None, True
    return int(known) + round(unknown * float(average)), True


def _most_failed() -> list[JobFailures]:
    """The jobs whose last run failed the most items."""
    last = Run.select(fn.MAX(Run.id)).group_by(Run.job)
    rows = tuples(
        Run.select(Job.name, Job.status, Run.items_failed)
        .join(Job, on=Run.job == Job.id)
        .where(Run.id.in_(last) & (Run.items_failed > 0))
        .order_by(Run.items_failed.desc(), Job.name)
        .limit(TOP)
    )
    return [JobFailures(name, status, failed) for name, status, failed in rows]


def run_progress(run: Run | None, status: str) -> dict[str, Any] | None:
    """A running (or paused) job's progress from its run row: done, total, failed, items/s
    and the seconds left at that pace; None for a job that is not under way."""
    if run is None or run.finished_at is not None or status not in HELD:
        return None
    done, total, rate = run.items_done or 0, run.items_total, run.rate
    eta = (total - done) / rate if total is not None and rate else None
    return {"done": done, "total": total, "failed": run.items_failed or 0, "rate": rate,
            "eta": eta}  # fmt: skip


def progress_text(progress: dict[str, Any] | None) -> str:
    """`120/800 15.2/s ETA 0:45` (what `job list` and `job show` print); "" when none."""
    if progress is None:
        return ""
    total = "?" if progress["total"] is None else progress["total"]
    text = f"{progress['done']}/{total}"
    if progress["rate"] is not None:
        text += f" {progress['rate']:.1f}/s"
    if progress["eta"] is not None:
        minutes, seconds = divmod(round(progress["eta"]), 60)
        text += f" ETA {minutes // 60}:{minutes % 60:02d}:{seconds:02d}"
    return text


def host_of(url: str, kind: str) -> str:
    """The server of an account's URL (a local folder or file: "local")."""
    if kind != "dav":
        return "local"
    parts = urlsplit(url)
    return parts.hostname or url


def _slowest(running: int) -> list[HostPace]:
    """The hosts of the running jobs, slowest first by items per second per job; one row per
    run in progress (a handful: as many as there are workers). A paused job's run keeps the
    rate it had when it paused: its server is not slow, only waiting, so it is left out."""
    if not running:
        return []
    source, dest = Account.alias(), Account.alias()
    rows = tuples(
        _current_runs((S.RUNNING,))
        .select(source.url, source.kind, dest.url, dest.kind, Run.rate)
        .join(source, JOIN.INNER, on=Job.source == source.id)
        .switch(Job)
        .join(dest, JOIN.INNER, on=Job.destination == dest.id)
        .where(Run.rate.is_null(False))
    )
    rates: dict[str, list[float]] = {}
    for src_url, src_kind, dst_url, dst_kind, rate in rows:
        for host in {host_of(src_url, src_kind), host_of(dst_url, dst_kind)}:
            rates.setdefault(host, []).append(rate)
    paces = [HostPace(host, len(r), sum(r) / len(r)) for host, r in rates.items()]
    return sorted(paces, key=lambda p: (p.rate, p.host))[:TOP]
