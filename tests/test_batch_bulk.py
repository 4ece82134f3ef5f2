"""`davtui batch import` at scale, as real subprocesses: passwords fetched by commands run side
by side (each login once), the first bad line in file order reported with nothing created,
and a thousand-odd rows queued in file order by a few bulk statements."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from davtui.store import close_database, open_database
from davtui.store.models import Job


def cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "davtui", "--db", str(home / "davtui.db"), *args],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def importing(home: Path, users: Path, command: str) -> subprocess.CompletedProcess:
    return cli(home, "batch", "import", str(users), "--source-url", "https://old.example/{user}/",
               "--destination-url", "https://new.example/{user}/", "--source-password-command",
               command, "--destination-password-command", command)  # fmt: skip


def test_many_rows_are_queued_in_file_order_each_login_asked_once(
    home: Path, tmp_path: Path
) -> None:
    asked = tmp_path / "asked"
    asked.mkdir()
    printer = tmp_path / "pw.py"
    printer.write_text(
        "import sys, pathlib, os\n"
        f"pathlib.Path({str(asked)!r}, sys.argv[1] + '.' + str(os.getpid())).touch()\n"
        "print(sys.argv[1] + '-pw')\n"
    )
    rows = [f"u{n:03d},n{n:03d}" for n in range(150)] + ["u000,n999"]  # u000 twice
    users = tmp_path / "users.csv"
    users.write_text("source_user,destination_user\n" + "\n".join(rows) + "\n")
    done = importing(home, users, f"{sys.executable} {printer} {{user}}")
    assert done.returncode == 0, done.stderr
    assert "Created 301 accounts and 151 queued jobs" in done.stdout
    logins = sorted(p.name.split(".")[0] for p in asked.iterdir())
    assert len(logins) == 301 == len(set(logins))  # u000's password was fetched once
    open_database(str(home / "davtui.db"))
    try:
        queue = [job.name for job in Job.select().order_by(Job.queue_position)]
        assert queue == [f"u{r.split(',')[0][1:]} -> {r.split(',')[1]}" for r in rows]
        assert {job.status for job in Job.select()} == {"queued"}
    finally:
        close_database()
    accounts = json.loads(cli(home, "account", "list", "--json").stdout)
    assert all(a["has_password"] for a in accounts)


def test_the_first_bad_line_in_file_order_is_reported(home: Path, tmp_path: Path) -> None:
    printer = tmp_path / "pw.py"
    printer.write_text("import sys\nsys.exit(3 if sys.argv[1] in ('u2', 'u4') else 0)\n")
    users = tmp_path / "users.csv"
    users.write_text("source_user,destination_user\n" + "".join(f"u{n},n{n}\n" for n in range(6)))
    done = importing(home, users, f"{sys.executable} {printer} {{user}}")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"davtui: {users} line 4: The password command exited with status 3; nothing was created."
    )
    assert json.loads(cli(home, "job", "list", "--json").stdout) == []
