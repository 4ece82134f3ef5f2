"""What a new collection should carry, as DAV properties, and what a server did not keep.

Servers differ in what they accept at creation (SOGo drops a colour, some drop a timezone):
the engine creates with every property at once, reads the collection back and reports the
properties that did not stick.
"""

from __future__ import annotations

import re
import unicodedata

from davtui.engine import davxml
from davtui.engine.storage import CALENDAR, Collection


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
