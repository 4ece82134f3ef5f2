"""Two-way sync: an item one side refuses for good (403, 415) is remembered with the version
that was refused and the one the refusing side kept; it is listed as refused on every pass,
written once, and sent again only when it changes. Both directions, a new item and an update,
on memory storages and through a real `davtui migrate` between Radicale and Xandikos behind
proxies that refuse what the test marks."""

from __future__ import annotations

from pathlib import Path

from davtui.engine.errors import Forbidden
from davtui.engine.storages.memory import MemoryStorage
from davtui.engine.sync.memory_states import MemoryStates
from davtui.engine.sync.migration import Options
from davtui.engine.sync.outcomes import Outcome
from davtui.engine.sync.twoway import TwoWay
from tests import dav
from tests.proxy import Fault, Proxy
from tests.servers import Server
from tests.test_engine import Counting, collection, put
from tests.test_migrate import WRITES, config_file
from tests.test_twoway import PUT, event, summaries, sync
from tests.test_twoway_memory import Pair, contents, idle

MARK = b"SUMMARY:refuse me"


class Refusing(Counting):
    """Refuses, for good, any item (new or an update) whose summary says so."""

    def create(self, collection, href, data):
        self.calls["create"] += 1
        if MARK in data:
            raise Forbidden("the server refuses this item", status=403)
        return MemoryStorage.create(self, collection, href, data)

    def update(self, collection, href, data, etag):
        self.calls["update"] += 1
        if MARK in data:
            raise Forbidden("the server refuses this change", status=403)
        return MemoryStorage.update(self, collection, href, data, etag)


def refused(done) -> list[str]:
    return sorted(e["uid"] for e in done.ledger if e["outcome"] == Outcome.REFUSED)


def test_the_source_refusing_a_destination_item_is_listed_and_not_sent_again() -> None:
    a, b, states = Refusing(), Counting(), MemoryStates()
    ca = collection(a, "Cal", components=("VEVENT",))
    put(a, ca, "e0", event("e0", "fine"))
    options = Options(mode="sync")
    assert TwoWay(a, b, states, options).run().status == "completed"
    cb = b.collections()[0]
    put(b, cb, "x1", event("x1", "refuse me"))
    a.calls.clear()
    first = TwoWay(a, b, states, options).run()
    assert first.exit_code == 1 and refused(first) == ["x1"] and a.calls["create"] == 1
    [error] = first.errors
    assert error["href"] == f"(destination) {b.href_for(cb, 'x1')}"
    for _ in range(2):  # listed again, neither read nor written, however often
        a.calls.clear()
        b.calls.clear()
        again = TwoWay(a, b, states, options).run()
        assert again.exit_code == 1 and refused(again) == ["x1"]
        assert idle(a) and idle(b), (a.calls, b.calls)
        assert b.href_for(cb, "x1") in contents(b, cb)  # never deleted as "gone from A"
    Pair.edit(b, cb, "x1", event("x1", "acceptable now"))
    fixed = TwoWay(a, b, states, options).run()
    assert fixed.status == "completed", fixed.errors
    assert fixed.stats.as_json()["to_source"]["created"] == 1 and not refused(fixed)
    assert contents(a, ca)[a.href_for(ca, "x1")] == event("x1", "acceptable now")


