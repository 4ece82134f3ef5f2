"""Credentials go only where the user pointed them (issue 18): real hostile servers on
loopback name another listener (an href, a redirect) and that listener never sees a login;
URLs that are no http(s) are refused before anything is sent; child processes (password
commands, hooks) never inherit a password of the process."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from davtui.engine import errors
from davtui.engine.dav.discovery import Discovery, as_json, discover, reusable
from davtui.engine.dav.origins import Origins
from davtui.engine.dav.storage import DavStorage
from davtui.engine.dav.transport import Transport
from davtui.engine.storages.contract import AccountSpec
from tests.contract import sample_event
from tests.hostile import Answer, Hostile, Seen, hostile, multistatus
from tests.test_bad_config import self_signed

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


# -- hrefs in answers ------------------------------------------------------------------------


def test_a_principal_on_another_port_is_refused_and_never_asked(listener: Hostile) -> None:
    def a_server(seen: Seen, _handler: object) -> Answer:
        return multistatus(response(seen.path, principal_props(f"{listener.url}/p/", "/cal/")))

    with hostile(a_server) as a:
        with pytest.raises(errors.ForeignHost) as failure:
            discover(login(a.url + "/"))
        assert a.authorized(), "the login went to the account's own server"
    assert "current-user-principal" in refused_sentence(failure, a, listener)
    assert listener.authorized() == [] and listener.seen == []


def test_a_calendar_home_on_another_port_is_refused_and_never_asked(listener: Hostile) -> None:
    def a_server(seen: Seen, _handler: object) -> Answer:
        return multistatus(response(seen.path, principal_props("/p/", f"{listener.url}/cal/")))

    with hostile(a_server) as a, pytest.raises(errors.ForeignHost) as failure:
        discover(login(a.url + "/"))
    assert "calendar-home-set" in refused_sentence(failure, a, listener)
    assert listener.authorized() == [] and listener.seen == []


def test_collection_and_item_hrefs_on_another_port_stay_on_the_account(
    listener: Hostile,
) -> None:
    """A listing naming collections and items on B: the storage keeps only their paths, so
    every request (with the login) goes to A, and B is never asked."""
    b = listener.url
    event = sample_event("x", "X").decode()

    def a_server(seen: Seen, _handler: object) -> Answer:
        if seen.method == "OPTIONS":
            return Answer(200, {"DAV": "1, calendar-access"})
        if seen.path == "/cal/" and seen.headers.get("depth") == "1":
            calendar = "<d:resourcetype><d:collection/><c:calendar/></d:resourcetype>"
            return multistatus(
                response("/cal/", "<d:resourcetype><d:collection/></d:resourcetype>"),
                response(f"{b}/evil/", calendar + "<d:displayname>Evil</d:displayname>"),
            )
        if seen.path == "/evil/" and seen.method == "PROPFIND":
            return multistatus(response(f"{b}/evil/x.ics", '<d:getetag>"1"</d:getetag>'))
        if seen.path == "/evil/" and seen.method == "REPORT":
            data = f"<c:calendar-data>{event}</c:calendar-data>"
            return multistatus(response(f"{b}/evil/x.ics", '<d:getetag>"1"</d:getetag>' + data))
        return multistatus(response(seen.path, principal_props("/p/", "/cal/")))

    with hostile(a_server) as a:
        storage = DavStorage(login(a.url + "/"))
        [collection] = storage.collections()
        refs = list(storage.list(collection))
        fetched = list(storage.fetch(collection, [r.href for r in refs]))
        storage.close()
    assert collection.href == "/evil/" and [r.href for r in refs] == ["/evil/x.ics"]
    assert [f.data is not None for f in fetched] == [True]
    assert listener.seen == [] and a.authorized()


def test_an_absolute_url_on_another_origin_is_refused_by_the_transport(
    listener: Hostile,
) -> None:
    """The one place every request passes: no caller can send the login elsewhere."""
    with hostile(dav_server) as a:
        transport = Transport(login(a.url + "/"))
        with pytest.raises(errors.ForeignHost) as failure:
            transport.request("GET", f"{listener.url}/cal/x.ics")
        transport.close()
    refused_sentence(failure, a, listener)
    assert listener.seen == [] and a.seen == []


def test_an_href_that_would_splice_a_host_into_the_url_stays_on_the_account(
    listener: Hostile,
) -> None:
    """`@127.0.0.1:B/evil/` glued after `http://127.0.0.1:A` would make A's netloc a user
    name and B the host: hrefs become paths on the account's origin, checked once more."""
    spliced = f"@127.0.0.1:{listener.port}/evil/"

    def a_server(seen: Seen, _handler: object) -> Answer:
        if seen.method == "OPTIONS":
            return Answer(200, {"DAV": "1, calendar-access"})
        if seen.path == "/cal/" and seen.headers.get("depth") == "1":
            calendar = "<d:resourcetype><d:collection/><c:calendar/></d:resourcetype>"
            return multistatus(response(spliced, calendar))
        if seen.method == "PROPFIND" and "evil" in seen.path:
            return multistatus(response(spliced + "x.ics", '<d:getetag>"1"</d:getetag>'))
        return multistatus(response(seen.path, principal_props("/p/", "/cal/")))

    with hostile(a_server) as a:
        storage = DavStorage(login(a.url + "/"))
        for collection in storage.collections():
            with contextlib.suppress(errors.DavError):
                list(storage.list(collection))
        storage.close()
    assert listener.seen == []


