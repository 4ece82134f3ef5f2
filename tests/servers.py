"""Real DAV servers for the tests: Radicale and Xandikos as subprocesses on free loopback ports.

Each server leads its own process group, so stopping it also ends any worker it forked; a
server is stopped even when the test that used it fails (fixtures finalise in `finally`).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    """Wait until `url` answers any HTTP status; fail early if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering {url}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


@dataclass
class Server:
    """A running server: base URL, users and the process to stop."""

    name: str
    url: str
    proc: subprocess.Popen
    root: Path
    users: dict[str, str] = field(default_factory=dict)
    log: Path | None = None

    def stop(self, at_once: bool = False) -> None:
        """End the server and its workers. `at_once` (SIGKILL) for a server whose data is
        thrown away with its test: a graceful stop costs Radicale and Xandikos a few tenths
        of a second each, hundreds of times in a run of the suite."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL if at_once else signal.SIGTERM)
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
            except ProcessLookupError:
                pass


def _spawn(args: list[str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def start_radicale(root: Path, users: dict[str, str]) -> Server:
    """Radicale with htpasswd (plain) auth and owner-only rights."""
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    htpasswd = root / "users"
    htpasswd.write_text("".join(f"{u}:{p}\n" for u, p in users.items()))
    config = root / "config"
    config.write_text(
        f"[server]\nhosts = 127.0.0.1:{port}\n"
        f"[auth]\ntype = htpasswd\nhtpasswd_filename = {htpasswd}\n"
        "htpasswd_encryption = plain\ndelay = 0\n"
        "[rights]\ntype = owner_only\n"
        f"[storage]\nfilesystem_folder = {root / 'collections'}\n"
        "[logging]\nlevel = warning\nmask_passwords = True\n"
    )
    log = root / "radicale.log"
    proc = _spawn([sys.executable, "-m", "radicale", "-C", str(config)], log)
    server = Server("radicale", f"http://127.0.0.1:{port}/", proc, root, dict(users), log)
    try:
        wait_http(server.url, proc)
    except Exception:
        server.stop()
        raise
    return server


def start_xandikos(root: Path, user: str) -> Server:
    """Single-user Xandikos (it does no authentication) with default collections."""
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = root / "xandikos.log"
    xandikos = Path(sys.executable).with_name("xandikos")
    command = [str(xandikos)] if xandikos.exists() else [sys.executable, "-m", "xandikos"]
    proc = _spawn(
        [
            *command,
            "serve",
            "-d",
            str(root / "data"),
            "--defaults",
            "--current-user-principal",
            f"/{user}/",
            "-l",
            "127.0.0.1",
            "-p",
            str(port),
            "--no-detect-systemd",
        ],
        log,
    )
    server = Server("xandikos", f"http://127.0.0.1:{port}/", proc, root, {user: "any"}, log)
    try:
        wait_http(server.url, proc)
    except Exception:
        server.stop()
        raise
    return server
