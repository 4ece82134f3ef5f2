"""Credentials go only where the user pointed them (issue 18): real hostile servers on
loopback name another listener in their answers (a principal, a home, collection and item
hrefs) and that listener never sees a login. Redirects, URL forms and child environments
have their own files (test_safety_redirects, test_safety_url_forms, test_safety_child_env)."""

from __future__ import annotations

import contextlib
from dataclasses import replace

import pytest

from davtui.engine import errors
from davtui.engine.dav.discovery import Discovery, as_json, discover, reusable
from davtui.engine.dav.storage import DavStorage
from davtui.engine.dav.transport import Transport
from tests.contract import sample_event
from tests.credentials import dav_server, login, principal_props, refused_sentence, response
from tests.hostile import Answer, Hostile, Seen, hostile, multistatus


def test_a_principal_on_another_port_is_refused_and_never_asked(listener: Hostile) -> None:
    def a_server(seen: Seen, _handler: object) -> Answer:
        return multistatus(response(seen.path, principal_props(f"{listener.url}/p/", "/cal/")))

    with hostile(a_server) as a:
        with pytest.raises(errors.ForeignHost) as failure:
            discover(login(a.url + "/"))
        assert a.authorized(), "the login went to the account's own server"
    assert "current-user-principal" in refused_sentence(failure, a, listener)
    assert listener.authorized() == [] and listener.seen == []


def test_a_calendar_home_on_another_port_is_refused_and_never_asked(listener: Hostile) -> None:
    def a_server(seen: Seen, _handler: object) -> Answer:
        return multistatus(response(seen.path, principal_props("/p/", f"{listener.url}/cal/")))

    with hostile(a_server) as a, pytest.raises(errors.ForeignHost) as failure:
        discover(login(a.url + "/"))
    assert "calendar-home-set" in refused_sentence(failure, a, listener)
    assert listener.authorized() == [] and listener.seen == []


def test_collection_and_item_hrefs_on_another_port_stay_on_the_account(
    listener: Hostile,
) -> None:
    """A listing naming collections and items on B: the storage keeps only their paths, so
    every request (with the login) goes to A, and B is never asked."""
    b = listener.url
    event = sample_event("x", "X").decode()

    def a_server(seen: Seen, _handler: object) -> Answer:
        if seen.method == "OPTIONS":
            return Answer(200, {"DAV": "1, calendar-access"})
        if seen.path == "/cal/" and seen.headers.get("depth") == "1":
            calendar = "<d:resourcetype><d:collection/><c:calendar/></d:resourcetype>"
            return multistatus(
                response("/cal/", "<d:resourcetype><d:collection/></d:resourcetype>"),
                response(f"{b}/evil/", calendar + "<d:displayname>Evil</d:displayname>"),
            )
        if seen.path == "/evil/" and seen.method == "PROPFIND":
            return multistatus(response(f"{b}/evil/x.ics", '<d:getetag>"1"</d:getetag>'))
        if seen.path == "/evil/" and seen.method == "REPORT":
            data = f"<c:calendar-data>{event}</c:calendar-data>"
            return multistatus(response(f"{b}/evil/x.ics", '<d:getetag>"1"</d:getetag>' + data))
        return multistatus(response(seen.path, principal_props("/p/", "/cal/")))

    with hostile(a_server) as a:
        storage = DavStorage(login(a.url + "/"))
        [collection] = storage.collections()
        refs = list(storage.list(collection))
        fetched = list(storage.fetch(collection, [r.href for r in refs]))
        storage.close()
    assert collection.href == "/evil/" and [r.href for r in refs] == ["/evil/x.ics"]
    assert [f.data is not None for f in fetched] == [True]
    assert listener.seen == [] and a.authorized()


def test_an_absolute_url_on_another_origin_is_refused_by_the_transport(
    listener: Hostile,
) -> None:
    """The one place every request passes: no caller can send the login elsewhere."""
    with hostile(dav_server) as a:
        transport = Transport(login(a.url + "/"))
        with pytest.raises(errors.ForeignHost) as failure:
            transport.request("GET", f"{listener.url}/cal/x.ics")
        transport.close()
    refused_sentence(failure, a, listener)
    assert listener.seen == [] and a.seen == []


def test_an_href_that_would_splice_a_host_into_the_url_stays_on_the_account(
    listener: Hostile,
) -> None:
    """`@127.0.0.1:B/evil/` glued after `http://127.0.0.1:A` would make A's netloc a user
    name and B the host: hrefs become paths on the account's origin, checked once more."""
    spliced = f"@127.0.0.1:{listener.port}/evil/"

    def a_server(seen: Seen, _handler: object) -> Answer:
        if seen.method == "OPTIONS":
            return Answer(200, {"DAV": "1, calendar-access"})
        if seen.path == "/cal/" and seen.headers.get("depth") == "1":
            calendar = "<d:resourcetype><d:collection/><c:calendar/></d:resourcetype>"
            return multistatus(response(spliced, calendar))
        if seen.method == "PROPFIND" and "evil" in seen.path:
            return multistatus(response(spliced + "x.ics", '<d:getetag>"1"</d:getetag>'))
        return multistatus(response(seen.path, principal_props("/p/", "/cal/")))

    with hostile(a_server) as a:
        storage = DavStorage(login(a.url + "/"))
        for collection in storage.collections():
            with contextlib.suppress(errors.DavError):
                list(storage.list(collection))
        storage.close()
    assert listener.seen == []


def test_a_stored_discovery_pointing_elsewhere_is_not_reused() -> None:
    """A discovery stored before hrefs were checked: discovered (and refused) anew."""
    spec = login("http://127.0.0.1:8001/")
    good = Discovery("http://127.0.0.1:8001/", "http://127.0.0.1:8001/p/", None, None)
    assert reusable(as_json(good, spec), spec) == good
    for foreign in (
        replace(good, principal="http://127.0.0.1:8002/p/"),
        replace(good, calendar_home="http://evil.example/cal/"),
        replace(good, base_url="http://127.0.0.1:8002/"),
    ):
        assert reusable(as_json(foreign, spec), spec) is None
