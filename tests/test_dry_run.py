"""A dry run reads as one everywhere: the CLI's summary and log lines say "would", its JSON
says `dry_run: true`, `job show` and the TUI's job list say "dry run", and a real run after it
reads as a real run again. Local folders on both sides: no server needed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from textual.widgets import DataTable, Static

from davtui.store import close_database
from davtui.store.models import Job, Run
from davtui.tui.app import DavtuiApp
from tests.contract import sample_event
from tests.test_tui import text_of


def folders(tmp_path: Path, events: int = 5) -> Path:
    """A vdir source with `Work` (`events` events), an empty destination, a config file."""
    work = tmp_path / "source" / "Work"
    work.mkdir(parents=True)
    for i in range(events):
        (work / f"e{i}.ics").write_bytes(sample_event(f"e{i}", f"Event {i}"))
    (tmp_path / "dest").mkdir()
    config = tmp_path / "m.json"
    source, dest = str(tmp_path / "source"), str(tmp_path / "dest")
    config.write_text(json.dumps({"source": {"url": source}, "destination": {"url": dest}}))
    return config


def davtui(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "davtui", "--db", str(home / "davtui.db"), *args],
        capture_output=True, text=True, env=dict(os.environ), timeout=300,
    )  # fmt: skip


def test_cli_dry_run_says_would_and_nothing_was_written(home: Path, tmp_path: Path) -> None:
    config = folders(tmp_path)
    done = davtui(home, "migrate", str(config), "--dry-run", "-v")
    assert done.returncode == 0, done.stderr
    text = done.stdout + done.stderr
    assert "events        would create 5, update 0, skip 0; unchanged 0, failed 0" in text, text
    assert "calendars     would create 1" in text and "would create: Event 0" in text, text
    assert "created" not in text and "\ncompleted in" not in text, text
    assert text.rstrip().splitlines()[-1].startswith("dry run completed in ")
    assert text.rstrip().endswith(": nothing was written"), text
    assert not any((tmp_path / "dest").iterdir())

    report = json.loads(davtui(home, "migrate", str(config), "--dry-run", "--json").stdout)
    assert report["dry_run"] is True and report["stats"]["events"]["created"] == 5

    shown = davtui(home, "job", "show", "1").stdout
    assert "status       completed (dry run: nothing was written)" in shown, shown
    assert shown.count("dry run completed") == 2, shown  # both runs

    real = davtui(home, "migrate", str(config))
    assert real.returncode == 0, real.stderr
    assert "events        created 5, updated 0" in real.stderr, real.stderr
    assert "would" not in real.stderr and "dry run" not in real.stderr, real.stderr
    shown = davtui(home, "job", "show", "1").stdout
    assert "status       completed\n" in shown and shown.count("dry run completed") == 2, shown


def status_cell(app: DavtuiApp, job_id: int) -> str:
    return app.screen.query_one("#jobs", DataTable).get_cell(str(job_id), "status").plain


def toasts(app: DavtuiApp) -> list[str]:
    """The notifications on screen now."""
    return [toast.render().plain for toast in app.screen.query("Toast")]


async def test_tui_job_list_says_dry_completed_after_a_dry_run(home: Path, tmp_path: Path) -> None:
    """A job whose last run was a dry run reads "dry completed" (the lifecycle's word, in the
    table's narrow Status column) and its detail says nothing was written; `s` runs it for real
    and it reads "completed", `t` queues a dry run again and it reads "dry completed", and the
    notification at its end says "dry run completed"."""
    assert davtui(home, "migrate", str(folders(tmp_path)), "--dry-run").returncode == 0
    app = DavtuiApp(str(home / "davtui.db"))
    try:
        async with app.run_test(size=(120, 36), notifications=True) as pilot:
            await pilot.pause()
            assert status_cell(app, 1) == "dry completed"  # the CLI's dry run, read at start
            detail = text_of(app.screen.query_one("#run-stats", Static).content)
            assert "Dry run: nothing was written" in detail, detail

            name = Job.get_by_id(1).name
            endings = (
                ("s", 2, "completed", "completed"),
                ("t", 3, "dry completed", "dry run completed"),
            )
            for key, runs, label, ending in endings:
                await pilot.press(key)
                deadline = time.monotonic() + 60
                # each ending's toast is read while it shows: a slow machine may outlive it
                while not (
                    Run.select().where(Run.job == 1).count() == runs
                    and Job.get_by_id(1).status == "completed"
                    and status_cell(app, 1) == label
                    and f"{name}: {ending}" in toasts(app)
                ):
                    assert time.monotonic() < deadline, (key, status_cell(app, 1), toasts(app))
                    await pilot.pause(0.05)
            assert [r.dry_run for r in Run.select().order_by(Run.id)] == [True, False, True]
    finally:
        close_database()
