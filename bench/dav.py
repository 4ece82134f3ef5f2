"""Raw WebDAV requests for the benchmark (niquests), independent of davtui's own DAV layer, so
seeding, the limit copier and the verification do not depend on the code being measured."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, unquote, urljoin, urlsplit

import niquests

CAL_NS = "urn:ietf:params:xml:ns:caldav"
CARD_NS = "urn:ietf:params:xml:ns:carddav"
LISTING = (
    b'<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:resourcetype/>'
    b"<D:displayname/></D:prop></D:propfind>"
)
MKCALENDAR = (
    '<?xml version="1.0"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
    "<D:set><D:prop><D:displayname>{}</D:displayname></D:prop></D:set></C:mkcalendar>"
)
MKCOL_BOOK = (
    '<?xml version="1.0"?><D:mkcol xmlns:D="DAV:" xmlns:A="urn:ietf:params:xml:ns:carddav">'
    "<D:set><D:prop><D:resourcetype><D:collection/><A:addressbook/></D:resourcetype>"
    "<D:displayname>{}</D:displayname></D:prop></D:set></D:mkcol>"
)
PROPPATCH_NAME = (
    '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>'
    "<D:displayname>{}</D:displayname></D:prop></D:set></D:propertyupdate>"
)
RESPONSE = re.compile(rb"<(?:\w+:)?response\b.*?</(?:\w+:)?response>", re.S)
HREF = re.compile(rb"<(?:\w+:)?href>([^<]*)</")
ETAG = re.compile(rb"<(?:\w+:)?getetag>([^<]*)</")
RESOURCETYPE = re.compile(rb"<(?:\w+:)?resourcetype>(.*?)</(?:\w+:)?resourcetype>", re.S)
KIND = re.compile(rb"<(?:\w+:)?(calendar|addressbook)\b")
NAME = re.compile(rb"<(?:\w+:)?displayname>([^<]*)</")
DATA = re.compile(
    rb"<(?:\w+:)?(?:calendar|address)-data[^>]*>(.*?)</(?:\w+:)?(?:calendar|add)", re.S
)


def _unescape(raw: bytes) -> bytes:
    return (
        raw.replace(b"&lt;", b"<").replace(b"&gt;", b">").replace(b"&quot;", b'"')
        .replace(b"&#13;", b"\r").replace(b"&#xD;", b"\r").replace(b"&amp;", b"&")
    )  # fmt: skip


@dataclass(frozen=True)
class Folder:
    """A collection found in a home: href (path), kind ("calendar"/"addressbook"), name."""

    href: str
    kind: str
    name: str

    @property
    def segment(self) -> str:
        return unquote(self.href.rstrip("/").rsplit("/", 1)[-1])


#: Radicale parses every item of a collection on its first read: minutes at `large`.
TIMEOUT = 900


class Dav:
    """One server account: a base URL (scheme://host:port) and Basic credentials."""

    def __init__(self, base: str, user: str, password: str, pool: int = 4) -> None:
        parts = urlsplit(base)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.session = niquests.Session(pool_connections=2, pool_maxsize=pool)
        self.session.auth = (user, password)

    def url(self, href: str) -> str:
        return urljoin(self.origin + "/", href)

    def request(self, method: str, href: str, body: bytes | str | None = None, **headers: str):
        data = body.encode() if isinstance(body, str) else body
        clean = {k.replace("_", "-"): v for k, v in headers.items()}
        for attempt in range(10):  # Xandikos answers 423 Locked to concurrent writes
            response = self.session.request(
                method, self.url(href), data=data, headers=clean, timeout=TIMEOUT
            )
            if response.status_code != 423 or attempt == 9:
                return response
            time.sleep(0.1 * (attempt + 1))
        raise AssertionError("unreachable")

    def folders(self, home: str) -> list[Folder]:
        """The calendars and address books directly under `home`."""
        response = self.request(
            "PROPFIND", home, LISTING, Depth="1", Content_Type="application/xml"
        )
        found = []
        for block in RESPONSE.findall(response.content or b""):
            href = unquote(HREF.search(block).group(1).decode())
            types = RESOURCETYPE.search(block)
            kinds = set(KIND.findall(types.group(1))) if types else set()
            kind = "calendar" if b"calendar" in kinds else "addressbook" if kinds else None
            name = NAME.search(block)
            if kind and href.rstrip("/") != urlsplit(self.url(home)).path.rstrip("/"):
                found.append(Folder(href, kind, name.group(1).decode() if name else ""))
        return found

    def listing(self, collection: str) -> dict[str, str]:
        """href -> ETag of every item in a collection (PROPFIND Depth 1)."""
        response = self.request(
            "PROPFIND", collection, LISTING, Depth="1", Content_Type="application/xml"
        )
        out = {}
        for block in RESPONSE.findall(response.content or b""):
            href = unquote(HREF.search(block).group(1).decode())
            etag = ETAG.search(block)
            if etag and not href.endswith("/"):
                out[href] = etag.group(1).decode().replace("&quot;", '"')
        return out

    def multiget(self, collection: str, kind: str, hrefs: list[str]) -> Iterator[tuple[str, bytes]]:
        """(href, data) for `hrefs`, one REPORT."""
        ns, report, prop = (
            (CAL_NS, "calendar-multiget", "calendar-data") if kind == "calendar"
            else (CARD_NS, "addressbook-multiget", "address-data")
        )  # fmt: skip
        refs = "".join(f"<D:href>{quote(h)}</D:href>" for h in hrefs)
        body = (
            f'<?xml version="1.0"?><X:{report} xmlns:D="DAV:" xmlns:X="{ns}">'
            f"<D:prop><D:getetag/><X:{prop}/></D:prop>{refs}</X:{report}>"
        )
        response = self.request(
            "REPORT", collection, body, Depth="1", Content_Type="application/xml"
        )
        for block in RESPONSE.findall(response.content or b""):
            data = DATA.search(block)
            if data:
                yield unquote(HREF.search(block).group(1).decode()), _unescape(data.group(1))

    def fetch_all(self, collection: str, kind: str, batch: int = 200) -> dict[str, bytes]:
        hrefs = sorted(self.listing(collection))
        out: dict[str, bytes] = {}
        for start in range(0, len(hrefs), batch):
            out.update(self.multiget(collection, kind, hrefs[start : start + batch]))
        return out

    def make_collection(self, href: str, kind: str, name: str) -> int:
        if kind == "calendar":
            body, method = MKCALENDAR.format(name), "MKCALENDAR"
        else:
            body, method = MKCOL_BOOK.format(name), "MKCOL"
        return self.request(method, href, body, Content_Type="application/xml").status_code

    def set_name(self, href: str, name: str) -> None:
        self.request("PROPPATCH", href, PROPPATCH_NAME.format(name), Content_Type="application/xml")
