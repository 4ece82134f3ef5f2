"""What a failed exchange means: the error each status raises (one sentence that names the
host, never the password), whether a failure may be tried again, and when."""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping
from urllib.parse import urlsplit

from davtui.engine import errors
from davtui.engine.dav.reply import chain
from davtui.engine.dav.wire import ConnectFailed

MAX_REDIRECTS = 10
RETRY_AFTER_MIN = 1.0
RETRY_AFTER_MAX = 7200.0
BACKOFF_BASE = 0.5
BACKOFF_MAX = 30.0


class PreconditionAfterRetry(errors.PreconditionFailed):
    """412 to a conditional request we had to send twice: the first attempt may have landed
    (a create that got its answer lost looks exactly like this)."""

    retried = True


class ExistsAfterRetry(errors.DavError):
    """403/405/409 to a MKCOL/MKCALENDAR sent twice (a resource exists there: 403 by RFC 4791
    5.3.1, 405 by RFC 4918 9.3.1): the first attempt may have made it; the caller reads it
    back."""


def closed_before_answer(exc: BaseException) -> bool:
    """The connection was dropped before any status line: a stale keep-alive connection."""
    return any(
        isinstance(e, ConnectionResetError | BrokenPipeError | ConnectionAbortedError)
        or "closed connection without response" in str(e)
        for e in chain(exc)
    )


def never_connected(exc: BaseException) -> bool:
    return any(isinstance(e, ConnectFailed) for e in chain(exc))


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


#: 423 answers met with a short wait before the usual backoff: Xandikos holds a collection's
#: lock for one write (a git commit, ~15 ms), so two writes in flight meet it now and then.
QUICK_LOCKED = 3


def locked_wait(attempt: int) -> float:
    """How long to wait after the `attempt`-th 423: 30-60 ms, 60-90 ms, 90-120 ms, then as
    any other retry (the lock outlasted a few writes: something else holds it)."""
    if attempt <= QUICK_LOCKED:
        return 0.03 * attempt + random.uniform(0, 0.03)
    return backoff(attempt - QUICK_LOCKED)


def backoff(attempt: int) -> float:
    """Exponential backoff with full jitter on top: 0.5, 1, 2, 4 ... seconds, capped."""
    base = min(BACKOFF_BASE * 2.0 ** (attempt - 1), BACKOFF_MAX)
    return base + random.uniform(0, base)


STATUS_ERRORS: dict[int, tuple[type[errors.DavError], str]] = {
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


def status_error(
    host: str,
    user: str,
    method: str,
    url: str,
    status: int,
    headers: Mapping[str, str],
    said: str | None = None,
) -> errors.DavError:
    """The error for a 4xx/5xx answer; `said`: the answer's own words (already scrubbed)."""
    cls, template = STATUS_ERRORS.get(
        status,
        (
            (errors.ServerError, "{host} failed ({status}) on {method} {path}")
            if status >= 500
            else (errors.DavError, "{host} answered {status} to {method} {path}")
        ),
    )
    path = urlsplit(url).path
    message = template.format(host=host, user=user, method=method, path=path, status=status)
    message += "." + (f" It says: {said.rstrip('.')}." if said and status != 401 else "")
    if cls is errors.Throttled:
        retry_after = parse_retry_after(headers.get("Retry-After"))
        return errors.Throttled(message, retry_after=retry_after, status=status, url=url)
    return cls(message, status=status, url=url, detail=said)


def redirect_loop(host: str, url: str, hops: int = MAX_REDIRECTS) -> errors.RedirectLoop:
    """The sentence for a server that redirected more than `hops` times."""
    return errors.RedirectLoop(
        f"{host} redirects in a loop: more than {hops} redirects, the last one to "
        f"{urlsplit(url).path or '/'}; check the account's URL.",
        url=url,
    )
