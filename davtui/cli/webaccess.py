"""Who may open `davtui serve`: one access token, checked on every request.

A tab of `davtui serve` is a full davtui (accounts, passwords, jobs that delete), so nothing
is served without the token: not the page, not its scripts, not the websocket that drives the
app. The token comes once in the URL the server prints (`/?token=...`); the first page sets it
as an HttpOnly cookie and redirects to `/`, so it leaves the address bar and the Referer, and
the websocket and the assets carry the cookie. The websocket also checks `Origin`: a cookie is
sent with a connection any page opens, and browsers count every port of one host as the same
site, so another server on this machine could otherwise drive a tab. Tokens are compared in
constant time (`hmac.compare_digest`). Nothing here logs a URL with its query.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

QUERY = "token"
#: A token from a file shorter than this is refused: it could be guessed.
MIN_TOKEN = 16
DENIED = (
    "401: davtui serve needs its access token: open the URL it printed when it started "
    "(.../?token=...).\n"
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class TokenFileError(ValueError):
    """The --token-file cannot serve: one sentence for the user."""


def new_token() -> str:
    """A random token for one start of the server (256 bits)."""
    return secrets.token_urlsafe(32)


def read_token_file(path: Path) -> str:
    """The token in `path`: a private file (no group or other access) holding one line."""
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not text"
        raise TokenFileError(f"--token-file {path}: cannot be read ({reason}).") from None
    if not stat.S_ISREG(mode):
        raise TokenFileError(f"--token-file {path}: not a regular file.")
    if mode & 0o077:
        raise TokenFileError(
            f"--token-file {path}: others may read it (mode {stat.S_IMODE(mode):o}); "
            f"chmod 600 {path}."
        )
    token = text.strip()
    if len(token) < MIN_TOKEN or any(ch.isspace() for ch in token):
        raise TokenFileError(
            f"--token-file {path}: it must hold one token of at least {MIN_TOKEN} characters "
            "without spaces (e.g. from `python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(32))'`)."
        )
    return token


def cookie_name(token: str) -> str:
    """The cookie's name, its own per token: browsers keep one cookie jar per host, whatever
    the port, so two servers on one machine would otherwise overwrite each other's token. A
    short hash names it; it tells nothing usable about the token."""
    return "davtui_" + hashlib.sha256(token.encode()).hexdigest()[:12]


def _same(offered: str | None, token: str) -> bool:
    return offered is not None and hmac.compare_digest(offered.encode(), token.encode())


def _origin_allowed(request: web.Request, public_url: str | None) -> bool:
    """A websocket opened by our own page: its Origin names the host the browser asked for
    (or the public URL behind a proxy). Non-browser clients send no Origin."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    netloc = urlsplit(origin).netloc.lower()
    allowed = {request.host.lower()}
    if public_url:
        allowed.add(urlsplit(public_url).netloc.lower())
    return netloc in allowed


def token_middleware(token: str, public_url: str | None = None, secure: bool = False):
    """The aiohttp middleware that lets only the token's holder in (see the module's text).

    `secure` marks the cookie for HTTPS only (the public URL is https: a proxy ends TLS)."""

    cookie = cookie_name(token)

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == "/" and QUERY in request.query:
            if not _same(request.query.get(QUERY), token):
                return _denied()
            kept = [(k, v) for k, v in request.query.items() if k != QUERY]  # e.g. fontsize
            target = "./" + (f"?{urlencode(kept)}" if kept else "")
            response = web.Response(status=302, headers={"Location": target})
            response.set_cookie(
                cookie, token, httponly=True, samesite="Strict", secure=secure, path="/"
            )
            _private(response)
            return response
        if not _same(request.cookies.get(cookie), token):
            return _denied()
        if request.path == "/ws" and not _origin_allowed(request, public_url):
            return web.Response(status=403, text="403: this websocket comes from another site.\n")
        answer = await handler(request)
        if not answer.prepared:  # a websocket has sent its headers already
            _private(answer)
        return answer

    return check


def _private(response: web.StreamResponse) -> None:
    """No Referer (the first URL held the token) and no caching of a page behind a token."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"


def _denied() -> web.Response:
    response = web.Response(status=401, text=DENIED)
    _private(response)
    return response


class PathOnlyAccessLogger(AbstractAccessLogger):
    """`-v`: one line per request without the query string (the first one holds the token)."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %s %s %.3fs", request.remote, request.method, request.path, response.status, time
        )


def access_logger(verbose: int) -> logging.Logger | None:
    """The logger for request lines, on stderr, when asked for; else none."""
    if not verbose:
        return None
    logger = logging.getLogger("davtui.serve.access")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("davtui serve: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger
