"""The one dispatcher (`davtui.engine.jobs.dispatcher`) on its own: real SQLite, real jobs
between local vdir folders (no server needed), real hook subprocesses.

Drain with several workers, `only`, the `--every` repetition, the forever mode woken by
`nudge`, and the after-run work done once per run: the report, the front end's callback, the
hook — in that order."""

from __future__ import annotations

import json
import shlex
import sys
import time
from operator import attrgetter
from pathlib import Path

import pytest

from davtui.engine.events import Event, ItemDone
from davtui.engine.jobs import lifecycle
from davtui.engine.jobs.dispatcher import Dispatcher, Ended
from davtui.engine.jobs.lifecycle import enqueue
from davtui.store.models import Account, Job, Run
from tests.test_headless import seed_folder, wait_for


def hook_writing_to(path: Path) -> str:
    """A hook command that appends the report it gets on stdin, as one line, to `path`."""
    script = (
        "import json, sys; report = json.load(sys.stdin); "
        f"open({str(path)!r}, 'a').write(json.dumps(report) + '\\n')"
    )
    return shlex.join([sys.executable, "-c", script])


def make_jobs(
    root: Path, count: int, queued: bool = True, hook: str | None = None, events: int = 5
) -> list[int]:
    """`count` jobs, each from a vdir of `events` events to an empty vdir of its own."""
    ids = []
    for n in range(count):
        source = Account.create(
            name=f"src{n}", kind="vdir", url=str(seed_folder(root / f"src{n}", events))
        )
        (root / f"dst{n}").mkdir()
        destination = Account.create(name=f"dst{n}", kind="vdir", url=str(root / f"dst{n}"))
        job = Job.create(name=f"job{n}", source=source, destination=destination, hook=hook)
        if queued:
            enqueue(job.id)
        ids.append(job.id)
    return ids


def statuses() -> dict[str, str]:
    return {job.name: job.status for job in Job.select()}


def test_drain_runs_every_queued_job_then_returns(store: Path, tmp_path: Path) -> None:
    reports = tmp_path / "hook.jsonl"
    make_jobs(tmp_path, 3, hook=hook_writing_to(reports))
    seen: list[Ended] = []

    def finished(ended: Ended) -> None:
        """The front end's part comes before the hook: the summary is not held up by it."""
        hooked = reports.read_text() if reports.exists() else ""
        assert f'"job": "{ended.name}"' not in hooked
        seen.append(ended)

    ended = Dispatcher(workers=2, on_finished=finished).run()
    assert statuses() == {"job0": "completed", "job1": "completed", "job2": "completed"}
    assert sorted(run.name for run in ended) == ["job0", "job1", "job2"]
    # two workers: the callbacks of runs ending together may come in either order
    by_job = attrgetter("job_id")
    assert sorted(seen, key=by_job) == sorted(ended, key=by_job), "each run seen once"
    for run in ended:
        assert run.report["job"] == run.name and run.report["status"] == "completed"
        assert run.report["stats"]["events"]["created"] == 5
        assert run.duration >= 0
    hooked = [json.loads(line) for line in reports.read_text().splitlines()]
    assert sorted(report["job"] for report in hooked) == ["job0", "job1", "job2"]
    assert Run.select().count() == 3


def test_only_the_named_jobs_run_once(store: Path, tmp_path: Path) -> None:
    first, second = make_jobs(tmp_path, 2)
    ended = Dispatcher(only=[second]).run()
    assert [run.job_id for run in ended] == [second]
    assert Job.get_by_id(first).status == "queued" and Job.get_by_id(second).status == "completed"


def test_every_runs_the_last_pass_again_until_stopped(store: Path, tmp_path: Path) -> None:
    """`--every`: after each pass the jobs it ran are queued again; stop() ends the wait."""
    (job,) = make_jobs(tmp_path, 1)
    passes: list[Ended] = []

    def finished(ended: Ended) -> None:
        passes.append(ended)
        if len(passes) == 3:
            dispatcher.stop()

    dispatcher = Dispatcher(on_finished=finished, every=0.2)
    ended = dispatcher.run()
    assert [run.job_id for run in ended] == [job, job, job]
    assert [run.report["stats"]["events"].get("created", 0) for run in ended] == [5, 0, 0]
    assert Job.get_by_id(job).status == "completed"


def test_every_does_not_repeat_a_job_a_user_stopped(store: Path, tmp_path: Path) -> None:
    """A run that ended cancelled (a user's stop) is not queued again by `--every`."""
    kept, stopped = make_jobs(tmp_path, 2, events=200)
    passes = 0

    def listener_for(job_id: int):
        def listener(event: Event) -> None:
            if job_id == stopped and isinstance(event, ItemDone):
                lifecycle.stop(Job.get_by_id(job_id))  # as `davtui job stop` asks
                time.sleep(0.01)  # slow enough for the run to see the request half-way

        return listener

    def finished(ended: Ended) -> None:
        nonlocal passes
        if ended.job_id == kept:
            passes += 1
            if passes == 2:
                dispatcher.stop()

    dispatcher = Dispatcher(listener_for=listener_for, on_finished=finished, every=0.2)
    ended = dispatcher.run()
    ran = [(run.job_id, run.finished.status) for run in ended]
    assert ran.count((stopped, "cancelled")) == 1 and ran.count((kept, "completed")) == 2, ran
    assert Job.get_by_id(stopped).status == "cancelled"


def test_forever_takes_jobs_queued_later_when_nudged(store: Path, tmp_path: Path) -> None:
    """The TUI's (and serve's) mode: it waits for work, a nudge makes it look at once."""
    first, second = make_jobs(tmp_path, 2, queued=False)
    names: list[str] = []
    dispatcher = Dispatcher(forever=True, idle_wait=60, on_finished=lambda e: names.append(e.name))
    thread = dispatcher.start()
    assert not dispatcher.stopped.is_set()
    try:
        for job in (first, second):
            enqueue(job)
            dispatcher.nudge()  # with a 60 s idle wait, only the nudge can start it in time
            wait_for(lambda job=job: Job.get_by_id(job).status == "completed", timeout=30)
        assert names == ["job0", "job1"] and not dispatcher.current
    finally:
        dispatcher.stop()
        thread.join(timeout=30)
    assert not thread.is_alive() and dispatcher.stopped.is_set() and dispatcher.error is None


def test_a_bug_in_a_slot_stops_the_dispatcher_and_is_raised(store: Path, tmp_path: Path) -> None:
    """No job is started after a bug; `run()` raises it, `start()` keeps it in `error`."""
    first, second = make_jobs(tmp_path, 2)

    def broken(_job_id: int):
        raise RuntimeError("a bug in a front end's listener")

    with pytest.raises(RuntimeError, match="a bug"):
        Dispatcher(listener_for=broken).run()
    assert Job.get_by_id(second).status == "queued", "nothing started after the bug"
    lifecycle.interrupt(first, Job.get_by_id(first).runner)  # what the next start recovers
    enqueue(first)
    dispatcher = Dispatcher(listener_for=broken, only=[first])
    dispatcher.start().join(timeout=30)
    assert isinstance(dispatcher.error, RuntimeError) and dispatcher.stopped.is_set()
