"""Discovery from what a user knows, against real servers and a real plain web server."""

from __future__ import annotations

import functools
import http.server
import itertools
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from davtui.engine import errors
from davtui.engine.dav.discovery import candidates, discover
from davtui.engine.dav.presets import PRESETS
from davtui.engine.storages.contract import AccountSpec
from tests.proxy import Proxy
from tests.servers import Server, free_port


@pytest.fixture
def web_page(tmp_path: Path) -> Iterator[str]:
    """A tiny static web server: answers GET with HTML and PROPFIND with 501."""
    (tmp_path / "index.html").write_text("<html><body>Welcome</body></html>")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_radicale_from_its_bare_base_url(radicale: Server) -> None:
    found = discover(AccountSpec(url=radicale.url, username="alice", password="alicepw"))
    assert found.principal == radicale.url + "alice/"
    assert found.calendar_home == found.addressbook_home == radicale.url + "alice/"
    assert found.mkcalendar and found.extended_mkcol and found.server == "radicale"
    assert found.found_by == "url"


def test_xandikos_from_its_bare_base_url(xandikos: Server) -> None:
    found = discover(AccountSpec(url=xandikos.url.rstrip("/"), username="alice"))
    assert found.calendar_home == xandikos.url + "alice/calendars/"
    assert found.addressbook_home == xandikos.url + "alice/contacts/"
    assert found.supports_sync and found.server == "xandikos"


def test_a_preset_path_is_tried_when_the_url_is_a_bare_host(radicale: Server) -> None:
    """Radicale answers PROPFIND on / too, so the preset is tried first when one is chosen."""
    spec = AccountSpec(url=radicale.url, username="alice", password="alicepw", preset="radicale")
    found = discover(spec)
    assert found.found_by == "preset radicale" and found.principal.endswith("/alice/")


def test_wrong_password_is_auth_failed_after_one_request(radicale: Server) -> None:
    with Proxy(radicale.url) as proxy:
        with pytest.raises(errors.AuthFailed) as failure:
            discover(AccountSpec(url=proxy.url, username="alice", password="wrong"))
        assert sum(proxy.counts.values()) == 1
    assert "wrong" not in str(failure.value)


def test_refused_port_is_unreachable() -> None:
    with pytest.raises(errors.Unreachable):
        discover(AccountSpec(url=f"http://127.0.0.1:{free_port()}/", username="a", password="b"))


def test_a_plain_web_server_is_not_dav(web_page: str) -> None:
    with pytest.raises(errors.NotDav) as failure:
        discover(AccountSpec(url=web_page, username="alice", password="pw"))
    assert "no CalDAV or CardDAV service" in str(failure.value)


def test_an_email_starts_from_its_domain_over_https() -> None:
    spec = AccountSpec(url="alice@example.org", username="alice@example.org")
    first = [url for url, _how in itertools.islice(candidates(spec), 1)]
    assert first == ["https://example.org"]


def test_presets_never_send_a_login_to_another_provider_unasked() -> None:
    spec = AccountSpec(url="http://127.0.0.1:9/", username="alice")
    urls = [url for url, _how in candidates(spec)]
    assert all(url.startswith("http://127.0.0.1:9/") for url in urls)
    assert "http://127.0.0.1:9/SOGo/dav/alice/" in urls and "fastmail" in PRESETS
