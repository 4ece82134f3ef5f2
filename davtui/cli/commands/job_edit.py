"""`davtui job edit NAME|ID [--name] [--what] [--mode] ...`: change a job's settings.

The options of `job add` that can change without breaking the job's history (its accounts
cannot: the item state it keeps is about those two servers), each checked by the schema as
`job add` checks it. Only while nothing happens to the job (the lifecycle's IDLE states): a
queued or running job would run with half old, half new settings, so it is refused with one
sentence and exit 2, as `job remove` is.
"""

from __future__ import annotations

import argparse
import sys

from davtui import exitcodes
from davtui.cli.subcommands import Subcommands
from davtui.engine.schema import JOB, check_job, edited_conflict

#: Option destination -> the schema key it sets (all None when not given).
EDITABLE = ("name", "what", "mode", "conflict", "suppress_invitations", "default_collections",
            "dry_run", "max_delete_share", "force_delete", "hook")  # fmt: skip


def register(actions: Subcommands) -> None:
    edit = actions.add_parser(
        "edit", help="change a job's settings (not while it is queued or running)"
    )
    edit.add_argument("job", help="the job (name or id)")
    edit.add_argument("--name", help="rename the job")
    for key in ("what", "mode", "conflict"):
        choices = JOB[key].choices
        edit.add_argument(f"--{key}", metavar="{" + ",".join(choices) + "}")
    edit.add_argument(
        "--collection", action="append", metavar="SRC[=DST]",
        help="copy only this source collection (into DST); repeatable; replaces the list",
    )  # fmt: skip
    edit.add_argument("--all-collections", action="store_true", help="copy every collection again")
    for key, text in (
        ("suppress-invitations", "stop the destination from e-mailing attendees"),
        ("default-collections", "map the default calendar/address book onto the destination's"),
        ("dry-run", "the job only plans"),
        ("force-delete", "mirror: delete even beyond the share"),
    ):
        edit.add_argument(f"--{key}", action=argparse.BooleanOptionalAction, help=text)
    edit.add_argument("--max-delete-share", type=float, metavar="SHARE")
    edit.add_argument("--hook", metavar="CMD", help="run CMD after each run (report on stdin)")
    edit.add_argument("--no-hook", action="store_true", help="no hook any more")
    edit.set_defaults(handler=_edit)


def changes(args: argparse.Namespace) -> dict:
    """The options given, as checked schema values; ConfigError (one sentence) if one is bad."""
    from davtui.cli.commands.job import collection_choices

    given = {key: getattr(args, key) for key in EDITABLE if getattr(args, key) is not None}
    if args.collection:
        given["collections"] = collection_choices(args.collection)
    values = check_job(given, f"job '{args.job}'", tuple(given))
    if args.all_collections:
        values["collections"] = []
    if args.no_hook:
        values["hook"] = None
    return values


def _edit(ctx) -> int:
    from davtui.cli.commands.job import find_job
    from davtui.engine.jobs.lifecycle import IDLE, words
    from davtui.store.changes import bump
    from davtui.store.db import serialized
    from davtui.store.models import Job, utcnow

    args = ctx.args
    if args.collection and args.all_collections:
        return _usage("give --collection or --all-collections, not both.")
    if args.hook and args.no_hook:
        return _usage("give --hook or --no-hook, not both.")
    values = changes(args)
    if not values:
        return _usage("nothing to change: give an option such as --mode or --what.")
    job = find_job(args.job)
    if job is None:
        return exitcodes.USAGE
    with serialized():  # the state is checked and the row written with no runner between
        fresh = Job.get_by_id(job.id)
        if fresh.status not in IDLE:
            return _usage(f"job '{fresh.name}' is {words(fresh.status)}: stop it first.")
        if "mode" in values or "conflict" in values:  # a policy goes with a mode
            mode = values.get("mode", fresh.mode)
            values["conflict"] = edited_conflict(
                mode, values.get("conflict"), fresh.conflict, f"job '{args.job}'"
            )
        new_name = values.get("name")
        if new_name and new_name != fresh.name and Job.get_or_none(Job.name == new_name):
            return _usage(f"a job named '{new_name}' exists already.")
        Job.update(**values, updated_at=utcnow()).where(Job.id == job.id).execute()
        bump()  # a TUI open on the same database shows the change within a second
    # a hook's command line is not repeated: it may carry a token
    said = ", ".join(
        f"{key} {'set' if key == 'hook' and value else _shown(value)}"
        for key, value in values.items()
    )
    print(f"Changed job '{values.get('name', fresh.name)}': {said}.")
    return exitcodes.OK


def _shown(value) -> str:
    if value is None:
        return "none"
    if value == []:
        return "every collection"
    if isinstance(value, list):
        return ", ".join(
            c["source"] + (f"={c['target']}" if c.get("target") else "") for c in value
        )
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def _usage(sentence: str) -> int:
    print(f"davtui: {sentence}", file=sys.stderr)
    return exitcodes.USAGE
