"""Delta listings (RFC 6578 sync-collection) against real Radicale and Xandikos: what a server
reports changed since a token, rebuilt onto the last listing, equals a full listing; a token
the server does not know falls back to a full listing; and a two-way pass (`mode = "sync"`)
that lists only what changed still creates, updates and deletes both ways, deletes nothing
on a delta that came back in part, and lists whole again when a stored token is refused."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from davtui.engine.dav.storage import DavStorage
from davtui.engine.storages.contract import CALENDAR, AccountSpec, Collection
from davtui.engine.sync.listing import applied
from tests import dav
from tests.contract import new_uid, sample_event
from tests.proxy import Fault, Proxy
from tests.servers import Server
from tests.test_migrate import WRITES, config_file
from tests.test_twoway import PUT, event, seed, summaries, sync


@pytest.fixture(params=["radicale", "xandikos"])
def storage(request: pytest.FixtureRequest) -> Iterator[DavStorage]:
    server: Server = request.getfixturevalue(request.param)
    storage = DavStorage(AccountSpec(url=server.url, username="alice", password="alicepw"))
    yield storage
    storage.close()


def _reread(storage: DavStorage, href: str) -> Collection:
    """The collection as a pass's discovery sees it: with its current sync token."""
    return next(c for c in storage.collections() if c.href == href)


def test_changes_since_a_token_rebuild_the_full_listing(storage: DavStorage) -> None:
    template = Collection(href="", kind=CALENDAR, name="delta", components=("VEVENT",))
    made = storage.create_collection(template, f"delta-{new_uid('c')}").collection
    uids = [new_uid(f"d{n}") for n in range(5)]
    hrefs = [storage.create(made, storage.href_for(made, u), sample_event(u)).href for u in uids]
    before = _reread(storage, made.href)
    assert before.sync_token, "both servers give collections a sync token"
    listed = storage.listing(before).etags

    uid = new_uid("new")
    new = storage.create(before, storage.href_for(before, uid), sample_event(uid)).href
    edited = sample_event(uids[1], "edited")
    updated = storage.update(before, hrefs[1], edited, listed[hrefs[1]])
    storage.delete(before, hrefs[2], listed[hrefs[2]])

    changes = storage.changes(before, before.sync_token)
    assert changes is not None and changes.complete
    assert changes.changed == {new: changes.changed[new], hrefs[1]: updated.etag}
    assert changes.deleted == {hrefs[2]}
    after = _reread(storage, made.href)
    assert applied(listed, changes).etags == storage.listing(after).etags
    assert applied(listed, changes).complete

    # nothing since the current token: an empty delta, not a full listing
    quiet = storage.changes(after, after.sync_token or "")
    assert quiet is not None and not quiet.changed and not quiet.deleted

    # a token the server never issued (or forgot): None, the caller lists the collection
    assert storage.changes(after, "http://example.org/ns/sync/forged") is None
    forged = (after.sync_token or "x")[:-1] + ("0" if (after.sync_token or "x")[-1] != "0" else "1")
    assert storage.changes(after, forged) is None


# -- a two-way pass on delta listings ---------------------------------------------------------


@pytest.fixture
def proxies(fresh_radicale: Server, fresh_xandikos: Server):
    with Proxy(fresh_radicale.url) as src, Proxy(fresh_xandikos.url) as dst:
        yield src, dst


def _listed_whole(proxy: Proxy, collection_path: str) -> bool:
    """Whether the pass listed the collection with a PROPFIND (not a sync report)."""
    return any(m == "PROPFIND" and p == collection_path for m, p, _s in proxy.log)


def _reset(*proxies: Proxy) -> None:
    for proxy in proxies:
        proxy.reset()


