"""Where davtui keeps its files: one place, with environment overrides for tests and scripts."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "davtui"


def data_dir() -> Path:
    """The user data directory (platformdirs), created on first use with mode 0700."""
    from platformdirs import user_data_path

    path = user_data_path(APP_NAME, appauthor=False)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def db_location(cli_value: str | None = None) -> str:
    """The database: `--db`, else `DAVTUI_DB`, else `davtui.db` in the data directory."""
    return cli_value or os.environ.get("DAVTUI_DB") or str(data_dir() / "davtui.db")


def key_file() -> Path:
    """The Fernet key file: `DAVTUI_KEY_FILE`, else `key` in the data directory."""
    override = os.environ.get("DAVTUI_KEY_FILE")
    return Path(override) if override else data_dir() / "key"


def create_private(path: Path) -> None:
    """Create `path` empty with mode 0600 unless it exists: secrets are never world-readable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)
