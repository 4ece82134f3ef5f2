"""HTTP for one account: the only place in davtui that speaks HTTP.

On `wire.Wire` (http.client, kept-alive connections), with Basic auth sent preemptively:
some servers answer anonymous requests with 207 and never challenge. Redirects, retries,
backoff and throttling are here; what each failure means is `failures`' and an answer is a
`reply.Reply`, so every caller sees one sentence per failure that names the host and never
the password. Every
request passes `Transport.url`, which refuses any URL outside the account's origins
(`davtui.engine.dav.origins`): no caller can send the login elsewhere by forgetting a check.
"""

from __future__ import annotations

import base64
import http.client
import logging
import re
import ssl
import threading
import time
from collections import Counter
from collections.abc import Mapping
from urllib.parse import urljoin, urlsplit

from davtui import __version__
from davtui.engine import errors, events
from davtui.engine.dav import davxml, presets
from davtui.engine.dav.bandwidth import LIMIT
from davtui.engine.dav.failures import (
    MAX_REDIRECTS,
    QUICK_LOCKED,
    ExistsAfterRetry,
    PreconditionAfterRetry,
    backoff,
    closed_before_answer,
    locked_wait,
    never_connected,
    redirect_loop,
    status_error,
)
from davtui.engine.dav.origins import Origins, shown
from davtui.engine.dav.reply import Reply, chain, root_cause, too_slow
from davtui.engine.dav.solo import Solo
from davtui.engine.dav.wire import Deadline, DeadlinePassed, Headers, Wire
from davtui.engine.storages.contract import AccountSpec

log = logging.getLogger("davtui.http")

