"""`davtui migrate` end to end against real Radicale and Xandikos, through counting proxies:
exit codes, the JSON report, incremental re-runs, dry run, and a source that is never written."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests import dav
from tests.contract import sample_event, sample_task, sample_vcard
from tests.proxy import Proxy
from tests.servers import Server, free_port

WRITES = ("PUT", "DELETE", "MKCOL", "MKCALENDAR", "PROPPATCH", "MOVE", "COPY")


def run_migrate(config: Path, *extra: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "SRC_PASS": "alicepw", "DST_PASS": "alicepw"}
    return subprocess.run(
        [sys.executable, "-m", "davtui", "--db", str(home / "m.db"), "migrate", str(config),
         "--json", *extra],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip


def config_file(path: Path, source: str, destination: str, **job: object) -> Path:
    lines = [
        "[source]", f'url = "{source}"', 'username = "alice"', 'password_env = "SRC_PASS"',
        "[destination]", f'url = "{destination}"', 'username = "alice"',
        'password_env = "DST_PASS"', "[job]",
    ]  # fmt: skip
    lines += [f"{k} = {json.dumps(v)}" for k, v in job.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def seed_radicale(server: Server, events: int = 20, cards: int = 5) -> None:
    cal = dav.make_collection(server.url, "alice/work/", "Work")
    for i in range(events):
        maker = sample_task if i % 7 == 0 else sample_event
        assert dav.put(f"{cal}item-{i}.ics", maker(f"item-{i}", f"Item {i}")) == 201
    book = dav.make_collection(server.url, "alice/book/", "Book", kind="addressbook")
    for i in range(cards):
        data = sample_vcard(f"card-{i}", f"Jane Doe{i}")
        assert dav.put(f"{book}card-{i}.vcf", data, "text/vcard") == 201


@pytest.fixture
def proxies(fresh_radicale: Server, fresh_xandikos: Server):
    with Proxy(fresh_radicale.url) as src, Proxy(fresh_xandikos.url) as dst:
        yield src, dst


def test_radicale_to_xandikos_then_incremental(
    fresh_radicale: Server, fresh_xandikos: Server, proxies, home: Path, tmp_path: Path
) -> None:
    seed_radicale(fresh_radicale)
    src, dst = proxies
    config = config_file(tmp_path / "m.toml", src.url, dst.url)
    first = run_migrate(config, home=home)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["status"] == "completed" and report["verification"]["ok"]
    assert report["stats"]["events"]["created"] == 17
    assert report["stats"]["tasks"]["created"] == 3
    assert report["stats"]["contacts"]["created"] == 5
    assert not any(src.counts[m] for m in WRITES), src.counts
    before = dav.listing(fresh_radicale.url + "alice/work/")

    src.reset()
    dst.reset()
    second = run_migrate(config, home=home)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["stats"]["events"]["unchanged"] == 17
    assert src.counts["REPORT"] == 0 and src.counts["GET"] == 0, src.counts
    assert dst.counts["REPORT"] == 0 and dst.counts["GET"] == 0, dst.counts
    # unchanged collections are skipped by ctag, and the first run's discovery is reused:
    # the homes' PROPFIND is all that is left
    print("no-change re-run requests:", dict(src.counts), dict(dst.counts))
    assert sum(src.counts.values()) <= 2 and sum(dst.counts.values()) <= 2
    assert not any(dst.counts[m] for m in WRITES), dst.counts

    status, _ = dav.request(
        f"{fresh_radicale.url}alice/work/item-3.ics", "PUT", sample_event("item-3", "Changed"),
        headers={"Content-Type": "text/calendar"},
    )  # fmt: skip
    assert status in (201, 204)
    src.reset()
    dst.reset()
    third = run_migrate(config, home=home)
    assert third.returncode == 0, third.stderr
    assert json.loads(third.stdout)["stats"]["events"]["updated"] == 1
    assert dst.counts["PUT"] == 1
    # the source says what changed since its sync token, the destination is not listed
    assert ("PROPFIND", "/alice/work/", 207) not in src.log, src.log
    assert ("PROPFIND", "/alice/calendars/work/", 207) not in dst.log, dst.log
    assert dav.listing(fresh_radicale.url + "alice/work/").keys() == before.keys()


def test_sync_token_changes_then_a_refused_token_lists_anew(
    fresh_radicale: Server, proxies, home: Path, tmp_path: Path
) -> None:
    """A changed source collection is read as the changes since the last run's sync token
    (an update, a new item and a deletion, mirrored); when the server refuses the stored
    token, the collection is listed whole and nothing is missed."""
    seed_radicale(fresh_radicale, events=6, cards=1)
    src, dst = proxies
    config = config_file(tmp_path / "m.toml", src.url, dst.url, mode="mirror")
    assert run_migrate(config, home=home).returncode == 0
    work = f"{fresh_radicale.url}alice/work/"
    put = {"headers": {"Content-Type": "text/calendar"}}
    assert dav.request(f"{work}item-3.ics", "PUT", sample_event("item-3", "Moved"), **put)[0] == 204
    assert dav.request(f"{work}new.ics", "PUT", sample_event("new", "New"), **put)[0] == 201
    assert dav.request(f"{work}item-5.ics", "DELETE")[0] == 200
    src.reset()
    second = run_migrate(config, home=home)
    assert second.returncode == 0, second.stderr
    stats = json.loads(second.stdout)["stats"]
    assert (stats["events"]["updated"], stats["events"]["created"], stats["deleted"]) == (1, 1, 1)
    assert ("PROPFIND", "/alice/work/", 207) not in src.log, src.log  # no listing
    assert ("REPORT", "/alice/work/", 207) in src.log
    assert {h.rsplit("/", 1)[-1] for h in dav.listing(f"{dst.url}alice/calendars/work/")} == {
        f"item-{i}.ics" for i in (0, 1, 2, 3, 4)
    } | {"new.ics"}

    with sqlite3.connect(home / "m.db") as db:
        db.execute("UPDATE collection_state SET source_ctag = source_ctag || 'x'")
    assert dav.request(f"{work}item-4.ics", "PUT", sample_event("item-4", "Again"), **put)[0] == 204
    src.reset()
    third = run_migrate(config, home=home)
    assert third.returncode == 0, third.stderr
    report = json.loads(third.stdout)
    assert report["stats"]["events"]["updated"] == 1 and report["verification"]["ok"]
    assert ("PROPFIND", "/alice/work/", 207) in src.log, src.log  # listed whole


def test_a_stale_stored_discovery_is_found_anew(
    fresh_radicale: Server, proxies, home: Path, tmp_path: Path
) -> None:
    """A run reuses the discovery stored by the last one; when its homes no longer answer,
    the run discovers the server again, goes on, and stores what it found."""
    seed_radicale(fresh_radicale, events=3, cards=1)
    src, dst = proxies
    config = config_file(tmp_path / "m.toml", src.url, dst.url)
    assert run_migrate(config, home=home).returncode == 0
    moved = f"{src.url}alice/moved-away/"
    with sqlite3.connect(home / "m.db") as db:
        db.execute(
            "UPDATE account SET capabilities = json_set(capabilities, '$.calendar_home', ?, "
            "'$.addressbook_home', ?) WHERE url = ?", (moved, moved, src.url),
        )  # fmt: skip
    dav.request(
        f"{fresh_radicale.url}alice/work/item-0.ics", "PUT", sample_event("item-0", "Changed"),
        headers={"Content-Type": "text/calendar"},
    )  # fmt: skip
    src.reset()
    again = run_migrate(config, home=home)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["stats"]["events"]["updated"] == 1
    assert ("PROPFIND", "/alice/moved-away/", 404) in src.log  # tried, then discovered anew
    with sqlite3.connect(home / "m.db") as db:
        (stored,) = db.execute("SELECT capabilities FROM account WHERE url = ?", (src.url,))
    assert json.loads(stored[0])["calendar_home"] == f"{src.url}alice/"


def test_xandikos_to_radicale(
    fresh_radicale: Server, fresh_xandikos: Server, home: Path, tmp_path: Path
) -> None:
    cal = f"{fresh_xandikos.url}alice/calendars/calendar/"
    for i in range(12):
        assert dav.put(f"{cal}x{i}.ics", sample_event(f"x{i}", f"X {i}")) == 201
    config = config_file(tmp_path / "m.toml", fresh_xandikos.url, fresh_radicale.url)
    done = run_migrate(config, home=home)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["stats"]["events"]["created"] == 12 and report["verification"]["ok"]


def test_dry_run_leaves_destination_empty(
    fresh_radicale: Server, fresh_xandikos: Server, proxies, home: Path, tmp_path: Path
) -> None:
    seed_radicale(fresh_radicale, events=5, cards=2)
    src, dst = proxies
    config = config_file(tmp_path / "m.toml", src.url, dst.url)
    done = run_migrate(config, "--dry-run", home=home)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["dry_run"] is True and report["stats"]["events"]["created"] == 4
    assert not any(dst.counts[m] for m in WRITES) and not any(src.counts[m] for m in WRITES)


def test_wrong_password_is_exit_3(fresh_radicale: Server, home: Path, tmp_path: Path) -> None:
    config = config_file(tmp_path / "m.toml", fresh_radicale.url, fresh_radicale.url)
    env_home = home
    done = subprocess.run(
        [sys.executable, "-m", "davtui", "--db", str(env_home / "m.db"), "migrate", str(config),
         "--json"],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "SRC_PASS": "wrong", "DST_PASS": "alicepw"},
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "failed" and "wrong" not in json.dumps(report)


def test_unreachable_is_exit_4(fresh_radicale: Server, home: Path, tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}/"
    config = config_file(tmp_path / "m.toml", fresh_radicale.url, dead)
    done = run_migrate(config, home=home)
    assert done.returncode == 4, done.stderr
    assert "127.0.0.1" in json.loads(done.stdout)["error"]


def test_bad_config_is_exit_2(home: Path, tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[source]\nurl = "http://x/"\n[job]\nmode = "sideways"\n')
    done = run_migrate(config, home=home)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
