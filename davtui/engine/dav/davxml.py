"""WebDAV, CalDAV and CardDAV XML: request bodies and a streaming multistatus parser.

Bodies are built with caldav's element classes; the CardDAV ones (caldav has none) and the
few extra properties are declared here the same way. Multistatus answers are parsed with an
lxml pull parser fed chunk by chunk, each `<response>` dropped once yielded, so memory stays
flat however many items a listing holds.
"""

from __future__ import annotations

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


def _prop(tags: Iterable[str]) -> BaseElement:
    return dav.Prop().append([Prop(tag) for tag in tags])


def propfind(tags: Iterable[str]) -> bytes:
    """PROPFIND asking for exactly `tags` (never allprop: some servers then send content)."""
    return _xml(dav.Propfind().append(_prop(tags)))


def sync_collection(token: str) -> bytes:
    """sync-collection REPORT (RFC 6578) of the members changed since `token`."""
    return _xml(
        dav.SyncCollection().append(
            [dav.SyncToken(value=token), dav.SyncLevel(value="1"), _prop(CHANGE_PROPS)]
        )
    )


def multiget(kind: str, hrefs: Iterable[str]) -> bytes:
    """calendar-multiget or addressbook-multiget (kind "calendar"/"addressbook") of `hrefs`."""
    if kind == "calendar":
        root, data = cdav.CalendarMultiGet(), CALENDAR_DATA
    else:
        root, data = AddressbookMultiget(), ADDRESS_DATA
    return _xml(root.append([_prop((GETETAG, data)), *(dav.Href(value=h) for h in hrefs)]))


def _set(props: Iterable[PropValue]) -> BaseElement:
    values: list[BaseElement] = []
    for tag, value in props:
        element = Prop(tag, value if isinstance(value, str) else None)
        if not isinstance(value, str):
            element.append(list(value))
        values.append(element)
    return dav.Set().append(dav.Prop().append(values))


def mkcalendar(props: Iterable[PropValue]) -> bytes:
    """MKCALENDAR body setting `props` in the same request (RFC 4791 5.3.1)."""
    return _xml(cdav.Mkcalendar().append(_set(props)))


def extended_mkcol(resourcetype: Sequence[str], props: Iterable[PropValue]) -> bytes:
    """Extended MKCOL body (RFC 5689): the resource type and `props` in one request."""
    kinds = PropValue(RESOURCETYPE, [Prop(t) for t in resourcetype])
    return _xml(dav.Mkcol().append(_set([kinds, *props])))


def proppatch(props: Iterable[PropValue]) -> bytes:
    return _xml(dav.PropertyUpdate().append(_set(props)))


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
    children = [c for c in element if isinstance(c.tag, str)]
    if not children:
        return element.text or ""
    if children[0].tag == HREF:
        return tuple((c.text or "").strip() for c in children if c.tag == HREF)
    if children[0].get("name") is not None:
        return tuple(c.get("name", "") for c in children)
    return tuple(c.tag for c in children)


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
        huge_tree=True,
        resolve_entities=False,
        no_network=True,
    )
    try:
        for chunk in chunks:
            parser.feed(chunk)
            yield from _drain(parser)
        root = parser.close()
        yield from _drain(parser)
    except etree.XMLSyntaxError as exc:
        raise BadResponse(f"The server sent malformed XML ({exc}).") from None
    if root.tag != clark(DAV, "multistatus"):
        raise BadResponse(f"The server sent {root.tag} where a DAV multistatus was expected.")
    if tail is not None:
        tail.update((c.tag, (c.text or "").strip()) for c in root if isinstance(c.tag, str))


def _drain(parser: etree.XMLPullParser) -> Iterator[DavResponse]:
    for _event, element in parser.read_events():
        yield _response(element)
        element.clear()
        parent = element.getparent()  # the responses read so far go; a sync token stays
        while parent is not None and (done := element.getprevious()) is not None:
            if done.tag != RESPONSE:
                break
            parent.remove(done)


def item_bytes(text: str) -> bytes:
    """Item content from XML text: the parser turned CRLF into LF; iCalendar and vCard want
    CRLF back."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")
