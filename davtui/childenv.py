"""The environment of the commands davtui starts (password commands, hooks): an allow-list.

The process may hold secrets in its environment (`DAVTUI_KEY`, the variables accounts name
as `password_env`, tokens a shell exported); a child gets none of them, only what a command
needs to find its programs, its home and locale, and the agents a password manager talks to
(gpg-agent, the Secret Service on D-Bus, ssh-agent). An allow-list rather than a deny-list:
a secret under a name nobody thought of stays in. `DAVTUI_CHILD_ENV` names more variables a
user chooses to hand on (e.g. `BW_SESSION` for Bitwarden's CLI); `DAVTUI_KEY` never goes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

#: Handed to every child as the process has them.
PASSED = frozenset(
    {
        "PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "LANG", "LANGUAGE", "TZ",
        "TMPDIR", "DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "SSH_AUTH_SOCK",
        "GNUPGHOME", "GPG_TTY", "PASSWORD_STORE_DIR", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME",
        "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME",
    }
)  # fmt: skip
PASSED_PREFIXES = ("LC_",)
#: A user's list (spaces or commas) of further variables to hand on.
CHOSEN = "DAVTUI_CHILD_ENV"
NEVER = frozenset({"DAVTUI_KEY"})


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a child process: the allow-listed variables, then `extra`."""
    chosen = set(os.environ.get(CHOSEN, "").replace(",", " ").split())
    env = {
        name: value
        for name, value in os.environ.items()
        if (name in PASSED or name.startswith(PASSED_PREFIXES) or name in chosen)
        and name not in NEVER
    }
    return {**env, **(extra or {})}
