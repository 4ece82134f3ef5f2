"""`davtui export [FILE]` and `davtui import FILE`: accounts and jobs (and history) as JSON.

Passwords leave the database only with `--with-secrets`, and then encrypted with a key derived
from a passphrase the user types (scrypt, random salt, parameters stored in the file), never
with the local Fernet key, so the file opens on another machine with the passphrase alone.
Imported jobs start `pending`; their item state is not exported, so their first run on the new
machine plans from scratch and adopts the items that are already at the destination.
"""

from __future__ import annotations

import base64
import getpass
import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from davtui import exitcodes
from davtui.cli.subcommands import Subcommands
from davtui.engine.account_url import shown
from davtui.engine.connect import ConfigError
from davtui.engine.schema import check_account, check_job

FORMAT = "davtui-export"
VERSION = 1
ACCOUNT_FIELDS = ("name", "kind", "url", "username", "verify_tls", "ca_file", "preset",
                  "capabilities", "max_connections")  # fmt: skip
JOB_FIELDS = ("name", "what", "mode", "conflict", "dry_run", "suppress_invitations",
              "default_collections", "collections", "rename", "hook", "max_delete_share",
              "force_delete", "create_collections")  # fmt: skip
RUN_FIELDS = ("status", "dry_run", "stats", "verification", "error", "runner")
LOG_FIELDS = ("level", "message", "collection", "href", "uid", "summary")
CHECK_TEXT = b"davtui-export"
SIDES = ("source", "destination")


class TransferError(Exception):
    """Export or import cannot go on; the message is one sentence for the user."""


class Sealer:
    """Fernet with a key derived from a passphrase; `params` (salt and scrypt costs) go in the
    file so the same key can be derived again on import."""

    def __init__(self, passphrase: str, params: dict[str, Any] | None = None) -> None:
        from cryptography.fernet import Fernet
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

        if params is None:
            salt = os.urandom(16)
            params = {"kdf": "scrypt", "n": 2**15, "r": 8, "p": 1,
                      "salt": base64.b64encode(salt).decode()}  # fmt: skip
        if params.get("kdf") != "scrypt":
            raise TransferError(f"The file's secrets use an unknown method {params.get('kdf')}.")
        kdf = Scrypt(salt=base64.b64decode(params["salt"]), length=32, n=params["n"],
                     r=params["r"], p=params["p"])  # fmt: skip
        self.params = params
        self._fernet = Fernet(base64.urlsafe_b64encode(kdf.derive(passphrase.encode())))

    def header(self) -> dict[str, Any]:
        return {**self.params, "check": self.encrypt(CHECK_TEXT.decode())}

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def decrypt(self, token: str) -> str:
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise TransferError("The passphrase does not open this file's secrets.") from None

    @classmethod
    def for_file(cls, header: dict[str, Any], passphrase: str) -> Sealer:
        sealer = cls(passphrase, {k: v for k, v in header.items() if k != "check"})
        sealer.decrypt(header["check"])
        return sealer


def passphrase(env: str | None, confirm: bool) -> str:
    """The passphrase from $`env`, else typed (twice when exporting); never from argv."""
    if env:
        value = os.environ.get(env)
        if not value:
            raise TransferError(f"The environment variable {env} is not set or empty.")
        return value
    if not sys.stdin.isatty():
        raise TransferError("No terminal to type a passphrase on: use --passphrase-env VAR.")
    value = getpass.getpass("Passphrase for the secrets: ")
    if not value:
        raise TransferError("An empty passphrase protects nothing.")
    if confirm and getpass.getpass("Passphrase again: ") != value:
        raise TransferError("The two passphrases differ.")
    return value


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _run_of(run) -> dict[str, Any]:
    from davtui.store.models import LogEntry

    out = {field: getattr(run, field) for field in RUN_FIELDS}
    out["started_at"], out["finished_at"] = _time(run.started_at), _time(run.finished_at)
    logs = run.logs.order_by(LogEntry.id).iterator()
    out["logs"] = [{"time": _time(e.time), **{f: getattr(e, f) for f in LOG_FIELDS}} for e in logs]
    return out


