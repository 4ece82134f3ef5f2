"""Subcommands of the `davtui` CLI, one module per noun."""
