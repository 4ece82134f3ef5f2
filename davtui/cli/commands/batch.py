"""`davtui batch import users.csv`: accounts and one queued job per row, for many mailboxes.

Every row is checked and every password fetched before anything is written; then the accounts
and jobs are created in one transaction, so a bad row leaves the database as it was.
"""

from __future__ import annotations

import argparse
import csv
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from davtui import exitcodes
from davtui.cli.passwords import PasswordSourceError, from_command, from_env
from davtui.engine.connect import ConfigError
from davtui.engine.schema import MODES, WHAT, check_account, check_job

SIDES = ("source", "destination")
#: What a row gives an account, checked by the schema.
ACCOUNT_KEYS = ("url", "kind", "username", "preset")
COLUMNS = """CSV columns (a header row names them; order is free):
  source_user, destination_user       the logins (required)
  source_url, destination_url         server URL; {user} is replaced by the login
                                      (optional when --source-url/--destination-url is given)
  source_preset, destination_preset   server preset (sogo, zimbra, nextcloud, radicale, ...)
  source_password_env                 name of an environment variable holding the password
  source_password_command             command printing the password ({user} replaced)
  destination_password_env, destination_password_command   the same for the destination
  name                                job name (default: "SRC_USER -> DST_USER")
  what                                calendars, contacts or both (default: --what)
  mode                                copy or mirror (default: --mode)
Empty cells take the defaults. An account is named LOGIN@HOST:PORT; one that exists with the
same URL and login is reused (its password is left alone).

example:
  source_user,destination_user,source_password_env,destination_password_command
  alice,alice@example.org,ALICE_OLD,pass show new/{user}

then a first pass while users still work on the old server, and a short final pass later:
  davtui batch import users.csv --source-url https://old.example.org/dav/{user}/ \\
      --destination-preset sogo --destination-url https://mail.example.org/
  davtui --headless            # first pass (repeat from cron: only changes are copied)
  davtui --headless            # after the switch: the final, incremental pass"""


class BatchError(Exception):
    """A row cannot become an account or a job; one sentence naming the line."""


@dataclass
class Login:
    """One side of a row, with the password already fetched (never shown in repr)."""

    url: str
    username: str
    preset: str | None
    password: str | None = field(default=None, repr=False)

    @property
    def account_name(self) -> str:
        host = urlsplit(self.url).netloc.rpartition("@")[2] or self.url
        return f"{self.username}@{host}"


@dataclass
class Row:
    line: int
    name: str
    source: Login
    destination: Login
    what: str
    mode: str


def _cell(record: dict[str, str | None], key: str) -> str:
    return (record.get(key) or "").strip()


def _password(record: dict[str, str | None], side: str, default_command: str | None, user: str):
    env = _cell(record, f"{side}_password_env")
    command = _cell(record, f"{side}_password_command") or default_command or ""
    if env:
        return from_env(env)
    if command:
        return from_command(command.replace("{user}", shlex.quote(user)))
    return None


def _login(record: dict[str, str | None], side: str, args: argparse.Namespace) -> Login:
    user = _cell(record, f"{side}_user")
    if not user:
        raise BatchError(f"the {side}_user cell is empty")
    template = _cell(record, f"{side}_url") or getattr(args, f"{side}_url") or ""
    if not template:
        raise BatchError(f"no {side} URL: add a {side}_url column or --{side}-url")
    preset = _cell(record, f"{side}_preset") or getattr(args, f"{side}_preset") or None
    url = template.replace("{user}", user)
    # the schema's rules (the URL's above all), before any password command runs for this row
    account = {"url": url, "kind": "dav", "username": user, "preset": preset}
    check_account(account, f"the {side}", ACCOUNT_KEYS)
    command = getattr(args, f"{side}_password_command")
    password = _password(record, side, command, user)
    return Login(url, user, preset, password)


def _row(line: int, record: dict[str, str | None], args: argparse.Namespace) -> Row:
    source, destination = (_login(record, side, args) for side in SIDES)
    what = _cell(record, "what") or args.what
    mode = _cell(record, "mode") or args.mode
    check_job({"what": what, "mode": mode}, "the row's", ("what", "mode"))
    if source.account_name == destination.account_name:
        raise BatchError(f"source and destination are the same login {source.account_name}")
    name = _cell(record, "name") or f"{source.username} -> {destination.username}"
    return Row(line, name, source, destination, what, mode)


