"""The engine's exceptions: every failure the user can meet, each with one clear sentence.

`DavError` subclasses come from the DAV layer (HTTP status or transport failure); `ItemError`
from reading a single item. Exit codes of the CLI are derived from the class (`exit_code`).
"""

from __future__ import annotations


class EngineError(Exception):
    """Base of everything the engine raises on purpose; `str()` is one sentence for the user."""

    exit_code = 1


class DavError(EngineError):
    """A request failed. `status` is the HTTP status when there was an answer, `detail` what
    the answer itself said (a DAV precondition such as `valid-calendar-data`)."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        url: str | None = None,
        detail: str | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.url = url
        self.detail = detail


class AuthFailed(DavError):
    """401/403 on login: wrong user or password (never retried)."""

    exit_code = 3


class Unreachable(DavError):
    """No connection: DNS, refused, reset, timeout."""

    exit_code = 4
    retryable = True


class TLSFailed(Unreachable):
    """The certificate could not be verified, or TLS failed."""

    retryable = False


class NotFound(DavError):
    """404 (or 410)."""


class Forbidden(DavError):
    """403 on a resource after a successful login."""


class PreconditionFailed(DavError):
    """412: If-Match/If-None-Match did not hold (item changed or exists already)."""


class TooLarge(DavError):
    """413, or a server's size limit."""


class Conflict(DavError):
    """409, e.g. SOGo refusing a UID that lives at another href."""


class CollectionError(DavError):
    """One collection cannot be used (its folder cannot be made, listed or written: no room,
    no right, something in the way): that collection fails, the run goes on with the others."""


class Throttled(DavError):
    """429 or 503: the server asks to slow down; `retry_after` in seconds when it said."""

    exit_code = 4  # when it ends a run: the server is unavailable
    retryable = True

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status: int | None = None,
        url: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message, status=status, url=url, detail=detail)
        self.retry_after = retry_after


class ServerError(DavError):
    """5xx other than 503."""

    exit_code = 4  # when it ends a run: the server is unavailable
    retryable = True


class BadResponse(DavError):
    """The answer is not what a DAV server sends (HTML page, malformed XML)."""


class RedirectLoop(BadResponse):
    """The server redirects in circles (or further than any real server does): the URL
    leads nowhere, so the account's URL has to change: exit 2."""

    exit_code = 2


class NotDav(BadResponse):
    """The URL answers, but no CalDAV/CardDAV service was found there."""

    exit_code = 2


class ForeignHost(DavError):
    """A server pointed (an href, a redirect) outside the origins this account's login may
    go to; nothing was sent there. The account's URL has to change: exit 2."""

    exit_code = 2


class BadURL(DavError):
    """A URL no request can go to: not http:// or https://, no host, a bad port. Nothing
    was sent. Exit 2."""

    exit_code = 2


class ItemError(EngineError):
    """One item cannot be read or migrated; the rest of the run goes on."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        uid: str | None = None,
        summary: str | None = None,
    ):
        super().__init__(message)
        self.source = source
        self.uid = uid
        self.summary = summary
