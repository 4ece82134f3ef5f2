"""Secrets: full migrations with distinctive passwords, Radicale -> Radicale so both passwords
really log in, by `davtui migrate -v -v --json` (passwords from the environment) and by stored
accounts run with `davtui --headless -v -v --json` (passwords in the vault). Then every place a
password could leak is searched for it in clear and as the Basic token: the database, its WAL
and shared memory (read while the runs go on, as well as after), every log row, every file in
the data directory, the JSON reports, the verbose output with HTTP debug lines, exports without
secrets, `account`/`job` listings, and a failed login's error. Private files are 0600, and
TLS verification turned off is warned about on every run.
"""

from __future__ import annotations

import base64
import os
import sqlite3
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.proxy import Proxy
from tests.servers import Server, start_radicale
from tests.test_faults import WRITES, seed, write_config

SRC_PW = "Src-7f9a-Zq!x-secret"
DST_PW = "Dst-42b1-Kp#y-secret"
WRONG_PW = "Wrong-0c3e-Lm%v-secret"
PASSPHRASE = "Export-pass-9d1f"


def needles() -> dict[str, bytes]:
    """Every spelling of a password worth looking for."""
    found = {}
    for name, password in (("source", SRC_PW), ("destination", DST_PW), ("wrong", WRONG_PW)):
        found[name] = password.encode()
        found[f"{name} Basic token"] = base64.b64encode(f"alice:{password}".encode())
    found["export passphrase"] = PASSPHRASE.encode()
    return found


def leaks(data: bytes) -> list[str]:
    return [name for name, needle in needles().items() if needle in data]


class Snooper:
    """Reads every file of a directory again and again while a run goes on (the WAL and the
    shared memory exist only then), collecting leaks and file modes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.found: dict[str, set[str]] = {}
        self.modes: dict[str, int] = {}
        self.reads = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> Snooper:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.scan()

    def _loop(self) -> None:
        while not self._stop.wait(0.05):
            self.scan()

    def scan(self) -> None:
        for path in self.root.rglob("*"):
            try:
                if not path.is_file():
                    continue
                data = path.read_bytes()
                self.modes[path.name] = stat.S_IMODE(path.stat().st_mode)
            except OSError:  # gone between listing and reading
                continue
            self.reads += 1
            if hit := leaks(data):
                self.found.setdefault(path.name, set()).update(hit)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    source = start_radicale(tmp_path / "src", {"alice": SRC_PW})
    destination = start_radicale(tmp_path / "dst", {"alice": DST_PW})
    try:
        yield source, destination
    finally:
        source.stop()
        destination.stop()


def davtui(data: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """One davtui command with its database and key in `data`."""
    environ = {**os.environ, "DAVTUI_KEY_FILE": str(data / "key"), **env}
    environ.pop("DAVTUI_KEY", None)
    return subprocess.run(
        [sys.executable, "-m", "davtui", "--db", str(data / "davtui.db"), *args],
        capture_output=True, text=True, env=environ, timeout=300,
    )  # fmt: skip


def test_no_password_leaks_anywhere(servers: tuple[Server, Server], tmp_path: Path) -> None:
    source, destination = servers
    total = seed(source, "alice/", events=30, cards=5, user="alice", password=SRC_PW)
    data = tmp_path / "data"
    data.mkdir()
    outputs: dict[str, str] = {}
    with Proxy(source.url) as src, Snooper(data) as snooper:
        config = write_config(tmp_path / "m.json", src.url, destination.url)
        passwords = {"SRC_PASS": SRC_PW, "DST_PASS": DST_PW}
        done = davtui(data, "migrate", str(config), "--json", "-v", "-v", **passwords)
        assert done.returncode == 0, done.stderr[-2000:]
        outputs["migrate"] = done.stdout + done.stderr

        for name, url, pw in (("s", src.url, "SRC_PASS"), ("d", destination.url, "DST_PASS")):
            login = ["--url", url, "-u", "alice", "--password-env", pw]
            made = davtui(data, "account", "add", name, *login, "--no-verify-tls", **passwords)
            assert made.returncode == 0, made.stderr
        made = davtui(data, "job", "add", "j", "-s", "s", "-d", "d", "--queue")
        assert made.returncode == 0, made.stderr
        for turn in (1, 2):  # the TLS warning on every run, not once
            done = davtui(data, "--headless", "-v", "-v", "--json")
            assert done.returncode == 0, done.stderr[-2000:]
            assert done.stderr.count("TLS verification is off") == 2, (turn, done.stderr[-2000:])
            outputs[f"headless {turn}"] = done.stdout + done.stderr
            davtui(data, "job", "start", "j")

        config_wrong = write_config(tmp_path / "w.json", src.url, destination.url)
        done = davtui(data, "migrate", str(config_wrong), "--json", "-v", "-v",
                      SRC_PASS=WRONG_PW, DST_PASS=DST_PW)  # fmt: skip
        assert done.returncode == 3 and "refused the login" in done.stdout, done.stdout
        outputs["failed login"] = done.stdout + done.stderr
        for args in (
            ("account", "list", "--json"),
            ("account", "show", "s", "--json"),
            ("job", "show", "j", "--json"),
            ("job", "log", "j", "--level", "debug"),
            ("export", "--with-history"),
        ):
            shown = davtui(data, *args)
            assert shown.returncode == 0, (args, shown.stderr)
            outputs[" ".join(args)] = shown.stdout + shown.stderr
        sealed = davtui(data, "export", str(data / "sealed.json"), "--with-secrets",
                        "--passphrase-env", "PP", PP=PASSPHRASE)  # fmt: skip
        assert sealed.returncode == 0, sealed.stderr
    assert not any(src.counts[m] for m in WRITES), src.counts

    assert "davtui.http" in outputs["migrate"], "-v -v shows the HTTP requests"
    for name, text in outputs.items():
        assert not leaks(text.encode()), (name, leaks(text.encode()))
        for line in text.splitlines():
            assert "authorization: basic" not in line.lower(), (name, line)
    assert not snooper.found, snooper.found
    for name in ("davtui.db", "davtui.db-wal", "davtui.db-shm", "key", "sealed.json"):
        assert snooper.modes.get(name) == 0o600, (name, oct(snooper.modes.get(name, 0)))

    with sqlite3.connect(data / "davtui.db") as conn:
        rows = conn.execute("SELECT * FROM log_entry").fetchall()
        rows += conn.execute("SELECT * FROM run").fetchall()
        rows += conn.execute("SELECT * FROM account").fetchall()
    assert len(rows) > total, "the runs were logged"
    assert not leaks(repr(rows).encode())
    print(f"{snooper.reads} file reads, {len(outputs)} outputs, {len(rows)} rows: 0 leaks")
