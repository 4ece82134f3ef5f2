"""What davtui knows about each kind of server without asking it: where its DAV root lives
(presets) and how to recognise it. Pure functions, no network, cheap to import (the TUI's
forms use them)."""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import quote, urljoin


class Preset(NamedTuple):
    """A known server: where its DAV root lives ({user} is the login) and what to call it.

    `domains`: where the provider serves DAV besides the account's URL (iCloud names homes
    on `pNN-caldav.icloud.com`); an account of this preset, or one whose URL already lies in
    these domains, may send its login there over https (`davtui.engine.dav.origins`)."""

    template: str
    label: str
    domains: tuple[str, ...] = ()


#: Known servers, in the order discovery tries them. Shown by the TUI's account form.
PRESETS: dict[str, Preset] = {
    "sogo": Preset("/SOGo/dav/{user}/", "SOGo / mailcow"),
    "zimbra": Preset("/dav/{user}/", "Zimbra / Carbonio"),
    "nextcloud": Preset("/remote.php/dav/", "Nextcloud / ownCloud"),
    "fastmail": Preset("https://caldav.fastmail.com/dav/", "Fastmail", ("fastmail.com",)),
    "icloud": Preset("https://caldav.icloud.com/", "iCloud", ("icloud.com",)),
    "radicale": Preset("/{user}/", "Radicale"),
    "xandikos": Preset("/{user}/", "Xandikos"),
}


def base_url(text: str) -> str:
    """An URL from what the user typed: a URL stays, a host or e-mail domain becomes https."""
    text = text.strip()
    if "://" in text:
        return text
    if "@" in text and "/" not in text:
        text = text.rsplit("@", 1)[1]
    return f"https://{text}"


def preset_url(server: str, preset: str, username: str) -> str:
    """Where `preset` keeps the DAV root of `username` on `server` (a host, an e-mail address
    or a URL). The login is percent-encoded but keeps its `@`, as SOGo spells it."""
    return urljoin(
        base_url(server), PRESETS[preset].template.format(user=quote(username, safe="@"))
    )


def guess_server(url: str, server_header: str, dav: frozenset[str]) -> str | None:
    """The PRESETS name this server most likely is, from its URL and headers."""
    text = f"{url} {server_header}".lower()
    for needle, name in (
        ("/sogo/", "sogo"),
        ("sogo", "sogo"),
        ("zimbra", "zimbra"),
        ("carbonio", "zimbra"),
        ("/remote.php/dav", "nextcloud"),
        ("fastmail", "fastmail"),
        ("icloud.com", "icloud"),
        ("radicale", "radicale"),
        ("xandikos", "xandikos"),
    ):
        if needle in text:
            return name
    if "aiohttp" in text and "add-member" in dav:
        return "xandikos"
    if "wsgiserver" in text and "extended-mkcol" in dav and "sync-collection" not in dav:
        return "radicale"
    return None
