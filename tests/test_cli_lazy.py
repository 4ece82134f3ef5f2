"""The CLI imports only the module of the command it runs: `davtui --help` still lists every
command with its one line, each command's own parser is the one its module registers, and a
command's start does not pay for the others (serve's asyncio, demo, the transfer code ...)."""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys

import pytest

from davtui.cli.entry import COMMANDS, build_parser, command_parser

#: Prints which command modules a CLI call imported (it exits through --help's SystemExit).
LOADED = """
import json, sys
from davtui.cli.entry import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
names = sorted(m for m in sys.modules if m.startswith(("davtui.cli.commands.", "davtui.cli.demo")))
print(json.dumps(names), file=sys.stderr)
"""


def loaded(*argv: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", LOADED, *argv], capture_output=True, text=True, timeout=60
    )
    return json.loads(done.stderr.strip().splitlines()[-1])


def squeezed(text: str) -> str:
    return " ".join(text.split())


def test_the_top_help_lists_every_command_with_its_line_and_imports_none() -> None:
    shown = squeezed(build_parser().format_help())
    for name, (_module, line) in COMMANDS.items():
        assert f"{name} {line}" in shown
    assert loaded("--help") == []


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_line_is_the_one_its_module_registers(name: str) -> None:
    """The table's copy of a command's help line cannot drift from the module's own."""
    parent = argparse.ArgumentParser(prog="davtui")
    importlib.import_module(COMMANDS[name][0]).register(parent.add_subparsers())
    assert f"{name} {COMMANDS[name][1]}" in squeezed(parent.format_help())
    assert command_parser(name).prog == f"davtui {name}"


def test_a_command_imports_its_own_module_only() -> None:
    assert loaded("batch", "import", "--help") == ["davtui.cli.commands.batch"]
    assert loaded("status", "--help") == ["davtui.cli.commands.status"]
    job = loaded("job", "list", "--help")
    assert "davtui.cli.commands.job" in job
    assert "davtui.cli.commands.serve" not in job and "davtui.cli.demo" not in job


def test_a_command_parses_as_before() -> None:
    args = build_parser().parse_args(["--db", "x.db", "job", "add", "j", "-s", "a", "-d", "b"])
    assert (args.db, args.command, args.name, args.source, args.destination) == (
        "x.db",
        "job",
        "j",
        "a",
        "b",
    )
    assert callable(args.handler)
