"""Transport against a real Radicale behind a fault-injecting proxy: retries, throttling,
stale connections, error mapping, and no password anywhere."""

from __future__ import annotations

import logging
import time
import uuid

import pytest

from davtui.engine import errors, events
from davtui.engine.dav.failures import PreconditionAfterRetry, parse_retry_after
from davtui.engine.dav.transport import Transport, host_slots
from davtui.engine.storages.contract import AccountSpec
from tests.contract import sample_event
from tests.proxy import Fault, Proxy
from tests.servers import Server

PROPFIND = b'<propfind xmlns="DAV:"><prop><resourcetype/></prop></propfind>'


def _transport(url: str, seen: list[events.Event], password: str = "bobpw") -> Transport:
    return Transport(AccountSpec(url=url, username="bob", password=password), seen.append)


def _propfind(transport: Transport, path: str = "/bob/"):
    return transport.request("PROPFIND", path, body=PROPFIND, headers={"Depth": "0"})


def _once(status: int, headers: dict[str, str] | None = None, method: str = "PROPFIND"):
    def fault(m: str, _path: str, attempt: int, _body: bytes) -> Fault | None:
        return Fault(status, headers or {}) if m == method and attempt == 1 else None

    return fault


def test_retry_after_seconds_and_dates_are_clamped() -> None:
    assert parse_retry_after("0") == 1.0
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after("999999") == 7200.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480 - 120) == 120.0
    assert parse_retry_after("soon") is None


def test_503_with_retry_after_is_honoured(radicale: Server) -> None:
    seen: list[events.Event] = []
    with Proxy(radicale.url, fault=_once(503, {"Retry-After": "1"})) as proxy:
        started = time.monotonic()
        assert _propfind(_transport(proxy.url, seen)).status == 207
        waited = time.monotonic() - started
    assert [s for _m, _p, s in proxy.log] == [503, 207]
    assert events.Throttled(host=proxy.url[7:-1], delay=1.0) in seen
    assert [e.delay for e in seen if isinstance(e, events.Retry)] == [1.0]
    assert waited >= 1.0


def test_429_without_retry_after_backs_off_and_retries(radicale: Server) -> None:
    seen: list[events.Event] = []
    with Proxy(radicale.url, fault=_once(429)) as proxy:
        assert _propfind(_transport(proxy.url, seen)).status == 207
    assert proxy.counts["PROPFIND"] == 2
    [retry] = [e for e in seen if isinstance(e, events.Retry)]
    assert retry.reason == "HTTP 429" and 0.5 <= retry.delay <= 1.0


def _create_in_new_calendar(transport, uid: str):
    """A new calendar, and one event created in it (If-None-Match: *): the reply."""
    folder = f"/bob/locked-{uuid.uuid4().hex[:8]}/"
    transport.request("MKCALENDAR", folder)
    return transport.request(
        "PUT", f"{folder}x.ics", body=sample_event(uid),
        headers={"If-None-Match": "*", "Content-Type": "text/calendar"},
    )  # fmt: skip


def test_a_conditional_put_is_retried_on_423_locked(radicale: Server) -> None:
    """Xandikos answers 423 while another write holds the collection: wait and try again."""
    seen: list[events.Event] = []
    with Proxy(radicale.url, fault=_once(423, method="PUT")) as proxy:
        reply = _create_in_new_calendar(_transport(proxy.url, seen), "locked-1")
    assert reply.status == 201 and [s for m, _p, s in proxy.log if m == "PUT"] == [423, 201]
    [retry] = [e for e in seen if isinstance(e, events.Retry)]
    # the lock lasts one write: the first retry comes within 60 ms, not after a backoff
    assert retry.reason == "HTTP 423" and 0.03 <= retry.delay <= 0.06


def test_a_lock_that_outlasts_the_quick_retries_backs_off_as_any_other(radicale: Server) -> None:
    seen: list[events.Event] = []
    locked = lambda method, path, attempt, body: (  # noqa: E731
        Fault(status=423) if method == "PUT" and attempt <= 4 else None
    )
    with Proxy(radicale.url, fault=locked) as proxy:
        reply = _create_in_new_calendar(_transport(proxy.url, seen), "locked-2")
    assert reply.status == 201 and proxy.counts["PUT"] == 5
    delays = [e.delay for e in seen if isinstance(e, events.Retry)]
    assert all(d <= 0.12 for d in delays[:3]) and 0.5 <= delays[3] <= 1.0, delays


