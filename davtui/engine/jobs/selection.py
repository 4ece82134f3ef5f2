"""Many jobs at once: which jobs a filter selects, and one lifecycle transition applied to each.

The CLI's `davtui job start|pause|resume|stop|remove --all [--status S] [--match TEXT]` and the
TUI's "all matching the filter" select through `matching` and act through `act`, so both pick
the same jobs and both go through `lifecycle` (the only code that writes a job's status): a
job the transition does not apply to is refused with the lifecycle's own sentence and the
others go on. Ids are read first and each job fresh before it is acted on, so no cursor stays
open across the writes and a job changed meanwhile is judged on its current state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from davtui.engine.jobs import lifecycle
from davtui.engine.jobs.lifecycle import JobStatus
from davtui.store.models import Account, Job

ACTIONS: dict[str, Callable[[Job], str]] = {
    "start": lifecycle.start,
    "pause": lifecycle.pause,
    "resume": lifecycle.resume,
    "stop": lifecycle.stop,
    "remove": lifecycle.remove,
}


class BadStatus(ValueError):
    """A status word that names no state; `str()` is one sentence listing the known ones."""


def parse_statuses(words: Iterable[str]) -> tuple[JobStatus, ...]:
    """States from words as people type them: `failed`, `completed_with_errors`,
    `completed-with-errors`, "completed with errors"; several in one word with commas."""
    found: list[JobStatus] = []
    for word in words:
        for part in word.split(","):
            key = "_".join(part.strip().lower().replace("-", " ").split())
            if not key:
                continue
            try:
                found.append(JobStatus(key))
            except ValueError:
                known = ", ".join(s.value for s in JobStatus)
                sentence = f"'{part.strip()}' is not a job status: use one of {known}."
                raise BadStatus(sentence) from None
    return tuple(dict.fromkeys(found))


def matching(statuses: Sequence[str] = (), match: str | None = None):
    """A query of the jobs in one of `statuses` (any, when empty) whose name, or either
    account's name, login or URL, contains `match` (case-insensitive), in id order."""
    source, dest = Account.alias(), Account.alias()
    query = (
        Job.select(Job.id)
        .join(source, on=Job.source == source.id)
        .switch(Job)
        .join(dest, on=Job.destination == dest.id)
        .order_by(Job.id)
    )
    if statuses:
        query = query.where(Job.status.in_(list(statuses)))
    if match:
        text = match.strip()
        where = Job.name.contains(text)
        for side in (source, dest):
            where |= side.name.contains(text) | side.username.contains(text)
            where |= side.url.contains(text)
        query = query.where(where)
    return query


@dataclass
class Outcome:
    """What a bulk action did: the jobs acted on, and those refused with the sentence why."""

    action: str
    acted: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


def act(action: str, job_ids: Iterable[int]) -> Outcome:
    """Apply `action` (a key of ACTIONS) to each job, each through the lifecycle."""
    transition = ACTIONS[action]
    outcome = Outcome(action)
    for job_id in list(job_ids):
        job = Job.get_or_none(Job.id == job_id)
        if job is None:
            continue  # removed meanwhile: nothing to act on
        try:
            transition(job)
        except lifecycle.Refused as exc:
            outcome.refused.append((job.name, str(exc)))
        else:
            outcome.acted.append(job.name)
    return outcome


def ids(query) -> list[int]:
    """The ids a `matching` query selects (plain integers, not job objects)."""
    return [job_id for (job_id,) in query.tuples()]
