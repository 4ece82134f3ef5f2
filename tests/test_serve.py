"""`davtui serve`, started as a real subprocess: nothing without the token (page, assets,
websocket), loopback by default, the token kept out of `ps` and the tabs' environments, a
bad --token-file refused in one sentence; and a real headless Chromium that opens the app,
queues the demo job with a key, closes the tab and finds the job completed in a second tab."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import pytest

from davtui.cli import demo
from davtui.cli.webaccess import cookie_name
from davtui.store import close_database, open_database
from davtui.store.models import Job, Run
from tests.browser import Browser

URL = re.compile(r"open (https?://\S+?)/\?token=(\S+)")
LISTENING = re.compile(r"listening on (\S+):(\d+);")


class Serving:
    """A running `davtui serve`: its process, base URL and token."""

    def __init__(self, proc: subprocess.Popen, base: str, token: str, lines: list[str]) -> None:
        self.proc = proc
        self.base = base
        self.token = token
        self.jar = {cookie_name(token): token}
        """The cookie a browser holds once it opened the URL."""
        self.first_line = lines[0]
        self.port = int(LISTENING.search(lines[1])[2])
        """The port it listens on (the printed URL names a proxy with --public-url)."""


@contextmanager
def serving(db: Path, *options: str, verbose: bool = False) -> Iterator[Serving]:
    """`davtui --db DB serve --port 0 OPTIONS`, until the block ends (then SIGTERM)."""
    loud = ["-v"] if verbose else []
    proc = subprocess.Popen(
        [sys.executable, "-m", "davtui", *loud, "--db", str(db), "serve", "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [proc.stdout.readline(), proc.stdout.readline()]
        found = URL.search(lines[0])
        if found is None or LISTENING.search(lines[1]) is None:
            proc.kill()
            raise AssertionError(f"no URL printed: {lines!r} {proc.stderr.read()!r}")
        yield Serving(proc, found[1], found[2], lines)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)


async def get(url: str, cookies: dict | None = None) -> tuple[int, str, dict]:
    async with (
        aiohttp.ClientSession(cookies=cookies) as http,
        http.get(url, allow_redirects=False) as answer,
    ):
        return answer.status, await answer.text(), dict(answer.headers)


async def test_no_token_or_a_wrong_one_gets_401_and_no_page(home: Path) -> None:
    with serving(home / "davtui.db") as server:
        for url in (
            f"{server.base}/",
            f"{server.base}/?token=wrong",
            f"{server.base}/?token={server.token[:-1]}",
            f"{server.base}/static/js/textual.js",
            f"{server.base}/download/anything",
        ):
            status, body, _ = await get(url)
            assert status == 401, url
            assert "textual" not in body.lower() and "<html" not in body.lower(), url
        status, _, _ = await get(f"{server.base}/", cookies={cookie_name(server.token): "wrong"})
        assert status == 401


async def test_the_token_opens_the_page_and_leaves_the_address_bar(home: Path) -> None:
    with serving(home / "davtui.db") as server:
        status, _, headers = await get(f"{server.base}/?token={server.token}&fontsize=20")
        assert status == 302 and headers["Location"] == "./?fontsize=20"
        assert headers["Referrer-Policy"] == "no-referrer"
        cookie = headers["Set-Cookie"]
        assert f"{cookie_name(server.token)}={server.token}" in cookie
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        jar = server.jar
        status, page, _ = await get(f"{server.base}/?fontsize=20", cookies=jar)
        assert status == 200
        assert (
            "textual.js" in page
            and f'data-session-websocket-url="ws://{server.base[7:]}/ws"' in page
        )
        assert 'data-font-size="20"' in page and server.token not in page
        status, script, _ = await get(f"{server.base}/static/js/textual.js", cookies=jar)
        assert status == 200 and "WebSocket" in script


async def test_two_servers_on_one_host_keep_their_own_cookies(home: Path) -> None:
    """A browser keeps one cookie jar per host, whatever the port: each server's cookie has
    a name of its own, so opening the second does not log the first one's tabs out."""
    with serving(home / "a.db") as first, serving(home / "b.db") as second:
        jar = {**first.jar, **second.jar}
        assert len(jar) == 2
        for server in (first, second):
            status, _, _ = await get(f"{server.base}/", cookies=jar)
            assert status == 200


