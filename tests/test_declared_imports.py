"""Every third-party module that `davtui` imports is declared in pyproject.toml, and no
library's private `_name` is used: an undeclared import works only while some other package
happens to pull it in, and a private helper may vanish in any release of its library."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Iterator
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "davtui"
# lxml documents `etree._Element` as the type of its elements (there is no public alias): using
# it in annotations is the library's own advice, not a private helper. `os._exit` is documented;
# `argparse._SubParsersAction` is what add_subparsers() returns, with no public name to annotate.
PUBLIC_DESPITE_THE_UNDERSCORE = {"etree._Element", "os._exit", "argparse._SubParsersAction"}


def sources() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path, ast.parse(path.read_text(), str(path))


def third_party(module: str) -> bool:
    top = module.split(".")[0]
    return top != "davtui" and top not in sys.stdlib_module_names


def foreign(module: str) -> bool:
    """Not davtui's own: a library's or the standard library's."""
    return module.split(".")[0] != "davtui"


def imported(tree: ast.Module) -> Iterator[str]:
    """Every absolute module name imported by `tree`, at the top or inside functions."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def normal(name: str) -> str:
    """A distribution name in PEP 503's normal form (`Foo_bar` and `foo-bar` are one)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def declared() -> set[str]:
    """The distributions the project declares: its dependencies and its extras except `test`
    (an import under davtui/ that only an extra brings must be guarded by that extra)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    for extra, requirements in project.get("optional-dependencies", {}).items():
        if extra != "test":
            wanted += requirements
    return {normal(re.match(r"[A-Za-z0-9._-]+", r).group(0)) for r in wanted}


def test_every_third_party_import_is_declared() -> None:
    owners = packages_distributions()
    allowed = declared()
    undeclared = {}
    for path, tree in sources():
        for module in imported(tree):
            if not third_party(module):
                continue
            top = module.split(".")[0]
            distributions = {normal(d) for d in owners.get(top, [])}
            if not distributions & allowed:
                where = str(path.relative_to(ROOT))
                undeclared[top] = f"{where} (installed by {sorted(distributions) or 'nothing'})"
    assert not undeclared, undeclared


def private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_uses(tree: ast.Module) -> Iterator[str]:
    """`lib._name` (attribute of an imported module, the standard library's too, or of a name
    imported from one),
    `from lib import _name` and `import lib._module` (dunder names are not private)."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if foreign(alias.name):
                    bound.add(alias.asname or alias.name.split(".")[0])
                    if any(private(part) for part in alias.name.split(".")):
                        yield alias.name
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and node.module
            and foreign(node.module)
        ):
            if any(private(part) for part in node.module.split(".")):
                yield node.module
            for alias in node.names:
                if private(alias.name):
                    yield f"{node.module}.{alias.name}"
                bound.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in bound
            and private(node.attr)
            and f"{node.value.id}.{node.attr}" not in PUBLIC_DESPITE_THE_UNDERSCORE
        ):
            yield f"{node.value.id}.{node.attr}"


def test_no_private_name_of_a_library_is_used() -> None:
    found = {
        f"{path.relative_to(ROOT)}: {use}" for path, tree in sources() for use in private_uses(tree)
    }
    assert not found, sorted(found)