def export_document(sealer: Sealer | None, history: bool) -> dict[str, Any]:
    """Everything to recreate this database's accounts and jobs elsewhere, as one JSON object."""
    from davtui.store import Vault
    from davtui.store.models import Account, Job, Run

    vault = Vault.open() if sealer else None
    accounts = []
    for account in Account.select().order_by(Account.id):
        row = {field: getattr(account, field) for field in ACCOUNT_FIELDS}
        if vault and sealer and account.secret:
            row["password"] = sealer.encrypt(vault.password(account))
        accounts.append(row)
    jobs = []
    for job in Job.select().order_by(Job.id):
        row = {field: getattr(job, field) for field in JOB_FIELDS}
        row["source"], row["destination"] = job.source.name, job.destination.name
        if history:
            row["runs"] = [_run_of(run) for run in job.runs.order_by(Run.id)]
        jobs.append(row)
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": _time(datetime.now().astimezone()),
        "secrets": sealer.header() if sealer else None,
        "accounts": accounts,
        "jobs": jobs,
    }


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` with mode 0600 from the first byte on."""
    from davtui.paths import create_private

    create_private(path)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def _rows(document: dict[str, Any], key: str) -> list[Any]:
    rows = document.get(key, [])
    if not isinstance(rows, list):
        raise TransferError(f"The export's {key} must be a list, not {shown(rows)}.")
    return rows


def _label(noun: str, n: int, row: Any) -> str:
    """'Account 2 (work)': where in the file a refused row is."""
    name = row.get("name") if isinstance(row, dict) else None
    return f"{noun} {n} ({name})" if isinstance(name, str) and name else f"{noun} {n}"


def _check(document: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The file's accounts and jobs checked by the schema (the same rules as the config file
    and `account add`), or TransferError; refuses names that exist here already."""
    from davtui.store.models import Account, Job

    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise TransferError("This is not a davtui export file.")
    if document.get("version") != VERSION:
        raise TransferError(f"This export has version {document.get('version')}, not {VERSION}.")
    try:
        accounts = [
            check_account(row, _label("Account", n, row), (*ACCOUNT_FIELDS, "password"), ("name",))
            for n, row in enumerate(_rows(document, "accounts"), 1)
        ]
        jobs = [
            check_job(row, _label("Job", n, row), (*JOB_FIELDS, *SIDES, "runs"), ("name", *SIDES))
            for n, row in enumerate(_rows(document, "jobs"), 1)
        ]
    except ConfigError as exc:
        raise TransferError(f"{str(exc).rstrip('.')}: nothing imported.") from None
    names = [a["name"] for a in accounts]
    for name in names:
        if Account.get_or_none(Account.name == name):
            raise TransferError(f"An account named '{name}' exists already: nothing imported.")
    for job in jobs:
        if Job.get_or_none(Job.name == job["name"]):
            raise TransferError(f"A job named '{job['name']}' exists already: nothing imported.")
        for side in SIDES:
            if job[side] not in names:
                raise TransferError(f"Job '{job['name']}' uses an account the file lacks.")
    return accounts, jobs


def import_document(document: Any, sealer: Sealer | None) -> tuple[int, int, int]:
    """Create the file's accounts, jobs and history in one transaction; (accounts, jobs, runs).

    Passwords are decrypted with `sealer` and stored encrypted with this database's key;
    without a sealer, accounts come without passwords."""
    from davtui.store import Vault
    from davtui.store.models import Account, Job, LogEntry, Run, database

    accounts, jobs = _check(document)
    secrets = {
        a["name"]: sealer.decrypt(a["password"]) for a in accounts if sealer and a["password"]
    }
    vault = Vault.open() if secrets else None
    runs = 0
    with database.atomic():
        ids = {}
        for row, given in zip(accounts, _rows(document, "accounts"), strict=True):
            fields = {f: row[f] for f in ACCOUNT_FIELDS}
            # the schema fills in its default; an account without a limit of its own (or
            # from an export made before the key) keeps none, as it had
            fields["max_connections"] = given.get("max_connections") and row["max_connections"]
            secret = secrets.get(row["name"])
            account = Account.create(
                **fields, secret=vault.encrypt(secret) if vault and secret else None
            )
            ids[row["name"]] = account.id
        for row in jobs:
            fields = {f: row[f] for f in JOB_FIELDS}
            job = Job.create(**fields, source=ids[row["source"]],
                             destination=ids[row["destination"]])  # fmt: skip
            for item in row["runs"]:
                run = Run.create(job=job, **{f: item[f] for f in RUN_FIELDS},
                                 started_at=_parse_time(item["started_at"]),
                                 finished_at=_parse_time(item["finished_at"]))  # fmt: skip
                logs = [{**{f: e[f] for f in LOG_FIELDS}, "time": _parse_time(e["time"]),
                         "job": job.id, "run": run.id} for e in item["logs"]]  # fmt: skip
                for start in range(0, len(logs), 500):
                    LogEntry.insert_many(logs[start : start + 500]).execute()
                runs += 1
    return len(ids), len(jobs), runs


def register(sub: Subcommands) -> None:
    export = sub.add_parser(
        "export",
        help="write accounts and jobs as JSON (secrets only if asked, encrypted)",
        description="Write this database's accounts and jobs as JSON, to FILE (mode 0600) or "
        "stdout. Passwords are left out unless --with-secrets; then they are encrypted with a "
        "passphrase you type (or $VAR with --passphrase-env).",
    )
    export.add_argument("file", nargs="?", help="where to write (default: stdout)")
    export.add_argument("--with-secrets", action="store_true", help="include passwords, encrypted")
    export.add_argument("--with-history", action="store_true", help="include runs and their logs")
    export.add_argument("--passphrase-env", metavar="VAR", help="the passphrase is in $VAR")
    export.set_defaults(handler=_export)

    restore = sub.add_parser(
        "import",
        help="restore accounts and jobs from an export",
        description="Create the accounts, jobs (as pending) and history of an export file in "
        "this database, all or nothing; refuses names that exist here already.",
    )
    restore.add_argument("file", help="an export file, or - for stdin")
    restore.add_argument("--passphrase-env", metavar="VAR", help="the passphrase is in $VAR")
    restore.add_argument(
        "--without-secrets", action="store_true", help="ignore the file's passwords"
    )
    restore.set_defaults(handler=_import)


def _export(ctx) -> int:
    args = ctx.args
    try:
        sealer = (
            Sealer(passphrase(args.passphrase_env, confirm=True)) if args.with_secrets else None
        )
        text = json.dumps(export_document(sealer, args.with_history), indent=2) + "\n"
    except TransferError as exc:
        print(f"davtui: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    if args.file:
        write_private(Path(args.file), text)
        print(f"Exported to {args.file}.", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return exitcodes.OK


def _import(ctx) -> int:
    from peewee import IntegrityError

    args = ctx.args
    try:
        raw = sys.stdin.read() if args.file == "-" else Path(args.file).read_text("utf-8")
        document = json.loads(raw)
        header = document.get("secrets") if isinstance(document, dict) else None
        sealer = None
        if header and not args.without_secrets:
            sealer = Sealer.for_file(header, passphrase(args.passphrase_env, confirm=False))
        accounts, jobs, runs = import_document(document, sealer)
    except OSError as exc:
        print(f"davtui: cannot read {args.file}: {exc.strerror}.", file=sys.stderr)
        return exitcodes.USAGE
    except (ValueError, KeyError, TypeError) as exc:
        print(f"davtui: {args.file} is not a valid export file ({exc}).", file=sys.stderr)
        return exitcodes.USAGE
    except TransferError as exc:
        print(f"davtui: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    except IntegrityError:
        print(
            f"davtui: {args.file} names an account or job twice: nothing imported.", file=sys.stderr
        )
        return exitcodes.USAGE
    history = f", {runs} runs" if runs else ""
    print(f"Imported {accounts} accounts, {jobs} jobs{history} (jobs are pending).")
    return exitcodes.OK
