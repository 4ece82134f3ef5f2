"""The layers of DESIGN.md section 1 hold: `lint-imports` checks the contracts in pyproject.toml
(the engine never imports Textual or a front end; items < storages < dav < sync < jobs; sync
never imports the store; TUI and CLI do not import each other)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """`lint-imports` run on the project at `root` (its own copy of davtui first on the path)."""
    tool = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [tool, "--no-cache"], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )


def test_import_contracts_hold() -> None:
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_a_forbidden_import_breaks_a_contract(tmp_path: Path) -> None:
    """The contracts bite: the item model importing the job state (so, the database) is
    reported, on a copy of the package."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    shutil.copytree(
        ROOT / "davtui", tmp_path / "davtui", ignore=shutil.ignore_patterns("__pycache__")
    )
    scan = tmp_path / "davtui" / "engine" / "items" / "scan.py"
    scan.write_text(scan.read_text() + "\nfrom davtui.engine.jobs.state import JobState  # noqa\n")
    done = lint_imports(tmp_path)
    assert done.returncode != 0, done.stdout
    assert "davtui.engine.items.scan -> davtui.engine.jobs.state" in done.stdout
