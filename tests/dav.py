"""Plain-HTTP helpers for tests: seed and read servers without going through davtui's code,
so what a test asserts about a server does not depend on the code under test."""

from __future__ import annotations

import base64
import re
import urllib.error
import urllib.request
from urllib.parse import urljoin

MKCALENDAR = (
    b'<?xml version="1.0"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
    b"<D:set><D:prop><D:displayname>%s</D:displayname></D:prop></D:set></C:mkcalendar>"
)
MKCOL_BOOK = (
    b'<?xml version="1.0"?><D:mkcol xmlns:D="DAV:" xmlns:A="urn:ietf:params:xml:ns:carddav">'
    b"<D:set><D:prop><D:resourcetype><D:collection/><A:addressbook/></D:resourcetype>"
    b"<D:displayname>%s</D:displayname></D:prop></D:set></D:mkcol>"
)
LISTING = (
    b'<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>'
)


def request(
    url: str,
    method: str,
    body: bytes | None = None,
    user: str = "alice",
    password: str = "alicepw",
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, method=method)
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    req.add_header("Authorization", f"Basic {token}")
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, timeout=120) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def make_collection(base: str, path: str, name: str, kind: str = "calendar", **auth) -> str:
    url = urljoin(base, path)
    body = (MKCALENDAR if kind == "calendar" else MKCOL_BOOK) % name.encode()
    method = "MKCALENDAR" if kind == "calendar" else "MKCOL"
    status, text = request(url, method, body, headers={"Content-Type": "application/xml"}, **auth)
    assert status in (201, 200), (status, text[:300])
    return url


def put(url: str, data: bytes, content_type: str = "text/calendar", **auth) -> int:
    status, _ = request(
        url, "PUT", data, headers={"Content-Type": content_type, "If-None-Match": "*"}, **auth
    )
    return status


def listing(collection_url: str, **auth) -> dict[str, str]:
    """href -> etag of every resource in a collection (PROPFIND Depth 1)."""
    status, text = request(
        collection_url, "PROPFIND", LISTING,
        headers={"Depth": "1", "Content-Type": "application/xml"}, **auth,
    )  # fmt: skip
    assert status == 207, status
    out = {}
    for block in re.findall(rb"<(?:\w+:)?response\b.*?</(?:\w+:)?response>", text, re.S):
        href = re.search(rb"<(?:\w+:)?href>([^<]*)</", block).group(1).decode()
        etag = re.search(rb"<(?:\w+:)?getetag>([^<]*)</", block)
        if etag and not href.endswith("/"):
            out[href] = etag.group(1).decode().replace("&quot;", '"')
    return out
