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


def build_parser() -> argparse.ArgumentParser:
    from davtui.cli import demo
    from davtui.cli.commands import account, batch, hook, job, key, migrate, status, transfer

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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    migrate.register(sub)
    account.register(sub)
    job.register(sub)
    key.register(sub)
    transfer.register(sub)
    batch.register(sub)
    hook.register(sub)
    status.register(sub)
    demo.register(sub)
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
            DavtuiApp(db_location(args.db)).run()
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
        while isinstance(exc.__context__, (DatabaseError, sqlite3.Error)):
            exc = exc.__context__
        print(f"davtui: the database cannot be written ({exc}).", file=sys.stderr)
        return exitcodes.USAGE
    except KeyboardInterrupt:
        return exitcodes.CANCELLED
    except BrokenPipeError:  # `davtui job list | head`: the reader left, nothing went wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return exitcodes.OK
