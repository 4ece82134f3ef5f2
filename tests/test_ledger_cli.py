"""The ledger and conflicts from the command line, through real servers: `davtui migrate`
writes the run's ledger into the database, `davtui job show NAME --items [--outcome X]`
lists it, `job conflicts` / `job resolve` settle an item edited in the destination."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urljoin

from davtui.exitcodes import ITEM_ERRORS, OK, USAGE
from tests import dav
from tests.contract import sample_event
from tests.proxy import Fault, Proxy
from tests.servers import Server
from tests.test_ledger import WINDOWS
from tests.test_migrate import config_file, run_migrate
from tests.test_semantic_compare import event


def davtui(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "davtui", "--db", str(home / "m.db"), *args],
        capture_output=True, text=True, env=dict(os.environ), timeout=300,
    )  # fmt: skip


def test_job_show_items_lists_the_last_runs_ledger(
    fresh_xandikos: Server, fresh_radicale: Server, tmp_path: Path
) -> None:
    url = dav.make_collection(fresh_xandikos.url, "alice/calendars/work/", "work")
    assert dav.put(url + "win.ics", WINDOWS) in (201, 204)
    config = config_file(tmp_path / "x.toml", fresh_xandikos.url, fresh_radicale.url, name="led")
    first = run_migrate(config, home=tmp_path)
    assert first.returncode == OK, first.stdout + first.stderr
    report = json.loads(first.stdout)
    [fixed] = report["ledger"]
    assert fixed["outcome"] == "fixed" and report["stats"]["ledger"]["fixed"] == 1

    shown = davtui(tmp_path, "job", "show", "led")
    assert shown.returncode == OK and "fixed 1" in shown.stdout.splitlines()[-1]
    table = davtui(tmp_path, "job", "show", "led", "--items")
    assert table.returncode == OK, table.stderr
    assert "fixed" in table.stdout and "Windows" in table.stdout
    assert "windows-tzid: DTSTART TZID W. Europe Standard Time -> Europe/Berlin" in table.stdout
    listed = davtui(tmp_path, "job", "show", "led", "--items", "--outcome", "fixed", "--json")
    body = json.loads(listed.stdout)
    assert body["counts"]["fixed"] == 1 and [i["uid"] for i in body["items"]] == ["win"]
    none = davtui(tmp_path, "job", "show", "led", "--outcome", "missing", "--json")
    assert json.loads(none.stdout)["items"] == []
    wrong = davtui(tmp_path, "job", "show", "led", "--items", "--outcome", "lost")
    assert wrong.returncode == USAGE and "Traceback" not in wrong.stderr
    assert wrong.stderr.count("\n") == 1 and "Unknown outcome 'lost'" in wrong.stderr


def test_an_item_refused_as_too_large_is_kept_byte_for_byte(
    fresh_xandikos: Server, fresh_radicale: Server, tmp_path: Path
) -> None:
    """The destination answers 413 to one PUT: the item is refused (exit 1), and its bytes,
    as the source served them, are in the run's leftovers folder that its entry names."""
    url = dav.make_collection(fresh_xandikos.url, "alice/calendars/work/", "work")
    big = sample_event("big", "Large " * 40)
    for uid, data in (("big", big), ("small", sample_event("small"))):
        assert dav.put(f"{url}{uid}.ics", data) in (201, 204)

    def too_large(method: str, path: str, _attempt: int, _body: bytes) -> Fault | None:
        return Fault(status=413) if method == "PUT" and "big" in path else None

    with Proxy(fresh_radicale.url, too_large) as proxy:
        config = config_file(tmp_path / "x.toml", fresh_xandikos.url, proxy.url, name="big")
        done = run_migrate(config, home=tmp_path)
    assert done.returncode == ITEM_ERRORS, done.stdout + done.stderr
    report = json.loads(done.stdout)
    [refused] = report["ledger"]
    assert refused["outcome"] == "refused" and refused["uid"] == "big"
    assert Path(refused["kept"]).read_bytes() == dav.request(f"{url}big.ics", "GET")[1]
    assert Path(refused["kept"]).is_relative_to(tmp_path / "leftovers")
    shown = davtui(tmp_path, "job", "show", "big", "--items", "--outcome", "refused")
    assert f"kept at {refused['kept']}" in shown.stdout


