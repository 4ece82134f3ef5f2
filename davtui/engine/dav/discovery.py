"""Find the CalDAV/CardDAV service of an account from what a user knows.

A full URL, a bare base URL, a host name or an e-mail address is enough. We try, in order:
the URL as given, RFC 6764 DNS SRV/TXT records (dnspython), `/.well-known/caldav` and
`/.well-known/carddav`, then the path of every known server (`PRESETS`). The first URL that
names a principal with a calendar or address-book home wins.

The login goes only where `davtui.engine.dav.origins` allows: a principal, a home or a redirect
on another origin is refused with one sentence naming both (kept, and raised when no other
candidate works), never followed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from davtui.engine import errors, events
from davtui.engine.dav import davxml
from davtui.engine.dav.failures import redirect_loop
from davtui.engine.dav.origins import Origins
from davtui.engine.dav.presets import PRESETS, base_url, guess_server, preset_url
from davtui.engine.dav.reply import Reply
from davtui.engine.dav.transport import REDIRECTS, Transport
from davtui.engine.storages.contract import AccountSpec

if TYPE_CHECKING:
    import dns.resolver

log = logging.getLogger("davtui.discovery")


REPORT_SET = davxml.clark(davxml.DAV, "supported-report-set")
MAX_REDIRECTS = 5
#: How long a run reuses the discovery an earlier run stored for the same URL and user (the
#: storage discovers again at once if the stored homes no longer answer).
REUSE_SECONDS = 24 * 3600


class NoHomes(errors.NotDav):
    """The login works but the account announces no calendar and no address-book home."""


@dataclass(frozen=True, slots=True)
class Discovery:
    """What discovery learnt about an account; homes are absolute URLs."""

    base_url: str
    principal: str
    calendar_home: str | None
    addressbook_home: str | None
    dav: frozenset[str] = frozenset()
    supports_sync: bool = False
    #: its collections were seen to carry sync tokens: ask those, not ctags too
    sync_tokens: bool = False
    mkcalendar: bool = False
    extended_mkcol: bool = False
    components: tuple[str, ...] = ()
    server: str | None = None
    found_by: str = "url"


def as_json(found: Discovery, spec: AccountSpec) -> dict[str, Any]:
    """`found` as a JSON object for the account row, stamped with what it was found for."""
    data = asdict(found)
    data["dav"] = sorted(found.dav)
    return {**data, "for": [spec.url, spec.username], "at": time.time()}


def reusable(stored: dict[str, Any] | None, spec: AccountSpec) -> Discovery | None:
    """The discovery stored for this URL and user, if recent enough to skip discovering."""
    if not stored or stored.get("for") != [spec.url, spec.username]:
        return None
    if not time.time() - REUSE_SECONDS < stored.get("at", 0) <= time.time():
        return None
    try:
        values = {f.name: stored[f.name] for f in fields(Discovery)}
        found = Discovery(
            **{**values, "dav": frozenset(values["dav"]), "components": tuple(values["components"])}
        )
        origins = Origins.of(spec)
        urls = (found.base_url, found.principal, found.calendar_home, found.addressbook_home)
        if not all(origins.permits(url) for url in urls if url):
            return None  # stored before its URLs were checked: discover (and refuse) anew
        return found
    except (KeyError, TypeError, errors.BadURL):
        return None


def discover(spec: AccountSpec, listener: events.Listener = events.ignore) -> Discovery:
    """The DAV service of `spec`. Raises AuthFailed, Unreachable/TLSFailed, NotDav, NoHomes,
    BadURL (not http/https) or ForeignHost (it points elsewhere, and nothing else works)."""
    Origins.of(spec)  # BadURL before any request
    network_error: errors.DavError | None = None
    refused: errors.ForeignHost | errors.RedirectLoop | None = None
    dead_hosts: set[str] = set()
    answered = False
    for url, how in candidates(spec):
        host = urlsplit(url).netloc
        if host in dead_hosts:
            continue
        try:
            transport = Transport(spec, listener, base_url=url, retries=1)
        except errors.ForeignHost as exc:  # an SRV record naming another domain
            refused = refused or exc
            continue
        try:
            principal = _principal(transport, url)
            if principal is None:
                continue
            answered = True
            found = _homes(transport, principal)
            if found is not None:
                return _capabilities(transport, principal, found, how)
        except errors.AuthFailed:
            raise
        except (errors.ForeignHost, errors.RedirectLoop) as exc:
            refused = refused or exc
        except (errors.Unreachable, errors.Throttled) as exc:  # TLSFailed too; 503 after retry
            network_error = network_error or exc
            dead_hosts.add(host)
        except errors.ServerError as exc:  # a 5xx on one path: another may work
            if exc.status != 501:  # 501: PROPFIND not implemented, no DAV there
                network_error = network_error or exc
        except errors.DavError as exc:
            log.debug("no DAV service at %s: %s", url, exc)
        finally:
            transport.close()
    if refused is not None:
        raise refused
    if answered:
        raise NoHomes(
            f"{spec.username or 'This account'} logs in at {_label(spec)} but has no calendar "
            "and no address-book home: the server offers this account nothing to read or write."
        )
    if network_error is not None:
        raise network_error
    raise errors.NotDav(
        f"{_label(spec)} answers, but no CalDAV or CardDAV service was found there "
        "(tried the URL, DNS, /.well-known and the paths of known servers)."
    )


def _label(spec: AccountSpec) -> str:
    return urlsplit(base_url(spec.url)).netloc or spec.url


def candidates(spec: AccountSpec) -> Iterator[tuple[str, str]]:
    """(url, how) pairs to try, in order, without repeats."""
    seen: set[str] = set()
    for url, how in _all_candidates(spec):
        key = davxml.canonical_href(url) + "|" + urlsplit(url).netloc
        if key not in seen:
            seen.add(key)
            yield url, how


def _all_candidates(spec: AccountSpec) -> Iterator[tuple[str, str]]:
    base = base_url(spec.url)
    if spec.preset in PRESETS:
        yield preset_url(base, spec.preset, spec.username), f"preset {spec.preset}"
    yield base, "url"
    domain = urlsplit(base).hostname or ""
    if "://" not in spec.url or _is_domain(domain):
        yield from ((url, "dns") for url in rfc6764_urls(spec.username or spec.url, domain))
    yield urljoin(base, "/.well-known/caldav"), "well-known"
    yield urljoin(base, "/.well-known/carddav"), "well-known"
    for name, preset in PRESETS.items():
        if "://" not in preset.template:  # never send this login to another provider unasked
            yield preset_url(base, name, spec.username), f"preset {name}"


def _is_domain(host: str) -> bool:
    return "." in host and not host.replace(".", "").isdigit() and ":" not in host


#: How long one DNS question may take in all (retries included): a dead resolver costs seconds.
DNS_LIFETIME = 5.0


def rfc6764_urls(
    identifier: str, domain: str, resolver: dns.resolver.Resolver | None = None
) -> Iterator[str]:
    """Service URLs from DNS SRV (+TXT path) records, TLS only (a plain-HTTP SRV could be a
    downgrade attack), and only to the domain itself or a subdomain (a forged record must
    not send the login elsewhere)."""
    name = identifier.rsplit("@", 1)[1] if "@" in identifier else domain
    for service in ("caldav", "carddav"):
        record = f"_{service}s._tcp.{name}"
        for host, port in _srv(record, resolver)[:1]:
            if _within(host, name):
                yield f"https://{host}:{port}{_txt_path(record, resolver) or '/'}"


def _answers(record: str, kind: str, resolver: dns.resolver.Resolver | None) -> list[Any]:
    """The records of one DNS question; none when the name, the answer or the resolver
    fails (discovery then tries the next candidate). Any: SRV or TXT records, as `kind` says."""
    import dns.exception  # deferred: only host names and e-mail addresses need DNS
    import dns.resolver

    ask = resolver.resolve if resolver else dns.resolver.resolve
    try:
        return list(ask(record, kind, lifetime=DNS_LIFETIME))
    except dns.exception.DNSException as error:
        log.debug("%s %s: %s", kind, record, error)
        return []


def _srv(record: str, resolver: dns.resolver.Resolver | None) -> list[tuple[str, int]]:
    """(host, port) of the SRV records, the lowest priority and then the heaviest first."""
    found = sorted(_answers(record, "SRV", resolver), key=lambda r: (r.priority, -r.weight))
    return [(str(r.target).rstrip("."), int(r.port)) for r in found]


def _txt_path(record: str, resolver: dns.resolver.Resolver | None) -> str | None:
    """The `path=` attribute of the service's TXT records (RFC 6764 section 4)."""
    for answer in _answers(record, "TXT", resolver):
        text = "".join(s.decode("utf-8", "replace") for s in answer.strings)
        for pair in text.split():
            key, _, value = pair.partition("=")
            if key.strip().lower() == "path" and value.strip():
                return value.strip()
    return None


