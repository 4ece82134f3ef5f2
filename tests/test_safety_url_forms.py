"""URLs that are no http(s) are refused before anything is sent (issue 18), in the engine
and as `davtui account test` says it: one sentence and exit 2, no password in it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from davtui.engine import errors
from davtui.engine.dav.discovery import discover
from davtui.engine.dav.transport import Transport
from tests.credentials import dav_server, davtui, login, principal_props, response
from tests.hostile import Answer, Hostile, Seen, hostile, multistatus


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/dav/", "file:///etc/", "htps://127.0.0.1/"])
def test_a_url_that_is_not_http_is_refused_before_sending(url: str) -> None:
    with pytest.raises(errors.BadURL) as failure:
        discover(login(url))
    assert "is not an http:// or https:// URL" in str(failure.value)
    with pytest.raises(errors.BadURL):
        Transport(login(url))
    with pytest.raises(errors.BadURL):
        Transport(login("http://127.0.0.1/")).request("GET", url)


@pytest.mark.parametrize("scheme", ["ftp", "file", "htps"])
def test_account_test_of_a_url_that_is_not_http_is_one_sentence_and_exit_2(
    scheme: str, home: Path
) -> None:
    """Whichever check meets it first (the account's URL or the transport), nothing reaches
    the listener at that port and the user reads one sentence."""
    with hostile(dav_server) as b:
        url = "file:///etc/" if scheme == "file" else f"{scheme}://127.0.0.1:{b.port}/"
        env = {**os.environ, "PW": "s3cret-pw"}
        login_options = ["--url", url, "-u", "alice", "--password-env", "PW"]
        added = davtui(home / "a.db", "account", "add", "a", *login_options, env=env)
        if added.returncode == 0:
            done = davtui(home / "a.db", "account", "test", "a", env=env)
        else:
            done = added
        assert b.seen == []
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr and "s3cret" not in done.stderr + done.stdout


def test_account_test_of_a_principal_elsewhere_is_one_sentence_and_exit_2(
    listener: Hostile, home: Path
) -> None:
    def a_server(seen: Seen, _handler: object) -> Answer:
        return multistatus(response(seen.path, principal_props(f"{listener.url}/p/", "/cal/")))

    with hostile(a_server) as a:
        env = {**os.environ, "PW": "s3cret-pw"}
        login_options = ["--url", a.url + "/", "-u", "alice", "--password-env", "PW"]
        assert davtui(home / "a.db", "account", "add", "a", *login_options, env=env).returncode == 0
        done = davtui(home / "a.db", "account", "test", "a", env=env)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert f"points to http://127.0.0.1:{listener.port}, not http://127.0.0.1:{a.port}" in lines[0]
    assert listener.seen == []


# -- child processes -------------------------------------------------------------------------
