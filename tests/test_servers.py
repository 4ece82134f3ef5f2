"""The server fixtures are real: both answer PROPFIND, and Radicale checks passwords."""

from __future__ import annotations

import base64
import urllib.error
import urllib.request

from tests.servers import Server

PROPFIND = b'<?xml version="1.0"?><propfind xmlns="DAV:"><prop><resourcetype/></prop></propfind>'


def propfind(url: str, user: str, password: str) -> int:
    request = urllib.request.Request(url, data=PROPFIND, method="PROPFIND")
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    request.add_header("Authorization", f"Basic {token}")
    request.add_header("Depth", "0")
    request.add_header("Content-Type", "application/xml; charset=utf-8")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_radicale_principal_answers_207(radicale: Server) -> None:
    assert propfind(radicale.url + "alice/", "alice", "alicepw") == 207


def test_radicale_wrong_password_is_401(radicale: Server) -> None:
    assert propfind(radicale.url + "alice/", "alice", "wrong") == 401


def test_xandikos_principal_answers_207(xandikos: Server) -> None:
    assert propfind(xandikos.url + "alice/", "alice", "anything") == 207