def _within(host: str, domain: str) -> bool:
    """True if `host` is `domain` or one of its subdomains."""
    host, domain = host.lower().strip("."), domain.lower().strip(".")
    return host == domain or host.endswith("." + domain)


def _propfind(
    transport: Transport, url: str, props: tuple[str, ...], depth: str = "0"
) -> tuple[Reply, list[davxml.DavResponse]]:
    """PROPFIND `url`, following redirects ourselves: an HTTP client drops the body on a 301
    (mailcow's `/.well-known/caldav`), and a body-less PROPFIND asks for allprop, which leaves
    out `current-user-principal` on SOGo. A redirect to another origin is refused
    (ForeignHost), with the advice to use its target as the account's URL."""
    headers = {"Depth": depth, "Content-Type": "application/xml; charset=utf-8"}
    body = davxml.propfind(props)
    for _hop in range(MAX_REDIRECTS + 1):
        reply = transport.request("PROPFIND", url, body=body, headers=headers, redirects=False)
        target = urljoin(url, reply.headers.get("Location") or "")
        if reply.status not in REDIRECTS or target == url:
            break
        url = transport.origins.check_redirect(url, target, advise=True)
    else:
        raise redirect_loop(transport.host, url, MAX_REDIRECTS)
    if reply.status != 207 or "xml" not in reply.content_type:
        raise errors.NotDav(f"{transport.host} answered {reply.status} without DAV XML.")
    return reply, list(davxml.iter_multistatus([reply.content]))


