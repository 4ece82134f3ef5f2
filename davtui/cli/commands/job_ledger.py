"""`davtui job show NAME --items [--outcome X]`, `job conflicts NAME` and `job resolve NAME`:
what a run did not copy as sent (its ledger), and settling the conflicts it found.

Kept apart from `job.py` (the job's settings and lifecycle): these read the ledger and the
item state through the jobs layer (`davtui.engine.jobs.ledger`, `.conflicts`).
"""

from __future__ import annotations

import argparse
import json
import sys

from davtui import exitcodes
from davtui.cli.subcommands import Subcommands

#: Entries read from the database at a time while printing a ledger.
PAGE = 500


def register_show(show: argparse.ArgumentParser) -> None:
    """The ledger's options of `job show`."""
    show.add_argument(
        "--items", action="store_true",
        help="list the last run's items not copied as sent and verified equal (its ledger)",
    )  # fmt: skip
    show.add_argument(
        "--outcome", metavar="OUTCOME",
        help="with --items: only this outcome (fixed, converted, changed-by-server, skipped, "
        "refused, failed, conflict, missing)",
    )  # fmt: skip
    show.add_argument("--run", type=int, metavar="ID", help="with --items: this run, not the last")


def wants_items(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "items", False) or getattr(args, "outcome", None))


def counts_line(job_id: int) -> str | None:
    """`ledger of run #7: fixed 3, skipped 1` for the job's last run; None without one."""
    from davtui.engine.jobs import ledger

    run = ledger.last_run(job_id)
    if run is None:
        return None
    found = {k: v for k, v in ledger.counts(job_id, run).items() if v}
    said = ", ".join(f"{k} {v}" for k, v in found.items()) or "every item copied as sent"
    return f"ledger of run #{run}: {said}"


def show_items(args: argparse.Namespace, job) -> int:
    """The ledger of the job's last (or `--run`) run: a table, or JSON with `--json`."""
    from davtui.engine.jobs import ledger

    try:
        outcome = ledger.check_outcome(args.outcome) if args.outcome else None
    except ValueError as exc:
        print(f"davtui: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    run = args.run if args.run is not None else ledger.last_run(job.id)
    items = []
    offset = 0
    while run is not None:
        page = ledger.entries(job.id, run, outcome, offset=offset, limit=PAGE)
        items += page
        offset += PAGE
        if len(page) < PAGE:
            break
    counts = ledger.counts(job.id, run) if run is not None else {}
    if args.json:
        body = {"job": job.name, "run": run, "counts": counts,
                "items": [item.as_dict() for item in items]}  # fmt: skip
        print(json.dumps(body, indent=2))
        return exitcodes.OK
    if run is None:
        print(f"Job '{job.name}' has no finished run yet.")
        return exitcodes.OK
    print(f"run #{run}: " + (", ".join(f"{k} {v}" for k, v in counts.items() if v) or "-"))
    if not items:
        print("No items" + (f" with outcome {outcome}" if outcome else "") + " in this run.")
        return exitcodes.OK
    for item in items:
        name = item.summary or item.uid or item.href
        standing = " (standing)" if item.standing else ""
        print(f"{item.outcome + standing:28} {item.collection or '-'}: {name}")
        print(f"{'':4}{item.href or '-'}")
        if item.reason:
            print(f"{'':4}{item.reason}")
        for detail in item.details:
            if detail != item.reason:
                print(f"{'':6}- {detail}")
        if item.kept:
            print(f"{'':4}kept at {item.kept}")
    return exitcodes.OK


def register(actions: Subcommands) -> None:
    """`job conflicts` and `job resolve`."""
    listing = actions.add_parser("conflicts", help="the items of a job in conflict")
    listing.add_argument("job")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_conflicts)

    resolve = actions.add_parser("resolve", help="settle a job's conflicts")
    resolve.add_argument("job")
    which = resolve.add_mutually_exclusive_group(required=True)
    which.add_argument("--uid", help="the item with this UID")
    which.add_argument("--all", action="store_true", help="every conflict of the job")
    resolve.add_argument(
        "--keep", required=True, choices=("source", "destination"),
        help="source: the next run writes the source's version over the destination's; "
        "destination: keep the destination's version, no longer reported until a side changes",
    )  # fmt: skip
    resolve.set_defaults(handler=_resolve)


def _conflicts(ctx) -> int:
    from davtui.cli.commands.job import find_job
    from davtui.engine.jobs.conflicts import conflicts

    job = find_job(ctx.args.job)
    if job is None:
        return exitcodes.USAGE
    found = conflicts(job.id)
    if ctx.args.json:
        print(json.dumps([item.as_dict() for item in found], indent=2))
    elif not found:
        print(f"Job '{job.name}' has no conflicts.")
    for item in [] if ctx.args.json else found:
        print(f"{item.uid or '-'}  {item.source_href}")
        print(f"{'':4}destination: {item.dest_href or '-'}")
        print(f"{'':4}{item.reason or ''}".rstrip())
    return exitcodes.OK


def _resolve(ctx) -> int:
    from davtui.cli.commands.job import find_job
    from davtui.engine.jobs.conflicts import Unresolvable, resolve

    args = ctx.args
    job = find_job(args.job)
    if job is None:
        return exitcodes.USAGE
    try:
        settled = resolve(job.id, args.keep, None if args.all else args.uid)
    except Unresolvable as exc:
        print(f"davtui: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    then = (
        "the next run writes the source's version"
        if args.keep == "source"
        else "the destination's version is kept"
    )
    print(f"Resolved {settled} conflict(s) of job '{job.name}': {then}.")
    return exitcodes.OK
