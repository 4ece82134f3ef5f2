"""WebDAV, CalDAV and CardDAV XML: request bodies and a streaming multistatus parser.

Bodies are built with caldav's element classes; the CardDAV ones (caldav has none) and the
few extra properties are declared here the same way. Multistatus answers are parsed with an
lxml pull parser fed chunk by chunk, each `<response>` dropped once yielded, so memory stays
flat however many items a listing holds.

An answer is untrusted: a document type declaration is refused before the parser sees it (no
DAV server sends one; it is what entity expansion and external entities need), entities are
never resolved, nothing is loaded from the network, libxml2 keeps its limits (huge_tree off:
a text over 10 MB, an item that large, fails here and is read by GET instead), and what the
parser may hold at once, the `<response>` being read, is bounded in bytes and in markup.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import ClassVar, NamedTuple
from urllib.parse import quote, unquote, urlsplit

from caldav.elements import cdav, dav
from caldav.elements.base import BaseElement
from lxml import etree

from davtui.engine.errors import BadResponse

DAV = "DAV:"
CALDAV = "urn:ietf:params:xml:ns:caldav"
CARDDAV = "urn:ietf:params:xml:ns:carddav"
APPLE = "http://apple.com/ns/ical/"
CS = "http://calendarserver.org/ns/"


#: The most one `<response>` (or what stands between two) may take: bytes, and tags and
#: attributes (an element costs lxml ~130 bytes, an attribute ~250: 100 000 stay under 25 MB).
MAX_RESPONSE_BYTES = 32 * 2**20
MAX_RESPONSE_MARKUP = 100_000
#: The parser is fed at most this much at once, so a bound is checked before it is passed.
FEED = 65536
#: Where the root element must have begun, or the answer is refused.
MAX_PROLOG = 65536
#: Non-response children of a multistatus kept for `tail` (a sync token), and their length.
MAX_TAIL, MAX_TAIL_TEXT = 16, 4096


#: How much of an error answer's own words a message repeats.
MAX_SAID = 160


def clark(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


HREF = clark(DAV, "href")
RESPONSE = clark(DAV, "response")
RESOURCETYPE = clark(DAV, "resourcetype")
DISPLAYNAME = clark(DAV, "displayname")
GETETAG = clark(DAV, "getetag")
GETCONTENTTYPE = clark(DAV, "getcontenttype")
SYNC_TOKEN = clark(DAV, "sync-token")
CURRENT_USER_PRINCIPAL = clark(DAV, "current-user-principal")
COLLECTION = clark(DAV, "collection")
CALENDAR = clark(CALDAV, "calendar")
CALENDAR_HOME_SET = clark(CALDAV, "calendar-home-set")
CALENDAR_DATA = clark(CALDAV, "calendar-data")
CALENDAR_DESCRIPTION = clark(CALDAV, "calendar-description")
CALENDAR_TIMEZONE = clark(CALDAV, "calendar-timezone")
COMPONENTS = clark(CALDAV, "supported-calendar-component-set")
CALENDAR_COLOR = clark(APPLE, "calendar-color")
GETCTAG = clark(CS, "getctag")
ADDRESSBOOK = clark(CARDDAV, "addressbook")
ADDRESSBOOK_HOME_SET = clark(CARDDAV, "addressbook-home-set")
ADDRESS_DATA = clark(CARDDAV, "address-data")
ADDRESSBOOK_DESCRIPTION = clark(CARDDAV, "addressbook-description")

#: What `collections()` asks of every child of a home.
COLLECTION_PROPS = (
    RESOURCETYPE,
    DISPLAYNAME,
    CALENDAR_COLOR,
    CALENDAR_DESCRIPTION,
    ADDRESSBOOK_DESCRIPTION,
    CALENDAR_TIMEZONE,
    COMPONENTS,
    GETCTAG,
    SYNC_TOKEN,
)
#: What a listing asks of every item: no content.
LIST_PROPS = (RESOURCETYPE, GETETAG, GETCONTENTTYPE)
#: What a sync-collection report asks of every changed item.
CHANGE_PROPS = (GETETAG,)
#: What discovery asks of a URL.
PRINCIPAL_PROPS = (CURRENT_USER_PRINCIPAL, CALENDAR_HOME_SET, ADDRESSBOOK_HOME_SET, RESOURCETYPE)


class Prop(BaseElement):
    """Any property by its Clark name, empty or with a text value."""

    def __init__(self, tag: str, value: str | None = None) -> None:
        super().__init__(value=value)
        self.tag = tag  # type: ignore[misc]  # per instance: the property's own name


class AddressbookMultiget(BaseElement):
    tag: ClassVar[str] = clark(CARDDAV, "addressbook-multiget")


class PropValue(NamedTuple):
    """One property to set: its name and value (text, or child elements)."""

    tag: str
    value: str | Sequence[BaseElement]


def _xml(element: BaseElement) -> bytes:
    return etree.tostring(element.xmlelement(), encoding="utf-8", xml_declaration=True)


def _nest(parent: BaseElement, children: Iterable[BaseElement]) -> BaseElement:
    """`parent` with `children` appended. caldav annotates `append` as taking the parent's own
    class (`Self`); seen as a plain BaseElement, any element may be a child, as in XML."""
    return parent.append(list(children))


def _prop(tags: Iterable[str]) -> BaseElement:
    return _nest(dav.Prop(), [Prop(tag) for tag in tags])


def propfind(tags: Iterable[str]) -> bytes:
    """PROPFIND asking for exactly `tags` (never allprop: some servers then send content)."""
    return _xml(_nest(dav.Propfind(), [_prop(tags)]))


def sync_collection(token: str) -> bytes:
    """sync-collection REPORT (RFC 6578) of the members changed since `token`."""
    return _xml(
        _nest(
            dav.SyncCollection(),
            [dav.SyncToken(value=token), dav.SyncLevel(value="1"), _prop(CHANGE_PROPS)],
        )
    )


def multiget(kind: str, hrefs: Iterable[str]) -> bytes:
    """calendar-multiget or addressbook-multiget (kind "calendar"/"addressbook") of `hrefs`."""
    root: BaseElement
    if kind == "calendar":
        root, data = cdav.CalendarMultiGet(), CALENDAR_DATA
    else:
        root, data = AddressbookMultiget(), ADDRESS_DATA
    return _xml(_nest(root, [_prop((GETETAG, data)), *(dav.Href(value=h) for h in hrefs)]))


def _set(props: Iterable[PropValue]) -> BaseElement:
    values: list[BaseElement] = []
    for tag, value in props:
        element = Prop(tag, value if isinstance(value, str) else None)
        if not isinstance(value, str):
            _nest(element, value)
        values.append(element)
    return _nest(dav.Set(), [_nest(dav.Prop(), values)])


def mkcalendar(props: Iterable[PropValue]) -> bytes:
    """MKCALENDAR body setting `props` in the same request (RFC 4791 5.3.1)."""
    return _xml(_nest(cdav.Mkcalendar(), [_set(props)]))


def extended_mkcol(resourcetype: Sequence[str], props: Iterable[PropValue]) -> bytes:
    """Extended MKCOL body (RFC 5689): the resource type and `props` in one request."""
    kinds = PropValue(RESOURCETYPE, [Prop(t) for t in resourcetype])
    return _xml(_nest(dav.Mkcol(), [_set([kinds, *props])]))


def proppatch(props: Iterable[PropValue]) -> bytes:
    return _xml(_nest(dav.PropertyUpdate(), [_set(props)]))


def components(names: Iterable[str]) -> PropValue:
    return PropValue(COMPONENTS, [cdav.Comp(name) for name in names])


# -- parsing ---------------------------------------------------------------------------------


class DavResponse(NamedTuple):
    """One `<response>`: its href as a canonical path, its status and its 2xx properties.

    A property value is its text, or a tuple: hrefs, component names, or child tags."""

    href: str
    status: int
    props: dict[str, str | tuple[str, ...]]


_SEGMENT_SAFE = "@:+!$&'()*,;=~-._"


def canonical_href(href: str) -> str:
    """The path of an href, percent-encoded one way: absolute URLs, raw spaces and different
    encodings of the same path (SOGo's %40, Zimbra's unencoded characters) compare equal."""
    path = urlsplit(href.strip()).path if "://" in href else href.strip()
    return "/".join(quote(unquote(segment), safe=_SEGMENT_SAFE) for segment in path.split("/"))


def _status(text: str | None) -> int:
    try:
        return int((text or "").split()[1])
    except (IndexError, ValueError):
        return 0


def _value(element: etree._Element) -> str | tuple[str, ...]:
    children = [(c.tag, c) for c in element if isinstance(c.tag, str)]  # no comments
    if not children:
        return element.text or ""
    if children[0][0] == HREF:
        return tuple((c.text or "").strip() for tag, c in children if tag == HREF)
    if children[0][1].get("name") is not None:
        return tuple(c.get("name", "") for _tag, c in children)
    return tuple(tag for tag, _c in children)


def _response(element: etree._Element) -> DavResponse:
    href = element.findtext(HREF) or ""
    status = _status(element.findtext(clark(DAV, "status")))
    props: dict[str, str | tuple[str, ...]] = {}
    propstat_statuses: list[int] = []
    for propstat in element.iterfind(clark(DAV, "propstat")):
        code = _status(propstat.findtext(clark(DAV, "status")))
        propstat_statuses.append(code)
        if 200 <= code < 300:
            for prop in propstat.iterfind(clark(DAV, "prop") + "/*"):
                if isinstance(prop.tag, str):  # "*" finds elements only: always true
                    props[prop.tag] = _value(prop)
    if not status:
        ok = [c for c in propstat_statuses if 200 <= c < 300]
        status = ok[0] if ok else (propstat_statuses[0] if propstat_statuses else 200)
    return DavResponse(canonical_href(href), status, props)


def iter_multistatus(
    chunks: Iterable[bytes], tail: dict[str, str] | None = None
) -> Iterator[DavResponse]:
    """Each `<response>` of a multistatus body given in chunks, as soon as it is complete;
    `tail` receives the text of the multistatus's other children (a sync report's token)."""
    parser = etree.XMLPullParser(
        events=("end",),
        tag=RESPONSE,
        huge_tree=False,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
    )
    guard = _Guard()
    try:
        for chunk in chunks:
            for start in range(0, len(chunk), FEED):
                piece = chunk[start : start + FEED]
                guard.take(piece)
                parser.feed(piece)
                for response in _drain(parser, tail):
                    guard.restart()
                    yield response
        root = parser.close()
        yield from _drain(parser, tail)
    except etree.XMLSyntaxError as exc:
        limit = str(exc).partition("Resource limit exceeded: ")[2].split(",")[0]
        if limit:  # libxml2's own bounds: a text over 10 MB, nesting over 256 levels...
            raise BadResponse(
                f"The server sent XML past a parser limit ({limit}); refused."
            ) from None
        raise BadResponse(f"The server sent malformed XML ({exc}).") from None
    if root.tag != clark(DAV, "multistatus"):
        raise BadResponse(f"The server sent {root.tag!s} where a DAV multistatus was expected.")
    if tail is not None:
        tail.update((c.tag, (c.text or "").strip()) for c in root if isinstance(c.tag, str))


def _drain(parser: etree.XMLPullParser, tail: dict[str, str] | None) -> Iterator[DavResponse]:
    for _event, element in parser.read_events():
        yield _response(element)
        element.clear()
        parent = element.getparent()  # what was read so far goes; a sync token into `tail`
        while parent is not None and (done := element.getprevious()) is not None:
            kept = tail is not None and (len(tail) < MAX_TAIL or done.tag in tail)
            if kept and done.tag != RESPONSE and isinstance(done.tag, str):
                tail[done.tag] = (done.text or "").strip()[:MAX_TAIL_TEXT]  # type: ignore[index]
            parent.remove(done)


class _Guard:
    """What the parser holds, bounded: a hostile server may send one `<response>` (or junk
    between two) that never ends, or a document type declaration with entities to expand."""

    def __init__(self) -> None:
        self.head: bytes | None = b""  # the bytes before the root element, until it begins
        self.size = self.markup = 0
        self.piece = (0, 0)

    def take(self, piece: bytes) -> None:
        """Count `piece` (not fed yet) into what the parser holds; refuse past a bound."""
        if self.head is not None:
            self._prolog(piece)
        self.piece = len(piece), piece.count(b"<") + piece.count(b"=")
        self.size += self.piece[0]
        self.markup += self.piece[1]
        if self.size > MAX_RESPONSE_BYTES or self.markup > MAX_RESPONSE_MARKUP:
            raise BadResponse(
                f"The server sent one DAV response of more than {MAX_RESPONSE_BYTES >> 20} MB "
                f"or {MAX_RESPONSE_MARKUP} tags; refused."
            )

    def restart(self) -> None:
        """A response was completed (and dropped): only the piece it ended in is held."""
        self.size, self.markup = self.piece

    def _prolog(self, piece: bytes) -> None:
        assert self.head is not None
        self.head += piece
        rest = _after_prolog(self.head)
        if rest.startswith("<!DOCTYPE"):
            raise BadResponse("The server sent a document type declaration (DTD); refused.")
        if "\x00" in rest[:2]:
            raise BadResponse("The server sent XML in an encoding no DAV server uses; refused.")
        undecided = not rest or "<!DOCTYPE".startswith(rest) or rest.startswith(("<?", "<!--"))
        if not undecided:
            self.head = None  # the root element begins: libxml2 reads on
        elif len(self.head) > MAX_PROLOG:
            raise BadResponse("The server sent no XML element in its answer's first 64 KB.")


_PROLOG = re.compile(r"(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.S)


def _after_prolog(head: bytes) -> str:
    """What follows the XML declaration, comments and blanks at the start of `head`."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in head[:2]:
        big = head.startswith(codecs.BOM_UTF16_BE) or head[:1] == b"\x00"
        text = head.decode("utf-16-be" if big else "utf-16-le", errors="replace")
    else:
        text = head.decode("latin-1")
    text = text.removeprefix("\ufeff").removeprefix("\xef\xbb\xbf")
    return text[_PROLOG.match(text).end() :]  # type: ignore[union-attr]