def _first(responses: list[davxml.DavResponse], tag: str) -> str | None:
    for response in responses:
        value = response.props.get(tag)
        if isinstance(value, tuple) and value:
            return value[0]
    return None


def _principal(transport: Transport, url: str) -> str | None:
    """The principal URL named at `url`, or None when `url` is no DAV resource."""
    reply, responses = _propfind(transport, url, davxml.PRINCIPAL_PROPS)
    principal = _first(responses, davxml.CURRENT_USER_PRINCIPAL)
    if principal is None and (
        _first(responses, davxml.CALENDAR_HOME_SET)
        or _first(responses, davxml.ADDRESSBOOK_HOME_SET)
    ):
        principal = reply.url  # the URL is a principal that does not name itself
    if not principal:
        return None
    what = f"The current-user-principal that {transport.host} names"
    return transport.origins.check(urljoin(reply.url, principal), what)


def _homes(transport: Transport, principal: str) -> tuple[str | None, str | None] | None:
    reply, responses = _propfind(transport, principal, davxml.PRINCIPAL_PROPS)
    calendars = _first(responses, davxml.CALENDAR_HOME_SET)
    books = _first(responses, davxml.ADDRESSBOOK_HOME_SET)
    if calendars is None and books is None:
        return None
    return _home(transport, reply.url, calendars, "calendar"), _home(
        transport, reply.url, books, "addressbook"
    )


def _home(transport: Transport, base: str, href: str | None, kind: str) -> str | None:
    """The absolute URL of a home set, refused (ForeignHost) on another origin."""
    if not href:
        return None
    what = f"The {kind}-home-set that {transport.host} names"
    return transport.origins.check(urljoin(base, href), what)


def _capabilities(
    transport: Transport, principal: str, homes: tuple[str | None, str | None], how: str
) -> Discovery:
    """What the server can do, from OPTIONS on a home and its supported-report-set."""
    calendar_home, addressbook_home = homes
    home = calendar_home or addressbook_home or principal
    reply = transport.request("OPTIONS", home)
    dav = frozenset(t.strip().lower() for t in reply.headers.get("DAV", "").split(",") if t.strip())
    allow = {t.strip().upper() for t in reply.headers.get("Allow", "").split(",")}
    reports: tuple[str, ...] = ()
    comps: tuple[str, ...] = ()
    try:
        _reply, responses = _propfind(transport, home, (REPORT_SET, davxml.COMPONENTS))
        reports = tuple(str(v) for r in responses for v in r.props.get(REPORT_SET, ()))
        comps = tuple(str(v) for r in responses for v in r.props.get(davxml.COMPONENTS, ()))
    except errors.DavError as exc:
        log.debug("no report set on %s: %s", home, exc)
    parts = urlsplit(principal)
    server_header = reply.headers.get("Server", "")
    return Discovery(
        base_url=f"{parts.scheme}://{parts.netloc}/",
        principal=principal,
        calendar_home=calendar_home,
        addressbook_home=addressbook_home,
        dav=dav,
        supports_sync="sync-collection" in dav or any("sync-collection" in r for r in reports),
        mkcalendar="MKCALENDAR" in allow if allow != {""} else "calendar-access" in dav,
        extended_mkcol="extended-mkcol" in dav,
        components=comps,
        server=guess_server(principal, server_header, dav),
        found_by=how,
    )
