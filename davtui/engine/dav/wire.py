"""HTTP/1.1 on the wire: kept-alive connections per host, from the standard library's
`http.client`.

Why not niquests (caldav's client, which davtui used before): it spends about 1.2 ms of CPU
on every request in its layers (session merging, hooks, the h11 state machine), http.client
about 0.3 ms; a migration sends one PUT per item, so that was the largest single cost of the
client (bench/RESULTS.md). What the session gave beyond the wire is kept, and small: TLS
verified against the system store or a CA file, HTTP(S)_PROXY and NO_PROXY from the
environment (read once), a pool of idle connections. Redirects, retries and error mapping
are the Transport's.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import ssl
import threading
import urllib.request
from urllib.parse import unquote, urlsplit

Key = tuple[str, str, int]


class ConnectFailed(OSError):
    """No connection could be opened (refused, unresolvable, timed out): nothing was sent."""


class Headers(dict[str, str]):
    """Response headers by case-insensitive name, a repeated one joined with ", " as HTTP
    allows (`DAV: 1, 2` and `DAV: calendar-access` on two lines are one list)."""

    def __init__(self, message: http.client.HTTPMessage) -> None:
        super().__init__()
        for name, value in message.items():
            key = name.lower()
            dict.__setitem__(
                self, key, f"{dict.__getitem__(self, key)}, {value}" if key in self else value
            )

    def __getitem__(self, name: str) -> str:
        return dict.__getitem__(self, name.lower())

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        return dict.get(self, name.lower(), default)


class Wire:
    """Connections to any host, reused while the server keeps them open. Thread-safe."""

    def __init__(self, verify: bool | str, connect_timeout: float, read_timeout: float) -> None:
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._context = _tls_context(verify)
        self._proxies = urllib.request.getproxies()
        self._idle: dict[Key, list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()

    def send(
        self, method: str, url: str, body: bytes | None, headers: dict[str, str]
    ) -> http.client.HTTPResponse:
        """The response to one request, its headers read, its body not (`done` when read)."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "", parts.port or _PORTS[parts.scheme])
        with self._lock:
            idle = self._idle.get(key)
            conn = idle.pop() if idle else None
        if conn is None:
            conn = self._connect(key)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        proxy_headers = getattr(conn, "_davtui_plain_proxy", None)
        if proxy_headers is not None:  # an HTTP proxy takes the absolute URL
            target, headers = url.split("#", 1)[0], {**headers, **proxy_headers}
        try:
            conn.request(method, target, body=body, headers=headers)
            response = conn.getresponse()
        except BaseException:
            conn.close()
            raise
        response._davtui_key = key  # type: ignore[attr-defined]
        response._davtui_conn = conn  # type: ignore[attr-defined]
        return response

    def done(self, response: http.client.HTTPResponse) -> None:
        """Give the connection of a response back: to the pool when its body was read to the
        end and the server keeps it open, else closed."""
        conn: http.client.HTTPConnection | None = getattr(response, "_davtui_conn", None)
        if conn is None:
            return
        response._davtui_conn = None  # type: ignore[attr-defined]
        if not response.isclosed() or response.will_close:
            response.close()
            conn.close()
            return
        with self._lock:
            self._idle.setdefault(response._davtui_key, []).append(conn)  # type: ignore[attr-defined]

    def discard(self, response: http.client.HTTPResponse) -> None:
        """Done with a response whose body does not matter (an error page): a short one is
        read away so that its connection can serve the next request."""
        with contextlib.suppress(OSError, http.client.HTTPException):
            response.read(_DISCARDED)
        self.done(response)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()

    def _connect(self, key: Key) -> http.client.HTTPConnection:
        scheme, host, port = key
        proxy = None if urllib.request.proxy_bypass(host) else self._proxies.get(scheme)
        if proxy:
            conn = self._via_proxy(proxy, scheme, host, port)
        elif scheme == "https":
            conn = http.client.HTTPSConnection(host, port, context=self._context)
        else:
            conn = http.client.HTTPConnection(host, port)
        conn.timeout = self.connect_timeout
        try:
            conn.connect()
        except ssl.SSLError:
            conn.close()
            raise
        except OSError as exc:
            conn.close()
            raise ConnectFailed(f"{host}:{port}: {exc}") from exc
        conn.sock.settimeout(self.read_timeout)
        return conn

    def _via_proxy(
        self, proxy: str, scheme: str, host: str, port: int
    ) -> http.client.HTTPConnection:
        """HTTPS through CONNECT to the proxy; plain HTTP as absolute URLs sent to it."""
        parts = urlsplit(proxy if "://" in proxy else "http://" + proxy)
        headers = {}
        if parts.username:
            login = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            headers["Proxy-Authorization"] = "Basic " + base64.b64encode(login.encode()).decode()
        address = parts.hostname or "", parts.port or 8080
        if scheme == "https":
            conn = http.client.HTTPSConnection(*address, context=self._context)
            conn.set_tunnel(host, port, headers=headers)
            return conn
        conn = http.client.HTTPConnection(*address)
        conn._davtui_plain_proxy = headers  # type: ignore[attr-defined]
        return conn


_PORTS = {"http": 80, "https": 443}
_DISCARDED = 64 * 1024


def _tls_context(verify: bool | str) -> ssl.SSLContext:
    """Certificates checked against the system's store, or against a CA file when `verify`
    names one; `False` (the account's explicit choice) checks nothing."""
    if verify is False:
        return ssl._create_unverified_context()  # the account's explicit choice
    return ssl.create_default_context(cafile=verify if isinstance(verify, str) else None)
