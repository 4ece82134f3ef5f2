"""Look tests: every screen and modal at 80x24 and 120x36, from the fixed seeded database.

Regenerate after an intended change with `pytest tests/test_snapshots.py --snapshot-update`
and look at the SVGs in `tests/__snapshots__/` before committing them.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from davtui.store import close_database
from davtui.tui.app import DavtuiApp
from tests.make_screenshots import SCENES, seed, settle

SIZES = {"80x24": (80, 24), "120x36": (120, 36)}


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded database, made once: `seed` writes fixed values only, so every test may
    start from a copy of the same file."""
    db = tmp_path_factory.mktemp("seeded") / "seeded.db"
    seed(db)
    assert not db.with_name("seeded.db-wal").exists(), "closed: everything is in the file"
    return db


@pytest.fixture
def seeded(home: Path, utc: None, seeded_file: Path) -> Iterator[DavtuiApp]:
    db = home / "seeded.db"
    shutil.copyfile(seeded_file, db)
    yield DavtuiApp(str(db), run_jobs=False)
    close_database()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scene", SCENES)
def test_screen(scene: str, size: str, seeded: DavtuiApp, snap_compare) -> None:
    """Jobs (with a running job), job detail, accounts, the forms and the collection picker,
    stop confirmation, logs."""

    async def run_before(pilot: Pilot) -> None:
        await pilot.pause()
        await SCENES[scene](pilot)
        await settle(pilot)

    assert snap_compare(seeded, terminal_size=SIZES[size], run_before=run_before)


def test_parallel_jobs_setting_in_the_header(seeded: DavtuiApp, snap_compare) -> None:
    """Parallel jobs chosen in the palette (ctrl+p, "Parallel jobs", "4 jobs at once"): the
    header says how many may run at once next to the running job."""

    async def run_before(pilot: Pilot) -> None:
        await pilot.pause()
        await pilot.press("ctrl+p", *"parallel jobs")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press(*"4 jobs")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(seeded, terminal_size=SIZES["80x24"], run_before=run_before)


def test_job_detail_at_200x50(seeded: DavtuiApp, snap_compare) -> None:
    """A large terminal: the statistics with their long headings, every row (the failed ones
    too), the fix-ups and the verification under them."""

    async def run_before(pilot: Pilot) -> None:
        await pilot.pause()
        await SCENES["job-detail"](pilot)
        await settle(pilot)

    assert snap_compare(seeded, terminal_size=(200, 50), run_before=run_before)


def test_items_at_200x50(seeded: DavtuiApp, snap_compare) -> None:
    """The Items screen on a large terminal: the conflict's sent and stored side by side and
    the keys that settle it."""

    async def run_before(pilot: Pilot) -> None:
        await pilot.pause()
        await SCENES["items-conflict"](pilot)
        await settle(pilot)

    assert snap_compare(seeded, terminal_size=(200, 50), run_before=run_before)


@pytest.mark.parametrize("scene", ["jobs", "jobs-selected", "fleet", "log-search"])
def test_fleet_screens_at_200x50(scene: str, seeded: DavtuiApp, snap_compare) -> None:
    """The screens issue 22 changed, on a large terminal: the filter bar, the wider Name
    column, the selection marks, the fleet overview, the log's job box."""

    async def run_before(pilot: Pilot) -> None:
        await pilot.pause()
        await SCENES[scene](pilot)
        await settle(pilot)

    assert snap_compare(seeded, terminal_size=(200, 50), run_before=run_before)
