"""`davtui batch import users.csv`: accounts and one queued job per row, for many mailboxes.

Every row is checked and every password fetched before anything is written; then the accounts
and jobs are created in one transaction, so a bad row leaves the database as it was.
"""

from __future__ import annotations

import argparse
import csv
import shlex
import sys
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit

from davtui import exitcodes
from davtui.cli.passwords import PasswordSourceError, from_command, from_env
from davtui.cli.subcommands import Subcommands
from davtui.engine.connect import ConfigError
from davtui.engine.schema import MODES, WHAT, check_account, check_job, conflict_for

SIDES = ("source", "destination")
#: Password commands run at once (each is a process: `pass`, `gpg`, a vault client).
PASSWORD_WORKERS = 8
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
  mode                                copy, mirror or sync (default: --mode)
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
    """One side of a row; `source` says where its password comes from (("env", NAME) or
    ("command", LINE)), `password` is filled by `fetch_passwords` (never shown in repr)."""

    url: str
    username: str
    preset: str | None
    password: str | None = field(default=None, repr=False)
    source: tuple[str, str] | None = field(default=None, repr=False)

    @cached_property
    def account_name(self) -> str:
        """LOGIN@HOST:PORT (asked several times per row: made once)."""
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


def _password_source(
    record: dict[str, str | None], side: str, default_command: str | None, user: str
) -> tuple[str, str] | None:
    env = _cell(record, f"{side}_password_env")
    command = _cell(record, f"{side}_password_command") or default_command or ""
    if env:
        return ("env", env)
    if command:
        return ("command", command.replace("{user}", shlex.quote(user)))
    return None


def _fetch(source: tuple[str, str] | None) -> str | None:
    if source is None:
        return None
    kind, value = source
    return from_env(value) if kind == "env" else from_command(value)


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
    return Login(url, user, preset, source=_password_source(record, side, command, user))


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
    """Every row checked, then every password fetched (no password command runs when a row
    is bad); BatchError names the first bad line."""
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
    fetch_passwords(rows, path)
    return rows


def fetch_passwords(rows: list[Row], path: Path, workers: int = PASSWORD_WORKERS) -> None:
    """Each login's password, `workers` commands at a time: a thousand rows are two thousand
    `pass show` runs, which one after another took most of an import's time. A login shared
    by rows is asked once. The first bad line (in file order) is the one reported."""
    logins = [login for row in rows for login in (row.source, row.destination)]
    sources = list(dict.fromkeys(login.source for login in logins if login.source))
    with ThreadPoolExecutor(max(1, workers), thread_name_prefix="davtui-password") as pool:
        futures = {source: pool.submit(_fetch, source) for source in sources}
        wait(futures.values())
    for row in rows:
        for login in (row.source, row.destination):
            if login.source is None:
                continue
            try:
                login.password = futures[login.source].result()
            except PasswordSourceError as exc:
                text = str(exc).rstrip(".")
                raise BatchError(f"{path} line {row.line}: {text}; nothing was created.") from None


def _chunks(items: list, size: int = 500):
    """Slices that keep a query's parameters under every database's limit."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing_accounts(names: list[str]) -> dict[str, tuple[int, str, str]]:
    """Stored accounts among `names`: name -> (id, url, username), a few queries."""
    from davtui.store.models import Account
    from davtui.store.rows import tuples

    found = {}
    for chunk in _chunks(names):
        query = Account.select(Account.id, Account.name, Account.url, Account.username)
        for id_, name, url, username in tuples(query.where(Account.name.in_(chunk))):
            found[name] = (id_, url, username)
    return found


def _accounts(rows: list[Row], vault) -> tuple[dict[str, int], int]:
    """Account ids by name for every login of `rows`: a stored account with the same URL and
    login is reused (its password left alone), the others inserted in bulk; (ids, created)."""
    from davtui.store.bulk import insert_all
    from davtui.store.models import Account

    logins: dict[str, tuple[Login, int]] = {}
    for row in rows:
        for login in (row.source, row.destination):
            logins.setdefault(login.account_name, (login, row.line))
    stored = _existing_accounts(list(logins))
    new = []
    for name, (login, line) in logins.items():
        if name in stored:
            if stored[name][1:] != (login.url, login.username):
                raise BatchError(f"line {line}: an account named '{name}' exists with another "
                                 "URL; nothing was created.")  # fmt: skip
            continue
        secret = vault.encrypt(login.password) if login.password is not None else None
        new.append({"name": name, "url": login.url, "username": login.username,
                    "preset": login.preset, "secret": secret})  # fmt: skip
    insert_all(Account, new)
    ids = {name: found[0] for name, found in _existing_accounts(list(logins)).items()}
    return ids, len(new)


def create(rows: list[Row], queue: bool) -> tuple[int, int]:
    """Accounts and jobs for `rows` in one transaction of a few bulk statements (one query
    per object, then peewee's `insert_many`, made a thousand-row import spend seconds
    building SQL); (accounts created, jobs created)."""
    from davtui.engine.jobs.lifecycle import enqueue_many
    from davtui.store import Vault
    from davtui.store.bulk import insert_all
    from davtui.store.changes import bump
    from davtui.store.models import Job, database
    from davtui.store.rows import tuples

    vault = Vault.open()
    names = [row.name for row in rows]
    with database.atomic():
        bump()  # TUIs open on the same database show the new jobs within a second
        taken = set()
        for chunk in _chunks(names):
            taken |= {name for (name,) in tuples(Job.select(Job.name).where(Job.name.in_(chunk)))}
        for row in rows:
            if row.name in taken:
                raise BatchError(f"line {row.line}: a job named '{row.name}' exists already; "
                                 "nothing was created.")  # fmt: skip
        ids, created = _accounts(rows, vault)
        jobs = [{"name": row.name, "source": ids[row.source.account_name],
                 "destination": ids[row.destination.account_name], "what": row.what,
                 "mode": row.mode, "conflict": conflict_for(row.mode, None)}
                for row in rows]  # fmt: skip
        insert_all(Job, jobs)
        if queue:
            by_name = {}
            for chunk in _chunks(names):
                query = Job.select(Job.id, Job.name).where(Job.name.in_(chunk))
                by_name.update({name: id_ for id_, name in tuples(query)})
            enqueue_many([by_name[name] for name in names])
    return created, len(rows)


def register(sub: Subcommands) -> None:
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
