"""The account URL rule: which URLs are DAV servers, which are local folders, which are refused
(with one sentence naming what is wrong), and `shown`, which quotes a value for such a sentence
without the user name or password a URL may carry.

Its own module because both the schema (when an account is typed) and the engine (again, before
connecting: an account stored before the rule existed is refused, not spoken to) apply it.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from davtui.engine.connect import ConfigError

DAV_SCHEMES = ("http", "https")


def shown(value: Any) -> str:
    """A value for a message, short: text quoted ('no', userinfo of a URL masked), anything
    else as TOML/JSON spell it (true, 5, ["alice"])."""
    if isinstance(value, str):
        out = repr(_masked(value))
    else:
        out = json.dumps(value, ensure_ascii=False, default=str)
    return out if len(out) <= 80 else out[:77] + "..."


def _masked(url: str) -> str:
    """`url` without what stands before an `@` in its host part (a user and password)."""
    if url.lower().startswith("mailto:"):
        return url
    if "://" in url:
        return re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@", r"\1***@", url)
    return re.sub(r"^[^/@]*:[^/@]*@", "***@", url)


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):(?!\d)")  # "host:8443" is a port
_HOST = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9-]+)*\.?$")
_LOCAL = ("/", "~/", "./", "../")
_FILE_SUFFIXES = (".ics", ".vcf", ".vcard")
NEITHER = "is neither an http(s) URL nor a local path (start a folder with / or ./)"


def url_kind(url: str, kind: str | None, where: str = "the account") -> str:
    """The account kind `url` is, or ConfigError. The rule:

    - `http://` and `https://` URLs with a host are DAV servers; any other scheme (`ftp:`,
      `file:`, a typo like `htps:`) is refused, and so is a user name or password in the URL
      (it would be stored and logged: use username and password_env/password_command).
    - Without a scheme, a path is a local folder only when it is one: `/...`, `~/...`, `./...`,
      `../...` (or any path when kind is explicitly vdir or file).
    - `alice@example.org` (an e-mail address) and a bare host name with a dot or a port
      (`dav.example.org`, `localhost:5232`) are DAV servers found by RFC 6764 discovery;
      a single word is a host only with kind = dav.
    - Anything else with a `/` (`https//host/x`, `host/dav/`) is refused rather than guessed.
    """
    label = f"{where} url {shown(url)}"
    if any(c.isspace() or not c.isprintable() for c in url):
        raise ConfigError(f"{label} contains a space or a control character.")
    scheme = _SCHEME.match(url) if "://" in url or "@" not in url else None
    if kind in ("vdir", "file"):
        if scheme and "://" in url:
            raise ConfigError(f"{label} is a URL, but a {kind} account needs a local path.")
        return kind
    if scheme:
        return _dav_url(url, scheme.group(1).lower(), label)
    if url.startswith(_LOCAL) or url in ("/", ".", "..", "~"):
        if kind == "dav":
            raise ConfigError(f"{label} is a local path, but kind is dav (vdir is a folder).")
        return "vdir"
    if "/" in url or "\\" in url:
        raise ConfigError(f"{label} {NEITHER}.")
    if "@" in url:
        local, _, domain = url.rpartition("@")
        if local.lower().startswith("mailto:"):
            raise ConfigError(f"{label} {NEITHER}: write the e-mail address without mailto:.")
        if ":" in local:
            raise ConfigError(f"{label} holds a password: {_USERINFO}.")
        if local and _host(domain, single_word=kind == "dav"):
            return "dav"
        raise ConfigError(f"{label} is not an e-mail address (alice@example.org).")
    if _host(url, single_word=kind == "dav") and not url.lower().endswith(_FILE_SUFFIXES):
        return "dav"
    raise ConfigError(f"{label} {NEITHER}.")


_USERINFO = (
    "put the login in username and the password in password_env or password_command "
    "(--password-env/--password-command), never in the URL"
)


def _dav_url(url: str, scheme: str, label: str) -> str:
    if scheme not in DAV_SCHEMES:
        path = urlsplit(url).path or "/"
        hint = f" (write a local folder as a path: {path})" if scheme == "file" else ""
        raise ConfigError(
            f"{label} uses {scheme}: but only http:// and https:// reach a DAV server{hint}."
        )
    parts = urlsplit(url)
    if "@" in parts.netloc:
        raise ConfigError(f"{label} holds a user name or password: {_USERINFO}.")
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ConfigError(f"{label} has an invalid port.") from None
    if not url.startswith(f"{parts.scheme}://") or not parts.hostname:
        raise ConfigError(f"{label} has no host name (https://dav.example.org/).")
    return "dav"


def _host(text: str, single_word: bool) -> bool:
    """A host name, optionally with a port; a single word only when `single_word`."""
    host, colon, port = text.rpartition(":") if ":" in text else (text, "", "")
    if colon and not (port.isdigit() and 0 < int(port) < 65536):
        return False
    return bool(_HOST.match(host)) and ("." in host.strip(".") or bool(colon) or single_word)
