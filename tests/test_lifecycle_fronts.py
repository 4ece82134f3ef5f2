"""The lifecycle transitions test_lifecycle.py does not cover, from both front ends, with the
same resulting state: duplicate (`c` / `davtui job duplicate`), recover (the TUI's start /
`davtui job list` of a job whose process died), the runner's claim and finish (the TUI's
queue / `davtui --headless`: completed, failed), and the account removal rule (`d` on the
Accounts screen / `davtui account remove`); and README's table of states against
`lifecycle.APPLIES`. The CLI runs as real subprocesses; the TUI is driven by a Pilot; the
jobs copy between local vdir folders, so no server is needed.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable

from davtui.engine.jobs import lifecycle
from davtui.engine.jobs.lifecycle import JobStatus
from davtui.store import close_database, open_database
from davtui.store.models import Account, Job, Run
from davtui.tui.app import DavtuiApp
from davtui.tui.screens import AccountsScreen, ConfirmScreen, JobsScreen
from tests.test_headless import seed_folder

SETTINGS = ("source", "destination", "what", "mode", "conflict", "dry_run", "hook")


def davtui(db: Path, *args: str) -> subprocess.CompletedProcess:
    """One CLI command, a real subprocess, on database `db`."""
    done = subprocess.run(
        [sys.executable, "-m", "davtui", "--db", str(db), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def seed(db: Path, root: Path, source_events: int | None = 3, status: str = "pending") -> None:
    """Accounts src (a vdir of `source_events` events; None: a folder that does not exist)
    and dst (an empty vdir), and job j between them in `status`."""
    open_database(str(db))
    try:
        folder = root / "src"
        if source_events is not None:
            seed_folder(folder, source_events)
        (root / "dst").mkdir(parents=True)
        source = Account.create(name="src", kind="vdir", url=str(folder))
        destination = Account.create(name="dst", kind="vdir", url=str(root / "dst"))
        Job.create(
            name="j", source=source, destination=destination, status=status, mode="mirror",
            conflict="source-wins", hook="true",
            queue_position=1 if status == "queued" else None,
        )  # fmt: skip
    finally:
        close_database()


def jobs(db: Path) -> dict[str, tuple]:
    """Every job by name: its status and settings (ids of accounts, not rows)."""
    open_database(str(db))
    try:
        return {job.name: (job.status, *map(job.__data__.get, SETTINGS)) for job in Job.select()}
    finally:
        close_database()


def dead_runner() -> str:
    """A runner id of this host whose process has ended (a killed TUI or headless runner)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return f"{socket.gethostname()}:{child.pid}"


async def select_job_j(app: DavtuiApp, pilot: Pilot) -> None:
    """Open the Jobs screen and put its cursor on job j."""
    await pilot.press("2")
    screen = app.screen
    assert isinstance(screen, JobsScreen)
    table = screen.query_one("#jobs", DataTable)
    table.move_cursor(row=table.get_row_index(str(Job.get(Job.name == "j").id)))
    await pilot.pause()


async def jobs_screen_key(db: Path, key: str, answer: str | None = None) -> None:
    """Press `key` on job j in the Jobs screen of a TUI whose queue does not run."""
    app = DavtuiApp(str(db), run_jobs=False)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await select_job_j(app, pilot)
            await pilot.press(key)
            await pilot.pause()
            if answer is not None:
                assert isinstance(app.screen, ConfirmScreen)
                await pilot.press(answer)
                await pilot.pause()
    finally:
        close_database()


async def test_duplicate_from_both_front_ends(home: Path, tmp_path: Path) -> None:
    cli_db, tui_db = tmp_path / "cli.db", tmp_path / "tui.db"
    seed(cli_db, tmp_path / "cli")
    seed(tui_db, tmp_path / "tui")
    done = davtui(cli_db, "job", "duplicate", "j")
    assert done.returncode == 0 and done.stdout == "Created job 'j copy'.\n", done
    await jobs_screen_key(tui_db, "c")
    cli, tui = jobs(cli_db), jobs(tui_db)
    assert cli == tui
    assert cli["j copy"] == ("pending", *cli["j"][1:]), "pending, with the settings of j"


async def test_recover_from_both_front_ends(home: Path, tmp_path: Path) -> None:
    """A job left running by a process that died reads `interrupted` as soon as either front
    end starts (the TUI) or looks (`davtui job list`); one held by a live runner elsewhere
    stays running in both."""
    results = {}
    for front in ("cli", "tui"):
        db = tmp_path / f"{front}.db"
        seed(db, tmp_path / front, status="running")
        open_database(str(db))
        source, destination = Account.get(name="src"), Account.get(name="dst")
        Job.update(runner=dead_runner()).execute()
        Job.create(
            name="elsewhere", source=source, destination=destination, status="running",
            runner="elsewhere.example:4242",
        )  # fmt: skip
        close_database()
        if front == "cli":
            assert davtui(db, "job", "list").returncode == 0
        else:
            DavtuiApp(str(db), run_jobs=True)  # what the TUI does first; its queue not started
            close_database()
        results[front] = {name: row[0] for name, row in jobs(db).items()}
    assert results["cli"] == results["tui"] == {"j": "interrupted", "elsewhere": "running"}


