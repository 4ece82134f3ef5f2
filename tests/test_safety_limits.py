"""No hostile server can hang a run or exhaust memory: real hostile servers on loopback that
drip bytes, never end a body, or send entity bombs, met by the real Transport, DavStorage and
`davtui migrate` (issue 18, item 3)."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from davtui.engine import errors
from davtui.engine.dav.davxml import SYNC_TOKEN, iter_multistatus
from davtui.engine.dav.discovery import Discovery
from davtui.engine.dav.storage import DavStorage
from davtui.engine.dav.transport import Transport
from davtui.engine.storages.contract import CALENDAR, AccountSpec, Collection
from tests.contract import sample_event
from tests.hostile import Answer, Seen, hostile

PROPFIND = b'<propfind xmlns="DAV:"><prop><getetag/></prop></propfind>'
WORK = Collection("/cal/work/", CALENDAR, "work")
MULTISTATUS = b'<?xml version="1.0"?><d:multistatus xmlns:d="DAV:">'
RESPONSE = (
    b"<d:response><d:href>/cal/work/%s.ics</d:href><d:propstat><d:prop>"
    b'<d:getetag>"1"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status>'
    b"</d:propstat></d:response>"
)


def drip(data: bytes, every: float = 2.0) -> Callable[[Seen, BaseHTTPRequestHandler], None]:
    """Send `data` one byte every `every` seconds, until it ends or the client goes."""

    def behaviour(_seen: Seen, handler: BaseHTTPRequestHandler) -> None:
        for byte in data:
            handler.wfile.write(bytes([byte]))
            time.sleep(every)

    return behaviour


def endless(
    first: bytes, unit: bytes, headers: bytes = b""
) -> Callable[[Seen, BaseHTTPRequestHandler], None]:
    """A chunked 207 that sends `first`, then `unit` over and over until the client goes."""

    def behaviour(_seen: Seen, handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(
            b"HTTP/1.1 207 Multi-Status\r\nContent-Type: application/xml\r\n"
            + headers
            + b"Transfer-Encoding: chunked\r\n\r\n"
        )
        block = unit * (65536 // len(unit) + 1)
        for data in itertools.chain([first], itertools.repeat(block)):
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    return behaviour


def storage(url: str, **limits: object) -> DavStorage:
    """A DAV storage on a hostile server, discovery skipped (its answers are the test's)."""
    found = Discovery(url, url + "/p/", url + "/cal/", None)
    return DavStorage(AccountSpec(url=url, **limits), discovery=found)  # type: ignore[arg-type]


# -- deadlines -------------------------------------------------------------------------------


def test_a_server_dripping_its_headers_ends_the_request_at_its_deadline() -> None:
    with hostile(drip(b"HTTP/1.1 207 Multi-Status\r\nX-Pad: " + b"a" * 100)) as h:
        transport = Transport(AccountSpec(url=h.url, timeout=10, deadline=3), retries=0)
        started = time.monotonic()
        with pytest.raises(errors.Unreachable) as caught:
            transport.request("PROPFIND", "/cal/", body=PROPFIND, headers={"Depth": "0"})
        took = time.monotonic() - started
    host = h.url.removeprefix("http://")
    assert str(caught.value) == f"{host} sent its answer too slowly: no complete answer within 3 s."
    assert 2.5 < took < 10


def test_a_dripping_server_is_tried_again_only_for_a_repeatable_request() -> None:
    with hostile(drip(b"HTTP/1.1 201 Created\r\n" + b"X" * 100, every=1.5)) as h:
        transport = Transport(AccountSpec(url=h.url, timeout=10, deadline=2), retries=1)
        with pytest.raises(errors.Unreachable, match="too slowly"):
            transport.request("PROPFIND", "/cal/", body=PROPFIND)
        with pytest.raises(errors.Unreachable, match="too slowly"):
            transport.request("PUT", "/cal/work/x.ics", body=b"BEGIN:VCALENDAR")
    assert [s.method for s in h.seen] == ["PROPFIND", "PROPFIND", "PUT"]


def test_a_listing_dripped_after_quick_headers_ends_at_its_deadline() -> None:
    head = b"HTTP/1.1 207 Multi-Status\r\nContent-Type: application/xml\r\n"
    length = b"Content-Length: 100000\r\n\r\n"

    def behaviour(seen: Seen, handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(head + length + MULTISTATUS)
        drip(RESPONSE % b"slow" * 100, every=0.5)(seen, handler)

    with hostile(behaviour) as h:
        dav_storage = storage(h.url, timeout=10, deadline=3)
        started = time.monotonic()
        with pytest.raises(errors.Unreachable, match="too slowly: no complete answer within 3 s"):
            list(dav_storage.list(WORK))
        assert time.monotonic() - started < 10


def test_a_host_that_drips_every_answer_is_given_up_after_three() -> None:
    """Without this, each of the items below would cost its multiget halvings and a GET all
    their retries at a whole deadline each: bounded, but hours on a real deadline."""
    with hostile(drip(b"HTTP/1.1 207 Multi-Status\r\n" + b"X" * 100, every=0.4)) as h:
        dav_storage = storage(h.url, timeout=10, deadline=1)
        hrefs = [f"/cal/work/{i}.ics" for i in range(10)]
        started = time.monotonic()
        fetched = list(dav_storage.fetch(WORK, hrefs))
        took = time.monotonic() - started
    assert [s.method for s in h.seen] == ["REPORT"] * 3
    assert sorted(f.href for f in fetched) == sorted(hrefs)
    host = h.url.removeprefix("http://")
    given_up = f"{host} was given up: its last 3 answers came too slowly."
    assert all(f.error is not None and str(f.error) == given_up for f in fetched)
    assert took < 20


def test_the_callers_own_time_between_reads_of_a_listing_does_not_count() -> None:
    """A run may take its time over each item of a streamed answer (a multiget feeds writes):
    only the server's time counts against the deadline."""
    answer = Answer(
        207,
        {"Content-Type": "application/xml"},
        MULTISTATUS + b"".join(RESPONSE % b"%d" % i for i in range(8)) + b"</d:multistatus>",
    )
    with hostile(lambda _seen, _handler: answer) as h:
        started = time.monotonic()
        refs = []
        for ref in storage(h.url, deadline=1).list(WORK):
            refs.append(ref)
            time.sleep(0.3)
    assert len(refs) == 8 and time.monotonic() - started > 2


def test_a_dripping_server_ends_davtui_migrate_with_one_sentence(tmp_path: Path) -> None:
    # A byte a second: each read comes well within the 5 s timeout, only the deadline ends it.
    with hostile(drip(b"HTTP/1.1 207 Multi-Status\r\n" + b"X" * 1000, every=1.0)) as h:
        config = tmp_path / "m.toml"
        config.write_text(
            f'[source]\nurl = "{h.url}/"\ntimeout = 5\ndeadline = 3\n'
            f'[destination]\nurl = "{tmp_path / "out"}"\n'
        )
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "davtui", "--db", str(tmp_path / "m.db"), "migrate",
             str(config)],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        took = time.monotonic() - started
    out = done.stdout + done.stderr
    assert done.returncode == 4, out
    assert "sent its answer too slowly: no complete answer within 3 s" in out
    assert "Traceback" not in out
    assert took < 60  # two attempts of 3 s and a backoff, then the host is given up


@pytest.mark.parametrize("line", ['deadline = "x"', "deadline = -1", "max_body_mb = 0"])
def test_a_bad_limit_in_the_config_is_one_sentence_and_exit_2(tmp_path: Path, line: str) -> None:
    config = tmp_path / "m.toml"
    config.write_text(
        f'[source]\nurl = "http://127.0.0.1:9/"\n{line}\n[destination]\nurl = "./out"\n'
    )
    done = subprocess.run(
        [sys.executable, "-m", "davtui", "--db", str(tmp_path / "m.db"), "migrate", str(config)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    key = line.split()[0]
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"[source] {key} must be a number of " in done.stderr and "above 0" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr


# -- sizes -----------------------------------------------------------------------------------


def test_an_endless_chunked_listing_ends_with_one_sentence() -> None:
    with hostile(endless(MULTISTATUS, RESPONSE % b"again")) as h:
        dav_storage = storage(h.url, max_listing=2 * 2**20)
        with pytest.raises(errors.BadResponse) as caught:
            for _ref in dav_storage.list(WORK):
                pass
    host = h.url.removeprefix("http://")
    assert str(caught.value) == f"{host} sent more than 2 MB for one answer; refused."


def test_an_endless_body_read_whole_ends_at_its_limit_and_a_declared_one_is_not_read() -> None:
    def behaviour(seen: Seen, handler: BaseHTTPRequestHandler) -> Answer | None:
        if seen.path.endswith("declared.ics"):
            handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % 2**40)
            handler.wfile.write(b"x" * 65536)
            return None
        return endless(b"BEGIN:VCALENDAR\r\n", b"X-JUNK:1\r\n")(seen, handler)

    with hostile(behaviour) as h:
        transport = Transport(AccountSpec(url=h.url, max_body=2 * 2**20))
        with pytest.raises(errors.BadResponse, match="sent more than 2 MB for one answer"):
            transport.request("GET", "/cal/work/endless.ics")
        with pytest.raises(errors.BadResponse, match="sent more than 2 MB for one answer"):
            transport.request("GET", "/cal/work/declared.ics")


MEMORY = textwrap.dedent(
    """
    import json, resource, sys
    from davtui.engine import errors
    from davtui.engine.dav.storage import DavStorage
    from davtui.engine.dav.discovery import Discovery
    from davtui.engine.storages.contract import CALENDAR, AccountSpec, Collection

    url = sys.argv[1]
    found = Discovery(url, url + "/p/", url + "/cal/", None)
    spec = AccountSpec(url=url, max_listing=64 * 2**20, deadline=120)
    storage = DavStorage(spec, discovery=found)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        for _ in storage.list(Collection("/cal/work/", CALENDAR, "work")):
            pass
        error = None
    except errors.DavError as exc:
        error = str(exc)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"error": error, "grew_mb": (after - before) / 1024}))
    """
)

#: What a hostile listing sends without end, and the sentence that ends it.
ENDLESS = {
    "responses": (MULTISTATUS, RESPONSE % b"again", "sent more than 64 MB for one answer"),
    "junk between responses": (MULTISTATUS, RESPONSE % b"j" + b"<d:x/>" * 2000, "64 MB"),
    "one endless text": (
        MULTISTATUS + b"<d:response><d:href>",
        b"x" * 1000,
        "XML past a parser limit (Text node too long); refused.",
    ),
    "one endless response": (MULTISTATUS + b"<d:response>", b"<d:x/>", "100000 tags; refused"),
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", ENDLESS)
def test_an_endless_listing_keeps_memory_bounded(kind: str) -> None:
    first, unit, sentence = ENDLESS[kind]
    with hostile(endless(first, unit)) as h:
        done = subprocess.run(
            [sys.executable, "-c", MEMORY, h.url], capture_output=True, text=True, timeout=300
        )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert sentence in (result["error"] or ""), result
    assert result["grew_mb"] < 60, result  # 64 MB and more went by; a fraction stayed


# -- XML -------------------------------------------------------------------------------------

LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE d:multistatus [<!ENTITY a "aaaaaaaaaa">'
    + b"".join(b'<!ENTITY %c "%s">' % (98 + i, b"&%c;" % (97 + i) * 10) for i in range(9))
    + b']><d:multistatus xmlns:d="DAV:">'
    + RESPONSE.replace(b"%s", b"&j;")
    + b"</d:multistatus>"
)
XXE = (
    b'<?xml version="1.0"?>\n<!-- a comment -->\n<!DOCTYPE m [<!ENTITY x SYSTEM '
    b'"file:///etc/passwd">]><d:multistatus xmlns:d="DAV:">'
    + RESPONSE.replace(b"%s", b"&x;")
    + b"</d:multistatus>"
)
PARAMETER_XXE = (
    b'<!DOCTYPE m [<!ENTITY % x SYSTEM "file:///etc/passwd"> %x;]>'
    b'<d:multistatus xmlns:d="DAV:">' + RESPONSE % b"a" + b"</d:multistatus>"
)
BOMBS = {
    "billion laughs": LAUGHS,
    "external entity": XXE,
    "external parameter entity": PARAMETER_XXE,
    "billion laughs in UTF-16": LAUGHS.replace(b'version="1.0"', b'version="1.0" encoding="UTF-16"')
    .decode()
    .encode("utf-16"),
}


@pytest.mark.parametrize("kind", BOMBS)
def test_entity_bombs_and_external_entities_are_refused(kind: str) -> None:
    answer = Answer(207, {"Content-Type": "application/xml"}, BOMBS[kind])
    with hostile(lambda _seen, _handler: answer) as h:
        started = time.monotonic()
        with pytest.raises(errors.BadResponse) as caught:
            list(storage(h.url).list(WORK))
        assert time.monotonic() - started < 5
    assert "document type declaration (DTD); refused" in str(caught.value)
    assert "root:" not in str(caught.value)


def test_a_sync_token_before_junk_and_responses_still_reaches_the_caller() -> None:
    body = (
        MULTISTATUS
        + b"<d:sync-token>http://x/sync/7</d:sync-token><d:junk>1</d:junk>"
        + b"".join(RESPONSE % str(i).encode() for i in range(3))
        + b"<d:junk>2</d:junk></d:multistatus>"
    )
    tail: dict[str, str] = {}
    pieces = [body[i : i + 7] for i in range(0, len(body), 7)]
    hrefs = [r.href for r in iter_multistatus(pieces, tail)]
    assert hrefs == [f"/cal/work/{i}.ics" for i in range(3)]
    assert tail[SYNC_TOKEN] == "http://x/sync/7"


# -- an item far above the parser's text limit ----------------------------------------------


def test_an_item_above_the_xml_text_limit_still_arrives_by_get() -> None:
    """libxml2 refuses a text over 10 MB (huge_tree off): such an item's multiget fails and the
    item is read by GET, whose limit (64 MB) is far above it. (Radicale itself refuses items
    over 10 MB, so the server here is a small one that holds one such item.)"""
    event = sample_event("big-1").decode()
    blob = "X-BLOB:" + "y" * 73 + "\r\n"
    data = event.replace("END:VEVENT", blob * (11 * 2**20 // len(blob)) + "END:VEVENT").encode()
    text = data.replace(b"\r\n", b"\n")
    calendar_data = b"<c:calendar-data xmlns:c='urn:ietf:params:xml:ns:caldav'>%s</c:calendar-data>"
    report = Answer(
        207,
        {"Content-Type": "application/xml"},
        MULTISTATUS
        + (RESPONSE % b"big-1").replace(b"</d:prop>", calendar_data % text + b"</d:prop>")
        + b"</d:multistatus>",
    )
    got = Answer(200, {"Content-Type": "text/calendar", "ETag": '"1"'}, data)
    with hostile(lambda seen, _handler: report if seen.method == "REPORT" else got) as h:
        [fetched] = storage(h.url).fetch(WORK, ["/cal/work/big-1.ics"])
    assert fetched.error is None and fetched.data == data
    assert h.seen[-1].method == "GET" and {s.method for s in h.seen} == {"REPORT", "GET"}
