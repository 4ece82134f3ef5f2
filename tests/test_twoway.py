"""Two-way sync (`mode = "sync"`) end to end: `davtui migrate --json` between a real Radicale
and a real Xandikos through counting proxies — creations, updates and deletions both ways, a
quiet pass that reads and writes nothing, a conflict, the deletion guard, `ask` settled with
`davtui job resolve` — and the schema's rules for the mode and its policies."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests import dav
from tests.contract import sample_event, sample_vcard
from tests.proxy import Proxy
from tests.servers import Server
from tests.test_migrate import WRITES, config_file, run_migrate

PUT = {"headers": {"Content-Type": "text/calendar"}}


def event(uid: str, summary: str, sequence: int = 0) -> bytes:
    data = sample_event(uid, summary)
    if sequence:
        data = data.replace(b"SUMMARY:", f"SEQUENCE:{sequence}\r\nSUMMARY:".encode())
    return data


@pytest.fixture
def proxies(fresh_radicale: Server, fresh_xandikos: Server):
    with Proxy(fresh_radicale.url) as src, Proxy(fresh_xandikos.url) as dst:
        yield src, dst


def sync(config: Path, home: Path, *extra: str) -> dict:
    done = run_migrate(config, *extra, home=home)
    assert done.stdout, done.stderr
    report = json.loads(done.stdout)
    assert report["exit_code"] == done.returncode
    return report


def members(url: str) -> dict[str, bytes]:
    """UID -> content of every item in a collection."""
    out = {}
    for href in dav.listing(url):
        status, body = dav.request("/".join(url.split("/")[:3]) + href, "GET")
        assert status == 200
        uid = next(line[4:] for line in body.decode().splitlines() if line.startswith("UID:"))
        out[uid.strip()] = body
    return out


def summaries(url: str) -> dict[str, str]:
    return {
        uid: next(x for x in body.decode().splitlines() if x.startswith(("SUMMARY:", "FN:")))
        for uid, body in members(url).items()
    }


def seed(server: Server) -> str:
    cal = dav.make_collection(server.url, "alice/work/", "Work")
    for i in range(8):
        assert dav.put(f"{cal}e{i}.ics", event(f"e{i}", f"Event {i}")) == 201
    book = dav.make_collection(server.url, "alice/book/", "Book", kind="addressbook")
    assert dav.put(f"{book}c0.vcf", sample_vcard("c0", "Jane Doe"), "text/vcard") == 201
    return cal


def test_radicale_and_xandikos_in_sync_both_ways(
    fresh_radicale: Server, fresh_xandikos: Server, proxies, home: Path, tmp_path: Path
) -> None:
    src, dst = proxies
    a = seed(fresh_radicale)
    config = config_file(tmp_path / "s.toml", src.url, dst.url, mode="sync",
                         max_delete_share=0.5)  # fmt: skip
    first = sync(config, home)
    assert first["status"] == "completed", first
    assert first["stats"]["to_destination"]["created"] == 9
    assert first["verification"]["ok"] and first["verification"]["fetched"] == 9  # read back
    b = f"{fresh_xandikos.url}alice/calendars/work/"
    assert summaries(a) == summaries(b)

    # a quiet pass: nothing read, nothing written, on either side (a side written to last
    # time gives its changes since: a sync report, no item)
    src.reset()
    dst.reset()
    quiet = sync(config, home)
    assert quiet["status"] == "completed" and quiet["stats"]["events"]["unchanged"] == 8
    for proxy in (src, dst):
        assert proxy.counts["GET"] == 0, proxy.counts
        assert proxy.counts["REPORT"] == proxy.reports["sync-collection"], proxy.reports
        assert not any(proxy.counts[m] for m in WRITES), proxy.counts

    # edits on both sides, one new item each side, one deletion each side
    b_hrefs = {h.rsplit("/", 1)[-1]: h for h in dav.listing(b)}
    origin_b = "/".join(fresh_xandikos.url.split("/")[:3])
    assert dav.request(f"{a}e1.ics", "PUT", event("e1", "Edited on Radicale"), **PUT)[0] == 204
    e2 = next(h for name, h in b_hrefs.items() if "e2" in name)
    status, _ = dav.request(origin_b + e2, "PUT", event("e2", "Edited on Xandikos"), **PUT)
    assert status in (201, 204)
    assert dav.put(f"{a}new-a.ics", event("new-a", "Made on Radicale")) == 201
    assert dav.put(f"{b}new-b.ics", event("new-b", "Made on Xandikos")) == 201
    assert dav.request(f"{a}e3.ics", "DELETE")[0] in (200, 204)
    e4 = next(h for name, h in b_hrefs.items() if "e4" in name)
    assert dav.request(origin_b + e4, "DELETE")[0] in (200, 204)
    src.reset()
    dst.reset()
    moved = sync(config, home)
    assert moved["status"] == "completed", moved
    assert {k: moved["stats"][k] for k in ("to_destination", "to_source")} == {
        "to_destination": {"created": 1, "updated": 1, "deleted": 1},
        "to_source": {"created": 1, "updated": 1, "deleted": 1},
    }
    assert moved["verification"]["ok"] and moved["verification"]["fetched"] == 4
    both = summaries(a)
    assert both == summaries(b) and len(both) == 8
    assert both["e1"] == "SUMMARY:Edited on Radicale" and both["e2"] == "SUMMARY:Edited on Xandikos"
    assert "e3" not in both and "e4" not in both and {"new-a", "new-b"} <= set(both)

    # the pass after: our own writes are not edits (0 writes), then fully quiet
    src.reset()
    dst.reset()
    after = sync(config, home)
    assert after["status"] == "completed"
    for proxy in (src, dst):
        assert not any(proxy.counts[m] for m in WRITES), proxy.counts
        assert proxy.counts["GET"] == 0, proxy.counts
        assert proxy.counts["REPORT"] == proxy.reports["sync-collection"], proxy.reports


def test_conflict_newer_then_ask_settled_by_job_resolve(
    fresh_radicale: Server, fresh_xandikos: Server, proxies, home: Path, tmp_path: Path
) -> None:
    src, dst = proxies
    a = seed(fresh_radicale)
    config = config_file(tmp_path / "s.toml", src.url, dst.url, mode="sync", name="two")
    assert sync(config, home)["status"] == "completed"
    b = f"{fresh_xandikos.url}alice/calendars/work/"
    origin_b = "/".join(fresh_xandikos.url.split("/")[:3])
    e5 = next(h for h in dav.listing(b) if "e5" in h)
    assert dav.request(f"{a}e5.ics", "PUT", event("e5", "Radicale's", 2), **PUT)[0] == 204
    assert dav.request(origin_b + e5, "PUT", event("e5", "Xandikos's", 3), **PUT)[0] in (201, 204)
    newer = sync(config, home)
    assert newer["status"] == "completed", newer
    listed = [e for e in newer["ledger"] if e["uid"] == "e5"]
    assert listed[0]["outcome"] == "resolved"
    assert listed[0]["reason"] == "both changed; newer (SEQUENCE 3 > 2) kept the destination's"
    assert summaries(a)["e5"] == "SUMMARY:Xandikos's"

    ask = config_file(tmp_path / "s.toml", src.url, dst.url, mode="sync", name="two",
                      conflict="ask")  # fmt: skip
    assert dav.request(f"{a}e6.ics", "PUT", event("e6", "Radicale's"), **PUT)[0] == 204
    e6 = next(h for h in dav.listing(b) if "e6" in h)
    assert dav.request(origin_b + e6, "PUT", event("e6", "Xandikos's"), **PUT)[0] in (201, 204)
    asked = sync(ask, home)
    assert asked["exit_code"] == 1 and asked["stats"]["conflicts"] == 1
    assert summaries(a)["e6"] == "SUMMARY:Radicale's" and summaries(b)["e6"] == "SUMMARY:Xandikos's"
    resolve = subprocess.run(
        [sys.executable, "-m", "davtui", "--db", str(home / "m.db"), "job", "resolve", "two",
         "--all", "--keep", "destination"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert resolve.returncode == 0, resolve.stderr
    settled = sync(ask, home)
    assert settled["status"] == "completed", settled
    assert settled["stats"]["to_source"]["updated"] == 1
    assert summaries(a)["e6"] == "SUMMARY:Xandikos's"


def test_a_collection_emptied_on_one_side_deletes_nothing(
    fresh_radicale: Server, fresh_xandikos: Server, proxies, home: Path, tmp_path: Path
) -> None:
    src, dst = proxies
    a = seed(fresh_radicale)
    config = config_file(tmp_path / "s.toml", src.url, dst.url, mode="sync")
    assert sync(config, home)["status"] == "completed"
    for href in dav.listing(a):
        assert dav.request("/".join(fresh_radicale.url.split("/")[:3]) + href, "DELETE")[0] < 300
    dst.reset()
    refused = sync(config, home)
    assert refused["exit_code"] == 1
    assert "the source collection is empty" in refused["error"]
    assert dst.counts["DELETE"] == 0
    assert len(dav.listing(f"{fresh_xandikos.url}alice/calendars/work/")) == 8


@pytest.mark.parametrize(
    ("job", "said"),
    [({"mode": "copy", "conflict": "newer"}, "does not go with mode copy"),
     ({"mode": "sync", "conflict": "skip"}, "sync takes newer, source-wins"),
     ({"mode": "sync", "create_collections": "some"}, "create_collections must be one of")],
)  # fmt: skip
def test_the_schema_pairs_policies_with_modes(job: dict, said: str, home: Path,
                                               tmp_path: Path) -> None:  # fmt: skip
    config = config_file(tmp_path / "bad.toml", "https://a.example.org/", "/tmp/x", **job)
    done = run_migrate(config, home=home)
    assert done.returncode == 2 and said in done.stderr and "Traceback" not in done.stderr


def test_job_add_and_edit_pair_the_policy_with_the_mode(home: Path, tmp_path: Path) -> None:
    """`job add --mode sync` takes newer by default; `job edit --mode sync` turns a copy's
    skip into newer, and back to copy into skip; a policy of the other mode is refused."""

    def davtui(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "davtui", "--db", str(home / "j.db"), *args],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    def conflict(name: str) -> str:
        shown = davtui("job", "show", name, "--json")
        assert shown.returncode == 0, shown.stderr
        return json.loads(shown.stdout)["conflict"]

    for name in ("a", "b"):
        assert davtui("account", "add", name, "--url", str(tmp_path / name), "--kind", "vdir",
                      "--no-password").returncode == 0  # fmt: skip
    assert davtui("job", "add", "s", "-s", "a", "-d", "b", "--mode", "sync").returncode == 0
    assert conflict("s") == "newer"
    assert davtui("job", "add", "c", "-s", "a", "-d", "b").returncode == 0
    assert davtui("job", "edit", "c", "--mode", "sync").returncode == 0
    assert conflict("c") == "newer"
    assert davtui("job", "edit", "c", "--conflict", "keep-both").returncode == 0
    assert conflict("c") == "keep-both"
    assert davtui("job", "edit", "c", "--mode", "copy").returncode == 0
    assert conflict("c") == "skip"
    bad = davtui("job", "edit", "c", "--conflict", "ask")
    assert bad.returncode == 2 and "does not go with mode copy" in bad.stderr
    assert conflict("c") == "skip"
    bad = davtui("job", "add", "x", "-s", "a", "-d", "b", "--mode", "mirror", "--conflict", "newer")
    assert bad.returncode == 2 and "sync takes newer" in bad.stderr
