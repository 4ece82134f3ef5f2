"""Notifications: after a run, a hook command gets the run's JSON report on stdin.

The command is the job's own (`Job.hook`, `davtui job add --hook`) or else the global one
(setting "hook", `davtui hook set CMD`). It runs without a shell (split like a POSIX shell
would), for at most `TIMEOUT` seconds, with `DAVTUI_JOB`, `DAVTUI_STATUS` and
`DAVTUI_EXIT_CODE` added to an allow-listed environment (`davtui.childenv`: PATH, HOME,
locale ..., never a password of this process). A hook that fails is logged on the job and
never fails the run.
"""

from __future__ import annotations

import json
import logging
import shlex
import subprocess
from typing import TYPE_CHECKING, Any

from davtui.childenv import child_env

if TYPE_CHECKING:
    from davtui.store.models import Job

SETTING = "hook"
TIMEOUT = 60

log = logging.getLogger("davtui.hooks")


def hook_command(job: Job) -> str | None:
    """The command to run after `job`'s runs: its own, else the global one, else None."""
    from davtui.store.models import Setting

    if job.hook:
        return job.hook
    setting = Setting.get_or_none(Setting.key == SETTING)
    return setting.value if setting else None


def _failure(command: list[str], report: dict[str, Any]) -> str | None:
    """Run the hook; None when it succeeded, else why not (one sentence, no output echoed)."""
    env = child_env(
        {
            "DAVTUI_JOB": str(report.get("job", "")),
            "DAVTUI_STATUS": str(report.get("status", "")),
            "DAVTUI_EXIT_CODE": str(report.get("exit_code", "")),
        }
    )
    try:
        done = subprocess.run(
            command,
            input=json.dumps(report).encode(),
            capture_output=True,
            timeout=TIMEOUT,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"the hook command did not finish within {TIMEOUT} s"
    except OSError as exc:
        return f"the hook command could not run: {exc.strerror or exc}"
    if done.returncode != 0:
        return f"the hook command exited with status {done.returncode}"
    return None


def notify(job: Job, report: dict[str, Any]) -> bool:
    """Run the hook of `job` with `report` on stdin; False when a hook failed (and was logged).

    Front ends call this once a run has ended; it blocks for at most `TIMEOUT` seconds."""
    from davtui.store.models import LogEntry, Run

    text = hook_command(job)
    if not text:
        return True
    try:
        command = shlex.split(text)
    except ValueError as exc:
        problem: str | None = f"the hook command cannot be parsed: {exc}"
    else:
        problem = _failure(command, report) if command else "the hook command is empty"
    if problem is None:
        return True
    log.warning("job %s: %s", job.name, problem)
    last = job.runs.order_by(Run.id.desc()).first()
    LogEntry.create(job=job, run=last, level="warning", message=f"Notification: {problem}.")
    return False
