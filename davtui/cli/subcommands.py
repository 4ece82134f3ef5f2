"""The one thing a command module's `register(sub)` needs of argparse's subparsers: to add a
parser. Typed as a Protocol because argparse names that object's class only privately."""

from __future__ import annotations

import argparse
from typing import Any, Protocol


class Subcommands(Protocol):
    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser: ...
