"""Redirects never carry the login to another origin (issue 18): a hostile server answers
with a redirect to a second listener, in discovery and on any later request, and from https
to http; a redirect on the same origin keeps the login. The origin rule itself is checked
on the URL forms an account may have (a bare domain, iCloud's homes, a preset)."""

from __future__ import annotations

from pathlib import Path

import pytest

from davtui.engine import errors
from davtui.engine.dav.discovery import discover
from davtui.engine.dav.origins import Origins
from davtui.engine.dav.transport import Transport
from tests.credentials import login, principal_props, refused_sentence, response
from tests.hostile import Answer, Hostile, Seen, hostile, multistatus
from tests.test_bad_config import self_signed


def redirecting(status: int, target: str):
    def behaviour(_seen: Seen, _handler: object) -> Answer:
        return Answer(status, {"Location": target})

    return behaviour


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_to_another_port_is_refused_in_discovery(status: int, listener: Hostile) -> None:
    with (
        hostile(redirecting(status, f"{listener.url}/dav/")) as a,
        pytest.raises(errors.ForeignHost) as failure,
    ):
        discover(login(a.url + "/"))
    sentence = refused_sentence(failure, a, listener)
    assert f"use {listener.url}/dav/ as the account's URL" in sentence
    assert listener.authorized() == [] and listener.seen == []


@pytest.mark.parametrize("status", [301, 302, 303, 307])
def test_a_redirect_to_another_port_is_refused_on_any_request(
    status: int, listener: Hostile
) -> None:
    with hostile(redirecting(status, f"{listener.url}/cal/x.ics")) as a:
        transport = Transport(login(a.url + "/"))
        with pytest.raises(errors.ForeignHost) as failure:
            transport.request("GET", "/cal/x.ics")
        transport.close()
    assert "account's URL" not in refused_sentence(failure, a, listener)  # an item's URL
    assert listener.seen == []


def test_a_redirect_from_https_to_http_is_refused(listener: Hostile, tmp_path: Path) -> None:
    with hostile(redirecting(301, f"{listener.url}/dav/"), tls=self_signed(tmp_path)) as a:
        spec = login(a.url + "/", ca_file=str(tmp_path / "cert.pem"))
        with pytest.raises(errors.ForeignHost) as failure:
            discover(spec)
        assert a.authorized(), "the login went to the https server itself"
    sentence = str(failure.value)
    assert f"points to http://127.0.0.1:{listener.port}, not https://127.0.0.1:{a.port}" in sentence
    assert listener.seen == []


def test_a_same_origin_redirect_keeps_the_login() -> None:
    def behaviour(seen: Seen, _handler: object) -> Answer:
        if seen.path == "/old/":
            return Answer(301, {"Location": "/new/"})
        return multistatus(response(seen.path, principal_props("/p/", "/cal/")))

    with hostile(behaviour) as a:
        transport = Transport(login(a.url + "/"))
        reply = transport.request("PROPFIND", "/old/", headers={"Depth": "0"})
        transport.close()
    assert reply.url == f"{a.url}/new/"
    assert [s.path for s in a.authorized()] == ["/old/", "/new/"]


def test_the_origin_rule() -> None:
    plain = Origins.of(login("http://dav.example.org/dav/"))
    assert plain.permits("http://dav.example.org:80/other/")
    assert plain.permits("https://dav.example.org/dav/")  # upgrade to https on the same host
    assert not plain.permits("https://dav.example.org:8443/")
    assert not plain.permits("http://dav.example.org:81/")
    assert not plain.permits("http://evil.example.org/")
    assert not plain.permits("http://dav.example.org@evil.example/")  # userinfo, not the host
    tls = Origins.of(login("https://dav.example.org/"))
    assert tls.permits("https://dav.example.org:443/x")
    assert not tls.permits("http://dav.example.org/")  # never from https to http
    typed = Origins.of(login("example.org"))  # a bare domain: its RFC 6764 SRV targets
    assert typed.permits("https://caldav.example.org:8443/")
    assert typed.permits("https://example.org/")
    assert not typed.permits("http://caldav.example.org/")
    assert not typed.permits("https://badexample.org/")
    cloud = Origins.of(login("https://caldav.icloud.com/"))  # homes on pNN-caldav.icloud.com
    assert cloud.permits("https://p57-caldav.icloud.com:443/123/calendars/")
    assert not cloud.permits("http://p57-caldav.icloud.com/")
    preset = Origins.of(login("https://mail.example.org/", preset="fastmail"))
    assert preset.permits("https://caldav.fastmail.com/dav/")
    assert not plain.permits("https://caldav.fastmail.com/dav/")


# -- schemes ---------------------------------------------------------------------------------
