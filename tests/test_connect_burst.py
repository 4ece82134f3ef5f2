"""New connections to one host are opened at most `UNANSWERED` at a time before they answer: a
burst of connects overflows a small server's listen queue (Python's socketserver, so Radicale's
built-in server: 5), and every attempt the kernel drops waits a second for its SYN retry.

The server here is real: a listening socket on a free port whose accept loop is fast, and which
holds every answer until the test lets them go, counting the connections it holds unanswered.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from davtui.engine.dav.wire import UNANSWERED, Wire

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


class HoldingServer:
    """Accepts at once, reads each request, and answers only once `release` is set."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.port = self.listener.getsockname()[1]
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.waiting = 0
        self.most_waiting = 0
        self.served = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            if not conn.recv(65536):
                return
            with self.lock:
                self.waiting += 1
                self.most_waiting = max(self.most_waiting, self.waiting)
            self.release.wait(30)
            with self.lock:
                self.waiting -= 1
                self.served += 1
            conn.sendall(ANSWER)


@pytest.fixture
def server() -> Iterator[HoldingServer]:
    held = HoldingServer()
    yield held
    held.release.set()
    held.listener.close()


def test_a_burst_opens_at_most_a_few_unanswered_connections(server: HoldingServer) -> None:
    wire = Wire(True, connect_timeout=5, read_timeout=30)

    def get(n: int) -> int:
        response = wire.send("GET", f"http://127.0.0.1:{server.port}/{n}", None, {})
        response.read()
        wire.done(response)
        return response.status

    with ThreadPoolExecutor(12) as pool:
        answers = [pool.submit(get, n) for n in range(12)]
        # the twelve threads have had time to connect: only the first few did
        assert not server.release.wait(0.5)
        with server.lock:
            assert server.waiting == UNANSWERED
        server.release.set()
        assert [answer.result(timeout=30) for answer in answers] == [200] * 12
    assert server.served == 12 and server.most_waiting == UNANSWERED
    wire.close()
