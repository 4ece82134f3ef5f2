"""The ledger and conflicts from the command line, through real servers: `davtui migrate`
writes the run's ledger into the database, `davtui job show NAME --items [--outcome X]`
lists it, `job conflicts` / `job resolve` settle an item edited in the destination."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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
