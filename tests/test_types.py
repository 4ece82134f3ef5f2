"""The types hold: `mypy` (configured in pyproject.toml: strict for `davtui.engine`, the default
checks for the rest) finds nothing in `davtui`. CI runs only `pytest`, so this test is how mypy
runs in CI; its cache lives in a temporary folder so a stale cache never hides an error."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_mypy(root: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    """mypy as a subprocess with the configuration in `root`/pyproject.toml."""
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(cache)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_mypy_is_clean(tmp_path: Path) -> None:
    done = run_mypy(ROOT, tmp_path / "cache")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found" in done.stdout


def test_the_engine_alone_is_checked_strictly(tmp_path: Path) -> None:
    """The configuration bites where it should: the same unannotated function is an error in
    the engine and allowed in the CLI (on a tiny package beside a copy of pyproject.toml)."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    untyped = "def twice(x):\n    return x * 2\n"
    for folder in ("davtui", "davtui/engine", "davtui/cli"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "__init__.py").write_text("")
    (tmp_path / "davtui/engine/probe.py").write_text(untyped)
    (tmp_path / "davtui/cli/probe.py").write_text(untyped)
    done = run_mypy(tmp_path, tmp_path / "cache")
    assert done.returncode == 1, done.stdout + done.stderr
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1, done.stdout
    assert errors[0].startswith("davtui/engine/probe.py:1:")
    assert "[no-untyped-def]" in errors[0]