def test_a_stored_discovery_pointing_elsewhere_is_not_reused() -> None:
    """A discovery stored before hrefs were checked: discovered (and refused) anew."""
    spec = login("http://127.0.0.1:8001/")
    good = Discovery("http://127.0.0.1:8001/", "http://127.0.0.1:8001/p/", None, None)
    assert reusable(as_json(good, spec), spec) == good
    for foreign in (
        replace(good, principal="http://127.0.0.1:8002/p/"),
        replace(good, calendar_home="http://evil.example/cal/"),
        replace(good, base_url="http://127.0.0.1:8002/"),
    ):
        assert reusable(as_json(foreign, spec), spec) is None


# -- redirects -------------------------------------------------------------------------------


def redirecting(status: int, target: str):
    def behaviour(_seen: Seen, _handler: object) -> Answer:
        return Answer(status, {"Location": target})

    return behaviour


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_to_another_port_is_refused_in_discovery(status: int, listener: Hostile) -> None:
    with (
        hostile(redirecting(status, f"{listener.url}/dav/")) as a,
        pytest.raises(errors.ForeignHost) as failure,
    ):
        discover(login(a.url + "/"))
    sentence = refused_sentence(failure, a, listener)
    assert f"use {listener.url}/dav/ as the account's URL" in sentence
    assert listener.authorized() == [] and listener.seen == []


@pytest.mark.parametrize("status", [301, 302, 303, 307])
def test_a_redirect_to_another_port_is_refused_on_any_request(
    status: int, listener: Hostile
) -> None:
    with hostile(redirecting(status, f"{listener.url}/cal/x.ics")) as a:
        transport = Transport(login(a.url + "/"))
        with pytest.raises(errors.ForeignHost) as failure:
            transport.request("GET", "/cal/x.ics")
        transport.close()
    assert "account's URL" not in refused_sentence(failure, a, listener)  # an item's URL
    assert listener.seen == []


def test_a_redirect_from_https_to_http_is_refused(listener: Hostile, tmp_path: Path) -> None:
    with hostile(redirecting(301, f"{listener.url}/dav/"), tls=self_signed(tmp_path)) as a:
        spec = login(a.url + "/", ca_file=str(tmp_path / "cert.pem"))
        with pytest.raises(errors.ForeignHost) as failure:
            discover(spec)
        assert a.authorized(), "the login went to the https server itself"
    sentence = str(failure.value)
    assert f"points to http://127.0.0.1:{listener.port}, not https://127.0.0.1:{a.port}" in sentence
    assert listener.seen == []


def test_a_same_origin_redirect_keeps_the_login() -> None:
    def behaviour(seen: Seen, _handler: object) -> Answer:
        if seen.path == "/old/":
            return Answer(301, {"Location": "/new/"})
        return multistatus(response(seen.path, principal_props("/p/", "/cal/")))

    with hostile(behaviour) as a:
        transport = Transport(login(a.url + "/"))
        reply = transport.request("PROPFIND", "/old/", headers={"Depth": "0"})
        transport.close()
    assert reply.url == f"{a.url}/new/"
    assert [s.path for s in a.authorized()] == ["/old/", "/new/"]


def test_the_origin_rule() -> None:
    plain = Origins.of(login("http://dav.example.org/dav/"))
    assert plain.permits("http://dav.example.org:80/other/")
    assert plain.permits("https://dav.example.org/dav/")  # upgrade to https on the same host
    assert not plain.permits("https://dav.example.org:8443/")
    assert not plain.permits("http://dav.example.org:81/")
    assert not plain.permits("http://evil.example.org/")
    assert not plain.permits("http://dav.example.org@evil.example/")  # userinfo, not the host
    tls = Origins.of(login("https://dav.example.org/"))
    assert tls.permits("https://dav.example.org:443/x")
    assert not tls.permits("http://dav.example.org/")  # never from https to http
    typed = Origins.of(login("example.org"))  # a bare domain: its RFC 6764 SRV targets
    assert typed.permits("https://caldav.example.org:8443/")
    assert typed.permits("https://example.org/")
    assert not typed.permits("http://caldav.example.org/")
    assert not typed.permits("https://badexample.org/")
    cloud = Origins.of(login("https://caldav.icloud.com/"))  # homes on pNN-caldav.icloud.com
    assert cloud.permits("https://p57-caldav.icloud.com:443/123/calendars/")
    assert not cloud.permits("http://p57-caldav.icloud.com/")
    preset = Origins.of(login("https://mail.example.org/", preset="fastmail"))
    assert preset.permits("https://caldav.fastmail.com/dav/")
    assert not plain.permits("https://caldav.fastmail.com/dav/")


