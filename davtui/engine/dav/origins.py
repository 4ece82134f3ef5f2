"""Where an account's login may go, and nowhere else.

An origin is (scheme, host, port), as browsers compare them (RFC 6454). The Basic login of
an account goes only to:

- the origin of the account's URL;
- the same host over https when that URL says http (an upgrade, never the other way round);
- over https, domains the user already named: the domain typed instead of a URL (RFC 6764 SRV
  targets lie under it), and the domains of the account's preset or of the preset whose
  domains hold the URL's host (iCloud names its homes on `pNN-caldav.icloud.com`).

Anything else a server names (an href in an answer, a redirect) is refused with one sentence
and nothing is sent: otherwise any server, or anyone able to answer for it, could collect the
password by naming a listener of its own.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import urlsplit, urlunsplit

from davtui.engine import errors
from davtui.engine.dav.presets import PRESETS, base_url
from davtui.engine.storages.contract import AccountSpec

#: The schemes davtui speaks, with their default ports.
SCHEMES = {"http": 80, "https": 443}


class Origin(NamedTuple):
    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def shown(url: str) -> str:
    """`url` fit for a message: no user name or password, no query."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.rsplit("@", 1)[-1], parts.path, "", ""))


def origin(url: str) -> Origin:
    """The origin of `url`; BadURL when no request can go there."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise errors.BadURL(
            f"{shown(url)} is not an http:// or https:// URL: davtui speaks only HTTP and "
            "HTTPS to a server."
        )
    try:
        port = parts.port or SCHEMES[scheme]
    except ValueError:
        raise errors.BadURL(f"{shown(url)} has no valid port number.") from None
    if not parts.hostname:
        raise errors.BadURL(f"{shown(url)} names no host.")
    return Origin(scheme, parts.hostname, port)


def _within(host: str, domains: tuple[str, ...]) -> bool:
    return any(host == domain or host.endswith("." + domain) for domain in domains)


def _is_name(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return "." in host
    return False


@dataclass(frozen=True, slots=True)
class Origins:
    """The origins one account's login may go to (see the module's docstring)."""

    home: Origin
    #: hosts under these domains are allowed over https
    domains: tuple[str, ...] = ()

    @classmethod
    def of(cls, spec: AccountSpec) -> Origins:
        """What `spec`'s login may reach; BadURL when its URL is no http(s) URL."""
        home = origin(base_url(spec.url))
        domains: list[str] = []
        if "://" not in spec.url and _is_name(home.host):  # a domain or an e-mail address
            domains.append(home.host)
        for name, preset in PRESETS.items():
            if name == spec.preset or _within(home.host, preset.domains):
                domains.extend(preset.domains)
        return cls(home, tuple(dict.fromkeys(domains)))

    def permits(self, url: str) -> bool:
        """Whether the login may be sent to `url`; BadURL when `url` is no http(s) URL."""
        there = origin(url)
        if there == self.home:
            return True
        if there.scheme != "https":
            return False
        if there.host == self.home.host and self.home.scheme == "http":
            return there.port in (SCHEMES["https"], self.home.port)
        return _within(there.host, self.domains)

    def check(self, url: str, what: str, advice: str = "") -> str:
        """`url` when the login may go there, else ForeignHost: "`what` points to ..."."""
        if self.permits(url):
            return url
        raise self.refusal(url, what, advice)

    def refusal(self, url: str, what: str, advice: str = "") -> errors.ForeignHost:
        """The one sentence refusing `url`, naming both origins."""
        return errors.ForeignHost(
            f"{what} points to {origin(url)}, not {self.home} where this account logs in; "
            f"davtui does not send the password there{advice}.",
            url=shown(url),
        )

    def check_redirect(self, source: str, target: str, advise: bool = False) -> str:
        """`target` when a redirect from `source` may be followed with the login. `advise`:
        the sentence suggests the target as the account's URL (where discovery met it: a
        /.well-known redirect to a provider's DAV host may be right, but only the user can
        say so)."""
        parts = urlsplit(source)
        advice = f" (if that is the right server, use {shown(target)} as the account's URL)"
        return self.check(
            target,
            f"A redirect from {parts.netloc.rsplit('@', 1)[-1]}{parts.path or '/'}",
            advice if advise else "",
        )
