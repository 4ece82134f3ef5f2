"""`davtui job add|list|show|start|pause|resume|stop|remove|log|conflicts|resolve`: jobs from
the command line (the ledger's and conflicts' commands are in `job_ledger`).

Control commands write the request on the job row; whichever process runs the job (the TUI,
a headless runner) sees it within a second.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from davtui import exitcodes
from davtui.cli.commands import find, job_edit, job_ledger, job_many, print_rows
from davtui.cli.commands.account import find_account
from davtui.cli.subcommands import Subcommands
from davtui.engine.schema import JOB, check_job

#: The schema's keys `job add` fills from its options.
ADDED = ("name", "what", "mode", "conflict", "collections", "suppress_invitations",
         "default_collections", "dry_run", "max_delete_share", "force_delete", "hook")  # fmt: skip


def _choice(parser: argparse.ArgumentParser, key: str) -> None:
    """An option whose values and default are the schema's (checked by it, in one sentence)."""
    choices = JOB[key].choices
    parser.add_argument(f"--{key}", metavar="{" + ",".join(choices) + "}", default=JOB[key].default)


def register(sub: Subcommands) -> None:
    job = sub.add_parser("job", help="manage migration jobs")
    actions = job.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="create a job")
    add.add_argument("name")
    add.add_argument("--source", "-s", required=True, help="source account (name or id)")
    add.add_argument("--destination", "-d", required=True, help="destination account")
    for key in ("what", "mode", "conflict"):
        _choice(add, key)
    add.add_argument(
        "--collection", action="append", default=[], metavar="SRC[=DST]",
        help="copy this source collection (into DST); repeatable; default all",
    )  # fmt: skip
    add.add_argument(
        "--suppress-invitations",
        action=argparse.BooleanOptionalAction,
        help="stop the destination from e-mailing attendees (default: on for SOGo)",
    )
    add.add_argument(
        "--default-collections",
        action="store_true",
        help="map the source's default calendar/address book onto the destination's",
    )
    add.add_argument("--dry-run", action="store_true", help="the job only plans")
    add.add_argument(
        "--max-delete-share", type=float, default=0.2, metavar="SHARE",
        help="mirror: refuse to delete more than this share (0..1) of a collection's items "
        "the job created (default 0.2)",
    )  # fmt: skip
    add.add_argument(
        "--force-delete", action="store_true", help="mirror: delete even beyond that share"
    )
    add.add_argument("--queue", action="store_true", help="queue it right away")
    add.add_argument(
        "--hook", metavar="CMD", help="run CMD after each run with the JSON report on stdin"
    )
    add.set_defaults(handler=_add)

    listing = actions.add_parser("list", help="list jobs")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)

    show = actions.add_parser("show", help="a job, its last run and its history")
    show.add_argument("job")
    show.add_argument("--json", action="store_true")
    job_ledger.register_show(show)
    show.set_defaults(handler=_show)

    for action, text in (
        ("start", "queue a job (run it with the TUI or `davtui --headless`)"),
        ("pause", "pause a running job"),
        ("resume", "resume a paused job"),
        ("stop", "stop a running or queued job"),
        ("remove", "remove a job and its history"),
        ("duplicate", "a new pending job with the settings of this one"),
    ):
        parser = actions.add_parser(action, help=text)
        parser.add_argument("job", nargs="?")
        job_many.add_options(parser)
        parser.set_defaults(handler=_control, action=action)

    job_edit.register(actions)
    job_ledger.register(actions)

    log = actions.add_parser("log", help="the log of a job's runs")
    log.add_argument("job")
    log.add_argument("--run", type=int, help="only this run")
    log.add_argument("--level", choices=("debug", "info", "warning", "error"), default="info")
    log.add_argument("--follow", "-f", action="store_true", help="keep printing new lines")
    log.add_argument("--json", action="store_true")
    log.set_defaults(handler=_log)


def find_job(key: str):
    from davtui.store.models import Job

    recover()
    return find(Job, key, "job")


def recover() -> None:
    """Jobs held by a runner of this host that died are shown (and are) `interrupted` now,
    not from the next start of a runner on: the queue's own recovery."""
    from davtui.engine.jobs.queue import mark_interrupted

    mark_interrupted()


def collection_choices(values: list[str]) -> list[dict]:
    """`--collection SOURCE[=TARGET]` values as the job's `collections` list (job add, edit)."""
    out = []
    for value in values:
        source, _, target = value.partition("=")
        out.append({"source": source, "target": target or None})
    return out


def _checked(args) -> dict:
    """The options as the schema's job keys, checked: ConfigError, one sentence."""
    data = {key: getattr(args, key) for key in ADDED if key != "collections"}
    data["collections"] = collection_choices(args.collection)
    return check_job(data, f"job '{args.name}'", ADDED)


def _add(ctx) -> int:
    from davtui.engine.jobs.lifecycle import enqueue
    from davtui.store.changes import bump
    from davtui.store.models import Job, database

    args = ctx.args
    values = _checked(args)
    source, destination = find_account(args.source), find_account(args.destination)
    if source is None or destination is None:
        return exitcodes.USAGE
    if Job.get_or_none(Job.name == args.name):
        print(f"davtui: a job named '{args.name}' exists already.", file=sys.stderr)
        return exitcodes.USAGE
    with database.atomic():
        job = Job.create(source=source, destination=destination, **values)
        bump()  # a TUI open on the same database shows it within a second
    if args.queue:
        enqueue(job.id)
    print(f"Added job '{job.name}' (id {job.id}){' and queued it' if args.queue else ''}.")
    return exitcodes.OK


