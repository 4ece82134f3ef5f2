"""`davtui job edit` as real subprocesses: the settings `job add` takes change, checked by the
schema; a queued or running job, a bad value, a taken name or no option at all is one sentence
and exit 2, and the row stays as it was."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def davtui(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "davtui", "--db", str(home / "davtui.db"), *args],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def ok(home: Path, *args: str) -> str:
    done = davtui(home, *args)
    assert done.returncode == 0, (args, done.stderr)
    return done.stdout


@pytest.fixture
def jobs(home: Path, tmp_path: Path) -> Path:
    for name in ("a", "b"):
        ok(home, "account", "add", name, "--url", str(tmp_path / name), "--kind", "vdir",
           "--no-password")  # fmt: skip
    ok(home, "job", "add", "j", "-s", "a", "-d", "b")
    ok(home, "job", "add", "other", "-s", "b", "-d", "a")
    return home


def shown(home: Path, name: str) -> dict:
    return json.loads(ok(home, "job", "show", name, "--json"))


def test_edit_changes_the_settings_job_add_takes(jobs: Path) -> None:
    said = ok(jobs, "job", "edit", "j", "--name", "renamed", "--mode", "mirror", "--what",
              "calendars", "--collection", "Work=Archive", "--dry-run", "--max-delete-share",
              "0.5", "--hook", "notify --token s3cret")  # fmt: skip
    assert said.startswith("Changed job 'renamed': ") and "s3cret" not in said
    job = shown(jobs, "renamed")
    assert (job["mode"], job["what"], job["dry_run"], job["max_delete_share"]) == (
        "mirror", "calendars", True, 0.5)  # fmt: skip
    assert job["collections"] == [{"source": "Work", "target": "Archive"}]
    assert job["hook"] == "notify --token s3cret"
    ok(jobs, "job", "edit", "renamed", "--all-collections", "--no-dry-run", "--no-hook")
    job = shown(jobs, "renamed")
    assert (job["collections"], job["dry_run"], job["hook"]) == ([], False, None)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--mode", "move"), "mode must be one of copy, mirror, sync, not 'move'"),
        (("--max-delete-share", "2"), "max_delete_share must be a number from 0 to 1"),
        (("--name", "other"), "a job named 'other' exists already"),
        ((), "nothing to change"),
        (("--collection", "W", "--all-collections"), "not both"),
    ],
)
def test_a_bad_edit_is_one_sentence_and_changes_nothing(jobs: Path, args, says: str) -> None:
    before = shown(jobs, "j")
    done = davtui(jobs, "job", "edit", "j", *args)
    assert done.returncode == 2 and says in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert shown(jobs, "j") == before


def test_a_queued_job_is_not_edited(jobs: Path) -> None:
    ok(jobs, "job", "start", "j")
    done = davtui(jobs, "job", "edit", "j", "--mode", "mirror")
    assert done.returncode == 2
    assert done.stderr.strip() == "davtui: job 'j' is queued: stop it first."
    assert shown(jobs, "j")["mode"] == "copy"
    assert davtui(jobs, "job", "edit", "nope", "--mode", "copy").returncode == 2
