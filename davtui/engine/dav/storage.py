"""A CalDAV/CardDAV account as a `WritableStorage`: collections, listings, batched fetches,
conditional writes and new collections, all through one `Transport`.

Hrefs handed out are canonical paths (`davxml.canonical_href`), or absolute URLs when a home
lives on another host than the account (iCloud), so they compare equal however a server
spells them. An href in an answer keeps only its path (on the origin of what was asked), so
no listing can point a request, and the login, at another host.
"""

from __future__ import annotations

import builtins
import logging
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import partial
from urllib.parse import urlsplit

from davtui.engine import errors, events
from davtui.engine.dav import davxml
from davtui.engine.dav import listing as davlisting
from davtui.engine.dav.discovery import Discovery, discover
from davtui.engine.dav.failures import ExistsAfterRetry, PreconditionAfterRetry
from davtui.engine.dav.properties import from_response, not_kept, props_for, settled, slugify
from davtui.engine.dav.transport import Transport
from davtui.engine.items.scan import resource_name
from davtui.engine.storages.contract import (
    ADDRESSBOOK,
    CALENDAR,
    AccountSpec,
    Changes,
    Collection,
    CreatedCollection,
    Fetched,
    Listing,
    Ref,
    WritableStorage,
)

log = logging.getLogger(__name__)

XML = "application/xml; charset=utf-8"
CONTENT_TYPES = {CALENDAR: "text/calendar; charset=utf-8", ADDRESSBOOK: "text/vcard; charset=utf-8"}
#: Failures after which a multiget batch is split in two and tried again.
SHRINK_ON = (errors.ServerError, errors.Throttled, errors.Unreachable, errors.BadResponse)
FIRST_BATCH = 100
#: Writes kept in flight per server (measured, see bench/RESULTS.md): SOGo takes parallel
#: writes (3 workers; 16 in flight saturate it over a 40 ms link), Radicale writes one at a
#: time (a few in flight hide the link), Xandikos locks the collection (423 to the rest).
#: Any other server: 8.
WRITE_CONCURRENCY = {"sogo": 16, "radicale": 4, "xandikos": 2}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _same(canonical: str, href: str) -> str:
    """`href` itself when it is already canonical: one string in memory instead of two."""
    return href if canonical == href else canonical