async def test_the_websocket_needs_the_token_and_our_origin(home: Path) -> None:
    with serving(home / "davtui.db") as server:
        ws_url = f"ws://{server.base[7:]}/ws?width=80&height=24"
        async with aiohttp.ClientSession() as http:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(ws_url)
            assert refused.value.status == 401
        jar = server.jar
        async with aiohttp.ClientSession(cookies=jar) as http:
            with pytest.raises(aiohttp.WSServerHandshakeError) as foreign:
                await http.ws_connect(ws_url, origin="http://127.0.0.1:1")
            assert foreign.value.status == 403
            async with http.ws_connect(ws_url, origin=server.base) as ws:
                first = await ws.receive(timeout=60)  # the tab's davtui draws its first frame
                assert first.type == aiohttp.WSMsgType.BINARY
                tabs = tab_processes(home / "davtui.db")
                assert tabs, "no davtui process for the tab"
                for pid in [server.proc.pid, *tabs]:
                    for part in ("cmdline", "environ"):
                        data = Path(f"/proc/{pid}/{part}").read_bytes()
                        assert server.token.encode() not in data, (pid, part)


def tab_processes(db: Path) -> list[int]:
    """The pids of the tabs' davtui processes on `db` (`--no-queue` in their command line)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"--no-queue" in cmdline and str(db).encode() in cmdline and not zombie(entry):
            pids.append(int(entry.name))
    return pids


def zombie(proc: Path) -> bool:
    """An ended process nobody reaped yet (a container's init may never do it)."""
    try:
        return (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


def listening_addresses(port: int) -> list[str]:
    """The local addresses of the TCP sockets listening on `port` (from /proc/net/tcp{,6})."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            fields = row.split()
            address, port_hex = fields[1].rsplit(":", 1)
            if int(port_hex, 16) == port and fields[3] == "0A":  # LISTEN
                found.append(address)
    return found


def test_bound_to_loopback_only_by_default(home: Path) -> None:
    with serving(home / "davtui.db") as server:
        assert server.base.startswith("http://127.0.0.1:")
        assert server.base == f"http://127.0.0.1:{server.port}"
        assert listening_addresses(server.port) == ["0100007F"]  # 127.0.0.1, little-endian hex
        assert server.proc.poll() is None


def test_a_public_host_warns_that_tls_belongs_in_a_proxy(home: Path) -> None:
    with serving(home / "davtui.db", "--host", "0.0.0.0") as server:
        server.proc.send_signal(signal.SIGTERM)
        _, err = server.proc.communicate(timeout=60)
    assert "warning" in err and "TLS" in err and "reverse proxy" in err


def test_public_url_makes_the_page_links_and_the_printed_url(home: Path) -> None:
    public = "https://dav.example.org/davtui"
    with serving(home / "davtui.db", "--public-url", public + "/") as server:
        assert server.first_line.startswith(f"davtui serve: open {public}/?token=")
        status, page, _ = asyncio.run(get(f"http://127.0.0.1:{server.port}/", cookies=server.jar))
    assert status == 200
    assert 'data-session-websocket-url="wss://dav.example.org/davtui/ws"' in page
    assert f"{public}/static/js/textual.js" in page


@pytest.mark.parametrize(
    ("content", "mode", "says"),
    [
        ("a-good-long-token-0123456789", 0o644, "others may read it"),
        ("short", 0o600, "at least 16 characters"),
        ("two tokens-0123456789 abcdefghij", 0o600, "without spaces"),
        (None, 0o600, "cannot be read"),
    ],
)
def test_a_bad_token_file_is_one_sentence_and_exit_2(
    home: Path, content: str | None, mode: int, says: str
) -> None:
    path = home / "token"
    if content is not None:
        path.write_text(content + "\n")
        path.chmod(mode)
    done = subprocess.run(
        [sys.executable, "-m", "davtui", "serve", "--port", "0", "--token-file", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert says in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    if content:
        assert content.split()[0] not in done.stderr


async def test_a_token_file_serves_its_token_and_never_prints_it(home: Path) -> None:
    token = "fixed-token-from-a-file-0123456789"
    path = home / "token"
    path.write_text(token + "\n")
    path.chmod(0o600)
    with serving(home / "davtui.db", "--token-file", str(path)) as server:
        assert token not in server.first_line and str(path) in server.first_line
        status, _, headers = await get(f"{server.base}/?token={token}")
        assert status == 302 and token in headers["Set-Cookie"]
        assert token.encode() not in Path(f"/proc/{server.proc.pid}/cmdline").read_bytes()
        server.proc.send_signal(signal.SIGTERM)
        out, err = server.proc.communicate(timeout=60)
    assert token not in out + err


def started(text: str) -> bool:
    """The demo job's row says it left `pending` (queued, soon running: the runner is quick)."""
    row = next(
        (line for line in text.splitlines() if "demo-migrat" in line), ""
    )  # the list cuts names
    return any(state in row for state in ("queued", "running", "completed"))


async def test_request_lines_with_v_name_the_path_never_the_token(home: Path) -> None:
    with serving(home / "davtui.db", verbose=True) as server:
        await get(f"{server.base}/?token={server.token}")
        await get(f"{server.base}/?token=wrong-guess-0123456789")
        server.proc.send_signal(signal.SIGTERM)
        out, err = server.proc.communicate(timeout=60)
    assert "GET / 302" in err and "GET / 401" in err
    assert server.token not in out + err and "wrong-guess" not in err


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--public-url", "dav.example.org"], "is not an http:// or https:// URL"),
        (["--public-url", "ftp://dav.example.org/"], "is not an http:// or https:// URL"),
        (["--port", "70000"], "is not a port"),
        (["--workers", "0"], "--workers must be at least 1"),
        (["--host", "192.0.2.1"], "cannot listen on 192.0.2.1"),  # TEST-NET: not ours
    ],
)
def test_bad_options_are_one_sentence_and_exit_2(home: Path, options: list[str], says: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "davtui", "serve", *options],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done
    assert says in done.stderr and "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if not line.startswith("davtui: warning")]
    assert len(lines) == 1, done.stderr


