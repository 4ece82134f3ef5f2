"""Which source collections a job copies, and where each one goes in the destination.

Order of preference for a target: the collection this job used before; the one the user named
(by name or href, created if absent); the destination's default collection when the job asks
for the "default collection" rule and the source collection is the default one; an existing
collection with the same name and kind; else a new collection with the source's properties.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import unquote

from davtui.engine.errors import EngineError
from davtui.engine.storages.contract import ADDRESSBOOK, CALENDAR, Collection

#: Last path segments / names that mark a server's default collection.
DEFAULT_NAMES = {
    CALENDAR: ("personal", "calendar", "default", "home"),
    ADDRESSBOOK: ("personal", "contacts", "addressbook", "default"),
}


class MappingError(EngineError):
    """The job names a collection that does not exist; a configuration error."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class Choice:
    """A user's choice for one source collection: `target` a name or href, or None."""

    source: str
    target: str | None = None


@dataclass(frozen=True, slots=True)
class Pair:
    """One source collection and its destination: an existing one, or a name to create."""

    source: Collection
    target: Collection | None
    create_name: str | None = None


def kinds_for(what: str) -> tuple[str, ...]:
    return {"calendars": (CALENDAR,), "contacts": (ADDRESSBOOK,)}.get(what, (CALENDAR, ADDRESSBOOK))


def _segment(href: str) -> str:
    return unquote(href.rstrip("/").rsplit("/", 1)[-1])


def _same_href(a: str, b: str) -> bool:
    return unquote(a).rstrip("/") == unquote(b).rstrip("/")


def find(collections: Sequence[Collection], key: str, kind: str | None = None) -> Collection | None:
    """A collection by href, path segment or display name (case-insensitive), of `kind`."""
    pool = [c for c in collections if kind is None or c.kind == kind]
    tests: tuple[Callable[[Collection], bool], ...] = (
        lambda c: _same_href(c.href, key),
        lambda c: _segment(c.href) == key,
        lambda c: c.name == key,
        lambda c: (
            c.name.casefold() == key.casefold() or _segment(c.href).casefold() == key.casefold()
        ),
    )
    for test in tests:
        hits = [c for c in pool if test(c)]
        if hits:
            return hits[0]
    return None


def is_default(collection: Collection) -> bool:
    names = DEFAULT_NAMES[collection.kind]
    return _segment(collection.href).casefold() in names or collection.name.casefold() in names


def default_of(collections: Sequence[Collection], kind: str) -> Collection | None:
    """The destination's default collection of `kind` (SOGo `personal`, ...)."""
    for name in DEFAULT_NAMES[kind]:
        for c in collections:
            if c.kind == kind and _segment(c.href).casefold() == name:
                return c
    return None


def select(
    sources: Sequence[Collection], choices: Sequence[Choice]
) -> list[tuple[Collection, Choice]]:
    """The source collections to copy: those chosen, or all when there is no choice."""
    if not choices:
        return [(c, Choice(c.href)) for c in sources]
    picked = []
    for choice in choices:
        found = find(sources, choice.source)
        if found is None:
            names = ", ".join(sorted(c.name for c in sources)) or "none"
            raise MappingError(f"The source has no collection '{choice.source}' (it has: {names}).")
        picked.append((found, choice))
    return picked


def plan_targets(
    sources: Sequence[Collection],
    destinations: Sequence[Collection],
    choices: Sequence[Choice],
    remembered: dict[str, str],
    default_rule: bool = False,
    rename: dict[str, str] | None = None,
) -> list[Pair]:
    """Pair every selected source collection with its destination (see module docstring);
    `rename` maps source names to destination names for collections without a choice."""
    pairs = []
    for source, choice in select(sources, choices):
        same_kind = [d for d in destinations if d.kind == source.kind]
        previous = remembered.get(source.href)
        target = find(same_kind, previous) if previous else None
        wanted = choice.target or (rename or {}).get(source.name)
        name = wanted or source.name
        if target is None and wanted:
            target = find(same_kind, wanted)
        if target is None and default_rule and not wanted and is_default(source):
            target = default_of(same_kind, source.kind)
        if target is None and not wanted:
            target = find(same_kind, source.name)
        pairs.append(Pair(source, target, None if target else name))
    return pairs