#: Methods that may be repeated; PUT and DELETE join them when they carry If-Match/If-None-Match.
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PROPFIND", "REPORT"})
#: Statuses that mean "try again later".
# 423: Xandikos locks a collection while it writes and answers 423 to concurrent writers.
RETRY_STATUSES = frozenset({423, 429, 502, 503, 504})
#: ... and 500 to a write: Xandikos answers a DELETE that meets that lock with it, DAViCal
#: some of several PUTs at once. Only a conditional write is repeated, which makes it safe.
RETRY_DELETE_STATUSES = RETRY_STATUSES | {500}
#: Writes: retried on RETRY_DELETE_STATUSES when conditional, alone after a second failure.
WRITES = frozenset({"PUT", "DELETE", "MKCOL", "MKCALENDAR"})
#: Retries of a PUT or MKCOL answered 500: the second one alone.
RETRIES_AFTER_500 = 2
#: Collection creations: repeatable, as they fail where the collection exists.
MAKES = frozenset({"MKCOL", "MKCALENDAR"})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
#: The deadline of one answer when the account sets none: a few read timeouts, at least 60 s.
DEADLINE_MIN = 60.0
DEADLINE_TIMEOUTS = 4
#: A long answer earns more time at this rate (1 Mbit/s): a big listing on a slow link ends,
#: a server dripping bytes does not gain enough to matter.
DEADLINE_RATE = 128 * 1024
#: Answers in a row past their deadline after which a host is given up (until the Transport
#: closes): a server dripping every answer would otherwise cost each item all its retries.
SLOW_ANSWERS = 3

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
        #: where this account's login may go: refused before anything is sent elsewhere
        self.origins = Origins.of(spec)
        base = base_url or presets.base_url(spec.url)
        self.base_url = self.origins.check(base, f"The URL {shown(base)}")
        parts = urlsplit(self.base_url)
        self._root = f"{parts.scheme}://{parts.netloc}/"
        self.listener = listener
        self.retries = retries
        self.counts: Counter[str] = Counter()
        self._count_lock = threading.Lock()
        self._slots = host_slots(self.base_url, spec.max_connections)
        self._solo = Solo()  # a write that failed twice is retried alone
        verify: bool | str = spec.ca_file or spec.verify_tls
        self._wire = Wire(verify, min(15.0, spec.timeout), spec.timeout)
        #: seconds a server may take for one whole answer, over all its reads
        self.deadline = spec.deadline or max(DEADLINE_MIN, DEADLINE_TIMEOUTS * spec.timeout)
        self.slow_answers = 0  # in a row
        self._headers = {"User-Agent": f"davtui/{__version__}"}
        self._login: dict[str, str] = {}
        if spec.username:
            token = f"{spec.username}:{spec.password or ''}".encode()
            self._login["Authorization"] = "Basic " + base64.b64encode(token).decode()

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc

    def url(self, href: str) -> str:
        """An absolute URL for a path (or a URL) on this account's server; ForeignHost for
        a URL on another origin, BadURL for one that is not http(s). A path is joined after
        a "/" of ours: glued to the netloc, `@evil:81/x` would make the netloc a user name
        and `evil:81` the host. After that "/" nothing can change the netloc, so a path
        needs no further check (one per request would cost more than the join)."""
        if "://" not in href:
            return f"{self._root}{href.removeprefix('/')}"
        if self.origins.permits(href):
            return href
        raise self.origins.refusal(href, f"The URL {shown(href)}")

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
        repeatable = repeatable or method in MAKES
        attempt = resets = failures = 0
        doubt = False  # an earlier attempt may have reached the server
        if self.slow_answers >= SLOW_ANSWERS:
            raise errors.Unreachable(
                f"{self.host} was given up: its last {SLOW_ANSWERS} answers came too slowly.",
                url=url,
            )
        while True:
            attempt += 1
            delay: float | None = None
            try:
                with self._solo.turn(alone=method in WRITES and failures >= 2):
                    return self._attempt(method, url, body, sent, stream, redirects, retried=doubt)
            except ssl.SSLError as exc:
                raise errors.TLSFailed(
                    f"The TLS certificate of {self.host} could not be verified "
                    f"({root_cause(exc)}).",
                    url=url,
                ) from None
            except (OSError, http.client.HTTPException) as exc:
                failures += 1
                if closed_before_answer(exc) and resets <= self.spec.max_connections:
                    resets += 1  # stale pooled connection: once more on a fresh one, no wait
                    doubt = True
                    self._emit_retry(method, url, attempt, 0.0, "connection closed")
                    continue
                slow = next((e for e in chain(exc) if isinstance(e, DeadlinePassed)), None)
                if slow is not None:
                    self._answered(False)
                if (
                    (repeatable or never_connected(exc))
                    and attempt <= self.retries
                    and self.slow_answers < SLOW_ANSWERS
                ):
                    doubt = doubt or not never_connected(exc)
                    delay = backoff(attempt)
                    reason = root_cause(exc)
                elif slow is not None:
                    raise errors.Unreachable(too_slow(self.host, slow.seconds), url=url) from None
                else:
                    raise errors.Unreachable(
                        f"{self.host} could not be reached ({root_cause(exc)}).", url=url
                    ) from None
            except errors.DavError as exc:
                again = RETRY_DELETE_STATUSES if method in WRITES else RETRY_STATUSES
                # a 500 to a write is retried twice, the second time alone (a server down
                # answering 500 to everything is not waited on per item as long as a 503)
                most = RETRIES_AFTER_500 if exc.status == 500 and method != "DELETE" else None
                most = self.retries + QUICK_LOCKED if exc.status == 423 else most
                if not (repeatable and exc.status in again) or attempt > (most or self.retries):
                    if doubt and isinstance(exc, errors.PreconditionFailed):
                        raise PreconditionAfterRetry(str(exc), status=412, url=url) from None
                    if doubt and method in MAKES and exc.status in (403, 405, 409):
                        raise ExistsAfterRetry(str(exc), status=exc.status, url=url) from None
                    raise
                failures += exc.status not in (423, 429)
                delay = getattr(exc, "retry_after", None)
                if delay is not None:
                    self.listener(events.Throttled(host=self.host, delay=delay))
                else:
                    delay = locked_wait(attempt) if exc.status == 423 else backoff(attempt)
                reason = f"HTTP {exc.status}"
                doubt = doubt or exc.status != 429
            self._emit_retry(method, url, attempt, delay, reason)
            time.sleep(delay)

    def _answered(self, in_time: bool) -> None:
        """Count the answers in a row that came past their deadline."""
        self.slow_answers = 0 if in_time else self.slow_answers + 1

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
        """One request on the wire (and its redirects), inside this host's concurrency slot."""
        self._slots.acquire()
        keep_slot = False
        try:
            with self._count_lock:
                self.counts[method] += 1
            deadline = Deadline(self.deadline, 1 / DEADLINE_RATE)
            response, url = self._exchange(method, url, body, headers, redirects, deadline)
            status = response.status
            if status >= 400:
                said = davxml.server_says(self._wire.discard(response))
                raise self._error(method, url, status, Headers(response.headers), said)
            reply = Reply(status, url, Headers(response.headers), retried, response, self._wire)
            reply._limit = self.spec.max_listing if stream else self.spec.max_body
            reply._answered = self._answered
            if stream:
                reply._slot, keep_slot = self._slots, True
            else:
                reply.content  # noqa: B018  (read now: the connection goes back to the pool)
            return reply
        finally:
            if not keep_slot:
                self._slots.release()

    def _exchange(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: dict[str, str],
        redirects: bool,
        deadline: Deadline,
    ) -> tuple[http.client.HTTPResponse, str]:
        """The response and the URL that gave it, redirects followed when asked: the method
        and body are kept (a DAV request means the same at its new place), but a 303 is a
        GET. A redirect to another origin is refused (ForeignHost): following it without the
        login would only fail, with it would hand the password to whoever answers there."""
        for _hop in range(MAX_REDIRECTS + 1):
            LIMIT.take(len(body or b""))
            started = time.monotonic()
            response = self._wire.send(method, url, body, {**headers, **self._login}, deadline)
            log.debug(
                "%s %s -> %d in %.0f ms",
                method, url, response.status, (time.monotonic() - started) * 1000,
            )  # fmt: skip
            location = response.headers.get("Location")
            if not (redirects and response.status in REDIRECTS and location):
                return response, url
            self._wire.discard(response)
            target = self.origins.check_redirect(url, urljoin(url, location))
            if response.status == 303:
                method, body = "GET", None
            url = target
        raise redirect_loop(self.host, url)

    def _error(
        self, method: str, url: str, status: int, headers: Mapping[str, str], said: str | None
    ) -> errors.DavError:
        said = said and self._scrubbed(said)
        return status_error(self.host, self.spec.username, method, url, status, headers, said)

    def _scrubbed(self, said: str) -> str:
        """A server's words without our secret in them: a server may echo what it got."""
        for secret in (self.spec.password, self._login.get("Authorization", "")[6:]):
            if secret:
                said = re.sub(rf"(?<!\w){re.escape(secret)}(?!\w)", "***", said)
        return said

    def close(self) -> None:
        self._wire.close()
