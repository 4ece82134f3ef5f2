"""The storage contract every backend fulfils: DAV servers, vdir folders, .ics/.vcf files, memory.

A `Storage` reads; a `WritableStorage` also writes. The source of a job is wrapped in
`ReadOnly`, which has no write methods at all, so the engine cannot write to a source even by
mistake. All methods are thread-safe: the engine calls them from several threads at once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from davtui.engine.errors import DavError

CALENDAR = "calendar"
ADDRESSBOOK = "addressbook"


@dataclass(frozen=True, slots=True)
class AccountSpec:
    """How to reach an account, without the database: what the engine needs to connect.

    `kind` is "dav" (a CalDAV/CardDAV server), "vdir" (a folder) or "file" (one .ics/.vcf).
    The password is kept out of `repr` so it never reaches a log or a traceback.
    """

    url: str
    kind: str = "dav"
    username: str = ""
    password: str = field(default="", repr=False)
    verify_tls: bool = True
    ca_file: str | None = None
    preset: str | None = None
    max_connections: int = 16  # requests in flight to this host, shared by all jobs
    timeout: float = 60.0
    name: str = ""
    #: seconds a server may take for one whole answer; None: `max(60, 4 * timeout)`
    deadline: float | None = None
    #: bytes of an answer read whole (an item, a GET): far above the largest real item
    max_body: int = 64 * 2**20
    #: bytes of a streamed multistatus answer (a listing, a multiget), parsed as it comes
    max_listing: int = 2**30


@dataclass(frozen=True, slots=True)
class Collection:
    """A calendar or an address book. `href` identifies it within its storage (a server path
    ending in `/`, or a folder name); the other fields are what a new copy should carry."""

    href: str
    kind: str  # CALENDAR | ADDRESSBOOK
    name: str
    color: str | None = None
    description: str | None = None
    timezone: str | None = None  # a VCALENDAR with one VTIMEZONE, as CalDAV carries it
    components: tuple[str, ...] = ()  # e.g. ("VEVENT", "VTODO"); empty means unknown
    ctag: str | None = None
    sync_token: str | None = None

    def accepts(self, component: str) -> bool:
        return not self.components or component in self.components

    @property
    def version(self) -> str | None:
        """What changes whenever the collection's content does: its sync token where the
        server gives one (the start of the next run's changes), else its ctag."""
        return self.sync_token or self.ctag


@dataclass(frozen=True, slots=True)
class Changes:
    """What a collection changed since a sync token (RFC 6578): new and changed items with
    their ETags, and removed hrefs; `token` names the state they lead to. `complete` False
    (with the `reason`): some entry came back with an error, so the report may have left
    changes out; a plan then adds and updates but deletes nothing."""

    token: str | None
    changed: dict[str, str | None]
    deleted: frozenset[str]
    complete: bool = True
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Listing:
    """A collection's listing as plans keep it (href -> ETag), and whether it names every
    member. An item missing from a listing is deleted by a mirror, so a listing a server
    answered only in part (an entry with an error status, a 507, a body cut off or broken)
    says so here, with the `reason` in a few words, instead of passing for the whole
    collection: the plan then adds and updates but deletes nothing."""

    etags: dict[str, str | None]
    complete: bool = True
    reason: str | None = None


def failed_entries(failed: Mapping[int, int], listed: int) -> str:
    """Why a listing is incomplete, in the words a refusal quotes: "9 of 10 entries answered
    500" (`failed`: status -> how many entries answered it; `listed`: the entries read)."""
    count = sum(failed.values())
    codes = ", ".join(str(code) for code in sorted(failed))
    return f"{count} of {count + listed} entries answered {codes}"


@dataclass(frozen=True, slots=True)
class Ref:
    """One resource as listed: its href and ETag."""

    href: str
    etag: str | None
    content_type: str | None = None


@dataclass(frozen=True, slots=True)
class Fetched:
    """One resource as fetched: its bytes, or the error that kept them from us."""

    href: str
    etag: str | None
    data: bytes | None = None
    error: DavError | None = None


@dataclass(slots=True)
class CreatedCollection:
    """A collection made by `create_collection`, and the properties the server did not keep."""

    collection: Collection
    not_kept: list[str] = field(default_factory=list)


class Storage(ABC):
    """Read access to calendars and address books."""

    #: The server rewrites `If-None-Match: *` PUTs over existing resources (SOGo): the engine
    #: must know from the listing that an href is free before creating it.
    ignores_if_none_match: bool = False
    #: The server e-mails the attendees of an event it receives by PUT (SOGo): a job that
    #: does not say otherwise suppresses invitations when writing here.
    schedules_on_write: bool = False
    #: The server lists calendars shared with the user as collections of the user's own
    #: (Zimbra/Carbonio): the same UID and content in two of them is one item, copied once.
    mounts_shared_collections: bool = False
    #: The server locks a collection while it stores an item and answers 423 to a second
    #: writer (Xandikos): a two-way sync writes into its collections one item at a time.
    locks_collection_on_write: bool = False
    #: A sync token of this storage names exactly one state of a collection, so that the
    #: changes since it (`changes`) are all the changes: a pass may keep the token it read
    #: before its own writes and ask for the changes since (SOGo's tokens are seconds: no).
    exact_sync_tokens: bool = False
    #: What this storage found out about its server by discovering it (a DAV account that
    #: did), to be stored for the next run; None otherwise.
    discovered: object | None = None

    @abstractmethod
    def collections(self, kinds: Iterable[str] = (CALENDAR, ADDRESSBOOK)) -> list[Collection]:
        """Every collection of the given kinds."""

    @abstractmethod
    def list(self, collection: Collection) -> Iterator[Ref]:
        """Every resource in `collection` (href and ETag), streamed; no content is read."""

    def etags(self, collection: Collection) -> dict[str, str | None]:
        """The listing as href -> ETag, as plans keep it."""
        return {ref.href: ref.etag for ref in self.list(collection)}

    def listing(self, collection: Collection) -> Listing:
        """The listing and whether it is complete: what a mirror may delete from. A storage
        whose `list` can skip members it failed to read overrides this to say so."""
        return Listing(self.etags(collection))

    def changes(self, collection: Collection, token: str) -> Changes | None:
        """What changed since `token`, or None when this storage cannot tell (no such
        report, or a token it no longer knows): the caller lists the collection instead."""
        return None

    @abstractmethod
    def fetch(self, collection: Collection, hrefs: Sequence[str]) -> Iterator[Fetched]:
        """The content of `hrefs`, in batches, streamed; one `Fetched` per href, in any order.
        A resource that cannot be read comes back with `error` set instead of raising."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


class WritableStorage(Storage):
    """A storage the engine may write to (only ever a destination)."""

    #: Writes worth keeping in flight: enough to hide the link's latency, no more than the
    #: server takes at once (Xandikos locks a collection per write and answers 423).
    write_concurrency: int = 4

    @abstractmethod
    def create_collection(self, template: Collection, name: str) -> CreatedCollection:
        """A new collection called `name` carrying `template`'s properties (colour,
        description, timezone, components) in one request where the backend allows."""

    def tidy(self, collection: Collection) -> None:
        """Clear what a killed run left in `collection` (a vdir's temporary files); called
        once per run on each destination collection before it is listed, never on a source
        (which is `ReadOnly`, without this method)."""

    @abstractmethod
    def href_for(self, collection: Collection, uid: str) -> str:
        """Where a new item with `uid` goes: from the UID when it is safe, else a UUID."""

    @abstractmethod
    def create(self, collection: Collection, href: str, data: bytes) -> Ref:
        """Store a new item at `href`, refusing to replace one (`PreconditionFailed`)."""

    @abstractmethod
    def update(self, collection: Collection, href: str, data: bytes, etag: str | None) -> Ref:
        """Replace the item at `href` if its ETag is still `etag` (else `PreconditionFailed`)."""

    @abstractmethod
    def delete(self, collection: Collection, href: str, etag: str | None) -> None:
        """Remove the item at `href` if its ETag is still `etag`."""


class ReadOnly(Storage):
    """A view of a storage that can only read: the source side of every job."""

    def __init__(self, inner: Storage) -> None:
        self._inner = inner
        self.ignores_if_none_match = inner.ignores_if_none_match
        self.mounts_shared_collections = inner.mounts_shared_collections

    @property
    def discovered(self) -> object | None:  # type: ignore[override]
        return self._inner.discovered

    def collections(self, kinds: Iterable[str] = (CALENDAR, ADDRESSBOOK)) -> list[Collection]:
        return self._inner.collections(kinds)

    def list(self, collection: Collection) -> Iterator[Ref]:
        return self._inner.list(collection)

    def listing(self, collection: Collection) -> Listing:
        return self._inner.listing(collection)

    def changes(self, collection: Collection, token: str) -> Changes | None:
        return self._inner.changes(collection, token)

    def fetch(self, collection: Collection, hrefs: Sequence[str]) -> Iterator[Fetched]:
        return self._inner.fetch(collection, hrefs)

    def close(self) -> None:
        self._inner.close()
