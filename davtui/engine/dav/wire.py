"""HTTP/1.1 on the wire: kept-alive connections per host, from the standard library's
`http.client`.

Why not niquests (caldav's client, which davtui used before): it spends about 1.2 ms of CPU
on every request in its layers (session merging, hooks, the h11 state machine), http.client
about 0.3 ms; a migration sends one PUT per item, so that was the largest single cost of the
client (bench/RESULTS.md). What the session gave beyond the wire is kept, and small: TLS
verified against the system store or a CA file, HTTP(S)_PROXY and NO_PROXY from the
environment (read once), a pool of idle connections. Redirects, retries and error mapping
are the Transport's.

Every answer is read against a `Deadline`, not only per read: a socket timeout alone lets a
server that sends one byte every few seconds hold a request open forever, so each read of the
status line, the headers and the body waits at most what is left of the answer's allowance.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import http.client
import io
import socket
import ssl
import threading
import time
import urllib.request
from urllib.parse import unquote, urlsplit

Key = tuple[str, str, int]


class ConnectFailed(OSError):
    """No connection could be opened (refused, unresolvable, timed out): nothing was sent."""


class DeadlinePassed(TimeoutError):
    """The server took longer than the answer's deadline: a timeout of the whole answer."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no complete answer within {seconds:.0f} s")
        self.seconds = seconds


class Deadline:
    """How long a server may make us wait for one answer (headers and body).

    Only time spent waiting for the server's bytes counts, never the time the
    caller takes between two reads of a streamed body, which is ours. A long body earns
    `per_byte` seconds more for every byte received, so a big listing on a slow link gets
    the time it needs, while a server that drips bytes still runs out: its allowance grows
    by microseconds while its wait grows by seconds."""

    __slots__ = ("per_byte", "received", "seconds", "spent")

    def __init__(self, seconds: float, per_byte: float = 0.0) -> None:
        self.seconds = seconds
        self.per_byte = per_byte
        self.received = 0
        self.spent = 0.0

    @property
    def allowed(self) -> float:
        return self.seconds + self.received * self.per_byte

    def left(self) -> float:
        return self.allowed - self.spent


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
        # the system store costs ~25 ms of CPU and ~2 MB: loaded on the first https connection,
        # never by a run over plain http; a CA file or `verify=False` at once, as before (a
        # missing CA file is an error of the account, not of a connection)
        self._context: ssl.SSLContext | None = None if verify is True else _tls_context(verify)
        self._proxies = urllib.request.getproxies()
        self._idle: dict[Key, list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()

    def send(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: dict[str, str],
        deadline: Deadline | None = None,
    ) -> http.client.HTTPResponse:
        """The response to one request, its headers read, its body not (`done` when read);
        every read of the answer counts against `deadline` (`DeadlinePassed`). Sending is
        bounded by the read timeout (`sendall` holds it for the whole request)."""
        deadline = deadline or Deadline(float("inf"))
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "", parts.port or _PORTS[parts.scheme])
        conn = self._take_idle(key)
        gate = None
        if conn is None:  # a new connection: it counts as unanswered until its first answer
            gate = _unanswered(key)
            gate.acquire()
            conn = self._take_idle(key)  # one may have come back while this thread waited
            if conn is not None:
                gate.release()
                gate = None
        try:
            return self._exchange(key, conn, method, url, body, headers, deadline)
        finally:
            if gate is not None:
                gate.release()

    def _exchange(
        self,
        key: Key,
        conn: http.client.HTTPConnection | None,
        method: str,
        url: str,
        body: bytes | None,
        headers: dict[str, str],
        deadline: Deadline,
    ) -> http.client.HTTPResponse:
        """One request on `conn` (None: a new connection) and the headers of its answer."""
        parts = urlsplit(url)
        if conn is None:
            conn = self._connect(key)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        proxy_headers = getattr(conn, "_davtui_plain_proxy", None)
        if proxy_headers is not None:  # an HTTP proxy takes the absolute URL
            target, headers = url.split("#", 1)[0], {**headers, **proxy_headers}
        # http.client only calls response_class(sock, method=...); typeshed wants a class
        conn.response_class = functools.partial(  # type: ignore[assignment]
            _TimedResponse, read_timeout=self.read_timeout, deadline=deadline
        )
        sock = conn.sock  # a reader may have lowered its timeout near an earlier deadline
        if sock is not None and sock.gettimeout() != self.read_timeout:
            sock.settimeout(self.read_timeout)
        try:
            conn.request(method, target, body=body, headers=headers)
            response = conn.getresponse()
        except TimeoutError:
            conn.close()
            if deadline.left() <= 0:
                raise DeadlinePassed(deadline.allowed) from None
            raise
        except BaseException:
            conn.close()
            raise
        response._davtui_key = key  # type: ignore[attr-defined]
        response._davtui_conn = conn  # type: ignore[attr-defined]
        return response

    def _take_idle(self, key: Key) -> http.client.HTTPConnection | None:
        with self._lock:
            idle = self._idle.get(key)
            return idle.pop() if idle else None

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

    def discard(self, response: http.client.HTTPResponse) -> bytes:
        """Done with a response whose body matters little (an error page): a short one is
        read away so that its connection can serve the next request; what was read is
        returned (an error's own words)."""
        body = b""
        with contextlib.suppress(OSError, http.client.HTTPException):
            body = response.read(_DISCARDED)
        self.done(response)
        return body

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()

    def _tls(self) -> ssl.SSLContext:
        """The TLS context; the system store's is built on the first https connection.
        Called outside `_lock`, which it takes."""
        if self._context is None:
            with self._lock:
                if self._context is None:
                    self._context = _tls_context(True)
        return self._context

    def _connect(self, key: Key) -> http.client.HTTPConnection:
        scheme, host, port = key
        proxy = None if urllib.request.proxy_bypass(host) else self._proxies.get(scheme)
        if proxy:
            conn = self._via_proxy(proxy, scheme, host, port)
        elif scheme == "https":
            conn = http.client.HTTPSConnection(host, port, context=self._tls())
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
            conn = http.client.HTTPSConnection(*address, context=self._tls())
            conn.set_tunnel(host, port, headers=headers)
            return conn
        plain = http.client.HTTPConnection(*address)
        plain._davtui_plain_proxy = headers  # type: ignore[attr-defined]
        return plain


