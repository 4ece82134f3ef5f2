"""`davtui account test`: discovery from the CLI, recorded on the account, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.servers import Server


def davtui(home: Path, *args: str, password: str = "alicepw") -> subprocess.CompletedProcess:
    env = {**os.environ, "PW": password}
    return subprocess.run(
        [sys.executable, "-m", "davtui", *args], capture_output=True, text=True, env=env
    )


def test_account_test_records_discovery(home: Path, radicale: Server) -> None:
    add = davtui(home, "account", "add", "r", "--url", radicale.url, "-u", "alice",
                 "--password-env", "PW")  # fmt: skip
    assert add.returncode == 0, add.stderr
    done = davtui(home, "account", "test", "r")
    assert done.returncode == 0, done.stderr
    assert "ok" in done.stdout and "principal /alice/" in done.stdout
    shown = json.loads(davtui(home, "account", "show", "r", "--json").stdout)
    assert shown["last_test_ok"] is True and shown["capabilities"]["principal"]
    assert "alicepw" not in json.dumps(shown)


def test_account_test_wrong_password_is_exit_3(home: Path, radicale: Server) -> None:
    davtui(home, "account", "add", "r", "--url", radicale.url, "-u", "alice",
           "--password-env", "PW", password="nope")  # fmt: skip
    done = davtui(home, "account", "test", "r")
    assert done.returncode == 3
    assert len(done.stderr.strip().splitlines()) == 1 and "nope" not in done.stderr
