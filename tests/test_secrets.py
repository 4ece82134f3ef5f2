"""Keys: a wrong or missing key is one clear line and exit 2; rotation loses no secret."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from davtui.store import Vault, close_database, open_database, rotate_key
from davtui.store.models import Account


def davtui(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "davtui", *args], capture_output=True, text=True, env=env
    )


def add_accounts(count: int) -> None:
    for i in range(count):
        done = davtui(
            "account",
            "add",
            f"acc{i}",
            "--url",
            "https://h/",
            "-u",
            f"u{i}",
            "--password-env",
            "PW",
            env_extra={"PW": f"pw-{i}"},
        )
        assert done.returncode == 0, done.stderr


def test_wrong_key_is_exit_2_and_one_line(home: Path) -> None:
    add_accounts(1)
    (home / "key").write_bytes(Fernet.generate_key())
    done = davtui("key", "check")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "does not match" in lines[0] and "DAVTUI_KEY" in lines[0]
    assert "Traceback" not in done.stderr


def test_missing_key_file_and_malformed_env_key(home: Path) -> None:
    add_accounts(1)
    (home / "key").unlink()
    done = davtui("key", "check")
    assert done.returncode == 2 and "is missing" in done.stderr
    done = davtui("key", "check", env_extra={"DAVTUI_KEY": "not-a-key"})
    assert done.returncode == 2 and "valid Fernet key" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_rotate_keeps_every_secret(home: Path) -> None:
    add_accounts(3)
    before = (home / "key").read_bytes()
    done = davtui("key", "rotate")
    assert done.returncode == 0, done.stderr
    assert (home / "key").read_bytes() != before
    open_database(str(home / "davtui.db"))
    try:
        vault = Vault.open()
        assert [vault.password(a) for a in Account.select().order_by(Account.id)] == [
            "pw-0",
            "pw-1",
            "pw-2",
        ]
    finally:
        close_database()


def test_interrupted_rotation_recovers(home: Path) -> None:
    """Key written to key.new and DB committed, then a crash before the rename: still readable."""
    add_accounts(2)
    open_database(str(home / "davtui.db"))
    try:
        key = home / "key"
        rotate_key()
        new = key.read_bytes()
        # Simulate the crash window: the new key is still pending, the old one in place.
        (home / "key.new").write_bytes(new)
        key.write_bytes(Fernet.generate_key())
        vault = Vault.open()
        assert sorted(vault.password(a) for a in Account.select()) == ["pw-0", "pw-1"]
        assert key.read_bytes() == new and not (home / "key.new").exists()
    finally:
        close_database()
