"""`davtui account add|list|show|edit|remove`: accounts from the command line."""

from __future__ import annotations

import argparse
import json
import sys

from davtui import exitcodes
from davtui.cli.commands import find, print_rows
from davtui.cli.passwords import resolve
from davtui.cli.subcommands import Subcommands
from davtui.engine.schema import KINDS, check_account

#: What an account row stores from the command line, checked by the schema before saving.
STORED = ("name", "url", "kind", "username", "verify_tls", "ca_file", "preset",
          "max_connections")  # fmt: skip


def _password_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--password-env", metavar="VAR", help="read the password from $VAR")
    group.add_argument(
        "--password-command", metavar="CMD", help="run CMD and use the first line it prints"
    )
    group.add_argument("--no-password", action="store_true", help="the account has no password")


def _server_options(parser: argparse.ArgumentParser, adding: bool) -> None:
    parser.add_argument("--url", required=adding, help="server URL, host, e-mail or folder")
    parser.add_argument("--username", "-u", help="login name")
    parser.add_argument(
        "--kind",
        metavar="{" + ",".join(KINDS) + "}",
        help="dav server, vdir folder or .ics/.vcf file (default: what the URL is)",
    )
    parser.add_argument("--preset", help="server preset (sogo, zimbra, nextcloud, ...)")
    parser.add_argument("--ca-file", help="CA bundle to trust for this server")
    parser.add_argument(
        "--max-connections", type=int, metavar="N",
        help="requests in flight to this server at once, for all jobs (1-256, default 16)",
    )  # fmt: skip
    tls = parser.add_mutually_exclusive_group()
    tls.add_argument("--verify-tls", dest="verify_tls", action="store_true", default=None)
    tls.add_argument(
        "--no-verify-tls",
        dest="verify_tls",
        action="store_false",
        help="do not verify the certificate (warned about on every run)",
    )
    _password_options(parser)


def register(sub: Subcommands) -> None:
    account = sub.add_parser("account", help="manage accounts (servers and local folders)")
    actions = account.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="add an account")
    add.add_argument("name")
    _server_options(add, adding=True)
    add.set_defaults(handler=_add)

    listing = actions.add_parser("list", help="list accounts")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_list)

    show = actions.add_parser("show", help="show one account")
    show.add_argument("name")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=_show)

    edit = actions.add_parser("edit", help="change an account")
    edit.add_argument("name")
    edit.add_argument("--rename", metavar="NEW", help="new name")
    _server_options(edit, adding=False)
    edit.set_defaults(handler=_edit)

    test = actions.add_parser("test", help="discover the server and check the login")
    test.add_argument("name")
    test.set_defaults(handler=_test)

    remove = actions.add_parser("remove", help="remove an account no job uses")
    remove.add_argument("name")
    remove.set_defaults(handler=_remove)


def account_row(account) -> dict:
    """The public view of an account: never the secret."""
    return {
        "id": account.id,
        "name": account.name,
        "kind": account.kind,
        "url": account.url,
        "username": account.username,
        "preset": account.preset,
        "verify_tls": account.verify_tls,
        "ca_file": account.ca_file,
        "max_connections": account.max_connections,
        "has_password": bool(account.secret),
        "last_test_ok": account.last_test_ok,
        "last_test_message": account.last_test_message,
    }


def find_account(name: str):
    from davtui.store.models import Account

    return find(Account, name, "account")


def _checked(account, args) -> dict:
    """The account as it will be stored (the row changed by the options), checked by the
    schema: ConfigError, one sentence, before anything is saved."""
    merged = {field: getattr(account, field) for field in STORED}
    merged.update({f: v for f in STORED[1:] if (v := getattr(args, f, None)) is not None})
    merged["password_env"], merged["password_command"] = args.password_env, args.password_command
    where = f"account '{merged['name']}'"
    return check_account(merged, where, (*STORED, "password_env", "password_command"))


def _apply(ctx, account, args) -> None:
    values = _checked(account, args)
    for field in STORED:
        if field == "max_connections" and args.max_connections is None:
            continue  # left as it is (None: the engine's default)
        setattr(account, field, values[field])
    if args.no_password:
        account.secret = None
        return
    password = resolve(args.password_env, args.password_command, None)
    if password is None and account.id is None and account.kind == "dav" and sys.stdin.isatty():
        password = resolve(None, None, f"Password for {account.username or account.name}: ")
    if password is not None:
        account.secret = ctx.vault().encrypt(password)


def _add(ctx) -> int:
    from davtui.store.models import Account

    args = ctx.args
    if Account.get_or_none(Account.name == args.name):
        print(f"davtui: an account named '{args.name}' exists already.", file=sys.stderr)
        return exitcodes.USAGE
    account = Account(name=args.name, url=args.url, kind=None, verify_tls=None)
    _apply(ctx, account, args)
    account.save()
    print(f"Added account '{account.name}' (id {account.id}).")
    if not account.verify_tls:
        print("warning: TLS verification is off for this account.", file=sys.stderr)
    return exitcodes.OK


def _edit(ctx) -> int:
    args = ctx.args
    account = find_account(args.name)
    if account is None:
        return exitcodes.USAGE
    if args.rename:
        account.name = args.rename
    _apply(ctx, account, args)
    account.save()
    print(f"Updated account '{account.name}'.")
    return exitcodes.OK


def _list(ctx) -> int:
    from davtui.store.models import Account

    rows = [account_row(a) for a in Account.select().order_by(Account.name)]
    empty = "No accounts yet: add one with `davtui account add NAME --url URL -u USER`."
    columns = [("ID", "id", 3), ("NAME", "name", 20), ("KIND", "kind", 5),
               ("USER", "username", 20), ("URL", "url", 0)]  # fmt: skip
    return print_rows(rows, ctx.args.json, empty, columns)


def _show(ctx) -> int:
    account = find_account(ctx.args.name)
    if account is None:
        return exitcodes.USAGE
    row = account_row(account)
    row["capabilities"] = account.capabilities
    if ctx.args.json:
        print(json.dumps(row, indent=2))
    else:
        for field, value in row.items():
            print(f"{field:18} {value}")
    return exitcodes.OK


def _test(ctx) -> int:
    from davtui.engine.errors import EngineError
    from davtui.engine.jobs.probe import test_account

    account = find_account(ctx.args.name)
    if account is None:
        return exitcodes.USAGE
    if account.kind != "dav":
        print(f"Account '{account.name}' is a local {account.kind}: nothing to test.")
        return exitcodes.OK
    _discovery, error = test_account(account.id)
    if error is None:
        print(f"{account.name}: ok: {type(account).get_by_id(account.id).last_test_message}")
        return exitcodes.OK
    print(f"davtui: {account.name}: {error}", file=sys.stderr)
    return error.exit_code if isinstance(error, EngineError) else exitcodes.USAGE


def _remove(ctx) -> int:
    from davtui.engine.jobs.lifecycle import Refused, remove_account

    account = find_account(ctx.args.name)
    if account is None:
        return exitcodes.USAGE
    try:
        print(remove_account(account))
    except Refused as exc:
        print(f"davtui: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    return exitcodes.OK