def job_row(job) -> dict:
    from davtui.engine.jobs.fleet import run_progress
    from davtui.store.models import Run

    last = job.runs.order_by(Run.id.desc()).first()
    return {
        "id": job.id,
        "name": job.name,
        "source": job.source.name,
        "destination": job.destination.name,
        "what": job.what,
        "mode": job.mode,
        "conflict": job.conflict,
        "dry_run": job.dry_run,
        "max_delete_share": job.max_delete_share,
        "force_delete": job.force_delete,
        "collections": job.collections,
        "status": job.status,
        "control": job.control,
        "hook": job.hook,
        "last_run": run_row(last) if last else None,
        "progress": run_progress(last, job.status),
    }


def run_row(run) -> dict:
    return {
        "id": run.id,
        "status": run.status,
        "started_at": str(run.started_at),
        "finished_at": str(run.finished_at) if run.finished_at else None,
        "dry_run": run.dry_run,
        "stats": run.stats,
        "verification": run.verification,
        "error": run.error,
    }


def _list(ctx) -> int:
    from davtui.engine.jobs.fleet import progress_text
    from davtui.store.models import Job

    recover()
    rows = [job_row(j) for j in Job.select().order_by(Job.id)]
    for row in rows:
        row["route"] = f"{row['source']} -> {row['destination']}"
        row["shown_progress"] = progress_text(row["progress"])
    empty = "No jobs yet: add one with `davtui job add NAME -s SOURCE -d DESTINATION`."
    columns = [("ID", "id", 3), ("NAME", "name", 24), ("STATUS", "status", 22),
               ("SOURCE -> DESTINATION", "route", 0)]  # fmt: skip
    if any(row["progress"] for row in rows):  # counts, rate and ETA of the running jobs
        columns.insert(3, ("PROGRESS", "shown_progress", 30))
    if ctx.args.json:
        for row in rows:
            del row["shown_progress"]
    return print_rows(rows, ctx.args.json, empty, columns)


def _show(ctx) -> int:
    from davtui.engine.jobs.fleet import progress_text
    from davtui.store.models import Run

    job = find_job(ctx.args.job)
    if job is None:
        return exitcodes.USAGE
    if job_ledger.wants_items(ctx.args):
        return job_ledger.show_items(ctx.args, job)
    row = job_row(job)
    row["runs"] = [run_row(r) for r in job.runs.order_by(Run.id)]
    if ctx.args.json:
        print(json.dumps(row, indent=2))
        return exitcodes.OK
    last = row["last_run"]
    if last and last["dry_run"] and last["status"] == row["status"]:  # nothing was written
        row["status"] = f"{row['status']} (dry run: nothing was written)"
    for key in ("name", "source", "destination", "what", "mode", "conflict", "status"):
        print(f"{key:12} {row[key]}")
    if row["progress"]:
        print(f"{'progress':12} {progress_text(row['progress'])}")
    print("runs:")
    for run in row["runs"]:
        stats = run["stats"] or {}
        counts = ", ".join(
            f"{k} {sum(v.values())}"
            for k, v in stats.items()
            if isinstance(v, dict) and k not in ("fixups", "ledger") and sum(v.values())
        )
        status = f"dry run {run['status']}" if run["dry_run"] else run["status"]
        print(f"  #{run['id']:<4} {run['started_at'][:19]}  {status:22} {counts}")
        if run["error"]:
            print(f"        {run['error']}")
    if said := job_ledger.counts_line(job.id):
        print(said)
    return exitcodes.OK


def _control(ctx) -> int:
    """start, pause, resume, stop, remove, duplicate: the lifecycle's transitions, as the
    TUI's keys."""
    from davtui.engine.jobs import lifecycle

    if job_many.wanted(ctx.args):
        return job_many.run(ctx)
    if ctx.args.job is None:
        print(f"davtui: job {ctx.args.action} needs a job name or --all.", file=sys.stderr)
        return exitcodes.USAGE
    job = find_job(ctx.args.job)
    if job is None:
        return exitcodes.USAGE
    transitions = {
        "start": lifecycle.start,
        "pause": lifecycle.pause,
        "resume": lifecycle.resume,
        "stop": lifecycle.stop,
        "remove": lifecycle.remove,
        "duplicate": lambda job: f"Created job '{lifecycle.duplicate(job).name}'.",
    }
    try:
        done = transitions[ctx.args.action](job)
    except lifecycle.Refused as exc:
        print(f"davtui: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    if ctx.args.action == "start":
        done += " `davtui --headless` or the TUI runs it."
    print(done)
    return exitcodes.OK


def _log(ctx) -> int:
    from davtui.store.models import LogEntry

    args = ctx.args
    job = find_job(args.job)
    if job is None:
        return exitcodes.USAGE
    levels = ("debug", "info", "warning", "error")
    wanted = levels[levels.index(args.level) :]
    last_id = 0
    while True:
        query = LogEntry.select().where(
            (LogEntry.job == job.id) & (LogEntry.id > last_id) & LogEntry.level.in_(wanted)
        )
        if args.run:
            query = query.where(LogEntry.run == args.run)
        for entry in query.order_by(LogEntry.id).iterator():
            last_id = entry.id
            if args.json:
                print(json.dumps({
                    "time": str(entry.time), "level": entry.level, "message": entry.message,
                    "run": entry.run_id, "collection": entry.collection, "href": entry.href,
                    "uid": entry.uid, "summary": entry.summary,
                }))  # fmt: skip
            else:
                print(f"{str(entry.time)[:19]} {entry.level.upper():7} {entry.message}")
        if not args.follow:
            return exitcodes.OK
        sys.stdout.flush()
        time.sleep(1)