def test_a_two_way_pass_on_deltas_creates_updates_and_deletes_both_ways(
    fresh_radicale: Server, fresh_xandikos: Server, proxies, home: Path, tmp_path: Path
) -> None:
    src, dst = proxies
    a = seed(fresh_radicale)
    b = f"{fresh_xandikos.url}alice/calendars/work/"
    origin_b = "/".join(fresh_xandikos.url.split("/")[:3])
    config = config_file(tmp_path / "s.toml", src.url, dst.url, mode="sync",
                         max_delete_share=0.5)  # fmt: skip
    assert sync(config, home)["status"] == "completed"

    # the pass after the first: the destination (written to) gives its changes since the
    # token read before the writes, which are only ours: nothing read, nothing written
    _reset(src, dst)
    quiet = sync(config, home)
    assert quiet["status"] == "completed"
    assert dst.reports["sync-collection"] >= 1 and not _listed_whole(dst, "/alice/calendars/work/")
    for proxy in (src, dst):
        assert proxy.counts["REPORT"] == proxy.reports["sync-collection"], proxy.reports
        assert not any(proxy.counts[m] for m in WRITES), proxy.counts

    b_hrefs = {h.rsplit("/", 1)[-1]: h for h in dav.listing(b)}
    e2 = next(h for name, h in b_hrefs.items() if "e2" in name)
    e4 = next(h for name, h in b_hrefs.items() if "e4" in name)
    assert dav.request(f"{a}e1.ics", "PUT", event("e1", "Edited on Radicale"), **PUT)[0] == 204
    assert dav.request(origin_b + e2, "PUT", event("e2", "Edited on Xandikos"), **PUT)[0] < 300
    assert dav.put(f"{a}new-a.ics", event("new-a", "Made on Radicale")) == 201
    assert dav.put(f"{b}new-b.ics", event("new-b", "Made on Xandikos")) == 201
    assert dav.request(f"{a}e3.ics", "DELETE")[0] < 300
    assert dav.request(origin_b + e4, "DELETE")[0] < 300
    _reset(src, dst)
    moved = sync(config, home)
    assert moved["status"] == "completed", moved
    assert {k: moved["stats"][k] for k in ("to_destination", "to_source")} == {
        "to_destination": {"created": 1, "updated": 1, "deleted": 1},
        "to_source": {"created": 1, "updated": 1, "deleted": 1},
    }
    assert not _listed_whole(src, "/alice/work/") and src.reports["sync-collection"] >= 1
    assert not _listed_whole(dst, "/alice/calendars/work/") and dst.reports["sync-collection"] >= 1
    both = summaries(a)
    assert both == summaries(b) and len(both) == 8
    assert "e3" not in both and "e4" not in both and {"new-a", "new-b"} <= set(both)

    # a stored token the servers refuse: both sides listed whole, and the pass still right
    with sqlite3.connect(home / "m.db") as db:
        db.execute("UPDATE collection_state SET source_ctag = 'http://radicale.org/ns/sync/0', "
                   "dest_ctag = 'forged' WHERE source_ctag IS NOT NULL")  # fmt: skip
    assert dav.request(f"{a}e5.ics", "DELETE")[0] < 300
    _reset(src, dst)
    again = sync(config, home)
    assert again["status"] == "completed", again
    assert again["stats"]["to_destination"]["deleted"] == 1
    assert _listed_whole(src, "/alice/work/") and _listed_whole(dst, "/alice/calendars/work/")
    assert summaries(a) == summaries(b) and "e5" not in summaries(b)


def _with_failed_entry(body: bytes) -> bytes:
    """A sync report with one more entry, answered 500: the report is no longer whole."""
    closing = re.search(rb"</(\w+:)?multistatus>", body)
    assert closing is not None, body[:200]
    ns = closing.group(1) or b""
    entry = (b"<%sresponse><%shref>/alice/work/broken.ics</%shref><%sstatus>HTTP/1.1 500 "
             b"Internal Server Error</%sstatus></%sresponse>" % ((ns,) * 6))  # fmt: skip
    return body[: closing.start()] + entry + body[closing.start() :]


def test_a_delta_answered_in_part_deletes_nothing_then_the_next_pass_lists_whole(
    fresh_radicale: Server, fresh_xandikos: Server, home: Path, tmp_path: Path
) -> None:
    def fault(method: str, path: str, attempt: int, body: bytes) -> Fault | None:
        if broken and method == "REPORT" and b"sync-collection" in body:
            return Fault(mangle=_with_failed_entry, identity=True)
        return None

    broken = False
    a = seed(fresh_radicale)
    b = f"{fresh_xandikos.url}alice/calendars/work/"
    with Proxy(fresh_radicale.url, fault) as src, Proxy(fresh_xandikos.url) as dst:
        config = config_file(tmp_path / "s.toml", src.url, dst.url, mode="sync",
                             max_delete_share=0.5)  # fmt: skip
        assert sync(config, home)["status"] == "completed"
        assert sync(config, home)["status"] == "completed"  # both sides now at known tokens
        assert dav.request(f"{a}e6.ics", "DELETE")[0] < 300
        assert dav.put(f"{a}new-a.ics", event("new-a", "Made on Radicale")) == 201
        broken = True
        _reset(src, dst)
        partial = sync(config, home)
        assert src.reports["sync-collection"] >= 1
        assert dst.counts["DELETE"] == 0, "an incomplete delta deletes nothing"
        assert "e6" in summaries(b) and "new-a" in summaries(b), partial

        broken = False
        _reset(src, dst)
        whole = sync(config, home)
        assert whole["status"] == "completed", whole
        assert _listed_whole(src, "/alice/work/"), "after an incomplete delta: a full listing"
        assert dst.counts["DELETE"] == 1 and "e6" not in summaries(b)
        assert summaries(a) == summaries(b)
