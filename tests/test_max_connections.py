"""The per-host connection limit as an account setting: `account add|edit --max-connections`,
checked by the schema, stored, and honoured by a real run (a proxy in front of a real
Xandikos counts the requests it handles at once)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.proxy import Proxy
from tests.servers import Server
from tests.test_headless import cli, dav_login, folder, make_job, ok, seed_folder

ITEMS = 40


@pytest.fixture
def slow(fresh_xandikos: Server) -> Iterator[Proxy]:
    with Proxy(fresh_xandikos.url, latency=0.05) as proxy:
        yield proxy


def test_a_run_keeps_to_the_accounts_connection_limit(
    slow: Proxy, home: Path, tmp_path: Path
) -> None:
    source = folder(seed_folder(tmp_path / "source", ITEMS))
    make_job(home, source, [*dav_login(slow.url), "--max-connections", "2"])
    assert json.loads(ok(home, "account", "show", "dst", "--json"))["max_connections"] == 2
    report = json.loads(ok(home, "--headless", "--json"))[0]
    assert report["stats"]["events"]["created"] == ITEMS
    assert slow.peak <= 2, slow.peak

    slow.peak = 0  # the same copy without the limit: more at once (the limit above did bite)
    ok(home, "account", "edit", "dst", "--max-connections", "16")
    ok(home, "job", "add", "again", "-s", "src", "-d", "dst", "--queue",
       "--collection", "Work=Again")  # fmt: skip
    assert json.loads(ok(home, "--headless", "--json"))[0]["stats"]["events"]["created"] == ITEMS
    assert slow.peak > 2


@pytest.mark.parametrize("value", ["0", "257"])
def test_a_bad_limit_is_one_sentence(home: Path, value: str) -> None:
    done = cli(home, "account", "add", "x", "--url", "https://dav.example/", "--no-password",
               "--max-connections", value)  # fmt: skip
    assert done.returncode == 2
    assert "max_connections must be a whole number from 1 to 256" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
