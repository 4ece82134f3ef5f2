"""Child processes (password commands, hooks) never inherit a password of the process
(issue 18): each child writes its environment down and the test reads it."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet

from tests.contract import sample_event
from tests.credentials import davtui


def secret_env(tmp_path: Path) -> dict[str, str]:
    """The process's environment with a Fernet key and password variables in it."""
    return {
        **os.environ,
        "DAVTUI_KEY": Fernet.generate_key().decode(),
        "DAVTUI_DB": str(tmp_path / "d.db"),
        "SRC_PASS": "src-s3cret",
        "MY_PASSWORD": "my-s3cret",
        "GITHUB_TOKEN": "tok-s3cret",
    }


def assert_clean(dump: Path, env: dict[str, str]) -> dict[str, str]:
    """The environment a child wrote with `env`: none of the secrets, but a usable PATH."""
    text = dump.read_text()
    for name in ("DAVTUI_KEY", "SRC_PASS", "MY_PASSWORD", "GITHUB_TOKEN", "DAVTUI_DB"):
        assert name not in text and env[name] not in text, name
    seen = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    assert seen.get("PATH") == env["PATH"]
    return seen


def vdir(root: Path) -> Path:
    (root / "Work").mkdir(parents=True)
    (root / "Work" / "e.ics").write_bytes(sample_event("e", "E"))
    return root


def test_a_password_command_gets_no_password_of_the_process(tmp_path: Path) -> None:
    """`davtui migrate` with one side's password in $SRC_PASS and the other's from a command
    that writes its environment down."""
    env = secret_env(tmp_path)
    dump = tmp_path / "env.txt"
    config = tmp_path / "m.toml"
    config.write_text(
        f"[source]\nurl = '{vdir(tmp_path / 'src')}'\nkind = 'vdir'\npassword_env = 'SRC_PASS'\n"
        f"[destination]\nurl = '{tmp_path / 'dst'}'\nkind = 'vdir'\n"
        f"password_command = \"sh -c 'env > {dump}; echo pw'\"\n[job]\nname = 'j'\n"
    )
    done = davtui(tmp_path / "d.db", "migrate", str(config), env=env)
    assert done.returncode == 0, done.stderr
    assert_clean(dump, env)


def test_a_hook_gets_its_variables_and_no_password_of_the_process(tmp_path: Path) -> None:
    env = secret_env(tmp_path)
    dump = tmp_path / "env.txt"
    db = tmp_path / "d.db"
    for name, path in (("src", vdir(tmp_path / "src")), ("dst", tmp_path / "dst")):
        added = davtui(db, "account", "add", name, "--url", str(path), "--kind", "vdir",
                       "--no-password", env=env)  # fmt: skip
        assert added.returncode == 0, added.stderr
    hook = f"sh -c 'env > {dump}'"
    job = davtui(
        db, "job", "add", "j", "-s", "src", "-d", "dst", "--queue", "--hook", hook, env=env
    )
    assert job.returncode == 0, job.stderr
    done = davtui(db, "--headless", env=env)
    assert done.returncode == 0, done.stderr
    seen = assert_clean(dump, env)
    assert seen["DAVTUI_JOB"] == "j" and seen["DAVTUI_STATUS"] == "completed"
    assert seen["DAVTUI_EXIT_CODE"] == "0"


def test_davtui_child_env_hands_on_what_the_user_names(tmp_path: Path) -> None:
    """`DAVTUI_CHILD_ENV=BW_SESSION` for a password manager's session; never DAVTUI_KEY."""
    env = {
        **secret_env(tmp_path),
        "BW_SESSION": "bw-session",
        "DAVTUI_CHILD_ENV": "BW_SESSION,DAVTUI_KEY",
    }
    dump = tmp_path / "env.txt"
    command = f"sh -c 'env > {dump}; echo pw'"
    done = davtui(tmp_path / "d.db", "account", "add", "a", "--url", "http://127.0.0.1:9/",
                  "-u", "alice", "--password-command", command, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert assert_clean(dump, env)["BW_SESSION"] == "bw-session"