def test_a_port_in_use_is_one_sentence_and_exit_2(home: Path) -> None:
    with serving(home / "davtui.db") as first:
        done = subprocess.run(
            [sys.executable, "-m", "davtui", "serve", "--port", str(first.port)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{first.port}" in done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


@pytest.fixture
def demo_db(home: Path) -> Iterator[Path]:
    """The demo's database (two accounts on two real Radicale servers, a pending job)."""
    demo.write_sample(home / "source" / "data")
    servers = [demo.start_radicale(home / side) for side in demo.SIDES]
    try:
        db = home / "davtui.db"
        open_database(str(db))
        demo.create_job(*servers)
        close_database()
        yield db
    finally:
        demo.stop_all(servers)


@pytest.mark.slow
async def test_a_browser_queues_the_demo_job_which_outlives_its_tab(
    demo_db: Path, home: Path
) -> None:
    """Chromium opens the printed URL; the Jobs screen shows the demo job; `s` queues it; the
    tab closes at once; the serve process runs the job; a second tab shows it completed."""
    with serving(demo_db) as server:
        async with Browser(home) as browser:
            first = await browser.open(f"{server.base}/?token={server.token}")
            await first.wait_for_text("demo-migration", "pending")
            await first.type("s")
            await first.wait_for(started, "the job queued or running", timeout=60)
            await first.close()
            deadline = time.monotonic() + 30
            while tab_processes(demo_db) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert not tab_processes(demo_db), "the closed tab's davtui is still running"
            second = await browser.open(f"{server.base}/?token={server.token}")
            text = await second.wait_for_text("demo-migration", "completed", timeout=240)
            assert "running" not in text.split("demo-migration", 1)[1].splitlines()[0]
            if os.environ.get("DAVTUI_WEB_SCREENSHOT"):  # the README's picture, on request
                await second.focus()
                await asyncio.sleep(2)  # the footer's keys follow the row a frame later
                await second.screenshot(Path(os.environ["DAVTUI_WEB_SCREENSHOT"]))
    open_database(str(demo_db))
    try:
        assert Job.get(Job.name == "demo-migration").status == "completed"
        run = Run.get(Run.job == Job.get(Job.name == "demo-migration"))
        assert run.runner.endswith(f":{server.proc.pid}")  # the server ran it, not the tab
        assert run.status == "completed"
    finally:
        close_database()


async def test_sigterm_closes_the_tabs_and_ends_the_server(home: Path) -> None:
    """Two tabs at once are two davtui processes; a stop ends both and the server exits 0."""
    with serving(home / "davtui.db") as server:
        jar = server.jar
        url = f"ws://{server.base[7:]}/ws?width=80&height=24"
        async with (
            aiohttp.ClientSession(cookies=jar) as http,
            http.ws_connect(url) as one,
            http.ws_connect(url) as two,
        ):
            await one.receive(timeout=60)
            await two.receive(timeout=60)
            assert len(tab_processes(home / "davtui.db")) == 2
            # read on, as a browser does: it answers the server's close at once
            readers = [asyncio.create_task(drain(ws)) for ws in (one, two)]
            started = time.monotonic()
            server.proc.send_signal(signal.SIGTERM)
            code = await asyncio.to_thread(server.proc.wait, 60)
            took = time.monotonic() - started
            await asyncio.gather(*readers)
        assert code == 0
        assert took < 30, took  # generous: each tab's davtui gets a few seconds to end
        print(f"stopped in {took:.1f} s")
        deadline = time.monotonic() + 10
        while tab_processes(home / "davtui.db") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not tab_processes(home / "davtui.db")


async def drain(ws: aiohttp.ClientWebSocketResponse) -> None:
    async for _message in ws:
        pass
