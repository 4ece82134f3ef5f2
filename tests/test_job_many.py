"""`davtui job start|pause|resume|stop|remove --all [--status S] [--match TEXT]` as real
subprocesses: the same outcome per starting state as the one-job commands (the table of
tests/test_lifecycle.py), refusals listed with the lifecycle's sentence, the filters, and one
sentence with exit 2 for bad usage."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from davtui.engine.jobs.selection import BadStatus, ids, matching, parse_statuses
from davtui.store import close_database, open_database
from davtui.store.models import Account, Job
from tests.test_lifecycle import EXPECTED, STATES, expected, outcomes, seed


def davtui(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "davtui", "--db", str(db), *args],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_all_acts_on_each_job_as_the_one_job_command_would(home: Path, action: str) -> None:
    db = home / "davtui.db"
    open_database(str(db))
    seed()
    close_database()
    done = davtui(db, "job", action, "--all")
    applies = [state for state in STATES if EXPECTED[action][state] is not None]
    assert f" {len(applies)} of {len(STATES)} jobs." in done.stdout, done.stdout
    refused = [line for line in done.stderr.splitlines() if line.startswith("  ")]
    assert len(refused) == len(STATES) - len(applies), done.stderr
    assert all(line.strip().startswith("Job '") for line in refused)  # the lifecycle's words
    assert done.returncode == (1 if refused else 0)
    open_database(str(db))
    try:
        assert outcomes() == expected(action)
    finally:
        close_database()


def seed_fleet(db: Path) -> None:
    """Jobs of two companies' servers, some failed."""
    open_database(str(db))
    acme_old = Account.create(name="a-old", url="https://dav.acme.example/", username="ann")
    acme_new = Account.create(name="a-new", url="https://new.acme.example/", username="ann")
    other = Account.create(name="o-old", url="https://dav.other.example/", username="bob")
    other_new = Account.create(name="o-new", url="https://new.other.example/", username="bob")
    for n, status in enumerate(("failed", "failed", "completed", "pending")):
        Job.create(name=f"acme{n}", source=acme_old, destination=acme_new, status=status)
        Job.create(name=f"other{n}", source=other, destination=other_new, status=status)
    close_database()


def test_status_and_match_narrow_the_selection(home: Path) -> None:
    db = home / "davtui.db"
    seed_fleet(db)
    done = davtui(db, "job", "start", "--all", "--status", "failed", "--match", "ACME")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Queued 2 of 2 jobs.")
    done = davtui(db, "job", "remove", "--all", "--status", "Completed,pending", "--match", "bob")
    assert done.returncode == 0 and done.stdout.startswith("Removed 2 of 2 jobs."), done.stderr
    open_database(str(db))
    try:
        jobs = {job.name: job.status for job in Job.select()}
    finally:
        close_database()
    assert jobs == {"acme0": "queued", "acme1": "queued", "acme2": "completed",
                    "acme3": "pending", "other0": "failed", "other1": "failed"}  # fmt: skip
    assert davtui(db, "job", "stop", "--all", "--match", "nobody").stdout == "No job matches.\n"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("job", "start", "--all", "--status", "finished"), "'finished' is not a job status"),
        (("job", "stop", "acme0", "--all"), "give a job name or --all, not both"),
        (("job", "pause", "--status", "running"), "add --all"),
        (("job", "resume"), "needs a job name or --all"),
    ],
)
def test_bad_usage_is_one_sentence_and_exit_2(home: Path, args: tuple, says: str) -> None:
    db = home / "davtui.db"
    seed_fleet(db)
    done = davtui(db, *args)
    assert done.returncode == 2, done
    assert says in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_status_words_as_people_type_them() -> None:
    assert parse_statuses(["completed with errors", "Completed-With-Errors,failed"]) == (
        "completed_with_errors", "failed")  # fmt: skip
    with pytest.raises(BadStatus, match="use one of pending, queued"):
        parse_statuses(["done"])


def test_matching_is_one_query_the_tui_can_reuse(home: Path) -> None:
    db = home / "davtui.db"
    seed_fleet(db)
    open_database(str(db))
    try:
        names = {Job.get_by_id(i).name for i in ids(matching(("failed",), "new.other"))}
    finally:
        close_database()
    assert names == {"other0", "other1"}
