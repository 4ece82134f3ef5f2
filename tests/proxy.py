"""A real HTTP reverse proxy for tests: counts requests and injects faults on the wire.

Listens on a free 127.0.0.1 port and forwards to an upstream base URL, with keep-alive on both
sides (one upstream connection per client connection) and response bodies streamed in chunks.
Request bodies are read whole before forwarding, so a fault hook can look at them.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}


@dataclass
class Fault:
    """What to do instead of (or before) forwarding one request.

    `status`: answer this status (with `headers`) without forwarding; `action` "reset": close
    the connection before answering, the request never reaches the server; "drop-response":
    forward the request, then close without answering; `delay`: wait this long first;
    `mangle`: forward, then answer the server's status with `mangle(body)` as the body;
    `identity`: forward without Accept-Encoding, so that `mangle` sees the body uncompressed."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    action: str | None = None
    delay: float = 0.0
    mangle: Callable[[bytes], bytes] | None = None
    identity: bool = False


#: fault(method, path, attempt, body) -> Fault | None; `attempt` counts (method, path) from 1.
FaultHook = Callable[[str, str, int, bytes], "Fault | None"]


class Proxy:
    """`url` is the proxy's base URL; `counts` counts methods, `log` holds (method, path,
    status) with status 0 for a connection closed without answer, `reports` counts REPORTs
    by their kind (the body's root element: "sync-collection", "calendar-multiget"...)."""

    def __init__(
        self,
        upstream: str,
        fault: FaultHook | None = None,
        latency: float = 0.0,
        passes_close: bool = False,
    ):
        """`passes_close`: when the upstream closes its connection after an answer, so does
        the proxy (as the client would see the server do without a proxy); else it keeps the
        client's connection and opens a new one upstream."""
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.fault = fault
        self.latency = latency
        self.passes_close = passes_close
        self.counts: Counter[str] = Counter()
        self.reports: Counter[str] = Counter()
        self.log: list[tuple[str, str, int]] = []
        self._attempts: defaultdict[tuple[str, str], int] = defaultdict(int)
        self._lock = threading.Lock()
        self.in_flight = 0  # requests being handled now
        self.peak = 0  # the most ever handled at once (a client's concurrency limit)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def reset(self) -> None:
        """Forget the counts, the log and the attempt numbers (not the fault hook)."""
        with self._lock:
            self.counts.clear()
            self.reports.clear()
            self.log.clear()
            self._attempts.clear()

    def record(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self.log.append((method, path, status))

    def attempt(self, method: str, path: str) -> int:
        with self._lock:
            self.counts[method] += 1
            self._attempts[(method, path)] += 1
            return self._attempts[(method, path)]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Proxy:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _handler_for(proxy: Proxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # TCP_NODELAY: a relayed answer goes out in several writes (headers, chunks, the last
        # chunk); with Nagle, the later ones wait for the client's delayed ACK, ~40 ms a request
        disable_nagle_algorithm = True
        upstream: http.client.HTTPConnection | None = None

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def handle_one_request(self) -> None:
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return
            if "://" in self.path:  # absolute form: a client using this as its HTTP proxy
                parts = urlsplit(self.path)
                self.path = parts.path + (f"?{parts.query}" if parts.query else "")
            self._proxy(self.command)

        def _proxy(self, method: str) -> None:
            with proxy._lock:
                proxy.in_flight += 1
                proxy.peak = max(proxy.peak, proxy.in_flight)
            try:
                self._handle(method)
            finally:
                with proxy._lock:
                    proxy.in_flight -= 1

        def _handle(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            attempt = proxy.attempt(method, self.path)
            if method == "REPORT" and (root := re.search(rb"<(?:\w+:)?([\w-]+)[\s>/]", body)):
                with proxy._lock:
                    proxy.reports[root.group(1).decode()] += 1
            fault = proxy.fault(method, self.path, attempt, body) if proxy.fault else None
            time.sleep(proxy.latency + (fault.delay if fault else 0.0))
            if fault and fault.action == "reset":
                return self._hang_up(method)
            if fault and fault.status:
                return self._answer(method, fault.status, fault.headers)
            response = self._forward(method, body, fault is not None and fault.identity)
            if fault and fault.action == "drop-response":
                response.read()
                return self._hang_up(method)
            if fault and fault.mangle:
                return self._mangled(method, response, fault.mangle)
            self._relay(method, response)

        def _hang_up(self, method: str) -> None:
            proxy.record(method, self.path, 0)
            self.close_connection = True

        def _answer(self, method: str, status: int, headers: dict[str, str]) -> None:
            proxy.record(method, self.path, status)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _mangled(
            self, method: str, response: http.client.HTTPResponse, mangle: Callable
        ) -> None:
            body = mangle(response.read())
            proxy.record(method, self.path, response.status)
            self.send_response_only(response.status, response.reason)
            for name, value in response.getheaders():
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self._pass_close(response)
            self.end_headers()
            self.wfile.write(body)
            if response.will_close:
                self.upstream = None

        def _pass_close(self, response: http.client.HTTPResponse) -> None:
            if proxy.passes_close and response.will_close:
                self.send_header("Connection", "close")  # and close_connection: set by it

        def _forward(
            self, method: str, body: bytes, identity: bool = False
        ) -> http.client.HTTPResponse:
            dropped = HOP_BY_HOP | ({"accept-encoding"} if identity else set())
            headers = {k: v for k, v in self.headers.items() if k.lower() not in dropped}
            for fresh in (False, True):  # the upstream may have closed a kept-alive connection
                if self.upstream is None or fresh:
                    self.upstream = http.client.HTTPConnection(
                        proxy.upstream_host, proxy.upstream_port, timeout=300
                    )
                try:
                    self.upstream.request(method, self.path, body=body, headers=headers)
                    return self.upstream.getresponse()
                except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                    if fresh:
                        raise
            raise AssertionError("unreachable")

        def _relay(self, method: str, response: http.client.HTTPResponse) -> None:
            proxy.record(method, self.path, response.status)
            self.send_response_only(response.status, response.reason)
            for name, value in response.getheaders():
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                    self.send_header(name, value)
            length = response.getheader("Content-Length")
            bodyless = method == "HEAD" or response.status in (204, 304)
            chunked = length is None and not bodyless
            if length is not None:
                self.send_header("Content-Length", length)
            elif chunked:
                self.send_header("Transfer-Encoding", "chunked")
            self._pass_close(response)
            self.end_headers()
            while not bodyless and (chunk := response.read1(65536)):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
            response.read()  # mark a bodyless or fully relayed response done, for keep-alive
            if response.will_close:
                self.upstream = None

    return Handler
