"""`davtui --headless`: run queued and interrupted jobs (or the named ones) without a UI.

The same dispatcher (`davtui.engine.jobs.dispatcher`) and engine as the TUI. SIGINT/SIGTERM
stop at the next item boundary; the job is left `interrupted` and resumes on the next start.
`--every` repeats forever: each pass runs what is queued, then the jobs of the last pass again
(except those a user stopped). After each job its hook (davtui.engine.jobs.hooks) gets the
JSON report.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading

from davtui import exitcodes

#: Worse outcomes win when several jobs ran (0 best ... 4 worst).
SEVERITY = [
    exitcodes.OK,
    exitcodes.ITEM_ERRORS,
    exitcodes.VERIFY,
    exitcodes.CANCELLED,
    exitcodes.AUTH,
    exitcodes.UNREACHABLE,
    exitcodes.USAGE,
]


def parse_interval(text: str) -> float:
    """'30m', '2h', '90s' or plain seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = text.strip().lower()
    try:
        if text and text[-1] in units:
            return float(text[:-1]) * units[text[-1]]
        return float(text)
    except ValueError:
        raise ValueError(f"'{text}' is not an interval such as 30m, 2h or 90s") from None


def stop_on_signals() -> threading.Event:
    """An event set by SIGINT or SIGTERM: runs stop at the next item boundary. A second
    signal stops at once (`abort`)."""
    shutdown = threading.Event()

    def stop(signum, _frame) -> None:
        name = signal.Signals(signum).name
        if shutdown.is_set():
            abort(name)
        print(
            f"\ndavtui: {name}: stopping after the items in flight (again: stop now).",
            file=sys.stderr,
        )
        shutdown.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    return shutdown


def abort(name: str, record_within: float = 1.0) -> None:
    """Stop this process now, exit 5, leaving its jobs `interrupted` to resume on the next
    start: the user asked twice.

    The threads may sit in network reads that no signal interrupts (a server dripping a byte
    at a time), and Python joins its worker threads at exit, so a normal exit would wait for
    them: the process ends with `os._exit` instead. That is as safe as a kill, which the
    engine survives by design (each item's state is committed as it is done, and a write cut
    off is adopted or redone on the next run); what a kill would leave wrong — the job and its
    run shown `running` — is recorded first, from a thread of its own (its own connection,
    outside any transaction the interrupted main thread may hold), given `record_within`
    seconds; if the database does not answer by then, the next start or `job list` finds the
    job's runner dead and shows it interrupted all the same."""
    from davtui.engine.jobs.queue import mark_interrupted
    from davtui.store.models import database

    print(f"\ndavtui: {name} again: stopping now; the job resumes on the next start.",
          file=sys.stderr)  # fmt: skip

    def record() -> None:
        try:
            mark_interrupted()  # this process's held jobs count as left by a dead runner
        finally:
            database.close()

    recorder = threading.Thread(target=record, name="abort", daemon=True)
    recorder.start()
    recorder.join(record_within)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed or broken stream
            stream.flush()
    os._exit(exitcodes.CANCELLED)


def worst(codes: list[int]) -> int:
    return max(codes, key=SEVERITY.index, default=exitcodes.OK)


def resolve_jobs(names: list[str]) -> list[int]:
    """Job ids for names or ids; named jobs that are not runnable are queued. A named job
    that a live runner holds is refused: it never runs twice at once."""
    from davtui.cli.commands import lookup
    from davtui.engine.jobs.lifecycle import HELD, RUNNABLE, enqueue
    from davtui.engine.jobs.queue import already_running, is_held, mark_interrupted
    from davtui.store.models import Job

    mark_interrupted()  # held by a runner that died: `interrupted`, runnable again
    ids = []
    for name in names:
        job = lookup(Job, name)
        if job is None:
            raise LookupError(f"No job named '{name}'.")
        if is_held(job.id):
            raise LookupError(already_running(job.id, job.name))
        if job.status not in (*RUNNABLE, *HELD):
            enqueue(job.id)
        ids.append(job.id)
    return ids


def run(
    job_names: list[str], as_json: bool, verbose: int, every: str | None, workers: int = 1
) -> int:
    from davtui.cli.console import Console
    from davtui.engine.jobs.dispatcher import Dispatcher, Ended
    from davtui.store.models import Job

    try:
        interval = parse_interval(every) if every else None
        only = resolve_jobs(job_names) if job_names else None
        if workers < 1:
            raise ValueError("--workers must be at least 1")
    except (ValueError, LookupError) as exc:
        print(f"davtui: {exc}.".replace("..", "."), file=sys.stderr)
        return exitcodes.USAGE
    shutdown = stop_on_signals()
    consoles: dict[int, Console] = {}  # each job's lines carry its name: jobs run side by side

    def console_of(job_id: int) -> Console:
        consoles[job_id] = Console(sys.stderr, verbose, label=Job.get_by_id(job_id).name)
        return consoles[job_id]

    def finished_job(ended: Ended) -> None:
        """Each job's summary as it ends (the dispatcher writes the report, runs the hook)."""
        consoles.pop(ended.job_id).finish(ended.finished, ended.duration)

    dispatcher = Dispatcher(
        workers,
        only=only,
        listener_for=console_of,
        on_finished=finished_job,
        every=interval,
        shutdown=shutdown,
    )
    ended = dispatcher.run()
    if as_json:
        print(json.dumps([run.report for run in ended], indent=2))
    if shutdown.is_set():
        return exitcodes.CANCELLED
    return worst([run.finished.exit_code for run in ended])
