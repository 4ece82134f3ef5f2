"""`davtui hook`: show, set or clear the global notification command (see
`davtui.engine.jobs.hooks`, which runs it after every run)."""

from __future__ import annotations

from davtui import exitcodes
from davtui.cli.subcommands import Subcommands
from davtui.engine.jobs.hooks import SETTING


def register(sub: Subcommands) -> None:
    hook = sub.add_parser(
        "hook",
        help="the global notification command (gets each run's JSON report on stdin)",
        description="Show, set or clear the command run after every job's run; a job's own "
        "hook (`davtui job add --hook`) takes precedence.",
    )
    hook.add_argument(
        "hook_command", nargs="?", metavar="CMD", help="the command to set, e.g. 'notify --mail'"
    )
    hook.add_argument("--clear", action="store_true", help="remove the global hook")
    hook.set_defaults(handler=_configure)


def _configure(ctx) -> int:
    from davtui.store.models import Setting

    args = ctx.args
    if args.clear:
        # builds of types-peewee 4.5.1 differ: some type Model.delete with Self (misc)
        Setting.delete().where(Setting.key == SETTING).execute()  # type: ignore[misc, unused-ignore]
        print("Removed the global hook.")
    elif args.hook_command:
        Setting.put(SETTING, args.hook_command)
        print("Set the global hook.")
    else:
        setting = Setting.get_or_none(Setting.key == SETTING)
        print(setting.value if setting else "No global hook is set.")
    return exitcodes.OK
