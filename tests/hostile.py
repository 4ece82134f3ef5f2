"""Small real hostile servers for the safety tests: plain HTTP on free loopback ports.

A test describes a behaviour as a function of the request (method, path, headers, body) that
answers with a status, headers and a body, or that writes to the socket itself (to drip, cut
off or never end). Every request a server received is kept, so a test can prove that no
credential ever reached a listener it should not.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Answer:
    """What to send back: a status, headers and a body (bytes, or chunks to send chunked)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


#: A behaviour: the request, and the handler (to write raw bytes to `handler.wfile`); returns
#: the answer, or None when it wrote (or refused to write) the answer itself.
Behaviour = Callable[[Seen, BaseHTTPRequestHandler], Answer | None]


@dataclass
class Hostile:
    """A running hostile server."""

    url: str
    port: int
    seen: list[Seen]

    def authorized(self) -> list[Seen]:
        """The requests that carried an Authorization header."""
        return [s for s in self.seen if "authorization" in s.headers]


def _handler(behaviour: Behaviour, seen: list[Seen]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the tests read `seen`, not stderr."""

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            request = Seen(
                self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
            )
            seen.append(request)
            try:
                answer = behaviour(request, self)
                if answer is None:
                    self.close_connection = True
                    return
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        do_GET = do_PUT = do_DELETE = do_PROPFIND = do_REPORT = _any
        do_OPTIONS = do_HEAD = do_MKCOL = do_MKCALENDAR = do_PROPPATCH = do_POST = _any

    return Handler


@contextmanager
def hostile(behaviour: Behaviour, tls: ssl.SSLContext | None = None) -> Iterator[Hostile]:
    """Serve `behaviour` on a free 127.0.0.1 port until the block ends (over TLS with `tls`)."""
    seen: list[Seen] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(behaviour, seen))
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        yield Hostile(f"{'https' if tls else 'http'}://127.0.0.1:{port}", port, seen)
    finally:
        server.shutdown()
        server.server_close()


def multistatus(*responses: str) -> Answer:
    """A 207 with the given `<d:response>` fragments."""
    body = '<?xml version="1.0"?><d:multistatus xmlns:d="DAV:">' + "".join(responses)
    return Answer(207, {"Content-Type": "application/xml"}, (body + "</d:multistatus>").encode())


def silent_listener() -> tuple[socket.socket, int]:
    """A socket that accepts connections and never answers (the caller closes it)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    return sock, sock.getsockname()[1]