class DavStorage(WritableStorage):
    """One DAV account. Thread-safe: requests go through the account's Transport."""

    def __init__(
        self,
        spec: AccountSpec,
        listener: events.Listener = events.ignore,
        discovery: Discovery | None = None,
    ) -> None:
        self.spec = spec
        self.listener = listener
        #: True while the discovery is one an earlier run stored, not yet seen to work
        self.reused = discovery is not None
        self._adopt(discovery or self._discover())
        #: The multiget batch size that last worked: it shrinks on errors, for later calls too.
        self.batch_size = FIRST_BATCH

    def _discover(self) -> Discovery:
        self.discovered = discover(self.spec, self.listener)
        return self.discovered

    def _adopt(self, discovery: Discovery) -> None:
        """Use what discovery found: the server's base URL, and its known quirks."""
        spec = self.spec
        self.discovery = discovery
        self.transport = Transport(spec, self.listener, base_url=discovery.base_url)
        self.ignores_if_none_match = discovery.server == "sogo"
        self.schedules_on_write = discovery.server == "sogo"
        self.write_concurrency = min(
            spec.max_connections, WRITE_CONCURRENCY.get(discovery.server or "", 8)
        )
        self.mounts_shared_collections = discovery.server == "zimbra" or spec.preset in (
            "zimbra",
            "carbonio",
        )
        #: SOGo also deletes whatever `If-Match` says: the ETag is compared here first.
        self.ignores_if_match_on_delete = discovery.server == "sogo"
        self.locks_collection_on_write = discovery.server == "xandikos"
        #: SOGo's sync tokens are timestamps in seconds: an edit in the second after a
        #: report would never be reported, so its collections are listed instead.
        self.exact_sync_tokens = discovery.server != "sogo"

    # -- helpers ---------------------------------------------------------------------------

    def _href(self, base: str, href: str) -> str:
        """`href` from an answer about `base`, as this storage hands hrefs out."""
        path = davxml.canonical_href(href)
        if "://" in base and _origin(base) != _origin(self.discovery.base_url):
            return _origin(base) + path
        return path

    def _stream(
        self,
        method: str,
        url: str,
        body: bytes,
        depth: str | None = None,
        tail: dict[str, str] | None = None,
        answered: dict[str, str] | None = None,
    ) -> Iterator[davxml.DavResponse]:
        """The multistatus answer to `method` on `url`, response by response (`tail`: see
        `davxml.iter_multistatus`; `answered` gets the answer's `Date` header)."""
        headers = {"Content-Type": XML, **({"Depth": depth} if depth is not None else {})}
        with self.transport.request(method, url, body=body, headers=headers, stream=True) as r:
            if answered is not None:
                answered["date"] = r.headers.get("Date") or ""
            if r.status != 207 or "xml" not in r.content_type:
                raise errors.BadResponse(
                    f"{self.transport.host} answered {method} {urlsplit(url).path} with "
                    f"{r.status} {r.content_type or 'no content type'}, not a DAV multistatus."
                )
            yield from davxml.iter_multistatus(r.iter_bytes(), tail)

    def _homes(self, kinds: Iterable[str]) -> list[str]:
        wanted = set(kinds)
        homes = [
            home
            for kind, home in (
                (CALENDAR, self.discovery.calendar_home),
                (ADDRESSBOOK, self.discovery.addressbook_home),
            )
            if kind in wanted and home
        ]
        return list(dict.fromkeys(homes))

    # -- reading ---------------------------------------------------------------------------

    def collections(self, kinds: Iterable[str] = (CALENDAR, ADDRESSBOOK)) -> list[Collection]:
        kinds = tuple(kinds)
        if self.reused:  # the first request over a stored discovery: discover anew if it fails
            try:
                found = self._collections(kinds)
            except (errors.NotFound, errors.Forbidden, errors.BadResponse, errors.ServerError):
                self.transport.close()
                self._adopt(self._discover())
                found = self._collections(kinds)
            self.reused = False
            return found
        return self._collections(kinds)

    def _collections(self, kinds: tuple[str, ...]) -> list[Collection]:
        props: tuple[str, ...] = davxml.COLLECTION_PROPS
        if self.discovery.sync_tokens:  # Radicale computes a ctag from all items: ask one
            props = tuple(p for p in props if p != davxml.GETCTAG)
        homes = self._homes(kinds)
        # calendars and address books in two homes (SOGo, Xandikos): both asked at once
        with ThreadPoolExecutor(max(1, len(homes)), thread_name_prefix="davtui-homes") as pool:
            listed = list(pool.map(lambda home: self._in_home(home, props, kinds), homes))
            found = [collection for part, _ in listed for collection in part]
        self._learn_sync_tokens(found)
        if not self.exact_sync_tokens:  # SOGo: a version read in its own second is none
            found = [settled(c, date) for part, date in listed for c in part]
        return list({c.href: c for c in found}.values())  # Zimbra names some hrefs twice

    def _in_home(
        self, home: str, props: tuple[str, ...], kinds: tuple[str, ...]
    ) -> tuple[list[Collection], str | None]:
        """The collections in `home`, and the answer's `Date`."""
        body = davxml.propfind(props)
        answered: dict[str, str] = {}
        listed = [
            from_response(r, self._href(home, r.href))
            for r in self._stream("PROPFIND", home, body, depth="1", answered=answered)
        ]
        found = [c for c in listed if c is not None and c.kind in kinds]
        return found, answered.get("date")

    def _learn_sync_tokens(self, found: list[Collection]) -> None:
        """Whether every collection carries a sync token, for the next runs (stored with
        the discovery): then they ask for tokens only, not ctags too."""
        tokens = bool(found) and all(c.sync_token for c in found)
        if found and tokens != self.discovery.sync_tokens:
            self.discovered = self.discovery = replace(self.discovery, sync_tokens=tokens)

    def list(self, collection: Collection) -> Iterator[Ref]:
        return self._refs(collection, davlisting.Trouble())

    def listing(self, collection: Collection) -> Listing:
        """The listing, marked incomplete when the server answered it only in part (see
        `davlisting`): a mirror must not delete what such a listing leaves out."""
        return davlisting.listing(lambda t: self._refs(collection, t), self.transport.host)

    def _refs(self, collection: Collection, trouble: davlisting.Trouble) -> Iterator[Ref]:
        body = davxml.propfind(davxml.LIST_PROPS)
        responses = self._stream("PROPFIND", collection.href, body, depth="1")
        own = davxml.canonical_href(collection.href)
        return davlisting.members(responses, own, partial(self._href, collection.href), trouble)

    def changes(self, collection: Collection, token: str) -> Changes | None:
        """sync-collection since `token`; None if the server refuses it (a token too old or
        unknown, no such report) or cuts the answer short (507, a broken body): then the
        caller lists the collection whole."""
        if not self.exact_sync_tokens:
            return None
        own = davxml.canonical_href(collection.href)
        tail: dict[str, str] = {}
        body = davxml.sync_collection(token)
        try:
            responses = self._stream("REPORT", collection.href, body, "1", tail)
            return davlisting.changes(responses, own, partial(self._href, collection.href), tail)
        except (errors.AuthFailed, errors.Unreachable):
            raise
        except errors.DavError as exc:  # Radicale 403, Xandikos 412 or 500, no such report
            log.debug("no changes from %s since %s: %s", collection.href, token, exc)
            return None

    def fetch(self, collection: Collection, hrefs: Sequence[str]) -> Iterator[Fetched]:
        """Multiget in batches; a batch that fails is halved, an href the answer skips is read
        by GET on its own."""
        asked = {_same(davxml.canonical_href(h), h): h for h in hrefs}
        pending = deque(asked)
        while pending:
            size = self.batch_size
            batch = [pending.popleft() for _ in range(min(size, len(pending)))]
            done: set[str] = set()
            try:
                for item in self._multiget(collection, batch):
                    if item.href in done or item.href not in asked:
                        continue
                    done.add(item.href)
                    yield replace(item, href=asked[item.href])
            except SHRINK_ON:
                left = [h for h in batch if h not in done]
                if size > 1:
                    self.batch_size = max(1, size // 2)
                    pending.extendleft(reversed(left))
                    continue
                yield from (self._get(collection, asked[h]) for h in left)
                continue
            missing = [h for h in batch if h not in done]
            if missing and len(batch) > 1:
                self.batch_size = max(1, size // 2)  # a partial answer: ask less next time
            yield from (self._get(collection, asked[h]) for h in missing)

    def _multiget(self, collection: Collection, batch: builtins.list[str]) -> Iterator[Fetched]:
        data_tag = davxml.CALENDAR_DATA if collection.kind == CALENDAR else davxml.ADDRESS_DATA
        body = davxml.multiget(collection.kind, batch)
        for response in self._stream("REPORT", collection.href, body, depth="1"):
            href = self._href(collection.href, response.href)
            data = response.props.get(data_tag)
            etag = response.props.get(davxml.GETETAG)
            if response.status == 404:
                error = errors.NotFound(f"{self.transport.host} has nothing at {href}.", status=404)
                yield Fetched(href, None, error=error)
            elif isinstance(data, str) and data:
                yield Fetched(
                    href, etag if isinstance(etag, str) else None, davxml.item_bytes(data)
                )

    def _get(self, collection: Collection, href: str) -> Fetched:
        try:
            reply = self.transport.request("GET", href)
        except errors.DavError as exc:
            return Fetched(href, None, error=exc)
        return Fetched(href, reply.headers.get("ETag"), reply.content)

    # -- writing ---------------------------------------------------------------------------

    def href_for(self, collection: Collection, uid: str) -> str:
        return collection.href + davxml.canonical_href(resource_name(uid, collection.kind))

    def _put(
        self, collection: Collection, href: str, data: bytes, condition: dict[str, str]
    ) -> Ref:
        headers = {"Content-Type": CONTENT_TYPES[collection.kind], **condition}
        reply = self.transport.request("PUT", href, body=data, headers=headers)
        etag = reply.headers.get("ETag") or self._etag(href)
        return Ref(href, etag, CONTENT_TYPES[collection.kind].split(";")[0])

    def _etag(self, href: str) -> str | None:
        for response in self._stream("PROPFIND", href, davxml.propfind([davxml.GETETAG]), "0"):
            etag = response.props.get(davxml.GETETAG)
            if isinstance(etag, str) and etag.strip():
                return etag.strip()
        return None

    def create(self, collection: Collection, href: str, data: bytes) -> Ref:
        """PUT with `If-None-Match: *`. SOGo ignores that header and overwrites: there the
        engine keeps its destination listing fresh and never creates over a listed href
        (one PROPFIND per collection instead of one per item, see `sync/copy.py`)."""
        return self._put(collection, href, data, {"If-None-Match": "*"})

    def update(self, collection: Collection, href: str, data: bytes, etag: str | None) -> Ref:
        return self._put(collection, href, data, {"If-Match": etag} if etag else {})

    def delete(self, collection: Collection, href: str, etag: str | None) -> None:
        if etag and self.ignores_if_match_on_delete and self._etag(href) != etag:
            raise errors.PreconditionFailed(
                f"{self.transport.host} refused DELETE on {href}: it changed.", status=412
            )
        try:
            self.transport.request("DELETE", href, headers={"If-Match": etag} if etag else {})
        except errors.NotFound:  # gone already: a retried DELETE whose first attempt landed
            log.debug("%s was gone already when deleted", href)
        except PreconditionAfterRetry:  # 412 to the retry: gone by the first attempt, or not
            try:
                self._etag(href)
            except errors.NotFound:
                return
            raise

    def create_collection(self, template: Collection, name: str) -> CreatedCollection:
        """MKCALENDAR / extended MKCOL with every property at once; if the server refuses
        that, a bare collection then PROPPATCH. Read back to report what did not stick."""
        home = (
            self.discovery.calendar_home
            if template.kind == CALENDAR
            else self.discovery.addressbook_home
        )
        if home is None:
            raise errors.NotDav(f"{self.transport.host} has no home for a new {template.kind}.")
        href = self._free_href(home, slugify(name))
        props = props_for(template, name)
        try:
            self._make(template.kind, href, props)
        except (errors.AuthFailed, errors.Unreachable):
            raise
        except errors.DavError:
            self._make(template.kind, href, [])
            self._proppatch(href, props)
        created = self._read_collection(href) or replace(template, href=href, name=name)
        return CreatedCollection(created, not_kept(template, name, created))

    def _read_collection(self, href: str) -> Collection | None:
        body = davxml.propfind(davxml.COLLECTION_PROPS)
        for response in self._stream("PROPFIND", href, body, depth="0"):
            return from_response(response, self._href(href, response.href))
        return None

    def _free_href(self, home: str, slug: str) -> str:
        taken = {c.href.rstrip("/").rsplit("/", 1)[-1] for c in self.collections()}
        segment, n = slug, 1
        while segment in taken:
            n += 1
            segment = f"{slug}-{n}"
        return self._href(home, davxml.canonical_href(urlsplit(home).path) + segment + "/")

    def _make(self, kind: str, href: str, props: builtins.list[davxml.PropValue]) -> None:
        if kind == CALENDAR and self.discovery.mkcalendar:
            method, body = "MKCALENDAR", davxml.mkcalendar(props) if props else None
        elif self.discovery.extended_mkcol:
            kinds = (davxml.COLLECTION, davxml.CALENDAR if kind == CALENDAR else davxml.ADDRESSBOOK)
            method, body = "MKCOL", davxml.extended_mkcol(kinds, props)
        else:
            method, body = "MKCOL", None
        headers = {"Content-Type": XML} if body else {}
        try:
            self.transport.request(method, href, body=body, headers=headers)
        except ExistsAfterRetry:  # an attempt before the retry may have made it: read it back
            try:
                made = self._read_collection(href)
            except errors.DavError:
                made = None
            if made is None or made.kind != kind:
                raise

    def _proppatch(self, href: str, props: builtins.list[davxml.PropValue]) -> None:
        """All properties in one PROPPATCH; if refused, one at a time, keeping what sticks."""
        try:
            self._patch(href, props)
        except errors.DavError:
            for prop in props:
                try:
                    self._patch(href, [prop])
                except errors.DavError:
                    continue

    def _patch(self, href: str, props: builtins.list[davxml.PropValue]) -> None:
        for response in self._stream("PROPPATCH", href, davxml.proppatch(props)):
            if response.status >= 300:
                raise errors.DavError(f"{self.transport.host} refused PROPPATCH on {href}.")

    def close(self) -> None:
        self.transport.close()