class _TimedReader(io.RawIOBase):
    """The socket's bytes, each wait for them bounded by what is left of the deadline:
    `http.client` reads lines and bodies through loops of reads that a socket timeout
    bounds one by one, never in total. It stands in for the socket given to `HTTPResponse`,
    which only asks it for `makefile`."""

    def __init__(self, sock: socket.socket, read_timeout: float, deadline: Deadline) -> None:
        super().__init__()
        self._sock = sock
        # not read through (one layer less per read): it keeps the socket open while we read,
        # as `HTTPConnection.close()` closes it under a response that ends the connection
        self._raw = sock.makefile("rb", buffering=0)
        self._read_timeout = read_timeout
        self._timeout = sock.gettimeout()
        self._deadline = deadline

    def makefile(self, _mode: str) -> io.BufferedReader:
        return io.BufferedReader(self)

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._raw.fileno()

    def readinto(self, buffer: bytearray | memoryview) -> int | None:  # type: ignore[override]
        deadline = self._deadline
        left = deadline.seconds + deadline.received * deadline.per_byte - deadline.spent
        if left <= 0:
            raise DeadlinePassed(deadline.allowed)
        timeout = left if left < self._read_timeout else self._read_timeout
        if timeout != self._timeout:
            self._sock.settimeout(timeout)
            self._timeout = timeout
        started = time.monotonic()
        try:
            count = self._sock.recv_into(buffer)
        except TimeoutError:
            deadline.spent += time.monotonic() - started
            if deadline.left() <= 0:
                raise DeadlinePassed(deadline.allowed) from None
            raise
        deadline.spent += time.monotonic() - started
        if count:
            deadline.received += count
        return count

    def close(self) -> None:
        self._raw.close()
        super().close()


class _TimedResponse(http.client.HTTPResponse):
    """A response read through `_TimedReader`: its whole answer bounded by a deadline."""

    def __init__(
        self,
        sock: socket.socket,
        debuglevel: int = 0,
        method: str | None = None,
        url: str | None = None,
        *,
        read_timeout: float,
        deadline: Deadline,
    ) -> None:
        reader = _TimedReader(sock, read_timeout, deadline)
        # HTTPResponse only asks its socket for makefile(), which the reader gives
        super().__init__(reader, debuglevel, method, url)  # type: ignore[arg-type]


#: New connections to one host (of this process) waiting for their first answer, at most. A
#: small server's listen queue (Python's socketserver, so Radicale's: 5) overflows under a
#: burst of connects; the kernel then drops the connection attempts it cannot queue, and each
#: waits for the client's SYN retry: a second. A connection that answered was accepted.
UNANSWERED = 4
_unanswered_lock = threading.Lock()
_unanswered_gates: dict[Key, threading.BoundedSemaphore] = {}


def _unanswered(key: Key) -> threading.BoundedSemaphore:
    with _unanswered_lock:
        return _unanswered_gates.setdefault(key, threading.BoundedSemaphore(UNANSWERED))


_PORTS = {"http": 80, "https": 443}
_DISCARDED = 64 * 1024


def _tls_context(verify: bool | str) -> ssl.SSLContext:
    """Certificates checked against the system's store, or against a CA file when `verify`
    names one; `False` (the account's explicit choice) checks nothing."""
    if verify is False:  # the account's explicit choice
        context = ssl.create_default_context()
        context.check_hostname = False  # before verify_mode: ssl refuses the other order
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=verify if isinstance(verify, str) else None)
