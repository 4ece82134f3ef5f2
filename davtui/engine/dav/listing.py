"""A DAV listing (PROPFIND Depth 1) or sync report (RFC 6578) read into what a plan needs,
and whether the server answered it whole.

A mirror deletes what a listing leaves out, so a listing that only looks whole is the one
dangerous answer: an entry with an error status, a 507 (RFC 4918: a Depth 1 answer the server
truncated) or a body cut off or broken makes it incomplete, and the reason travels with it
(`Listing`, `Changes`) to the plan, which then adds and updates but deletes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from davtui.engine import errors
from davtui.engine.dav import davxml
from davtui.engine.storages.contract import Changes, Listing, Ref, failed_entries


@dataclass(slots=True)
class Trouble:
    """What kept a listing from being whole: entries by error status, and a 507."""

    failed: Counter[int] = field(default_factory=Counter)
    truncated: bool = False


def members(
    responses: Iterable[davxml.DavResponse],
    own: str,
    href_of: Callable[[str], str],
    trouble: Trouble,
) -> Iterator[Ref]:
    """The items of a Depth 1 PROPFIND on the collection `own` (canonical href); the entries
    it could not list go to `trouble` (an entry answered 404 is gone, not trouble)."""
    seen: set[str] = set()
    for response in responses:
        if response.href == own:
            trouble.truncated |= response.status == 507
            continue
        if response.href in seen or response.status == 404:
            continue
        if not 200 <= response.status < 300:
            trouble.failed[response.status] += 1
            continue
        if davxml.COLLECTION in response.props.get(davxml.RESOURCETYPE, ()):
            continue
        seen.add(response.href)  # Zimbra lists some hrefs twice
        etag = response.props.get(davxml.GETETAG)
        ctype = response.props.get(davxml.GETCONTENTTYPE)
        yield Ref(
            href_of(response.href),
            etag.strip() if isinstance(etag, str) and etag.strip() else None,
            ctype.strip() if isinstance(ctype, str) else None,
        )


def listing(refs: Callable[[Trouble], Iterable[Ref]], host: str) -> Listing:
    """The listing `refs` streams, incomplete instead of raising when the server answered it
    only in part; the entries read are kept (they may still be added and updated)."""
    trouble = Trouble()
    etags: dict[str, str | None] = {}
    try:
        for ref in refs(trouble):
            etags[ref.href] = ref.etag
    except errors.BadResponse as exc:  # cut off, malformed, or not a multistatus at all
        return Listing(etags, False, f"the answer could not be read: {str(exc).rstrip('.')}")
    except errors.ServerError as exc:
        if exc.status != 507:
            raise
        trouble.truncated = True
    if trouble.truncated:
        return Listing(etags, False, f"{host} answered 507: it was truncated")
    if trouble.failed:
        return Listing(etags, False, failed_entries(trouble.failed, len(etags)))
    return Listing(etags)


def changes(
    responses: Iterable[davxml.DavResponse],
    own: str,
    href_of: Callable[[str], str],
    tail: dict[str, str],
) -> Changes | None:
    """A sync-collection answer as `Changes`; None when the server truncated it (507 on the
    collection): the caller lists the collection whole. Entries with an error status (neither
    changed nor removed: unknown) make it incomplete."""
    changed: dict[str, str | None] = {}
    deleted: set[str] = set()
    failed: Counter[int] = Counter()
    for response in responses:
        if response.href == own:
            if response.status == 507:
                return None
            continue
        href = href_of(response.href)
        if response.status == 404:
            deleted.add(href)
        elif not 200 <= response.status < 300:
            failed[response.status] += 1
        else:
            etag = response.props.get(davxml.GETETAG)
            changed[href] = etag.strip() if isinstance(etag, str) and etag.strip() else None
    token = tail.get(davxml.SYNC_TOKEN) or None
    if failed:
        reason = failed_entries(failed, len(changed) + len(deleted))
        return Changes(token, changed, frozenset(deleted), complete=False, reason=reason)
    return Changes(token, changed, frozenset(deleted))
