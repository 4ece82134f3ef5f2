"""Where a password comes from: a prompt, an environment variable or a command, never argv."""

from __future__ import annotations

import getpass
import os
import shlex
import subprocess
import sys

from davtui.childenv import child_env


class PasswordSourceError(Exception):
    """A password source could not deliver; the message is one sentence."""


def from_env(var: str) -> str:
    value = os.environ.get(var)
    if value is None:
        raise PasswordSourceError(f"The environment variable {var} is not set.")
    return value


def from_command(command: str) -> str:
    """Run `command` (no shell) and take the first line of its output, as `pass` prints it.

    It gets the allow-listed environment (`child_env`): no other password of this process.
    Its stderr goes nowhere, as before when it was captured and never shown: one pipe instead
    of two lets `run` read stdout straight, without a selector loop (a batch import starts
    two thousand of these)."""
    try:
        done = subprocess.run(
            shlex.split(command),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            timeout=60,
            env=child_env(),
            check=False,
        )
    except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
        raise PasswordSourceError(f"The password command could not run: {exc}.") from None
    if done.returncode != 0:
        raise PasswordSourceError(f"The password command exited with status {done.returncode}.")
    return done.stdout.splitlines()[0] if done.stdout else ""


def resolve(env: str | None, command: str | None, prompt: str | None) -> str | None:
    """The password from the first source given; a prompt only when stdin is a terminal."""
    if env:
        return from_env(env)
    if command:
        return from_command(command)
    if prompt and sys.stdin.isatty():
        return getpass.getpass(prompt)
    return None
