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
    """Create `path` empty with mode 0600 unless it exists: secrets are never world-readable.

    An existing file is never opened, only chmod-ed by path: the file may be a database that
    SQLite holds in this process, and closing any descriptor of a file drops every POSIX lock
    the process holds on it — the next process would then think itself the last user and
    delete the `-wal` and `-shm` files under the open database."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        pass
    else:
        os.close(fd)
    os.chmod(path, 0o600)
