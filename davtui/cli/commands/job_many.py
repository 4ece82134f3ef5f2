"""`davtui job start|pause|resume|stop|remove --all [--status S] [--match TEXT]`: one
transition on every job a filter selects, each through the lifecycle, as the TUI does for a
selection. Prints how many jobs were acted on and which were refused, with the sentence why;
exit 1 when any was refused (as a refused delete is), 2 on a bad status word or a mix of a job
name and --all."""

from __future__ import annotations

import argparse
import sys

from davtui import exitcodes

#: Refusals listed one per line; beyond, a count.
LISTED = 20
#: What each action did, said of N jobs.
DONE = {
    "start": "Queued",
    "pause": "Asked to pause",
    "resume": "Asked to resume",
    "stop": "Stopped (or asked to stop)",
    "remove": "Removed",
}


def add_options(parser: argparse.ArgumentParser) -> None:
    """--all, --status and --match on a control command (its job name becomes optional)."""
    parser.add_argument("--all", action="store_true", help="every job the filters select")
    parser.add_argument(
        "--status", action="append", default=[], metavar="S",
        help="with --all: only jobs in this state (repeatable, or comma-separated)",
    )  # fmt: skip
    parser.add_argument(
        "--match", metavar="TEXT",
        help="with --all: only jobs whose name or account (name, login, URL) contains TEXT",
    )  # fmt: skip


def wanted(args: argparse.Namespace) -> bool:
    """Whether the command is about many jobs (--all or its filters were given)."""
    return bool(args.all or args.status or args.match)


def run(ctx) -> int:
    """Select, act, report."""
    from davtui.cli.commands.job import recover
    from davtui.engine.jobs.selection import BadStatus, act, ids, matching, parse_statuses

    args = ctx.args
    if args.job is not None:
        return _usage(f"give a job name or --all, not both (job '{args.job}').")
    if not args.all:
        return _usage("--status and --match select among all jobs: add --all.")
    try:
        statuses = parse_statuses(args.status)
    except BadStatus as exc:
        return _usage(str(exc))
    recover()  # a dead runner's jobs are judged as interrupted, as `job list` shows them
    selected = ids(matching(statuses, args.match))
    if not selected:
        print("No job matches.")
        return exitcodes.OK
    outcome = act(args.action, selected)
    print(f"{DONE[args.action]} {len(outcome.acted)} of {len(selected)} jobs.")
    if outcome.acted and args.action == "start":
        print("`davtui --headless` or the TUI runs them.")
    if outcome.refused:
        print(f"Refused {len(outcome.refused)}:", file=sys.stderr)
        for _name, why in outcome.refused[:LISTED]:
            print(f"  {why}", file=sys.stderr)
        if len(outcome.refused) > LISTED:
            more = len(outcome.refused) - LISTED
            print(f"  ... and {more} more (`davtui job list` shows each state)", file=sys.stderr)
        return exitcodes.ITEM_ERRORS
    return exitcodes.OK


def _usage(sentence: str) -> int:
    print(f"davtui: {sentence}", file=sys.stderr)
    return exitcodes.USAGE
