"""Bad configuration through the real CLI (`davtui migrate`, `davtui account test`): each
sentence on stderr, the right exit code, few requests (counted where a server of ours sees
them) and never a retried login.

A URL answering a plain web page is exit 2 (a configuration mistake: no DAV service there),
like a path that 404s on a web server and a login whose account has no collection to copy;
network and TLS failures are exit 4; a wrong password exit 3.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import ssl
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.proxy import Proxy
from tests.servers import Server, free_port
from tests.test_faults import WRITES, write_config


class WebSite:
    """A plain web server (optionally TLS): HTML for GET, `status` for every other method;
    `counts` counts requests by method."""

    def __init__(self, status: int = 405, tls: ssl.SSLContext | None = None) -> None:
        self.counts: Counter[str] = Counter()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                pass

            def _answer(self) -> None:
                site.counts[self.command] += 1
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = b"<html><body><h1>Welcome to our shop</h1></body></html>"
                self.send_response(200 if self.command == "GET" else status)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_PROPFIND = do_OPTIONS = do_REPORT = do_POST = _answer

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        port = self._server.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{port}/"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def self_signed(tmp: Path) -> ssl.SSLContext:
    """A server context with a fresh self-signed certificate for 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    (tmp / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp / "cert.pem", tmp / "key.pem")
    return context


@pytest.fixture
def website() -> Iterator[WebSite]:
    site = WebSite()
    yield site
    site.close()


@pytest.fixture
def tls_site(tmp_path: Path) -> Iterator[WebSite]:
    site = WebSite(tls=self_signed(tmp_path))
    yield site
    site.close()


def run(tmp: Path, source: str, destination: str, src_pass: str = "alicepw", **side):
    """`davtui migrate` (no --json: what a user reads) -> (exit code, the stderr lines)."""
    config = write_config(tmp / "m.json", source, destination, timeout=5)
    if side:
        data = json.loads(config.read_text())
        data["source"].update(side)
        config.write_text(json.dumps(data))
    env = {**os.environ, "SRC_PASS": src_pass, "DST_PASS": "alicepw"}
    done = subprocess.run(
        [sys.executable, "-m", "davtui", "--db", str(tmp / "m.db"), "migrate", str(config)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stderr.strip().splitlines()


def the_error(lines: list[str]) -> str:
    """The one error sentence: every ERROR line says the same thing."""
    errors = {line.split("ERROR", 1)[1].strip().removeprefix("run failed: ") for line in lines
              if "ERROR" in line}  # fmt: skip
    assert len(errors) == 1, lines
    sentence = errors.pop()
    assert sentence.endswith(".") and sentence.count(". ") == 0, sentence
    print(sentence)
    return sentence


def test_wrong_password_is_3_and_never_retried(radicale: Server, tmp_path: Path) -> None:
    with Proxy(radicale.url) as src:
        code, lines = run(tmp_path, src.url, radicale.url, src_pass="Wr0ng!")
    assert code == 3, lines
    assert "refused the login of 'alice'" in the_error(lines)
    assert [s for _m, _p, s in src.log] == [401], src.log
    assert "Wr0ng!" not in "\n".join(lines)


def test_unknown_host_is_4(radicale: Server, tmp_path: Path) -> None:
    code, lines = run(tmp_path, "http://no-such-host.invalid/dav/", radicale.url)
    assert code == 4, lines
    assert "no-such-host.invalid could not be reached" in the_error(lines)


def test_refused_connection_is_4(radicale: Server, tmp_path: Path) -> None:
    port = free_port()
    code, lines = run(tmp_path, f"http://127.0.0.1:{port}/", radicale.url)
    assert code == 4, lines
    assert f"127.0.0.1:{port} could not be reached" in the_error(lines)


def test_self_signed_certificate_is_4(tls_site: WebSite, radicale: Server, tmp_path: Path) -> None:
    code, lines = run(tmp_path, tls_site.url, radicale.url)
    assert code == 4, lines
    assert "certificate" in the_error(lines) and "could not be verified" in the_error(lines)
    assert sum(tls_site.counts.values()) == 0, "nothing was sent over an unverified connection"


def test_tls_off_warns_then_the_page_is_no_dav(
    tls_site: WebSite, radicale: Server, tmp_path: Path
) -> None:
    code, lines = run(tmp_path, tls_site.url, radicale.url, verify_tls=False)
    assert any("TLS verification is off" in line for line in lines), lines
    assert code == 2, lines
    assert "no CalDAV or CardDAV service" in the_error(lines)


def test_http_spoken_to_an_https_port_is_4(
    tls_site: WebSite, radicale: Server, tmp_path: Path
) -> None:
    plain = tls_site.url.replace("https://", "http://")
    code, lines = run(tmp_path, plain, radicale.url)
    assert code == 4, lines
    assert "could not be reached" in the_error(lines)


def test_https_spoken_to_an_http_port_is_4(radicale: Server, tmp_path: Path) -> None:
    tls = radicale.url.replace("http://", "https://")
    code, lines = run(tmp_path, tls, radicale.url)
    assert code == 4, lines
    assert "TLS" in the_error(lines) or "SSL" in the_error(lines)


@pytest.mark.parametrize("status", [405, 404])
def test_a_web_page_or_a_404_is_2_after_few_requests(
    status: int, radicale: Server, tmp_path: Path
) -> None:
    site = WebSite(status)
    try:
        code, lines = run(tmp_path, site.url + "calendars/alice/", radicale.url)
    finally:
        site.close()
    assert code == 2, lines
    assert "no CalDAV or CardDAV service was found" in the_error(lines)
    assert sum(site.counts.values()) <= 10, site.counts


def test_an_account_with_empty_homes_is_2(
    fresh_radicale: Server, fresh_xandikos: Server, tmp_path: Path
) -> None:
    """bob logs in on Radicale but has no calendar and no address book: nothing to copy."""
    with Proxy(fresh_radicale.url) as src:
        code, lines = run(tmp_path, src.url, fresh_xandikos.url, "bobpw", username="bob")
    assert code == 2, lines
    assert "no calendar and no address book" in the_error(lines)
    assert not any(src.counts[m] for m in WRITES), src.counts


def test_account_test_gives_the_same_sentences(
    radicale: Server, tls_site: WebSite, website: WebSite, tmp_path: Path
) -> None:
    """`davtui account test` on stored accounts: one line on stderr, the same exit codes."""
    with Proxy(radicale.url) as src:
        cases = [
            (src.url, 3, "refused the login of 'alice'"),
            (f"http://127.0.0.1:{free_port()}/", 4, "could not be reached (Connection refused)"),
            (tls_site.url, 4, "could not be verified (certificate verify failed"),
            (website.url, 2, "no CalDAV or CardDAV service was found"),
        ]
        env = {**os.environ, "PW": "Wr0ng!"}
        for n, (url, code, phrase) in enumerate(cases):
            db = ["--db", str(tmp_path / "a.db")]
            login = ["--url", url, "-u", "alice", "--password-env", "PW"]
            davtui = [sys.executable, "-m", "davtui", *db, "account"]
            added = subprocess.run([*davtui, "add", f"a{n}", *login], env=env, timeout=60)
            assert added.returncode == 0
            done = subprocess.run(
                [*davtui, "test", f"a{n}"], capture_output=True, text=True, env=env, timeout=120
            )
            lines = done.stderr.strip().splitlines()
            assert done.returncode == code and len(lines) == 1 and phrase in lines[0], lines
            assert "Wr0ng!" not in done.stdout + done.stderr
    assert [s for _m, _p, s in src.log] == [401], "a refused login is never retried"
