"""A collection's DAV properties: read from a PROPFIND answer, what a new collection should
carry, and what a server did not keep.

Servers differ in what they accept at creation (SOGo drops a colour, some drop a timezone):
the engine creates with every property at once, reads the collection back and reports the
properties that did not stick.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from email.utils import parsedate_to_datetime
from urllib.parse import unquote

from davtui.engine.dav import davxml
from davtui.engine.storages.contract import ADDRESSBOOK, CALENDAR, Collection


def from_response(response: davxml.DavResponse, href: str) -> Collection | None:
    """The calendar or address book `response` describes (at `href`, as the storage hands
    hrefs out), or None for anything else in a home."""
    types = response.props.get(davxml.RESOURCETYPE, ())
    kind = (
        CALENDAR
        if davxml.CALENDAR in types
        else ADDRESSBOOK
        if davxml.ADDRESSBOOK in types
        else None
    )
    if kind is None:
        return None
    props = {k: v for k, v in response.props.items() if isinstance(v, str)}
    name = props.get(davxml.DISPLAYNAME, "").strip() or unquote(href.rstrip("/").rsplit("/")[-1])
    description = props.get(
        davxml.CALENDAR_DESCRIPTION if kind == CALENDAR else davxml.ADDRESSBOOK_DESCRIPTION
    )
    comps = response.props.get(davxml.COMPONENTS, ())
    return Collection(
        href=href,
        kind=kind,
        name=name,
        color=props.get(davxml.CALENDAR_COLOR, "").strip() or None,
        description=description.strip() if description else None,
        timezone=props.get(davxml.CALENDAR_TIMEZONE) or None,
        components=tuple(comps) if isinstance(comps, tuple) else (),
        ctag=props.get(davxml.GETCTAG, "").strip() or None,
        sync_token=props.get(davxml.SYNC_TOKEN, "").strip() or None,
    )


def settled(collection: Collection, answered: str | None) -> Collection:
    """`collection` as read by an answer dated `answered` (its HTTP `Date`), where the sync
    token and ctag are the second of the last change (SOGo): read within 2 s of that second,
    they are no version yet (None, so the collection is listed next time).

    SOGo 5.8 (measured): both are the epoch second of the collection's last write, and a
    write later in that second leaves them as they are. A pass that stored the version it
    read in that second took the collection for unchanged on the next pass and missed
    what a person changed just after it (a deletion, found only once something else moved
    the token). The margin covers an answer that took up to a second to go out."""
    try:
        now = parsedate_to_datetime(answered).timestamp() if answered else None
    except (TypeError, ValueError):
        now = None
    marks = [v for v in (collection.sync_token, collection.ctag) if v and v.isdigit()]
    if not marks or (now is not None and all(int(v) + 2 <= now for v in marks)):
        return collection
    return replace(collection, sync_token=None, ctag=None)


def props_for(template: Collection, name: str) -> list[davxml.PropValue]:
    """The properties a new collection like `template` called `name` should carry."""
    props = [davxml.PropValue(davxml.DISPLAYNAME, name)]
    if template.kind == CALENDAR:
        for tag, value in (
            (davxml.CALENDAR_COLOR, template.color),
            (davxml.CALENDAR_DESCRIPTION, template.description),
            (davxml.CALENDAR_TIMEZONE, template.timezone),
        ):
            if value:
                props.append(davxml.PropValue(tag, value))
        if template.components:
            props.append(davxml.components(template.components))
    elif template.description:
        props.append(davxml.PropValue(davxml.ADDRESSBOOK_DESCRIPTION, template.description))
    return props


def not_kept(template: Collection, name: str, made: Collection) -> list[str]:
    """The properties of `template` the server dropped or changed."""
    lost = []
    if made.name != name:
        lost.append("name")
    if template.color and (made.color or "").upper()[:7] != template.color.upper()[:7]:
        lost.append("color")
    if template.description and made.description != template.description.strip():
        lost.append("description")
    if template.kind == CALENDAR and template.timezone and not made.timezone:
        lost.append("timezone")
    components = set(template.components) if template.kind == CALENDAR else set()
    if components and made.components and set(made.components) != components:
        lost.append("components")
    return lost


def slugify(name: str) -> str:
    """A safe path segment from a display name: ASCII letters, digits and dashes."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60] or "collection"
