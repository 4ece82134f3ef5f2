"""The `davtui` command: the TUI by default, `--headless`, and the management subcommands.

Imports stay lazy so `davtui --help` answers without loading Textual or the DAV stack.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from collections.abc import Sequence

from davtui import __version__, exitcodes


class Context:
    """What a subcommand needs: the parsed arguments and a lazily opened store."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self._vault = None

    def open_store(self) -> None:
        from davtui.paths import db_location
        from davtui.store import open_database

        open_database(db_location(self.args.db))

    def vault(self):
        from davtui.store import Vault

        if self._vault is None:
            self._vault = Vault.open()
        return self._vault


#: Every command, in the order `davtui --help` lists them: the module whose `register(sub)`
#: builds its parser, and the one line of help shown in that list. A module is imported only
#: when its command is parsed (run, or its own --help): importing all of them cost every
#: command about 0.1 s of CPU (serve's asyncio, demo's, the engine's schema and DAV client).
COMMANDS: dict[str, tuple[str, str]] = {
    "migrate": (
        "davtui.cli.commands.migrate",
        "one-off migration from a TOML (or JSON) config file",
    ),
    "account": ("davtui.cli.commands.account", "manage accounts (servers and local folders)"),
    "job": ("davtui.cli.commands.job", "manage migration jobs"),
    "key": ("davtui.cli.commands.key", "manage the encryption key of saved passwords"),
    "export": (
        "davtui.cli.commands.transfer",
        "write accounts and jobs as JSON (secrets only if asked, encrypted)",
    ),
    "import": ("davtui.cli.commands.transfer", "restore accounts and jobs from an export"),
    "batch": ("davtui.cli.commands.batch", "many migrations at once"),
    "hook": (
        "davtui.cli.commands.hook",
        "the global notification command (gets each run's JSON report on stdin)",
    ),
    "status": (
        "davtui.cli.commands.status",
        "the whole queue: mailboxes done/running/queued/failed, items, rate, ETA",
    ),
    "serve": (
        "davtui.cli.commands.serve",
        "the TUI in a browser (one davtui per tab; this process runs the jobs)",
    ),
    "demo": (
        "davtui.cli.demo",
        "try davtui on two local Radicale servers with sample data (throw-away)",
    ),
}


def command_parser(name: str) -> argparse.ArgumentParser:
    """The full parser of one command, as its module registers it (prog `davtui NAME`)."""
    import importlib

    parent = argparse.ArgumentParser(prog="davtui")
    sub = parent.add_subparsers(dest="command", metavar="COMMAND")
    importlib.import_module(COMMANDS[name][0]).register(sub)
    return sub.choices[name]


class _LazyCommand(argparse.ArgumentParser):
    """A command's place in the top parser: its name and help line for `davtui --help`; the
    command's real parser is built (its module imported) only when the command is parsed."""

    command = ""

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        return command_parser(self.command).parse_known_args(args, namespace)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="davtui",
        description="Migrate and sync calendars, tasks, journals and contacts between "
        "CalDAV/CardDAV servers. Without a command, opens the terminal UI.",
        epilog=exitcodes.HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"davtui {__version__}")
    parser.add_argument(
        "--db",
        metavar="PATH|URL",
        help="database file or postgresql://user@host/name URL (env DAVTUI_DB)",
    )
    parser.add_argument(
        "--headless", action="store_true", help="run queued and interrupted jobs without the UI"
    )
    parser.add_argument(
        "--job", action="append", default=[], metavar="ID|NAME", help="with --headless: run these"
    )
    parser.add_argument("--json", action="store_true", help="with --headless: JSON reports")
    parser.add_argument(
        "--no-queue",
        action="store_true",
        help="the TUI only queues jobs; another process (davtui serve, --headless) runs them",
    )
    parser.add_argument("--every", metavar="INTERVAL", help="with --headless: repeat, e.g. 30m")
    parser.add_argument(
        "--workers", type=int, default=1, metavar="N", help="with --headless: run N jobs at once"
    )
    parser.add_argument(
        "--max-rate",
        metavar="RATE",
        default=os.environ.get("DAVTUI_MAX_RATE"),
        help="bandwidth cap for all transfers of this process, bytes/s: 500k, 5M "
        "(env DAVTUI_MAX_RATE)",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_LazyCommand)
    for name, (_module, line) in COMMANDS.items():
        sub.add_parser(name, help=line, add_help=False).command = name
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.max_rate:
        from davtui.engine.dav.bandwidth import LIMIT, parse_rate

        try:
            LIMIT.set(parse_rate(args.max_rate))
        except ValueError as exc:
            print(f"davtui: --max-rate: {exc}", file=sys.stderr)
            return exitcodes.USAGE
    from peewee import DatabaseError

    from davtui.cli.passwords import PasswordSourceError
    from davtui.engine.connect import ConfigError
    from davtui.store import StoreError

    if args.command is None and not args.headless:
        from davtui.paths import db_location
        from davtui.tui.app import DavtuiApp

        try:
            DavtuiApp(db_location(args.db), run_jobs=not args.no_queue).run()
        except StoreError as exc:
            print(f"davtui: {exc}", file=sys.stderr)
            return exitcodes.USAGE
        return exitcodes.OK

    ctx = Context(args)
    try:
        if getattr(args, "needs_store", True):  # `demo` brings its own throw-away store
            ctx.open_store()
        if args.command is None:
            from davtui.cli import headless

            return headless.run(args.job, args.json, args.verbose, args.every, args.workers)
        return int(args.handler(ctx) or 0)
    except (StoreError, PasswordSourceError, ConfigError) as exc:  # one sentence each
        print(f"davtui: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    except DatabaseError as exc:  # the file failed under a running command: disk full, I/O
        # "cannot rollback" hides the cause, behind the driver's own errors (sqlite3's)
        cause: BaseException = exc
        while isinstance(cause.__context__, (DatabaseError, sqlite3.Error)):
            cause = cause.__context__
        print(f"davtui: the database cannot be written ({cause}).", file=sys.stderr)
        return exitcodes.USAGE
    except KeyboardInterrupt:
        return exitcodes.CANCELLED
    except BrokenPipeError:  # `davtui job list | head`: the reader left, nothing went wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return exitcodes.OK