def test_a_refused_update_waits_for_either_side_to_change() -> None:
    """The destination refuses the source's edit: listed, not sent again; the source's next
    edit is sent; an edit on the destination meets the refused version as a conflict."""
    a, b, states = Counting(), Refusing(), MemoryStates()
    ca = collection(a, "Cal", components=("VEVENT",))
    for uid in ("e0", "e1"):
        put(a, ca, uid, event(uid, "fine"))
    options = Options(mode="sync", conflict="newer")
    assert TwoWay(a, b, states, options).run().status == "completed"
    cb = b.collections()[0]
    for uid in ("e0", "e1"):
        Pair.edit(a, ca, uid, event(uid, "refuse me", 1))
    b.calls.clear()
    first = TwoWay(a, b, states, options).run()
    assert first.exit_code == 1 and refused(first) == ["e0", "e1"] and b.calls["update"] == 2
    a.calls.clear()
    b.calls.clear()
    again = TwoWay(a, b, states, options).run()
    assert again.exit_code == 1 and refused(again) == ["e0", "e1"] and idle(a) and idle(b)

    Pair.edit(a, ca, "e0", event("e0", "edited again on A", 2))  # the sender's side moves
    Pair.edit(b, cb, "e1", event("e1", "edited on B", 3))  # the refusing side moves
    moved = TwoWay(a, b, states, options).run()
    assert moved.status == "completed", moved.errors
    held_a, held_b = contents(a, ca), contents(b, cb)
    assert held_b[b.href_for(cb, "e0")] == event("e0", "edited again on A", 2)
    assert held_a[a.href_for(ca, "e1")] == held_b[b.href_for(cb, "e1")]  # newer: B's
    assert held_a[a.href_for(ca, "e1")] == event("e1", "edited on B", 3)
    assert [e["uid"] for e in moved.ledger if e["outcome"] == "resolved"] == ["e1"]


def test_real_servers_refusing_both_ways_are_asked_once(
    fresh_radicale: Server, fresh_xandikos: Server, home: Path, tmp_path: Path
) -> None:
    """Radicale (the source) refuses an item made on Xandikos, Xandikos refuses an update
    from Radicale (403 from the proxies in front of them, for items marked so)."""

    def refuse(method: str, path: str, attempt: int, body: bytes) -> Fault | None:
        return Fault(status=403) if method == "PUT" and MARK in body else None

    with Proxy(fresh_radicale.url, refuse) as src, Proxy(fresh_xandikos.url, refuse) as dst:
        a = dav.make_collection(fresh_radicale.url, "alice/work/", "Work")
        for uid in ("e0", "e1"):
            assert dav.put(f"{a}{uid}.ics", event(uid, "fine")) == 201
        config = config_file(tmp_path / "s.toml", src.url, dst.url, mode="sync")
        assert sync(config, home)["status"] == "completed"
        b = f"{fresh_xandikos.url}alice/calendars/work/"
        assert dav.put(f"{b}x1.ics", event("x1", "refuse me")) == 201
        assert dav.request(f"{a}e0.ics", "PUT", event("e0", "refuse me", 1), **PUT)[0] == 204
        src.reset()
        dst.reset()
        first = sync(config, home)
        assert first["exit_code"] == 1 and src.counts["PUT"] == dst.counts["PUT"] == 1
        assert sorted(e["uid"] for e in first["errors"]) == ["e0", "x1"]
        assert sorted(e["uid"] for e in first["ledger"] if e["outcome"] == "refused") == [
            "e0", "x1"]  # fmt: skip
        for _ in range(2):
            src.reset()
            dst.reset()
            again = sync(config, home)
            assert again["exit_code"] == 1
            assert sorted(e["uid"] for e in again["errors"]) == ["e0", "x1"]
            for proxy in (src, dst):
                assert not any(proxy.counts[m] for m in WRITES), proxy.counts
                assert proxy.counts["GET"] == proxy.counts["REPORT"] == 0, proxy.counts
        assert dav.request(f"{a}e0.ics", "PUT", event("e0", "fixed on A", 2), **PUT)[0] == 204
        origin_b = "/".join(fresh_xandikos.url.split("/")[:3])
        x1 = next(h for h in dav.listing(b) if "x1" in h)
        status, _ = dav.request(origin_b + x1, "PUT", event("x1", "fixed on B"), **PUT)
        assert status in (201, 204)
        fixed = sync(config, home)
        assert fixed["status"] == "completed" and fixed["exit_code"] == 0, fixed["errors"]
        assert summaries(a) == summaries(b)
        assert summaries(a) == {"e0": "SUMMARY:fixed on A", "e1": "SUMMARY:fine",
                                "x1": "SUMMARY:fixed on B"}  # fmt: skip
