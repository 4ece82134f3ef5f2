"""RFC 6764 discovery through dnspython's public resolver, against a real DNS server on
loopback: SRV `_caldavs._tcp.<domain>` (+ TXT `path=`), TLS only, never outside the domain,
and a resolver that does not answer costs a bounded time."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import dns.message
import dns.rdatatype
import dns.resolver
import dns.rrset

from davtui.engine.dav.discovery import DNS_LIFETIME, rfc6764_urls


@contextmanager
def dns_server(zone: dict[tuple[str, str], list[str]], answer: bool = True) -> Iterator[int]:
    """A UDP DNS server on a free loopback port answering from `zone`, keyed by (name, type),
    with NXDOMAIN for anything else; with `answer=False` it reads questions and says nothing."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    done = threading.Event()

    def serve() -> None:
        while not done.is_set():
            try:
                wire, peer = sock.recvfrom(4096)
            except TimeoutError:
                continue
            if not answer:
                continue
            query = dns.message.from_wire(wire)
            reply = dns.message.make_response(query)
            question = query.question[0]
            key = (question.name.to_text(), dns.rdatatype.to_text(question.rdtype))
            if key in zone:
                reply.answer.append(dns.rrset.from_text(key[0], 60, "IN", key[1], *zone[key]))
            else:
                reply.set_rcode(3)  # NXDOMAIN
            sock.sendto(reply.to_wire(), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        done.set()
        thread.join()
        sock.close()


def resolver_at(port: int) -> dns.resolver.Resolver:
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = port
    return resolver


def test_srv_and_txt_give_the_service_url() -> None:
    zone = {
        ("_caldavs._tcp.example.test.", "SRV"): [
            "20 0 443 backup.example.test.",
            "10 5 8443 dav.example.test.",
        ],
        ("_caldavs._tcp.example.test.", "TXT"): ['"txtvers=1 path=/dav/cal/"'],
        ("_carddavs._tcp.example.test.", "SRV"): ["10 0 443 example.test."],
    }
    with dns_server(zone) as port:
        urls = list(rfc6764_urls("ann@example.test", "ignored", resolver_at(port)))
    assert urls == ["https://dav.example.test:8443/dav/cal/", "https://example.test:443/"]


def test_a_record_pointing_outside_the_domain_is_not_followed() -> None:
    zone = {("_caldavs._tcp.example.test.", "SRV"): ["10 0 443 evil.example.org."]}
    with dns_server(zone) as port:
        assert list(rfc6764_urls("example.test", "example.test", resolver_at(port))) == []


def test_no_records_no_candidates() -> None:
    with dns_server({}) as port:
        assert list(rfc6764_urls("ann@example.test", "example.test", resolver_at(port))) == []


def test_a_silent_resolver_costs_bounded_time() -> None:
    with dns_server({}, answer=False) as port:
        start = time.monotonic()
        assert list(rfc6764_urls("example.test", "example.test", resolver_at(port))) == []
    # two services, one SRV question each, each bounded by DNS_LIFETIME
    assert time.monotonic() - start < 2 * DNS_LIFETIME + 5