def read_rows(path: Path, args: argparse.Namespace) -> list[Row]:
    """Every row checked and its passwords fetched; BatchError names the first bad line."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = [
            f"{side}_user" for side in SIDES if f"{side}_user" not in (reader.fieldnames or ())
        ]
        if missing:
            raise BatchError(f"{path}: the header row lacks {' and '.join(missing)}.")
        rows, names = [], set()
        for record in reader:
            if not any((value or "").strip() for value in record.values()):
                continue
            try:
                row = _row(reader.line_num, record, args)
            except (BatchError, PasswordSourceError, ConfigError) as exc:
                text = str(exc).rstrip(".")
                message = f"{path} line {reader.line_num}: {text}; nothing was created."
                raise BatchError(message) from None
            if row.name in names:
                raise BatchError(f"{path} line {row.line}: the job name '{row.name}' is repeated.")
            names.add(row.name)
            rows.append(row)
    if not rows:
        raise BatchError(f"{path} has no rows.")
    return rows


def _account(login: Login, line: int, vault, created: dict):
    """The account for `login`: one made earlier in this batch, a matching stored one, or new."""
    from davtui.store.models import Account

    name = login.account_name
    if name in created:
        return created[name]
    account = Account.get_or_none(Account.name == name)
    if account is not None and (account.url, account.username) != (login.url, login.username):
        raise BatchError(
            f"line {line}: an account named '{name}' exists with another URL; nothing was created."
        )
    if account is None:
        secret = vault.encrypt(login.password) if login.password is not None else None
        account = Account.create(name=name, url=login.url, username=login.username,
                                 preset=login.preset, secret=secret)  # fmt: skip
        created[name] = account
    return account


def create(rows: list[Row], queue: bool) -> tuple[int, int]:
    """Accounts and jobs for `rows` in one transaction; (accounts created, jobs created)."""
    from davtui.engine.jobs.lifecycle import enqueue
    from davtui.store import Vault
    from davtui.store.changes import bump
    from davtui.store.models import Job, database

    vault = Vault.open()
    created: dict = {}
    with database.atomic():
        bump()  # TUIs open on the same database show the new jobs within a second
        for row in rows:
            if Job.get_or_none(Job.name == row.name):
                raise BatchError(f"line {row.line}: a job named '{row.name}' exists already; "
                                 "nothing was created.")  # fmt: skip
            job = Job.create(
                name=row.name,
                source=_account(row.source, row.line, vault, created),
                destination=_account(row.destination, row.line, vault, created),
                what=row.what,
                mode=row.mode,
            )
            if queue:
                enqueue(job.id)
    return len(created), len(rows)


def register(sub: argparse._SubParsersAction) -> None:
    batch = sub.add_parser("batch", help="many migrations at once")
    actions = batch.add_subparsers(dest="action", metavar="ACTION", required=True)
    imp = actions.add_parser(
        "import",
        help="accounts and one queued job per row of a CSV file",
        description="Create the accounts and one queued job per row of CSV_FILE.\nEvery row is "
        "checked and every password fetched first; one bad row and nothing is created.",
        epilog=COLUMNS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    imp.add_argument("csv_file", type=Path)
    for side in SIDES:
        imp.add_argument(f"--{side}-url", metavar="URL", help=f"{side} URL template ({{user}})")
        imp.add_argument(f"--{side}-preset", metavar="PRESET", help=f"{side} server preset")
        imp.add_argument(
            f"--{side}-password-command", metavar="CMD",
            help=f"default {side} password command, {{user}} replaced ('pass show x/{{user}}')",
        )  # fmt: skip
    imp.add_argument("--what", choices=WHAT, default="both")
    imp.add_argument("--mode", choices=MODES, default="copy")
    imp.add_argument("--no-queue", action="store_true", help="create the jobs pending")
    imp.add_argument("--check", action="store_true", help="check the file, create nothing")
    imp.set_defaults(handler=_import)


def _import(ctx) -> int:
    args = ctx.args
    try:
        rows = read_rows(args.csv_file, args)
        if args.check:
            for row in rows:
                print(f"line {row.line}: {row.name}: {row.source.account_name} -> "
                      f"{row.destination.account_name}")  # fmt: skip
            return exitcodes.OK
        accounts, jobs = create(rows, queue=not args.no_queue)
    except OSError as exc:
        print(f"davtui: cannot read {args.csv_file}: {exc.strerror}.", file=sys.stderr)
        return exitcodes.USAGE
    except (BatchError, csv.Error) as exc:
        print(f"davtui: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    state = "pending" if args.no_queue else "queued"
    print(
        f"Created {accounts} accounts and {jobs} {state} jobs: run them with `davtui --headless`."
    )
    return exitcodes.OK