def test_unconditional_put_is_not_retried_on_503(radicale: Server) -> None:
    with (
        Proxy(radicale.url, fault=_once(503, method="PUT")) as proxy,
        pytest.raises(errors.Throttled),
    ):
        _transport(proxy.url, []).request("PUT", "/bob/x.ics", body=sample_event("t-1"))
    assert proxy.counts["PUT"] == 1


def test_wrong_password_is_auth_failed_once_and_never_shows_the_password(
    radicale: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="davtui.http")
    with Proxy(radicale.url) as proxy, pytest.raises(errors.AuthFailed) as failure:
        _propfind(_transport(proxy.url, [], password="s3cret-pw"))
    assert sum(proxy.counts.values()) == 1
    assert "127.0.0.1" in str(failure.value) and "s3cret-pw" not in str(failure.value)
    assert "s3cret-pw" not in caplog.text and "PROPFIND" in caplog.text


def test_a_connection_closed_before_the_answer_is_retried_even_for_put(radicale: Server) -> None:
    """sogod closes kept-alive connections after a PUT without saying so."""
    reset = lambda m, _p, a, _b: Fault(action="reset") if m == "PUT" and a == 1 else None  # noqa: E731
    with Proxy(radicale.url, fault=reset) as proxy:
        transport = _transport(proxy.url, [])
        transport.request("MKCALENDAR", "/bob/stale/")
        reply = transport.request("PUT", "/bob/stale/a.ics", body=sample_event("t-2"))
    assert reply.status == 201 and reply.retried
    assert [s for m, _p, s in proxy.log if m == "PUT"] == [0, 201]


def test_a_create_whose_answer_was_lost_reports_the_doubt(radicale: Server) -> None:
    """The first PUT lands but its answer is dropped; the retry then meets 412."""
    drop = lambda m, _p, a, _b: Fault(action="drop-response") if m == "PUT" and a == 1 else None  # noqa: E731
    with Proxy(radicale.url, fault=drop) as proxy:
        transport = _transport(proxy.url, [])
        transport.request("MKCALENDAR", "/bob/lost/")
        with pytest.raises(PreconditionAfterRetry) as failure:
            transport.request(
                "PUT", "/bob/lost/a.ics", body=sample_event("t-3"), headers={"If-None-Match": "*"}
            )
    assert failure.value.retried and isinstance(failure.value, errors.PreconditionFailed)
    assert transport.counts["PUT"] == 2


def test_refused_port_is_unreachable() -> None:
    from tests.servers import free_port

    with pytest.raises(errors.Unreachable) as failure:
        _propfind(Transport(AccountSpec(url=f"http://127.0.0.1:{free_port()}/"), retries=0))
    assert "could not be reached" in str(failure.value)


def test_transports_to_one_host_share_one_bound() -> None:
    assert host_slots("http://h.example:80/a", 4) is host_slots("http://h.example/b", 9)
    assert host_slots("https://h.example/", 4) is not host_slots("http://h.example/", 4)


def test_requests_are_counted_per_method(radicale: Server) -> None:
    transport = _transport(radicale.url, [])
    _propfind(transport)
    transport.request("OPTIONS", "/bob/")
    assert transport.counts == {"PROPFIND": 1, "OPTIONS": 1}


def test_http_proxy_from_the_environment_carries_the_requests(
    radicale: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTP_PROXY is honoured (read when the account is opened), NO_PROXY exempts a host."""
    with Proxy(radicale.url) as proxy:
        monkeypatch.delenv("http_proxy", raising=False)  # the lower-case one would win
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        assert _propfind(_transport(radicale.url, [])).status == 207
        assert proxy.counts["PROPFIND"] == 1
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        assert _propfind(_transport(radicale.url, [])).status == 207
        assert proxy.counts["PROPFIND"] == 1
