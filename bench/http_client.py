"""Client CPU per request: davtui's own HTTP layer (`wire.Wire`, `transport.Transport`) against
urllib3, the library issue 18 asks about (item 8: prefer it if its client CPU per request
stays within 1.2x of today's).

A trivial HTTP/1.1 server runs in another process (its CPU is not counted); the client sends
N small PUTs and N small GETs over one kept-alive connection with each client and prints the
CPU time of this process per request (`time.process_time`), over several rounds, the
clients taking turns so that a busy machine weighs on them alike:

    python bench/http_client.py                 # N=2000, 3 rounds
    python bench/http_client.py -n 500 --rounds 5
    python bench/http_client.py --davtui ../main   # another checkout's davtui (before/after)

Mind which urllib3 is measured: niquests (a dependency of caldav) brings urllib3-future,
which installs itself as `urllib3` over the real one in davtui's venv (`urllib3 2.25.x` is
the fork). The real urllib3 is measured from a venv of its own that imports this checkout:

    python3 -m venv /tmp/u3 && /tmp/u3/bin/pip install urllib3
    /tmp/u3/bin/python bench/http_client.py
"""

from __future__ import annotations

import argparse
import base64
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SERVER = r"""
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BODY = b"BEGIN:VCALENDAR\r\n" + b"X-FILL:" + b"x" * 1000 + b"\r\nEND:VCALENDAR\r\n"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()  # headers and body go in two writes: no Nagle wait between them
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args):
        pass

    def do_PUT(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(201)
        self.send_header("ETag", '"1"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/calendar")
        self.send_header("ETag", '"1"')
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""

ITEM = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + b"X-FILL:" + b"y" * 1000 + b"\r\nEND:VCALENDAR\r\n"
HEADERS = {
    "Content-Type": "text/calendar; charset=utf-8",
    "If-None-Match": "*",
    "Authorization": "Basic " + base64.b64encode(b"alice:alicepw").decode(),
    "User-Agent": "bench",
}


def wire_client(url: str) -> tuple[Callable[[str, str, bytes | None], bytes], Callable]:
    """davtui's Wire alone: the layer urllib3 would replace."""
    from davtui.engine.dav.wire import Wire

    wire = Wire(True, 15.0, 60.0)

    def send(method: str, path: str, body: bytes | None) -> bytes:
        response = wire.send(method, url + path, body, HEADERS)
        data = response.read()
        wire.done(response)
        return data

    return send, wire.close


def transport_client(url: str) -> tuple[Callable[[str, str, bytes | None], bytes], Callable]:
    """davtui's Transport: Wire plus retries, error mapping, slots, deadlines and limits."""
    from davtui.engine.dav.transport import Transport
    from davtui.engine.storages.contract import AccountSpec

    transport = Transport(AccountSpec(url=url, username="alice", password="alicepw"))
    headers = {k: v for k, v in HEADERS.items() if k not in ("Authorization", "User-Agent")}

    def send(method: str, path: str, body: bytes | None) -> bytes:
        return transport.request(method, path, body=body, headers=headers).content

    return send, transport.close


def urllib3_client(url: str) -> tuple[Callable[[str, str, bytes | None], bytes], Callable]:
    """urllib3's PoolManager with what davtui would ask of it: no retries, no redirects
    followed (the Transport does both), the body read at once."""
    import urllib3

    pool = urllib3.PoolManager(
        num_pools=4, maxsize=1, retries=False, timeout=urllib3.Timeout(connect=15.0, read=60.0)
    )

    def send(method: str, path: str, body: bytes | None) -> bytes:
        response = pool.request(
            method, url + path, body=body, headers=HEADERS, preload_content=True, redirect=False
        )
        return response.data

    return send, pool.clear


def urllib3_pool_client(url: str) -> tuple[Callable[[str, str, bytes | None], bytes], Callable]:
    """urllib3 at its leanest: one host's connection pool, no URL parsed per request."""
    import urllib3

    pool = urllib3.connection_from_url(
        url, maxsize=1, retries=False, timeout=urllib3.Timeout(connect=15.0, read=60.0)
    )

    def send(method: str, path: str, body: bytes | None) -> bytes:
        response = pool.urlopen(
            method, path, body=body, headers=HEADERS, preload_content=True, redirect=False
        )
        return response.data

    return send, pool.close


CLIENTS = {
    "wire": wire_client,
    "transport": transport_client,
    "urllib3": urllib3_client,
    "urllib3-pool": urllib3_pool_client,
}


def cpu_per_request(make: Callable, url: str, n: int) -> float:
    """Client CPU seconds per request over `n` PUTs and `n` GETs (after a warm-up)."""
    send, close = make(url)
    try:
        for i in range(50):
            send("PUT", f"/warm/{i}.ics", ITEM)
            send("GET", f"/warm/{i}.ics", None)
        started = time.process_time()
        for i in range(n):
            send("PUT", f"/cal/{i}.ics", ITEM)
            assert send("GET", f"/cal/{i}.ics", None)
        return (time.process_time() - started) / (2 * n)
    finally:
        close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="PUTs (and as many GETs) per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--davtui", type=Path, default=ROOT, help="the checkout to import")
    parser.add_argument("--clients", default=",".join(CLIENTS), help="which, comma-separated")
    args = parser.parse_args()
    sys.path.insert(0, str(args.davtui.resolve()))
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True
    )  # fmt: skip
    try:
        assert server.stdout is not None
        url = f"http://127.0.0.1:{server.stdout.readline().strip()}"
        names = args.clients.split(",")
        results: dict[str, list[float]] = {name: [] for name in names}
        for _round in range(args.rounds):
            for name in names:
                results[name].append(cpu_per_request(CLIENTS[name], url, args.n))
        import urllib3  # which one: niquests' urllib3-future installs itself as `urllib3`

        print(f"client CPU per request, N={args.n} PUT + {args.n} GET, davtui from {args.davtui}")
        print(f"urllib3 {urllib3.__version__} from {Path(urllib3.__file__).parent}")
        base = min(results.get("wire") or results[names[0]])
        for name, values in results.items():
            runs = "  ".join(f"{v * 1e6:6.0f}" for v in values)
            print(f"{name:12} {runs}  µs   best {min(values) / base:.2f}x wire")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
