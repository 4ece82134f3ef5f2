"""A broken server's errors are one sentence and end only what they concern: a redirect loop
says so (not "no CalDAV service"), a 500 on one collection's listing fails that collection
and the others are copied (exit 1, not 4: the server is there)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from davtui.engine import errors
from davtui.engine.dav.transport import Transport
from davtui.engine.storages.contract import AccountSpec
from tests import dav
from tests.contract import sample_event
from tests.hostile import Answer, Seen, hostile
from tests.proxy import Fault, Proxy
from tests.servers import Server


def davtui(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SRC_PASS": "alicepw", "DST_PASS": "alicepw"}
    return subprocess.run(
        [sys.executable, "-m", "davtui", "--db", str(home / "e.db"), *args],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip


def test_a_redirect_loop_is_named_as_one(home: Path) -> None:
    def loop(seen: Seen, _handler: object) -> Answer:
        return Answer(301, {"Location": "/b/" if seen.path.startswith("/a/") else "/a/"})

    with hostile(loop) as server:
        added = davtui(home, "account", "add", "loop", "--url", f"{server.url}/dav/",
                       "-u", "alice", "--password-env", "SRC_PASS")  # fmt: skip
        assert added.returncode == 0, added.stderr
        tested = davtui(home, "account", "test", "loop")
    assert tested.returncode == 2, tested.stderr
    assert "redirects in a loop" in tested.stderr and "Traceback" not in tested.stderr
    assert len(tested.stderr.strip().splitlines()) == 1


def test_a_500_on_one_listing_fails_that_collection_only(
    fresh_radicale: Server, home: Path, tmp_path: Path
) -> None:
    for name in ("work", "home"):
        cal = dav.make_collection(fresh_radicale.url, f"alice/{name}/", name.title())
        for i in range(3):
            assert dav.put(f"{cal}{name}-{i}.ics", sample_event(f"{name}-{i}")) == 201

    def broken_work(method: str, path: str, _attempt: int, body: bytes) -> Fault | None:
        listing = method == "PROPFIND" and path == "/alice/work/" and b"getetag" in body
        return Fault(status=500) if listing else None

    backup = tmp_path / "backup"
    with Proxy(fresh_radicale.url, broken_work) as proxy:
        config = tmp_path / "c.toml"
        config.write_text(
            f'[source]\nurl = "{proxy.url}"\nusername = "alice"\npassword_env = "SRC_PASS"\n'
            f'[destination]\nurl = "{backup}"\nkind = "vdir"\n'
            '[job]\nname = "e"\nwhat = "calendars"\n'
        )
        done = davtui(home, "migrate", str(config), "--json")
    assert "Traceback" not in done.stderr, done.stderr
    report = json.loads(done.stdout)
    assert (done.returncode, report["status"]) == (1, "completed_with_errors"), report
    [error] = report["errors"]
    assert error["collection"] == "Work" and "failed (500) on PROPFIND" in error["reason"]
    assert len(list((backup / "Home").glob("*.ics"))) == 3


REFUSAL = (
    b'<?xml version="1.0"?><D:error xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
    b"<C:valid-calendar-data/><D:responsedescription>Not a valid calendar for sekrit-pw"
    b"</D:responsedescription></D:error>"
)


def test_a_refusal_says_what_the_server_said_without_our_password() -> None:
    def refuse(_seen: Seen, _handler: object) -> Answer:
        return Answer(412, {"Content-Type": "application/xml"}, REFUSAL)

    with hostile(refuse) as server:
        spec = AccountSpec(url=f"{server.url}/dav/", username="alice", password="sekrit-pw")
        transport = Transport(spec)
        try:
            transport.request("PUT", "/dav/c/x.ics", body=b"x", headers={"If-None-Match": "*"})
        except errors.PreconditionFailed as exc:
            refused = exc
        finally:
            transport.close()
    assert refused.detail == "valid-calendar-data (Not a valid calendar for ***)"
    assert str(refused).endswith("It says: valid-calendar-data (Not a valid calendar for ***).")
    assert "sekrit" not in str(refused)