def test_a_standing_conversion_reads_nothing_and_is_still_listed(
    fresh_xandikos: Server, fresh_radicale: Server, tmp_path: Path
) -> None:
    """Radicale stores `DTSTART:20231224` as `DTSTART;VALUE=DATE:20231224` (a conversion).
    The no-change re-run reads 0 items back and writes 0, and its ledger still lists the
    conversion, from the item state, as standing; exit 0 both times."""
    url = dav.make_collection(fresh_xandikos.url, "alice/calendars/work/", "work")
    assert dav.put(url + "pair-1.ics", event("DTSTART:20231224", "SUMMARY:Xmas")) in (201, 204)
    config = config_file(tmp_path / "x.toml", fresh_xandikos.url, fresh_radicale.url, name="c")
    first = run_migrate(config, home=tmp_path)
    assert first.returncode == OK, first.stdout
    [converted] = json.loads(first.stdout)["ledger"]
    assert converted["outcome"] == "converted" and converted["details"] == ["VEVENT DTSTART"]
    again = run_migrate(config, home=tmp_path)
    assert again.returncode == OK, again.stdout
    second = json.loads(again.stdout)
    assert second["verification"]["fetched"] == 0
    assert second["stats"]["events"]["created"] == second["stats"]["events"]["updated"] == 0
    [standing] = second["ledger"]
    assert standing["outcome"] == "converted" and standing["standing"] is True
    assert standing["uid"] == "pair-1" and standing["reason"] == converted["reason"]
    assert second["stats"]["ledger"]["converted"] == 1


def _radicale_item(server: Server) -> str:
    """The URL of the one item copied into alice's collections on Radicale."""
    status, text = dav.request(server.url + "alice/", "PROPFIND", dav.LISTING,
                               headers={"Depth": "1"})  # fmt: skip
    assert status == 207
    hrefs = {h.decode() for h in re.findall(rb"<(?:\w+:)?href>([^<]*/)</", text)}
    collections = [urljoin(server.url, h) for h in hrefs if h.rstrip("/") != "/alice"]
    [item] = [urljoin(server.url, i) for c in collections for i in dav.listing(c)]
    return item


def _edit_at(url: str, old: bytes, new: bytes) -> None:
    """A user's edit in the destination (an unconditional PUT over the item)."""
    status, data = dav.request(url, "GET")
    assert status == 200 and old in data
    headers = {"Content-Type": "text/calendar"}
    status, _ = dav.request(url, "PUT", data.replace(old, new), headers=headers)
    assert status in (201, 204)


def test_a_conflict_is_listed_and_resolved_each_way_on_radicale(
    fresh_xandikos: Server, fresh_radicale: Server, tmp_path: Path
) -> None:
    """Copied and verified, then edited in the destination: the run reports a conflict (exit
    1), `job conflicts` lists it; `--keep destination`: the next run exits 0 and the edit
    stays; edited again, `--keep source`: the next run writes the source's version, exit 0."""
    url = dav.make_collection(fresh_xandikos.url, "alice/calendars/work/", "work")
    assert dav.put(url + "a.ics", sample_event("a")) in (201, 204)
    config = config_file(tmp_path / "x.toml", fresh_xandikos.url, fresh_radicale.url, name="k")
    assert run_migrate(config, home=tmp_path).returncode == OK
    copy = _radicale_item(fresh_radicale)
    _edit_at(copy, b"Room 1", b"Room 9")
    found = run_migrate(config, home=tmp_path)
    assert found.returncode == ITEM_ERRORS, found.stdout
    [conflict] = json.loads(found.stdout)["ledger"]
    assert conflict["outcome"] == "conflict" and "LOCATION" in conflict["reason"]
    listed = davtui(tmp_path, "job", "conflicts", "k", "--json")
    assert [c["uid"] for c in json.loads(listed.stdout)] == ["a"]
    assert "a " in davtui(tmp_path, "job", "conflicts", "k").stdout

    kept = davtui(tmp_path, "job", "resolve", "k", "--uid", "a", "--keep", "destination")
    assert kept.returncode == OK and "Resolved 1" in kept.stdout, kept.stderr
    after = run_migrate(config, home=tmp_path)
    assert after.returncode == OK, after.stdout
    assert json.loads(after.stdout)["ledger"] == []
    assert b"Room 9" in dav.request(copy, "GET")[1]
    assert "no conflicts" in davtui(tmp_path, "job", "conflicts", "k").stdout

    _edit_at(copy, b"Room 9", b"Room 7")
    assert run_migrate(config, home=tmp_path).returncode == ITEM_ERRORS
    source = davtui(tmp_path, "job", "resolve", "k", "--all", "--keep", "source")
    assert source.returncode == OK, source.stderr
    written = run_migrate(config, home=tmp_path)
    assert written.returncode == OK, written.stdout
    assert b"Room 1" in dav.request(copy, "GET")[1]
    assert run_migrate(config, home=tmp_path).returncode == OK
    none = davtui(tmp_path, "job", "resolve", "k", "--all", "--keep", "source")
    assert none.returncode == USAGE and "has no conflict" in none.stderr
    assert "Traceback" not in none.stderr
