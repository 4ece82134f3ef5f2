"""The `davtui` command: the TUI by default, `--headless`, and the management subcommands.

Imports stay lazy so `davtui --help` answers without loading Textual or the DAV stack.
"""

from __future__ import annotations

import argparse
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
    from davtui.commands import account, key

    parser = argparse.ArgumentParser(
        prog="davtui",
        description="Migrate and sync calendars, tasks, journals and contacts between "
        "CalDAV/CardDAV servers. Without a command, opens the terminal UI.",
        epilog=exitcodes.HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"davtui {__version__}")
    parser.add_argument("--db", metavar="PATH", help="database file (env DAVTUI_DB)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    account.register(sub)
    key.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return exitcodes.OK
    from davtui.passwords import PasswordSourceError
    from davtui.store import StoreError

    ctx = Context(args)
    try:
        ctx.open_store()
        return int(args.handler(ctx) or 0)
    except (StoreError, PasswordSourceError) as exc:
        print(f"davtui: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    except KeyboardInterrupt:
        return exitcodes.CANCELLED
