"""HTTP for one account: the only place in davtui that speaks HTTP.

Built on caldav's client (a niquests session with Basic auth sent preemptively: some servers
answer anonymous requests with 207 and never challenge). Retries, backoff, throttling and the
mapping of failures to `davtui.engine.errors` are ours, so every caller sees one sentence per
failure that names the host and never the password.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import caldav
import niquests

from davtui import __version__
from davtui.engine import errors, events
from davtui.engine.bandwidth import LIMIT
from davtui.engine.storage import AccountSpec

log = logging.getLogger("davtui.http")

#: Methods that may be repeated; PUT and DELETE join them when they carry If-Match/If-None-Match.
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PROPFIND", "REPORT"})
#: Statuses that mean "try again later".
# 423: Xandikos locks a collection while it writes and answers 423 to concurrent writers.
RETRY_STATUSES = frozenset({423, 429, 502, 503, 504})
RETRY_AFTER_MIN = 1.0
RETRY_AFTER_MAX = 7200.0
BACKOFF_BASE = 0.5
BACKOFF_MAX = 30.0

_slots_lock = threading.Lock()
_slots: dict[tuple[str, str, int], threading.BoundedSemaphore] = {}


def host_slots(url: str, size: int) -> threading.BoundedSemaphore:
    """The semaphore shared by every Transport of this process to the host:port of `url`.

    The first Transport to a host decides its size; later ones share it as it is."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    key = (parts.scheme, parts.hostname or "", port)
    with _slots_lock:
        return _slots.setdefault(key, threading.BoundedSemaphore(max(1, size)))


class PreconditionAfterRetry(errors.PreconditionFailed):
    """412 to a conditional request we had to send twice: the first attempt may have landed
    (a create that got its answer lost looks exactly like this)."""

    retried = True


@dataclass(slots=True)
class Reply:
    """A successful answer. `retried`: the request was sent again after an attempt that may
    have reached the server (a connection closed before the answer, a timeout, a 502/503/504)."""

    status: int
    url: str
    headers: Mapping[str, str]
    retried: bool = False
    _response: niquests.Response | None = field(default=None, repr=False)
    _slot: threading.BoundedSemaphore | None = field(default=None, repr=False)
    _content: bytes | None = field(default=None, repr=False)

    @property
    def content(self) -> bytes:
        if self._content is None:
            self._content = self._response.content if self._response is not None else b""
            LIMIT.take(len(self._content))
            self.close()
        return self._content

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()

    def iter_bytes(self, size: int = 65536) -> Iterator[bytes]:
        """The body in chunks, without holding all of it in memory."""
        if self._content is not None:
            yield self._content
            return
        assert self._response is not None
        try:
            for chunk in self._response.iter_content(size):
                LIMIT.take(len(chunk))
                yield chunk
        except niquests.exceptions.RequestException as exc:  # cut off, stalled or corrupt
            host = urlsplit(self.url).netloc
            reason = _root_cause(exc)
            raise errors.BadResponse(f"The answer of {host} broke off ({reason}).") from None
        finally:
            self.close()

    def close(self) -> None:
        """Give the connection back (a streamed reply holds a per-host slot until then)."""
        if self._response is not None and self._content is None:
            self._response.close()
        if self._slot is not None:
            self._slot.release()
            self._slot = None

    def __enter__(self) -> Reply:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _closed_before_answer(exc: BaseException) -> bool:
    """The connection was dropped before any status line: a stale keep-alive connection."""
    return any(
        isinstance(e, ConnectionResetError | BrokenPipeError | ConnectionAbortedError)
        or "closed connection without response" in str(e)
        for e in _chain(exc)
    )


