"""Stop and crash safety of real runs: SIGTERM (clean stop) and SIGKILL half-way, then a second
run, end with every source item in the destination exactly once and verified."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import dav
from tests.contract import sample_event
from tests.proxy import Proxy
from tests.servers import Server
from tests.test_migrate import config_file

ITEMS = 240


def seed(server: Server) -> str:
    cal = dav.make_collection(server.url, "alice/big/", "Big")
    for i in range(ITEMS):
        assert dav.put(f"{cal}e{i}.ics", sample_event(f"e{i}", f"Event {i}")) == 201
    return cal


def start(config: Path, db: Path) -> subprocess.Popen:
    env = {**os.environ, "SRC_PASS": "alicepw", "DST_PASS": "alicepw"}
    return subprocess.Popen(
        [sys.executable, "-m", "davtui", "--db", str(db), "migrate", str(config), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
    )  # fmt: skip


def wait_for_items(url: str, count: int, proc: subprocess.Popen, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the run ended before it could be interrupted"
        have = len(dav.listing(url))
        if have >= count:
            return have
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} items after {timeout} s")


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_interrupted_run_resumes_exactly(
    sig: signal.Signals, fresh_radicale: Server, fresh_xandikos: Server, tmp_path: Path
) -> None:
    source = seed(fresh_radicale)
    before = dav.listing(source)
    with Proxy(fresh_xandikos.url, latency=0.02) as slow:
        config = config_file(tmp_path / "m.toml", fresh_radicale.url, slow.url)
        db = tmp_path / "state.db"
        proc = start(config, db)
        dest = f"{fresh_xandikos.url}alice/calendars/big/"
        wait_for_items(dest, ITEMS // 3, proc)
        proc.send_signal(sig)
        proc.wait(timeout=60)
        if sig == signal.SIGTERM:
            assert proc.returncode == 5, proc.stderr.read()
        partial = len(dav.listing(dest))
        assert ITEMS // 3 <= partial < ITEMS
        again = start(config, db)
        out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    report = json.loads(out)
    assert report["verification"]["ok"]
    listing = dav.listing(dest)
    assert len(listing) == ITEMS, "every item exactly once"
    assert sorted(Path(h).name for h in listing) == sorted(f"e{i}.ics" for i in range(ITEMS))
    assert dav.listing(source) == before, "the source is untouched"
