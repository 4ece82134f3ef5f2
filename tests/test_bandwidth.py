"""The global bandwidth cap (`--max-rate`, DAVTUI_MAX_RATE): one budget for every thread and
every transfer of the process. A cap is a lower bound on time, so these bounds hold however
slow the machine is."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from davtui.engine.dav.bandwidth import BURST, Bandwidth, parse_rate
from tests import dav
from tests.servers import Server
from tests.test_migrate import config_file


@pytest.mark.parametrize(
    ("text", "rate"),
    [("1200", 1200), ("500k", 500_000), ("5M", 5_000_000), ("2.5MB/s", 2_500_000),
     ("1g", 1e9), (" 64 KiB ", 64_000)],
)  # fmt: skip
def test_rates_read_as_bytes_per_second(text: str, rate: float) -> None:
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["", "fast", "0", "5x", "-3M"])
def test_a_bad_rate_is_one_sentence(text: str) -> None:
    with pytest.raises(ValueError, match="not a rate"):
        parse_rate(text)


def test_threads_share_one_budget() -> None:
    """Four threads each moving 250 KB through a 400 KB/s budget: 1 MB takes at least
    1 MB / rate less the one-second burst, whatever the number of threads."""
    limit = Bandwidth(400_000)
    started = time.monotonic()

    def move() -> None:
        for _ in range(10):
            limit.take(25_000)

    threads = [threading.Thread(target=move) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert time.monotonic() - started >= 1_000_000 / 400_000 - BURST


def test_no_limit_never_waits() -> None:
    limit = Bandwidth()
    started = time.monotonic()
    limit.take(10**12)
    assert time.monotonic() - started < 1.0


def _event_with_attachment(uid: str, size: int) -> bytes:
    blob = base64.b64encode(os.urandom(size)).decode()
    attach = "ATTACH;ENCODING=BASE64;VALUE=BINARY;FMTTYPE=application/octet-stream:" + blob
    folded = "\r\n ".join(attach[i : i + 74] for i in range(0, len(attach), 74))
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davtui//bw//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240102T100000Z\r\n"
        f"SUMMARY:Big {uid}\r\n{folded}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def test_migrate_honours_the_cap(
    fresh_radicale: Server, fresh_xandikos: Server, home: Path, tmp_path: Path
) -> None:
    """A migration of ~1 MB (read once from the source, written once to the destination)
    under DAVTUI_MAX_RATE=300k lasts at least 2 MB / 300 KB/s less the burst; the data
    arrives whole."""
    cal = dav.make_collection(fresh_radicale.url, "alice/big/", "Big")
    sizes = 0
    for i in range(8):
        data = _event_with_attachment(f"big-{i}", 90_000)
        sizes += len(data)
        assert dav.put(f"{cal}big-{i}.ics", data) == 201
    config = config_file(tmp_path / "m.toml", fresh_radicale.url, fresh_xandikos.url)
    env = {**os.environ, "SRC_PASS": "alicepw", "DST_PASS": "alicepw", "DAVTUI_MAX_RATE": "300k"}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "davtui", "--db", str(home / "m.db"), "migrate", str(config),
         "--json"],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["stats"]["events"]["created"] == 8 and report["verification"]["ok"]
    print(f"\n{2 * sizes} bytes moved at most at 300 KB/s: {elapsed:.1f} s")
    assert elapsed >= 2 * sizes / 300_000 - BURST