def _never_connected(exc: BaseException) -> bool:
    names = {type(e).__name__ for e in _chain(exc)}
    return bool(names & {"NewConnectionError", "ConnectTimeoutError", "NameResolutionError"}) or (
        isinstance(exc, niquests.exceptions.ConnectTimeout)
    )


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), clamped 1 s..2 h."""
    if not value:
        return None
    value = value.strip()
    try:
        delay = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        delay = when.timestamp() - (time.time() if now is None else now)
    return min(max(delay, RETRY_AFTER_MIN), RETRY_AFTER_MAX)


def backoff(attempt: int) -> float:
    """Exponential backoff with full jitter on top: 0.5, 1, 2, 4 ... seconds, capped."""
    base = min(BACKOFF_BASE * 2 ** (attempt - 1), BACKOFF_MAX)
    return base + random.uniform(0, base)


_STATUS_ERRORS: dict[int, tuple[type[errors.DavError], str]] = {
    401: (errors.AuthFailed, "{host} refused the login of {user!r}: check user name and password"),
    403: (errors.Forbidden, "{host} forbids {method} on {path}"),
    404: (errors.NotFound, "{host} has nothing at {path}"),
    409: (errors.Conflict, "{host} refused {method} on {path} as a conflict"),
    410: (errors.NotFound, "{host} says {path} is gone"),
    412: (errors.PreconditionFailed, "{host} refused {method} on {path}: it changed or exists"),
    413: (errors.TooLarge, "{host} refused {method} on {path} as too large"),
    423: (errors.Throttled, "{host} kept {path} locked ({status}) for {method}"),
    429: (errors.Throttled, "{host} kept asking to slow down ({status}) on {method} {path}"),
    503: (errors.Throttled, "{host} is unavailable ({status}) for {method} {path}"),
}


class Transport:
    """HTTP to one account: keep-alive, bounded concurrency per host, retries, error mapping.

    Thread-safe: the engine sends requests from several threads through one Transport.
    `counts` counts the HTTP requests sent per method (retries included).
    """

    def __init__(
        self,
        spec: AccountSpec,
        listener: events.Listener = events.ignore,
        *,
        base_url: str | None = None,
        retries: int = 4,
    ) -> None:
        self.spec = spec
        self.base_url = base_url or spec.url
        self.listener = listener
        self.retries = retries
        self.counts: Counter[str] = Counter()
        self._count_lock = threading.Lock()
        self._slots = host_slots(self.base_url, spec.max_connections)
        self._verify: bool | str = spec.ca_file or spec.verify_tls
        client = caldav.DAVClient(
            self.base_url,
            username=spec.username or None,
            password=spec.password,
            auth_type="basic" if spec.username else None,
            ssl_verify_cert=self._verify,
            timeout=int(spec.timeout),
            enable_rfc6764=False,
        )
        self._client = client
        self._session = client.session
        pool = niquests.adapters.HTTPAdapter(pool_maxsize=max(10, spec.max_connections))
        for scheme in ("http://", "https://"):  # as many kept-alive connections as slots
            self._session.mount(scheme, pool)
        self._auth = client.auth
        self._headers = {"User-Agent": f"davtui/{__version__}"}

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc

    def url(self, href: str) -> str:
        """An absolute URL for a path (or a URL) on this account's server."""
        if "://" in href:
            return href
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}{href}"

    def request(
        self,
        method: str,
        href: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
        redirects: bool = True,
    ) -> Reply:
        """Send a request, retrying what is safe to retry; raise a DavError for 4xx/5xx.

        With `stream=True` the reply holds a connection slot until it is closed or read."""
        url = self.url(href)
        sent = {**self._headers, **(headers or {})}
        repeatable = method in IDEMPOTENT or (
            method in ("PUT", "DELETE") and ("If-Match" in sent or "If-None-Match" in sent)
        )
        attempt = resets = 0
        doubt = False  # an earlier attempt may have reached the server
        while True:
            attempt += 1
            delay: float | None = None
            try:
                return self._attempt(method, url, body, sent, stream, redirects, retried=doubt)
            except niquests.exceptions.SSLError as exc:
                raise errors.TLSFailed(
                    f"The TLS certificate of {self.host} could not be verified "
                    f"({_root_cause(exc)}).",
                    url=url,
                ) from None
            except niquests.exceptions.RequestException as exc:
                if _closed_before_answer(exc) and resets <= self.spec.max_connections:
                    resets += 1  # stale pooled connection: once more on a fresh one, no wait
                    doubt = True
                    self._emit_retry(method, url, attempt, 0.0, "connection closed")
                    continue
                if (repeatable or _never_connected(exc)) and attempt <= self.retries:
                    doubt = doubt or not _never_connected(exc)
                    delay = backoff(attempt)
                    reason = _root_cause(exc)
                else:
                    raise errors.Unreachable(
                        f"{self.host} could not be reached ({_root_cause(exc)}).", url=url
                    ) from None
            except errors.DavError as exc:
                if not (repeatable and exc.status in RETRY_STATUSES) or attempt > self.retries:
                    if doubt and isinstance(exc, errors.PreconditionFailed):
                        raise PreconditionAfterRetry(str(exc), status=412, url=url) from None
                    raise
                delay = getattr(exc, "retry_after", None)
                if delay is not None:
                    self.listener(events.Throttled(host=self.host, delay=delay))
                else:
                    delay = backoff(attempt)
                reason = f"HTTP {exc.status}"
                doubt = doubt or exc.status != 429
            self._emit_retry(method, url, attempt, delay, reason)
            time.sleep(delay)

    def _emit_retry(self, method: str, url: str, attempt: int, delay: float, reason: str) -> None:
        log.info("retry %s %s (attempt %d) in %.1f s: %s", method, url, attempt + 1, delay, reason)
        self.listener(
            events.Retry(method=method, url=url, attempt=attempt + 1, delay=delay, reason=reason)
        )

    def _attempt(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: dict[str, str],
        stream: bool,
        redirects: bool,
        *,
        retried: bool,
    ) -> Reply:
        """One request on the wire, inside this host's concurrency slot."""
        self._slots.acquire()
        keep_slot = False
        try:
            with self._count_lock:
                self.counts[method] += 1
            LIMIT.take(len(body or b""))
            started = time.monotonic()
            response = self._session.request(
                method,
                url,
                data=body,
                headers=headers,
                auth=self._auth,
                verify=self._verify,
                timeout=(min(15.0, self.spec.timeout), self.spec.timeout),
                allow_redirects=redirects,
                stream=True,
            )
            status = response.status_code or 0
            log.debug(
                "%s %s -> %d in %.0f ms", method, url, status, (time.monotonic() - started) * 1000
            )
            if status >= 400:
                response.close()
                raise self._error(method, url, status, response.headers)
            reply = Reply(status, str(response.url or url), response.headers, retried, response)
            if stream:
                reply._slot, keep_slot = self._slots, True
            else:
                reply._content = response.content
                LIMIT.take(len(reply._content))
            return reply
        finally:
            if not keep_slot:
                self._slots.release()

    def _error(
        self, method: str, url: str, status: int, headers: Mapping[str, str]
    ) -> errors.DavError:
        cls, template = _STATUS_ERRORS.get(
            status,
            (
                (errors.ServerError, "{host} failed ({status}) on {method} {path}")
                if status >= 500
                else (errors.DavError, "{host} answered {status} to {method} {path}")
            ),
        )
        message = (
            template.format(
                host=self.host,
                user=self.spec.username,
                method=method,
                path=urlsplit(url).path,
                status=status,
            )
            + "."
        )
        if cls is errors.Throttled:
            retry_after = parse_retry_after(headers.get("Retry-After"))
            return errors.Throttled(message, retry_after=retry_after, status=status, url=url)
        return cls(message, status=status, url=url)

    def close(self) -> None:
        self._client.close()


def _root_cause(exc: BaseException) -> str:
    """The innermost message of an exception chain, short enough for one sentence."""
    *_, last = _chain(exc)
    text = str(last) or type(last).__name__
    return text.split("] ", 1)[-1][:160]