# -- schemes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/dav/", "file:///etc/", "htps://127.0.0.1/"])
def test_a_url_that_is_not_http_is_refused_before_sending(url: str) -> None:
    with pytest.raises(errors.BadURL) as failure:
        discover(login(url))
    assert "is not an http:// or https:// URL" in str(failure.value)
    with pytest.raises(errors.BadURL):
        Transport(login(url))
    with pytest.raises(errors.BadURL):
        Transport(login("http://127.0.0.1/")).request("GET", url)


def davtui(db: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "davtui", "--db", str(db), *args],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip


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


def secret_env(tmp_path: Path) -> dict[str, str]:
    """The process's environment with a Fernet key and password variables in it."""
    return {
        **os.environ,
        "DAVTUI_KEY": Fernet.generate_key().decode(),
        "DAVTUI_DB": str(tmp_path / "d.db"),
        "SRC_PASS": "src-s3cret",
        "MY_PASSWORD": "my-s3cret",
        "GITHUB_TOKEN": "tok-s3cret",
    }


def assert_clean(dump: Path, env: dict[str, str]) -> dict[str, str]:
    """The environment a child wrote with `env`: none of the secrets, but a usable PATH."""
    text = dump.read_text()
    for name in ("DAVTUI_KEY", "SRC_PASS", "MY_PASSWORD", "GITHUB_TOKEN", "DAVTUI_DB"):
        assert name not in text and env[name] not in text, name
    seen = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    assert seen.get("PATH") == env["PATH"]
    return seen


def vdir(root: Path) -> Path:
    (root / "Work").mkdir(parents=True)
    (root / "Work" / "e.ics").write_bytes(sample_event("e", "E"))
    return root


def test_a_password_command_gets_no_password_of_the_process(tmp_path: Path) -> None:
    """`davtui migrate` with one side's password in $SRC_PASS and the other's from a command
    that writes its environment down."""
    env = secret_env(tmp_path)
    dump = tmp_path / "env.txt"
    config = tmp_path / "m.toml"
    config.write_text(
        f"[source]\nurl = '{vdir(tmp_path / 'src')}'\nkind = 'vdir'\npassword_env = 'SRC_PASS'\n"
        f"[destination]\nurl = '{tmp_path / 'dst'}'\nkind = 'vdir'\n"
        f"password_command = \"sh -c 'env > {dump}; echo pw'\"\n[job]\nname = 'j'\n"
    )
    done = davtui(tmp_path / "d.db", "migrate", str(config), env=env)
    assert done.returncode == 0, done.stderr
    assert_clean(dump, env)


def test_a_hook_gets_its_variables_and_no_password_of_the_process(tmp_path: Path) -> None:
    env = secret_env(tmp_path)
    dump = tmp_path / "env.txt"
    db = tmp_path / "d.db"
    for name, path in (("src", vdir(tmp_path / "src")), ("dst", tmp_path / "dst")):
        added = davtui(db, "account", "add", name, "--url", str(path), "--kind", "vdir",
                       "--no-password", env=env)  # fmt: skip
        assert added.returncode == 0, added.stderr
    hook = f"sh -c 'env > {dump}'"
    job = davtui(
        db, "job", "add", "j", "-s", "src", "-d", "dst", "--queue", "--hook", hook, env=env
    )
    assert job.returncode == 0, job.stderr
    done = davtui(db, "--headless", env=env)
    assert done.returncode == 0, done.stderr
    seen = assert_clean(dump, env)
    assert seen["DAVTUI_JOB"] == "j" and seen["DAVTUI_STATUS"] == "completed"
    assert seen["DAVTUI_EXIT_CODE"] == "0"


def test_davtui_child_env_hands_on_what_the_user_names(tmp_path: Path) -> None:
    """`DAVTUI_CHILD_ENV=BW_SESSION` for a password manager's session; never DAVTUI_KEY."""
    env = {
        **secret_env(tmp_path),
        "BW_SESSION": "bw-session",
        "DAVTUI_CHILD_ENV": "BW_SESSION,DAVTUI_KEY",
    }
    dump = tmp_path / "env.txt"
    command = f"sh -c 'env > {dump}; echo pw'"
    done = davtui(tmp_path / "d.db", "account", "add", "a", "--url", "http://127.0.0.1:9/",
                  "-u", "alice", "--password-command", command, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert assert_clean(dump, env)["BW_SESSION"] == "bw-session"
