"""`davtui batch import` as a real subprocess: a 3-row CSV becomes 6 accounts and 3 queued jobs
that `davtui --headless` runs to completion on a real Radicale; a bad row creates nothing."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import dav
from tests.contract import sample_event, sample_vcard
from tests.servers import Server, start_radicale

USERS = {f"{role}{n}": f"{role}{n}-pw" for role in ("old", "new") for n in (1, 2, 3)}


def cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PW_OLD1": "old1-pw", "PW_OLD2": "old2-pw"}
    return subprocess.run(
        [sys.executable, "-m", "davtui", "--db", str(home / "davtui.db"), *args],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """One Radicale with users old1..3 (seeded) and new1..3 (empty)."""
    server = start_radicale(tmp_path / "radicale", USERS)
    try:
        for n in (1, 2, 3):
            auth = {"user": f"old{n}", "password": f"old{n}-pw"}
            cal = dav.make_collection(server.url, f"old{n}/cal/", "Calendar", **auth)
            for i in range(n + 2):
                assert dav.put(f"{cal}e{i}.ics", sample_event(f"{n}-{i}", f"E{i}"), **auth) == 201
            book = dav.make_collection(server.url, f"old{n}/book/", "Book", "addressbook", **auth)
            card = sample_vcard(f"card-{n}", f"Jo Doe{n}")
            assert dav.put(f"{book}c.vcf", card, "text/vcard", **auth) == 201
        yield server
    finally:
        server.stop()


def write_csv(path: Path, server_url: str) -> Path:
    """Three rows mixing every password source and a per-row URL."""
    path.write_text(
        "name,source_user,source_password_env,source_password_command,destination_user,"
        "destination_url,what\n"
        ",old1,PW_OLD1,,new1,,\n"
        f"second,old2,PW_OLD2,,new2,{server_url}{{user}}/,both\n"
        f",old3,,{sys.executable} -c \"print('old3-pw')\",new3,,calendars\n"
    )
    return path


def test_three_rows_become_six_accounts_and_three_jobs_that_run(
    server: Server, home: Path, tmp_path: Path
) -> None:
    printer = tmp_path / "pw.py"
    printer.write_text("import sys\nprint(sys.argv[1] + '-pw')\n")
    users = write_csv(tmp_path / "users.csv", server.url)
    password_command = f"{sys.executable} {printer} {{user}}"
    done = cli(home, "batch", "import", str(users), "--source-url", server.url + "{user}/",
               "--destination-url", server.url, "--destination-preset", "radicale",
               "--destination-password-command", password_command)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Created 6 accounts and 3 queued jobs" in done.stdout

    accounts = json.loads(cli(home, "account", "list", "--json").stdout)
    assert len(accounts) == 6 and all(a["has_password"] for a in accounts)
    jobs = json.loads(cli(home, "job", "list", "--json").stdout)
    assert [(j["name"], j["status"], j["what"]) for j in jobs] == [
        ("old1 -> new1", "queued", "both"),
        ("second", "queued", "both"),
        ("old3 -> new3", "queued", "calendars"),
    ]

    run = cli(home, "--headless", "--json")
    assert run.returncode == 0, run.stderr
    reports = {r["job"]: r for r in json.loads(run.stdout)}
    assert all(r["status"] == "completed" and r["verification"]["ok"] for r in reports.values())
    assert reports["second"]["stats"]["events"]["created"] == 4
    assert reports["old3 -> new3"]["stats"]["contacts"]["created"] == 0
    assert reports["old1 -> new1"]["stats"]["contacts"]["created"] == 1
    assert [len(items_of(server, f"new{n}")) for n in (1, 2, 3)] == [3 + 1, 4 + 1, 5]


def items_of(server: Server, user: str) -> dict[str, str]:
    """Every item in every collection of `user`, by plain PROPFIND."""
    auth = {"user": user, "password": USERS[user]}
    status, body = dav.request(f"{server.url}{user}/", "PROPFIND", dav.LISTING,
                               headers={"Depth": "1"}, **auth)  # fmt: skip
    assert status == 207
    homes = set(re.findall(rf"<(?:\w+:)?href>(/{user}/[^<]+/)</", body.decode()))
    items: dict[str, str] = {}
    for href in homes:
        items.update(dav.listing(server.url + href.lstrip("/"), **auth))
    return items


def test_a_bad_row_creates_nothing(home: Path, tmp_path: Path) -> None:
    users = tmp_path / "users.csv"
    users.write_text(
        "source_user,source_password_env,destination_user\nold1,PW_OLD1,new1\nold2,PW_UNSET,new2\n"
    )
    done = cli(home, "batch", "import", str(users), "--source-url", "https://old/dav/{user}/",
               "--destination-url", "https://new/")  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"davtui: {users} line 3: The environment variable PW_UNSET is not set; "
        "nothing was created."
    )
    assert json.loads(cli(home, "account", "list", "--json").stdout) == []
    assert json.loads(cli(home, "job", "list", "--json").stdout) == []
