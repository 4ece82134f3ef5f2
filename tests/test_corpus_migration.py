"""The whole real-world corpus through a real server-to-server migration, both directions.

The source is the session's corpus Radicale (tests/corpus_source.py: what Radicale cannot read
is not part of the test, it never existed there); then `davtui migrate` copies everything. Items the
destination refuses must be per-item errors with a reason; everything else must arrive and
verify; the source must be untouched; and a second run must write nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import dav
from tests.corpus_source import CorpusSource
from tests.servers import Server, start_radicale
from tests.test_migrate import config_file

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]


def migrate(config: Path, db: Path) -> tuple[int, dict]:
    env = {**os.environ, "SRC_PASS": "alicepw", "DST_PASS": "alicepw"}
    done = subprocess.run(
        [sys.executable, "-m", "davtui", "--db", str(db), "migrate", str(config), "--json"],
        capture_output=True, text=True, env=env, timeout=1200,
    )  # fmt: skip
    assert done.returncode in (0, 1, 6), done.stderr[-3000:]
    return done.returncode, json.loads(done.stdout)


def check_run(report: dict, code: int, total: int, label: str) -> int:
    """Every source item copied, skipped or refused with a reason; all copied ones verified."""
    stats = report["stats"]
    kinds = ("events", "tasks", "journals", "contacts", "other")
    copied = sum(stats[k]["created"] for k in kinds)
    failed = sum(stats[k]["failed"] for k in kinds)
    skipped = sum(stats[k]["skipped"] for k in kinds)
    print(
        f"\n{label}: {total} items on the source, {copied} copied, {skipped} skipped, "
        f"{failed} refused by the destination, verification ok={report['verification']['ok']}"
        f", converted {report['verification']['converted']}"
        f", rewritten {len(report['verification']['rewritten'])}"
        f", different {len(report['verification']['different'])}, exit {code}"
    )
    for error in report["errors"][:20]:
        print(f"  refused: {error['collection']} {error['uid']}: {error['reason']}")
    for kind in ("missing", "different"):
        for entry in report["verification"][kind][:20]:
            print(f"  {kind}: {entry}")
    assert copied + failed + skipped == total
    assert all(e["reason"] for e in report["errors"]) and len(report["errors"]) == failed
    assert report["verification"]["ok"], report["verification"]
    assert code == (1 if failed or skipped else 0)
    return copied


def assert_no_writes(report: dict) -> None:
    stats = report["stats"]
    kinds = ("events", "tasks", "journals", "contacts", "other")
    assert sum(stats[k]["created"] + stats[k]["updated"] for k in kinds) == 0


def test_whole_corpus_both_directions(
    corpus_source: CorpusSource, fresh_xandikos: Server, tmp_path: Path
) -> None:
    """Radicale -> Xandikos, then that Xandikos -> a second, empty Radicale (seeding Xandikos
    over HTTP would cost minutes: it commits to git per item)."""
    source = corpus_source.server
    before = {url: dav.listing(url) for url in corpus_source.accepted}
    config = config_file(tmp_path / "rx.toml", source.url, fresh_xandikos.url)
    code, report = migrate(config, tmp_path / "rx.db")
    copied = check_run(report, code, corpus_source.total, "radicale -> xandikos")
    assert {url: dav.listing(url) for url in corpus_source.accepted} == before, "untouched"
    assert_no_writes(migrate(config, tmp_path / "rx.db")[1])

    second = start_radicale(tmp_path / "radicale2", {"alice": "alicepw"})
    try:
        config = config_file(tmp_path / "xr.toml", fresh_xandikos.url, second.url)
        code, report = migrate(config, tmp_path / "xr.db")
        check_run(report, code, copied, "xandikos -> radicale")
        assert_no_writes(migrate(config, tmp_path / "xr.db")[1])
    finally:
        second.stop()