def server_says(body: bytes) -> str | None:
    """What an error answer tells, in a few words: the precondition a DAV `<error>` names
    (RFC 4918 §16: `valid-calendar-data`, `no-uid-conflict`…) and its description, or the
    first line of a short plain-text body. None for an empty body or an HTML page."""
    if _after_prolog(body[:MAX_PROLOG]).startswith("<"):
        return _error_element(body)
    text = body[: MAX_SAID * 2].decode("utf-8", "replace").strip()
    first = " ".join(text.splitlines()[0].split()) if text else ""
    return first[:MAX_SAID] or None


def _error_element(body: bytes) -> str | None:
    if _after_prolog(body[:MAX_PROLOG]).startswith("<!"):
        return None  # a DTD (or an HTML doctype): nothing we parse
    parser = etree.XMLParser(
        huge_tree=False, resolve_entities=False, no_network=True, load_dtd=False
    )
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError:
        return None
    if root.tag != clark(DAV, "error"):
        return None
    names, description = [], ""
    for child in root:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        if name == "responsedescription":
            description = " ".join((child.text or "").split())
        else:
            names.append(name)
    said = ", ".join(names) + (f" ({description})" if names and description else description)
    return said[:MAX_SAID] or None


def item_bytes(text: str) -> bytes:
    """Item content from XML text: the parser turned CRLF into LF; iCalendar and vCard want
    CRLF back."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")
