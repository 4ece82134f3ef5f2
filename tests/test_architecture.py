"""The layers of DESIGN.md section 1 hold: `lint-imports` checks the contracts in pyproject.toml
(the engine never imports Textual or a front end; items < storages < dav < sync < jobs; sync
never imports the store; TUI and CLI do not import each other)."""

from __future__ import annotations

import ast
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


#: Where a job's status may be written: the lifecycle, and the queue's atomic claim
#: (`queued -> running` in one conditional UPDATE under a lease).
STATUS_WRITERS = {"davtui/engine/jobs/lifecycle.py": None, "davtui/engine/jobs/queue.py": "_take"}


def _is_job(node: ast.expr) -> bool:
    """`Job`, `job`, `self.job`, `copy_job` ...: an expression naming a job row or the model."""
    name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", "")
    return name == "Job" or name.lower().endswith("job")


def status_writes(source: str) -> list[tuple[int, str]]:
    """(line, enclosing function) of each write of a job's status in `source`:
    `Job.update/create/insert(status=...)`, `Job(status=...)`, `job.status = ...` (also in a
    tuple assignment)."""
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST, function: str) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        if isinstance(node, ast.Call) and any(k.arg == "status" for k in node.keywords):
            func = node.func
            model = func.value if isinstance(func, ast.Attribute) else func
            verb = func.attr if isinstance(func, ast.Attribute) else "new"
            if _is_job(model) and verb in ("update", "create", "insert", "new", "replace"):
                found.append((node.lineno, function))
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for leaf in target.elts if isinstance(target, ast.Tuple) else [target]:
                    attribute = isinstance(leaf, ast.Attribute) and leaf.attr == "status"
                    if attribute and _is_job(leaf.value):
                        found.append((node.lineno, function))
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(ast.parse(source), "")
    return found


def test_only_the_lifecycle_writes_job_status() -> None:
    """Every change of a job's status goes through `engine.jobs.lifecycle` (and the queue's
    claim), so the TUI, the CLI and headless runners apply the same rules."""
    stray = []
    for path in sorted((ROOT / "davtui").rglob("*.py")):
        where = str(path.relative_to(ROOT))
        for line, function in status_writes(path.read_text()):
            if where in STATUS_WRITERS and STATUS_WRITERS[where] in (None, function):
                continue
            stray.append(f"{where}:{line} ({function or 'module'})")
    assert stray == [], "job status written outside the lifecycle: " + ", ".join(stray)


def test_the_status_write_check_bites() -> None:
    source = (
        "def f(job, other):\n"
        "    Job.update(status='x').where(Job.id == 1).execute()\n"
        "    Job.create(name='n', status='pending')\n"
        "    job.status, job.control = 'pending', None\n"
        "    self.job.status = 'queued'\n"
        "    other.status = 412\n"  # not a job: an HTTP error's status
        "    Run.update(status='interrupted')\n"  # a run's, not a job's
    )
    assert status_writes(source) == [(2, "f"), (3, "f"), (4, "f"), (5, "f")]
