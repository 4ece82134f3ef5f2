"""The contenders: davtui (`davtui migrate`), vdirsyncer 0.21 ("a wins") and the limit copier.

Each one turns a run's phase into the commands to execute; `measure` runs them as child
processes and takes wall time, and each command's own CPU seconds and peak RSS through the
`bench.peak` launcher (see there why not straight from `os.wait4`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.dav import Folder

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
#: where vdirsyncer is installed (`DAVTUI_BENCH_VDIRSYNCER`: another venv, e.g. under /tmp)
VDIRSYNCER_VENV = Path(os.environ.get("DAVTUI_BENCH_VDIRSYNCER") or BENCH / ".venv-vdirsyncer")
VDIRSYNCER = ("vdirsyncer==0.21.*", "py-spy")  # py-spy for --profile


@dataclass(frozen=True)
class Side:
    """One account as the contenders see it: the base URL through the proxy, the URL a
    DAV client is given, the homes for new collections, and credentials."""

    base: str
    client_url: str
    calendar_home: str
    book_home: str
    user: str
    password: str

    def home(self, kind: str) -> str:
        return self.calendar_home if kind == "calendar" else self.book_home


@dataclass(frozen=True)
class Job:
    """What to copy: source collections and the destination name of each."""

    source: Side
    dest: Side
    pairs: tuple[tuple[Folder, str], ...]
    workdir: Path


@dataclass
class Measure:
    wall: float = 0.0
    cpu: float = 0.0
    rss_mb: float = 0.0
    failed: str = ""


def measure(commands: list[list[str]], workdir: Path, env: dict[str, str] | None = None) -> Measure:
    """Run `commands` one after the other; sum wall and CPU time, keep the peak RSS."""
    out = Measure()
    for n, command in enumerate(commands):
        stamp = int(time.time() * 1000)
        log, peak = workdir / f"cmd{n}-{stamp}.log", workdir / f"peak{n}-{stamp}.json"
        started = time.perf_counter()
        with open(log, "wb") as sink:
            code = subprocess.call(
                [sys.executable, "-m", "bench.peak", str(peak), *command],
                stdout=sink, stderr=subprocess.STDOUT, cwd=ROOT, env={**_environ(), **(env or {})},
            )  # fmt: skip
        out.wall += time.perf_counter() - started
        usage = json.loads(peak.read_text())
        out.cpu += usage["cpu"]
        out.rss_mb = max(out.rss_mb, usage["rss_mb"])
        if code != 0:
            out.failed = f"exit {code} ({log.name})"
    return out


def _environ() -> dict[str, str]:
    """The contenders' environment: bytecode caching on, as in any installed program (an
    environment with PYTHONDONTWRITEBYTECODE would recompile davtui's editable sources on every
    start)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


class Davtui:
    name = "davtui"

    def __init__(self, job: Job, profile: Path | None = None, profile_phase: str = "first",
                 wall: bool = False) -> None:  # fmt: skip
        self.job = job
        self.profile = profile
        self.profile_phase = profile_phase
        self.wall = wall  # idle samples too: where the wall time goes, not only the CPU
        self.env = {
            "DAVTUI_DB": str(job.workdir / "davtui.db"),
            "DAVTUI_KEY_FILE": str(job.workdir / "key"),
            "XDG_DATA_HOME": str(job.workdir / "xdg"),
        }
        config = job.workdir / "davtui.json"
        config.write_text(
            json.dumps(
                {
                    "source": _davtui_side(job.source),
                    "destination": _davtui_side(job.dest),
                    "job": {
                        "name": "bench",
                        "what": "both",
                        "collections": [f.name for f, _ in job.pairs],
                        "rename": {f.name: target for f, target in job.pairs},
                    },
                }
            )
        )
        self.config = config

    def commands(self, phase: str) -> list[list[str]]:
        command = [sys.executable, "-m", "davtui", "migrate", str(self.config), "--json"]
        if self.profile and phase == self.profile_phase:  # every thread
            spy = str(VDIRSYNCER_VENV / "bin" / "py-spy")
            raw = ["record", "--nonblocking", "-r", "200", "--format", "raw"]
            raw += ["--idle", "--threads", "-o"] if self.wall else ["-o"]
            return [[spy, *raw, str(self.profile), "--", *command]]
        return [command]


def _davtui_side(side: Side) -> dict[str, str]:
    return {"url": side.client_url, "username": side.user, "password": side.password}


class Vdirsyncer:
    name = "vdirsyncer"

    def __init__(self, job: Job) -> None:
        self.env: dict[str, str] = {}
        self.config = job.workdir / "vdirsyncer.conf"
        sections = [f'[general]\nstatus_path = "{job.workdir / "status"}/"\n']
        for kind, storage in (("calendar", "caldav"), ("addressbook", "carddav")):
            triples = [[t, f.segment, t] for f, t in job.pairs if f.kind == kind]
            if not triples:
                continue
            sections.append(
                f'[pair {kind}]\na = "{kind}_a"\nb = "{kind}_b"\n'
                f"collections = {json.dumps(triples)}\n"
                'conflict_resolution = "a wins"\nimplicit = "create"\n'
            )
            for letter, side in (("a", job.source), ("b", job.dest)):
                sections.append(
                    f'[storage {kind}_{letter}]\ntype = "{storage}"\nurl = "{side.client_url}"\n'
                    f'username = "{side.user}"\npassword = "{side.password}"\n'
                )
        self.config.write_text("\n".join(sections))

    def commands(self, phase: str) -> list[list[str]]:
        exe = str(VDIRSYNCER_VENV / "bin" / "vdirsyncer")
        sync = [exe, "-c", str(self.config), "sync"]
        return [[exe, "-c", str(self.config), "discover"], sync] if phase == "first" else [sync]


class Limit:
    def __init__(self, job: Job, concurrency: int) -> None:
        self.name = f"limit-{concurrency}"
        self.env: dict[str, str] = {}
        maps = []
        for folder, target in job.pairs:
            maps += ["--map", f"{folder.href}={folder.kind}:{job.dest.home(folder.kind)}:{target}"]
        self.command = [
            sys.executable, "-m", "bench.limit", "--source", job.source.base,
            "--dest", job.dest.base, "--user", job.source.user, "--password", job.source.password,
            "--dest-user", job.dest.user, "--dest-password", job.dest.password,
            "--concurrency", str(concurrency), *maps,
        ]  # fmt: skip

    def commands(self, phase: str) -> list[list[str]]:
        return [self.command]


def ensure_vdirsyncer() -> None:
    """Install vdirsyncer 0.21 (and py-spy) from the package index into their own venv."""
    exe = VDIRSYNCER_VENV / "bin" / "vdirsyncer"
    if exe.exists():
        return
    subprocess.run([sys.executable, "-m", "venv", str(VDIRSYNCER_VENV)], check=True)
    pip = [str(VDIRSYNCER_VENV / "bin" / "pip"), "install", "-q", *VDIRSYNCER]
    subprocess.run(pip, check=True)
