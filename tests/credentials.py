"""Shared parts of the credential tests (issue 18): a login, the DAV answers a hostile
server gives, the second listener that must never see that login, and the check of a
refusal's one sentence, `davtui` as a subprocess. Apart so that each test file holds one
subject."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from davtui.engine.storages.contract import AccountSpec
from tests.hostile import Answer, Hostile, Seen, hostile, multistatus

CALDAV = "urn:ietf:params:xml:ns:caldav"


def login(url: str, **extra: object) -> AccountSpec:
    return AccountSpec(url=url, username="alice", password="s3cret-pw", **extra)  # type: ignore[arg-type]


def response(href: str, props: str) -> str:
    """One `<d:response>` with 200 properties (CalDAV's namespace bound to c:)."""
    return (
        f'<d:response xmlns:c="{CALDAV}"><d:href>{href}</d:href><d:propstat><d:prop>{props}'
        "</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"
    )


def principal_props(principal: str, calendars: str) -> str:
    return (
        f"<d:current-user-principal><d:href>{principal}</d:href></d:current-user-principal>"
        f"<c:calendar-home-set><d:href>{calendars}</d:href></c:calendar-home-set>"
        "<d:resourcetype><d:collection/></d:resourcetype>"
    )


def dav_server(seen: Seen, _handler: object) -> Answer:
    """What B would answer if it were asked: a working principal with a home, so that a
    client following the href would find everything it needs there (and send the login)."""
    if seen.method == "OPTIONS":
        return Answer(200, {"DAV": "1, calendar-access"})
    return multistatus(response(seen.path, principal_props("/p/", "/cal/")))


@pytest.fixture
def listener() -> Iterator[Hostile]:
    """B: the second listener that must never see a login."""
    with hostile(dav_server) as b:
        yield b


def refused_sentence(failure: pytest.ExceptionInfo, a: Hostile, b: Hostile) -> str:
    """The one sentence of a refusal: it names both origins and no password."""
    sentence = str(failure.value)
    assert f"http://127.0.0.1:{b.port}" in sentence and f"127.0.0.1:{a.port}" in sentence
    assert "does not send the password there" in sentence and "s3cret" not in sentence
    assert sentence.endswith(".") and ". " not in sentence, sentence
    print(sentence)
    return sentence


def davtui(db: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "davtui", "--db", str(db), *args],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
