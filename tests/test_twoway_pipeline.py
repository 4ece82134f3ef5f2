"""A two-way pass acts on a pair as soon as both its sides are listed: a slow listing of one
collection does not hold back the writes of another (real Radicale and Xandikos, a proxy
that delays one listing)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from davtui.engine.sync.streams import both_in
from tests import dav
from tests.contract import sample_vcard
from tests.proxy import Fault, Proxy
from tests.servers import Server
from tests.test_migrate import config_file
from tests.test_twoway import PUT, event, seed, summaries, sync

#: How long the proxy holds the address book's listing back.
HELD = 3.0


def test_a_pair_acts_while_another_pairs_listing_is_still_out(
    fresh_radicale: Server, fresh_xandikos: Server, home: Path, tmp_path: Path
) -> None:
    seen: dict[str, float] = {}
    armed, second = threading.Event(), threading.Event()  # the book held once; pass two

    def slow_book(method: str, path: str, attempt: int, body: bytes) -> Fault | None:
        listing = method == "PROPFIND" or b"sync-collection" in body
        if armed.is_set() and listing and path.rstrip("/") == "/alice/book":
            armed.clear()
            seen["book listed"] = time.monotonic()
            return Fault(delay=HELD)
        return None

    def writes(method: str, path: str, attempt: int, body: bytes) -> Fault | None:
        if second.is_set() and method == "PUT" and "/calendars/work/" in path:
            seen.setdefault("work written", time.monotonic())
        return None

    a = seed(fresh_radicale)
    book = f"{fresh_radicale.url}alice/book/"
    with Proxy(fresh_radicale.url, slow_book) as src, Proxy(fresh_xandikos.url, writes) as dst:
        config = config_file(tmp_path / "s.toml", src.url, dst.url, mode="sync")
        assert sync(config, home)["status"] == "completed"
        assert dav.request(f"{a}e1.ics", "PUT", event("e1", "Edited on Radicale"), **PUT)[0] < 300
        card = sample_vcard("c0", "Jane Edited")
        assert dav.request(f"{book}c0.vcf", "PUT", card, headers={"Content-Type": "text/vcard"}
                           )[0] < 300  # fmt: skip
        armed.set()
        second.set()
        moved = sync(config, home)
    assert moved["status"] == "completed", moved
    assert moved["stats"]["to_destination"]["updated"] == 2, moved["stats"]
    assert "book listed" in seen, "the address book was not listed: nothing held back"
    # the calendar's write went out while the address book's listing was still held
    assert seen["work written"] < seen["book listed"] + HELD, seen
    b = f"{fresh_xandikos.url}alice/calendars/work/"
    assert summaries(a) == summaries(b) and summaries(a)["e1"] == "SUMMARY:Edited on Radicale"


def test_both_in_hands_out_each_pair_when_its_two_reads_are_in() -> None:
    gates = [threading.Event() for _ in range(4)]

    def read(index: int) -> int:
        assert gates[index].wait(10)
        return index

    with ThreadPoolExecutor(4) as pool:
        reads = [("late", pool.submit(read, 0), pool.submit(read, 1)),
                 ("early", pool.submit(read, 2), pool.submit(read, 3))]  # fmt: skip
        order = both_in(reads)
        for index in (2, 1, 3):  # "early" is whole first, "late" has one read left
            gates[index].set()
        assert next(order) == ("early", 2, 3)
        gates[0].set()
        assert next(order) == ("late", 0, 1)
        assert next(order, None) is None


def test_both_in_raises_a_failed_read_with_its_pair() -> None:
    failed: Future[int] = Future()
    failed.set_exception(ConnectionError("unreachable"))
    done: Future[int] = Future()
    done.set_result(1)
    with pytest.raises(ConnectionError, match="unreachable"):
        list(both_in([("pair", done, failed)]))
