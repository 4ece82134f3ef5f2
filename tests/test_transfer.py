"""`davtui export` / `davtui import` as real subprocesses between two databases with two keys:
accounts and jobs come back the same, passwords never leave in clear, conflicts are refused
whole, and with `--with-secrets` the passwords open again under the other key."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from davtui.cli.commands.transfer import Sealer
from tests.contract import sample_event

SOURCE_PW = "Src-pässword-8v3!"
DEST_PW = "dst-secret-42"


def cli(db: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """A davtui command on `db`, with its own key file beside it."""
    env = {**os.environ, "DAVTUI_KEY_FILE": str(db.with_suffix(".key")), "SRC": SOURCE_PW,
           "DST": DEST_PW, "PHRASE": "correct horse battery"}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "davtui", "--db", str(db), *args],
        capture_output=True, text=True, env=env, input=stdin, timeout=120,
    )  # fmt: skip


def ok(db: Path, *args: str) -> str:
    done = cli(db, *args)
    assert done.returncode == 0, (args, done.stderr)
    return done.stdout


def listed(db: Path, what: str) -> list[dict]:
    """`account list --json` / `job list --json` without the fields that differ by database."""
    rows = json.loads(ok(db, what, "list", "--json"))
    for row in rows:
        for local in ("id", "status", "last_run", "control"):
            row.pop(local, None)
    return rows


@pytest.fixture
def first(home: Path, tmp_path: Path) -> Path:
    """A database with two DAV accounts, a vdir pair and two jobs, one of which ran once."""
    db = tmp_path / "first.db"
    folder = tmp_path / "calendars" / "personal"
    folder.mkdir(parents=True)
    (folder / "a.ics").write_bytes(sample_event("a", "A"))
    ok(db, "account", "add", "old", "--url", "https://old.example.org/dav/", "-u", "alice",
       "--password-env", "SRC", "--max-connections", "4")  # fmt: skip
    ok(db, "account", "add", "new", "--url", "https://new.example.org/", "-u", "alice@ex.org",
       "--preset", "sogo", "--password-env", "DST", "--no-verify-tls")  # fmt: skip
    ok(db, "account", "add", "here", "--kind", "vdir", "--url", str(tmp_path / "calendars"))
    ok(db, "account", "add", "backup", "--kind", "vdir", "--url", str(tmp_path / "backup"))
    ok(db, "job", "add", "move alice", "-s", "old", "-d", "new", "--what", "calendars",
       "--mode", "mirror", "--collection", "Calendar=personal", "--hook", "notify-me")  # fmt: skip
    ok(db, "job", "add", "backup", "-s", "here", "-d", "backup", "--queue")
    assert cli(db, "--headless").returncode == 0
    return db


def test_export_without_secrets_then_import(first: Path, tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    ok(first, "export", str(path), "--with-history")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = path.read_bytes()
    assert SOURCE_PW.encode() not in data and DEST_PW.encode() not in data
    assert b"gAAAAA" not in data  # no Fernet token of any kind, not even the local one
    assert json.loads(data)["secrets"] is None

    second = tmp_path / "second.db"
    out = ok(second, "import", str(path))
    assert "Imported 4 accounts, 2 jobs, 1 runs" in out
    accounts = listed(first, "account")
    for row in accounts:
        row["has_password"] = False  # passwords stayed behind
    assert listed(second, "account") == accounts
    assert listed(second, "job") == listed(first, "job")
    shown = json.loads(ok(second, "job", "show", "backup", "--json"))
    assert shown["status"] == "pending" and shown["runs"][0]["status"] == "completed"
    log = ok(second, "job", "log", "backup")
    assert log == ok(first, "job", "log", "backup")  # history came along, line for line


def test_the_connection_limit_travels_and_an_older_file_has_none(
    first: Path, tmp_path: Path
) -> None:
    path = tmp_path / "export.json"
    ok(first, "export", str(path))
    document = json.loads(path.read_text())
    limits = {a["name"]: a["max_connections"] for a in document["accounts"]}
    assert limits == {"old": 4, "new": None, "here": None, "backup": None}
    second = tmp_path / "second.db"
    ok(second, "import", str(path))
    shown = {a["name"]: a["max_connections"] for a in listed(second, "account")}
    assert shown == limits
    for account in document["accounts"]:  # a file from before the key was exported
        del account["max_connections"]
    older = tmp_path / "older.json"
    older.write_text(json.dumps(document))
    third = tmp_path / "third.db"
    ok(third, "import", str(older))
    assert {a["max_connections"] for a in listed(third, "account")} == {None}


def test_import_refuses_a_conflict_whole(first: Path, tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    ok(first, "export", str(path))
    second = tmp_path / "second.db"
    ok(second, "account", "add", "backup", "--kind", "vdir", "--url", str(tmp_path))
    done = cli(second, "import", str(path))
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "davtui: An account named 'backup' exists already: nothing imported."
    )
    assert [a["name"] for a in listed(second, "account")] == ["backup"]
    assert listed(second, "job") == []


def test_secrets_travel_encrypted_with_the_passphrase(first: Path, tmp_path: Path) -> None:
    exported = ok(first, "export", "--with-secrets", "--passphrase-env", "PHRASE")
    assert SOURCE_PW not in exported and DEST_PW not in exported
    document = json.loads(exported)
    local_key = first.with_suffix(".key").read_text().strip()
    assert local_key not in exported
    sealer = Sealer.for_file(document["secrets"], "correct horse battery")
    passwords = {a["name"]: a.get("password") for a in document["accounts"]}
    assert sealer.decrypt(passwords["old"]) == SOURCE_PW and passwords["here"] is None

    second = tmp_path / "second.db"
    wrong = cli(second, "import", "-", "--passphrase-env", "DST", stdin=exported)
    assert wrong.returncode == 2
    assert "passphrase does not open" in wrong.stderr and listed(second, "account") == []

    done = cli(second, "import", "-", "--passphrase-env", "PHRASE", stdin=exported)
    assert done.returncode == 0, done.stderr
    assert json.loads(ok(second, "account", "show", "new", "--json"))["has_password"]
    assert _stored_password(second, "new") == DEST_PW
    assert _stored_password(second, "old") == SOURCE_PW


def _stored_password(db: Path, account: str) -> str:
    """Decrypt an account's password with that database's own key (its own process)."""
    code = (
        "import sys; from davtui.store import open_database, Vault; "
        "from davtui.store.models import Account; open_database(sys.argv[1]); "
        "print(Vault.open().password(Account.get(Account.name == sys.argv[2])))"
    )
    env = {**os.environ, "DAVTUI_KEY_FILE": str(db.with_suffix(".key"))}
    done = subprocess.run([sys.executable, "-c", code, str(db), account], env=env,
                          capture_output=True, text=True, check=True)  # fmt: skip
    return done.stdout.strip()
