"""The real SOGo 5.8 of the lab (`../shared/servers/start-sogo.sh`), as a session fixture.

SOGo cannot be started from PyPI, so the tests use the lab's instance on its nginx front
(127.0.0.1:5243, as mailcow runs it) — only when told to: the fixture empties the lab's
accounts, and a test never resets whatever else may answer on a port. `DAVTUI_SOGO=1` says
the lab's SOGo was started for this run; CI sets `DAVTUI_REQUIRE_SOGO=1` after starting it,
and there a SOGo that does not answer fails the tests instead of skipping them.
"""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest

from davtui.engine.storages.contract import ADDRESSBOOK, CALENDAR, AccountSpec
from tests import dav

FRONT = "http://127.0.0.1:5243/SOGo/dav/"
DIRECT = "http://127.0.0.1:5240/SOGo/dav/"
USERS = {"alice": "alicepw", "bob": "bobpw", "carol@example.org": "carolpw"}
HOMES = {CALENDAR: "Calendar", ADDRESSBOOK: "Contacts"}
#: The collections every SOGo account has and keeps.
DEFAULTS = frozenset({"Calendar/personal/", "Contacts/personal/"})


@dataclass(frozen=True)
class Sogo:
    """The lab's SOGo: URLs, users, and plain-HTTP helpers that keep accounts tidy."""

    url: str = FRONT
    direct: str = DIRECT
    users: dict[str, str] = field(default_factory=lambda: dict(USERS))

    def spec(self, user: str = "alice", url: str | None = None) -> AccountSpec:
        return AccountSpec(url=url or self.url, username=user, password=self.users[user])

    def auth(self, user: str) -> dict[str, str]:
        """Keyword arguments of `tests.dav` helpers for `user`."""
        return {"user": user, "password": self.users[user]}

    def home(self, user: str, kind: str) -> str:
        """The calendar or address-book home of `user`, spelled as SOGo lists it."""
        return f"{self.url}{quote(user, safe='@')}/{HOMES[kind]}/"

    def collections(self, user: str) -> set[str]:
        """'Calendar/x/' and 'Contacts/y/' paths of every collection `user` has."""
        found = set()
        for kind, segment in HOMES.items():
            status, text = dav.request(
                self.home(user, kind), "PROPFIND", dav.LISTING,
                headers={"Depth": "1", "Content-Type": "application/xml"}, **self.auth(user),
            )  # fmt: skip
            assert status == 207, status
            for href in re.findall(rb"<(?:\w+:)?href>([^<]*)</", text):
                href = href.decode()
                name = href.rstrip("/").rsplit("/", 1)[-1]
                if href.endswith("/") and name != segment:
                    found.add(f"{segment}/{name}/")
        return found

    def empty(self, user: str, path: str) -> None:
        """Delete every item of one collection (the default ones cannot be deleted)."""
        url = self.url + quote(user, safe="@") + "/" + path
        for href in dav.listing(url, **self.auth(user)):
            dav.request(self.url.split("/SOGo/")[0] + href, "DELETE", **self.auth(user))

    @contextmanager
    def tidy(self, *users: str) -> Iterator[None]:
        """Remove what the block adds to the accounts of `users`: new collections are deleted
        and the default ones emptied, so the lab stays small however often tests run."""
        before = {user: self.collections(user) for user in users}
        try:
            yield
        finally:
            for user in users:
                self._restore(user, before[user])

    def reset(self) -> None:
        """Bring every account back to its default collections, emptied: a run killed inside a
        `tidy` block (a stopped CI, a ^C) must not leave the next run a dirty lab."""
        for user in self.users:
            self._restore(user, DEFAULTS)

    def _restore(self, user: str, keep: set[str] | frozenset[str]) -> None:
        for path in sorted(self.collections(user) - keep):
            url = self.url + quote(user, safe="@") + "/" + path
            dav.request(url, "DELETE", **self.auth(user))
        for path in DEFAULTS:
            self.empty(user, path)


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=3)
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


@pytest.fixture(scope="session")
def sogo() -> Sogo:
    """The lab's SOGo, or a skip (a failure when `DAVTUI_REQUIRE_SOGO` is set, as in CI)."""
    required = bool(os.environ.get("DAVTUI_REQUIRE_SOGO"))
    if not (required or os.environ.get("DAVTUI_SOGO")):
        pytest.skip(
            "no SOGo was named for this run: start ../shared/servers/start-sogo.sh "
            "and set DAVTUI_SOGO=1"
        )
    if not _answers(FRONT):
        reason = "SOGo does not answer on 127.0.0.1:5243: start ../shared/servers/start-sogo.sh"
        if required:
            pytest.fail(f"{reason} (DAVTUI_REQUIRE_SOGO is set)")
        pytest.skip(reason)
    lab = Sogo()
    lab.reset()
    return lab
