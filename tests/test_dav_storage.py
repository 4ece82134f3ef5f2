"""DavStorage against real Radicale and Xandikos: the storage contract, batch shrinking, and a
5,000-item collection listed and fetched in few requests with flat memory."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from davtui.engine.dav import davxml
from davtui.engine.dav.properties import slugify
from davtui.engine.dav.storage import DavStorage
from davtui.engine.storages.contract import CALENDAR, AccountSpec, Collection
from tests.contract import StorageContract, new_uid, sample_event
from tests.proxy import Fault, Proxy
from tests.servers import Server


class TestRadicale(StorageContract):
    @pytest.fixture
    def storage(self, radicale: Server) -> Iterator[DavStorage]:
        storage = DavStorage(AccountSpec(url=radicale.url, username="alice", password="alicepw"))
        yield storage
        storage.close()


class TestXandikos(StorageContract):
    @pytest.fixture
    def storage(self, xandikos: Server) -> Iterator[DavStorage]:
        storage = DavStorage(AccountSpec(url=xandikos.url, username="alice"))
        yield storage
        storage.close()


def _calendar(storage: DavStorage, name: str) -> Collection:
    template = Collection(href="", kind=CALENDAR, name=name, components=("VEVENT",))
    return storage.create_collection(template, name).collection


def _fill(storage: DavStorage, calendar: Collection, count: int) -> dict[str, bytes]:
    """`count` small events, PUT concurrently (as the engine does)."""

    def put(n: int) -> tuple[str, bytes]:
        uid = new_uid(f"bulk{n}")
        data = sample_event(uid, f"e{n}")
        return storage.create(calendar, storage.href_for(calendar, uid), data).href, data

    with ThreadPoolExecutor(8) as pool:
        return dict(pool.map(put, range(count)))


@pytest.mark.parametrize("token_first", [True, False])
def test_a_sync_reports_token_is_kept_wherever_it_stands(token_first: bool) -> None:
    """RFC 6578 puts the new token after the responses; some servers put it first. The
    streaming parser drops the responses it has handed out, never the token."""
    token = "<D:sync-token>http://example.com/sync/42</D:sync-token>"
    responses = "".join(
        f"<D:response><D:href>/c/{i}.ics</D:href><D:propstat><D:prop><D:getetag>e{i}"
        "</D:getetag></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"
        for i in range(50)
    )
    body = (
        '<?xml version="1.0"?><D:multistatus xmlns:D="DAV:">'
        + (token + responses if token_first else responses + token)
        + "</D:multistatus>"
    ).encode()
    tail: dict[str, str] = {}
    chunks = (body[i : i + 97] for i in range(0, len(body), 97))
    got = [r.href for r in davxml.iter_multistatus(chunks, tail)]
    assert got == [f"/c/{i}.ics" for i in range(50)]
    assert tail[davxml.SYNC_TOKEN] == "http://example.com/sync/42"


def test_slugify_keeps_names_safe() -> None:
    assert slugify("Réunion / Work ☕") == "reunion-work"
    assert slugify("☕☕") == "collection"


def test_a_second_collection_with_the_same_name_gets_its_own_href(radicale: Server) -> None:
    storage = DavStorage(AccountSpec(url=radicale.url, username="alice", password="alicepw"))
    name = new_uid("Twice")
    first, second = _calendar(storage, name), _calendar(storage, name)
    assert first.href != second.href and second.href.endswith("-2/")


def test_multiget_batches_shrink_on_errors_and_everything_arrives(radicale: Server) -> None:
    """The proxy answers 500 to any multiget of more than 30 hrefs: 100 -> 50 -> 25."""

    def too_big(method: str, _path: str, _attempt: int, body: bytes) -> Fault | None:
        return Fault(500) if method == "REPORT" and body.count(b"href>") > 2 * 30 else None

    with Proxy(radicale.url, fault=too_big) as proxy:
        storage = DavStorage(AccountSpec(url=proxy.url, username="bob", password="bobpw"))
        calendar = _calendar(storage, new_uid("shrink"))
        sent = _fill(storage, calendar, 100)
        proxy.reset()
        fetched = {f.href: f.data for f in storage.fetch(calendar, list(sent))}
        assert fetched.keys() == sent.keys() and all(fetched.values())
        statuses = [status for method, _path, status in proxy.log if method == "REPORT"]
        assert statuses == [500, 500, 207, 207, 207, 207]
        assert proxy.counts["GET"] == 0
        assert storage.batch_size == 25


def test_an_href_missing_from_the_answer_is_read_by_get(radicale: Server) -> None:
    storage = DavStorage(AccountSpec(url=radicale.url, username="bob", password="bobpw"))
    calendar = _calendar(storage, new_uid("missing"))
    [href] = _fill(storage, calendar, 1)
    spelled = href.replace("bulk", "%62ulk")  # another encoding of the same path
    [fetched] = storage.fetch(calendar, [spelled])
    assert fetched.href == spelled and fetched.error is None and fetched.data


def _bulk_calendar(storage: DavStorage, count: int) -> tuple[Collection, int]:
    """A new Radicale calendar of `count` events made by ONE PUT of a whole VCALENDAR to a new
    collection path (a Radicale feature). Item PUTs would take an hour: Radicale's PUT time
    grows with the collection (250 PUTs took 10 s into an empty one, 33 s at 750 items)."""
    filler = "DESCRIPTION:" + "x" * 400 + "\r\n"
    events = []
    for n in range(count):
        event = sample_event(new_uid(f"bulk{n}"), f"e{n}").decode()
        body = event[event.index("BEGIN:VEVENT") : event.index("END:VEVENT")]
        events.append(body + filler + "END:VEVENT\r\n")
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davtui//bulk//EN\r\n"
    data = (head + "".join(events) + "END:VCALENDAR\r\n").encode()
    href = f"/bob/{new_uid('big')}/"
    headers = {"Content-Type": "text/calendar; charset=utf-8"}
    storage.transport.request("PUT", href, body=data, headers=headers)
    [calendar] = [c for c in storage.collections([CALENDAR]) if c.href == href]
    return calendar, len(data)


@pytest.mark.slow
def test_5000_items_listed_and_fetched_in_few_requests_with_flat_memory(radicale: Server) -> None:
    with Proxy(radicale.url) as proxy:
        storage = DavStorage(AccountSpec(url=proxy.url, username="bob", password="bobpw"))
        calendar, size = _bulk_calendar(storage, 5000)
        proxy.reset()
        started = time.monotonic()
        hrefs = [ref.href for ref in storage.list(calendar)]
        tracemalloc.start()
        total = received = 0
        for item in storage.fetch(calendar, hrefs):
            assert item.error is None and item.data is not None
            total += len(item.data)
            received += 1
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        requests = sum(proxy.counts.values())
    print(
        f"\n5000 items ({size} bytes): list+fetch {time.monotonic() - started:.1f} s, "
        f"{requests} requests, {total} bytes fetched, fetch peak {peak} bytes"
    )
    assert len(set(hrefs)) == received == 5000
    assert requests < 60
    assert peak < total / 2
