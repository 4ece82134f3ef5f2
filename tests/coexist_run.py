"""Two-way passes of a real `davtui migrate` subprocess, through counting proxies that can
SIGKILL it at its k-th write.

The kill comes from the proxy when the k-th write request arrives: the process dies at once
and the request is still forwarded (the server applies it, davtui never hears the answer), the
hardest moment for the next pass: a write made and not recorded.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from tests.proxy import Fault, FaultHook, Proxy

WRITES = frozenset({"PUT", "DELETE", "MKCOL", "MKCALENDAR", "PROPPATCH", "MOVE", "COPY"})


@dataclass(frozen=True)
class Account:
    """A server account as davtui is told it: URL (with any path), user, password."""

    url: str
    user: str
    password: str


@dataclass
class Pass:
    """One pass: its JSON report (None when killed), exit code, and per side ("a", "b") the
    item reads (GET, multiget REPORT) and writes the proxies saw."""

    report: dict | None
    code: int
    stderr: str
    killed: bool
    reads: Counter[str] = field(default_factory=Counter)
    writes: Counter[str] = field(default_factory=Counter)
    ledger: set[str] = field(default_factory=set)
    #: every request, as "side METHOD" -> count
    asked: Counter[str] = field(default_factory=Counter)


class Wire:
    """The proxies' fault hook: counts what each side is asked, kills at the k-th write."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.proc: subprocess.Popen | None = None
        self.kill_at: int | None = None
        self.reset()

    def reset(self) -> None:
        self.reads: Counter[str] = Counter()
        self.writes: Counter[str] = Counter()
        self.asked: Counter[str] = Counter()
        self.killed = False

    def hook(self, side: str) -> FaultHook:
        def fault(method: str, path: str, attempt: int, body: bytes) -> Fault | None:
            with self.lock:
                self.asked[f"{side} {method}"] += 1
                if method == "GET" or (method == "REPORT" and b"multiget" in body):
                    self.reads[side] += 1
                if method not in WRITES:
                    return None
                self.writes[side] += 1
                due = sum(self.writes.values()) == self.kill_at and self.proc is not None
                if not due or self.killed or self.proc is None:
                    return None
                os.kill(self.proc.pid, signal.SIGKILL)
                self.killed = True
                return Fault(action="drop-response")

        return fault


class Runner:
    """`davtui migrate CONFIG --json` between `a` (source) and `b`: mode sync, or `mode`."""

    def __init__(
        self, workdir: Path, a: Account, b: Account, policy: str, mode: str = "sync"
    ) -> None:
        self.workdir = workdir
        self.wire = Wire()
        self.proxies = {
            name: Proxy(account.url, self.wire.hook(name)) for name, account in (("a", a), ("b", b))
        }
        self.db = workdir / "coexist.db"
        self.env = {**os.environ, "COEXIST_A": a.password, "COEXIST_B": b.password}
        self.config = workdir / "coexist.toml"
        lines = []
        for section, name, account in (("source", "a", a), ("destination", "b", b)):
            url = self.proxies[name].url.rstrip("/") + (urlsplit(account.url).path or "/")
            lines += [f"[{section}]", f'url = "{url}"', f'username = "{account.user}"']
            lines.append(f'password_env = "COEXIST_{name.upper()}"')
        lines += ["[job]", 'name = "coexist"', f'mode = "{mode}"', f'conflict = "{policy}"']
        self.config.write_text("\n".join(lines) + "\n")
        self.last_run = 0

    def run(self, kill_at: int | None = None, timeout: float = 600) -> Pass:
        self.wire.reset()
        self.wire.kill_at = kill_at
        command = [sys.executable, "-m", "davtui", "--db", str(self.db), "migrate",
                   str(self.config), "--json"]  # fmt: skip
        with self.wire.lock:
            self.wire.proc = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env
            )
        proc = self.wire.proc
        out, err = proc.communicate(timeout=timeout)
        with self.wire.lock:
            self.wire.proc = None
        killed = self.wire.killed
        report = None if killed or not out.strip() else json.loads(out)
        done = Pass(report, proc.returncode, err, killed, self.wire.reads.copy(),
                    self.wire.writes.copy(), self.ledger(), self.wire.asked.copy())  # fmt: skip
        return done

    def ledger(self) -> set[str]:
        """UIDs in the ledgers written since the last call (a killed run writes none)."""
        if not self.db.exists():
            return set()
        with sqlite3.connect(self.db) as db:
            rows = db.execute(
                "SELECT run_id, uid FROM ledger_entry WHERE run_id > ?", (self.last_run,)
            ).fetchall()
            self.last_run = db.execute("SELECT coalesce(max(id), 0) FROM run").fetchone()[0]
        return {uid for _, uid in rows if uid}

    def close(self) -> None:
        for proxy in self.proxies.values():
            proxy.close()