async def tui_runs_queue(db: Path) -> None:
    """Start the TUI with its queue, queue job j with `s`, wait until the run ended."""
    app = DavtuiApp(str(db), run_jobs=True)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await select_job_j(app, pilot)
            await pilot.press("s")
            for _ in range(600):
                await pilot.pause(0.1)
                if Run.select().where(Run.finished_at.is_null(False)).exists():
                    break
            await pilot.pause(0.3)
    finally:
        close_database()


async def test_claim_and_finish_from_both_front_ends(home: Path, tmp_path: Path) -> None:
    """Queued with `s` in the TUI (its queue runs it) or `davtui job start` + `--headless`:
    the same final status — completed when the copy worked, failed when the source folder is
    missing — and one finished run either way."""
    for events, final in ((3, "completed"), (None, "failed")):
        cli_db, tui_db = tmp_path / f"cli-{final}.db", tmp_path / f"tui-{final}.db"
        seed(cli_db, tmp_path / f"cli-{final}", source_events=events)
        seed(tui_db, tmp_path / f"tui-{final}", source_events=events)
        assert davtui(cli_db, "job", "start", "j").returncode == 0
        headless = davtui(cli_db, "--headless")
        assert (headless.returncode == 0) == (final == "completed"), headless
        await tui_runs_queue(tui_db)
        for db in (cli_db, tui_db):
            assert jobs(db)["j"][0] == final, (db.name, jobs(db))
            open_database(str(db))
            try:
                runs = [(run.status, run.finished_at is not None) for run in Run.select()]
            finally:
                close_database()
            assert runs == [(final, True)], (db.name, runs)


async def test_account_removal_rule_from_both_front_ends(home: Path, tmp_path: Path) -> None:
    """An account a job uses is refused by both (one sentence naming the job), also when the
    job appeared while the TUI asked "Delete?"; once the job is gone, both remove it."""
    cli_db, tui_db = tmp_path / "cli.db", tmp_path / "tui.db"
    seed(cli_db, tmp_path / "cli")
    seed(tui_db, tmp_path / "tui")

    refused = davtui(cli_db, "account", "remove", "src")
    assert refused.returncode == 2
    assert refused.stderr == (
        "davtui: Account 'src' is used by job(s) j: remove those jobs first.\n"
    ), refused.stderr
    assert davtui(cli_db, "job", "remove", "j").returncode == 0
    assert davtui(cli_db, "account", "remove", "src").returncode == 0

    app = DavtuiApp(str(tui_db), run_jobs=False)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("1")
            screen = app.screen
            assert isinstance(screen, AccountsScreen)
            table = screen.query_one("#accounts", DataTable)
            row = table.get_row_index(str(Account.get(Account.name == "src").id))
            table.move_cursor(row=row)
            await pilot.pause()
            await pilot.press("d")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen) and not app.screen.allowed
            assert app.screen.question == (
                "Account 'src' is used by job(s) j: remove those jobs first."
            )
            await pilot.press("escape")
            await pilot.pause()
            await pilot.press("2", "d")  # the Jobs screen: delete j (its only job), yes
            await pilot.pause()
            await pilot.press("y")
            await pilot.pause()
            assert not Job.select().exists()
            await pilot.press("1")
            await pilot.pause()
            screen.reload()
            table.move_cursor(row=table.get_row_index(str(Account.get(Account.name == "src").id)))
            await pilot.pause()
            await pilot.press("d")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen) and app.screen.allowed
            src, dst = Account.get(Account.name == "src"), Account.get(Account.name == "dst")
            late = Job.create(name="late", source=src, destination=dst)  # another process
            await pilot.press("y")  # the answer to a question asked before the job existed
            await pilot.pause()
            assert Account.get_or_none(Account.name == "src") is not None, "refused, kept"
            late.delete_instance()
            await pilot.press("d")
            await pilot.pause()
            await pilot.press("y")
            await pilot.pause()
    finally:
        close_database()
    for db in (cli_db, tui_db):
        open_database(str(db))
        try:
            assert [a.name for a in Account.select()] == ["dst"], db.name
        finally:
            close_database()


def readme_table() -> dict[str, dict[str, str]]:
    """README's "Jobs and their states" table: state -> action -> cell."""
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = text.split("### Jobs and their states", 1)[1].split("\n### ", 1)[0]
    rows = [line.strip("|").split("|") for line in section.splitlines() if line.startswith("|")]
    header, body = rows[0], rows[2:]
    actions = [cell.split("(")[0].strip() for cell in header[1:]]
    table: dict[str, dict[str, str]] = {}
    for cells in body:
        for state in cells[0].split(","):
            table[state.strip()] = dict(zip(actions, (c.strip() for c in cells[1:]), strict=True))
    return table


def test_readme_table_is_the_lifecycle() -> None:
    """Every state has a row, every transition a column, and a cell says "refused" exactly
    where `lifecycle.APPLIES` refuses."""
    table = readme_table()
    assert set(table) == {str(status) for status in JobStatus}
    assert set(next(iter(table.values()))) == set(lifecycle.APPLIES)
    for state, cells in table.items():
        for action, cell in cells.items():
            offered = not cell.startswith("refused")
            assert offered == lifecycle.allowed(action, state), (state, action, cell)
