"""The command line: the `davtui` entry point (`entry`), its subcommands (`commands/`), the
headless runner, console output, the config file, password sources and the demo.

`main` starts the TUI (`davtui.tui`) when no subcommand is given; otherwise nothing here
imports the TUI, and the TUI never imports this package.
"""

from davtui.cli.entry import main

__all__ = ["main"]
