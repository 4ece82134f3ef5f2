"""Bad values through the real CLI: every account and job key is checked by one schema
(`davtui.engine.schema`) wherever it is typed — a TOML or JSON config, `account add/edit`,
`job add`, `import`, `batch import` — and each bad value is exit 2 and one sentence naming the
key and the problem, with no traceback, nothing stored and nothing sent to a server.

(The network side of a bad configuration, wrong passwords, TLS and web pages, is in
test_bad_config.py.)
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from davtui.engine.account_url import url_kind
from davtui.engine.connect import ConfigError
from tests.contract import sample_event
from tests.hostile import Answer, hostile

#: (where, key, value, phrase the sentence must hold); `where` is a config section.
BAD_VALUES = [
    ("source", "max_connections", "abc", "max_connections must be a whole number"),
    ("source", "timeout", "x", "timeout must be a number of seconds"),
    ("source", "timeout", -1, "timeout must be a number of seconds above 0"),
    ("source", "password_env", 5, "password_env must be the name of an environment variable"),
    ("source", "ca_file", "/no/such/ca.pem", "ca_file must be the path of an existing"),
    ("source", "username", ["alice"], "username must be text"),
    ("source", "verify_tls", "no", "verify_tls must be true or false"),
    ("source", "kind", "ftp", "kind must be one of dav, vdir, file"),
    ("source", "url", 5, "url must be a URL"),
    ("source", "url", "http://alice:S3cr3t@127.0.0.1:9/", "holds a user name or password"),
    ("source", "url", "htps://127.0.0.1:9/", "uses htps: but only http:// and https://"),
    ("source", "url", "ftp://127.0.0.1:9/", "uses ftp: but only http:// and https://"),
    ("source", "url", "file:///etc/", "uses file: but only http:// and https://"),
    ("source", "url", "https//127.0.0.1/x", "is neither an http(s) URL nor a local path"),
    ("source", "tiemout", 5, "unknown key 'tiemout' (the nearest known key is timeout)"),
    ("job", "default_collections", "no", "default_collections must be true or false"),
    ("job", "mode", "mirorr", "mode must be one of copy, mirror"),
    ("job", "force_delete", "yes", "force_delete must be true or false"),
    ("job", "max_delete_share", 1.5, "max_delete_share must be a number from 0 to 1, not 1.5"),
]


def davtui(db: Path, *args: str, stdin: str = "", cwd: Path | None = None) -> tuple[int, str]:
    """A real `davtui` command -> (exit code, stderr); never a traceback."""
    env = {**os.environ, "SRC_PASS": "alicepw", "DST_PASS": "alicepw", "PHRASE": "a phrase"}
    done = subprocess.run(
        [sys.executable, "-m", "davtui", "--db", str(db), *args],
        capture_output=True, text=True, env=env, input=stdin, cwd=cwd, timeout=120,
    )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stderr


def one_sentence(code: int, stderr: str, *phrases: str) -> str:
    """Exit 2 and one line on stderr, one sentence holding every phrase."""
    lines = stderr.strip().splitlines()
    assert code == 2 and len(lines) == 1, (code, stderr)
    assert lines[0].startswith("davtui: ") and lines[0].endswith("."), lines
    assert all(phrase in lines[0] for phrase in phrases), (phrases, lines[0])
    return lines[0]


def stored(db: Path, table: str) -> int:
    """Rows in `table` of the database file, read with sqlite3 itself."""
    if not db.exists():
        return 0
    with sqlite3.connect(db) as connection:
        try:
            return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        except sqlite3.OperationalError:  # the schema was never created
            return 0


def config_of(tmp: Path, suffix: str, data: object) -> Path:
    """`data` as a JSON or a TOML config file (tables of plain values are all TOML needs)."""
    path = tmp / f"m{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(data))
        return path
    assert isinstance(data, dict)
    lines = []
    for section, keys in data.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in keys.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def good_config(tmp: Path, source: str) -> dict:
    return {
        "source": {"url": source, "username": "alice", "password_env": "SRC_PASS"},
        "destination": {"url": str(tmp / "copy"), "kind": "vdir"},
        "job": {"name": "checked"},
    }


@pytest.mark.parametrize("suffix", [".toml", ".json"])
@pytest.mark.parametrize(("where", "key", "value", "phrase"), BAD_VALUES)
def test_a_bad_config_value_is_one_sentence_and_nothing_is_sent_or_stored(
    suffix: str, where: str, key: str, value: object, phrase: str, tmp_path: Path
) -> None:
    with hostile(lambda _seen, _handler: Answer(500)) as server:
        data = good_config(tmp_path, server.url + "/")
        data[where][key] = value
        code, stderr = davtui(tmp_path / "m.db", "migrate", str(config_of(tmp_path, suffix, data)))
        sentence = one_sentence(code, stderr, phrase, f"[{where}]")
        assert not server.seen, "a config refused is never spoken to a server"
    assert "S3cr3t" not in stderr and "alicepw" not in stderr
    assert stored(tmp_path / "m.db", "account") == stored(tmp_path / "m.db", "job") == 0
    files = [tmp_path / f"m.db{end}" for end in ("", "-wal")]
    assert not any(b"S3cr3t" in f.read_bytes() for f in files if f.exists()), "on main: 8 times"
    if isinstance(value, str) and key != "tiemout":
        assert repr(value.replace("alice:S3cr3t", "***")) in sentence, "names the value"


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("[1, 2]", "must hold an object with source, destination and job, not [1, 2]"),
        ('"just text"', "not 'just text'"),
        ('{"source": {"url": "/a"}, "destinaton": {}}', "nearest known section is destination"),
        ('{"source": "/a", "destination": {"url": "/b"}}', "[source] must be a table of keys"),
        ('{"source": {"url": "/a"}}', "needs a [destination] section"),
    ],
)
def test_a_json_config_of_the_wrong_shape_is_one_sentence(
    text: str, phrase: str, tmp_path: Path
) -> None:
    (tmp_path / "m.json").write_text(text)
    one_sentence(*davtui(tmp_path / "m.db", "migrate", str(tmp_path / "m.json")), phrase)
    assert stored(tmp_path / "m.db", "account") == 0


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_local_paths_still_work_when_they_are_paths(suffix: str, tmp_path: Path) -> None:
    """`./calendars` (relative to where davtui runs) is a vdir without saying kind = vdir."""
    folder = tmp_path / "calendars" / "personal"
    folder.mkdir(parents=True)
    (folder / "a.ics").write_bytes(sample_event("a", "A"))
    data = {"source": {"url": "./calendars"}, "destination": {"url": "./copy"},
            "job": {"default_collections": False, "max_delete_share": 0.5}}  # fmt: skip
    code, stderr = davtui(tmp_path / "m.db", "migrate", str(config_of(tmp_path, suffix, data)),
                          cwd=tmp_path)  # fmt: skip
    assert code == 0, stderr
    assert (tmp_path / "copy" / "personal" / "a.ics").exists()


def test_the_url_rule(tmp_path: Path) -> None:
    """What a URL without a scheme is: a path only when it is one, a host or an e-mail address
    for discovery; everything else refused rather than guessed."""
    accepted = {
        ("https://dav.example.org/", None): "dav",
        ("https://mail.example.org/SOGo/dav/alice@example.org/", None): "dav",
        ("alice@example.org", None): "dav",
        ("dav.example.org", None): "dav",
        ("localhost:5232", None): "dav",
        ("intranet", "dav"): "dav",
        ("/srv/calendars", None): "vdir",
        ("~/calendars", None): "vdir",
        ("./calendars", None): "vdir",
        ("../calendars", None): "vdir",
        ("calendars", "vdir"): "vdir",
        ("export.ics", "file"): "file",
    }
    for (url, kind), found in accepted.items():
        assert url_kind(url, kind) == found, url
    refused = {
        ("calendars", None): "is neither an http(s) URL nor a local path",
        ("export.ics", None): "is neither an http(s) URL nor a local path",
        ("host/dav/", None): "is neither an http(s) URL nor a local path",
        ("alice:pw@example.org", None): "holds a password",
        ("https://alice@example.org/", None): "holds a user name or password",
        ("https:example.org", None): "has no host name",
        ("https://example.org:99999/", None): "invalid port",
        ("https://example.org/a b", None): "contains a space",
        ("/srv/calendars", "dav"): "is a local path, but kind is dav",
        ("https://example.org/", "vdir"): "is a URL, but a vdir account needs a local path",
    }
    for (url, kind), phrase in refused.items():
        with pytest.raises(ConfigError, match=re.escape(phrase)) as refusal:
            url_kind(url, kind)
        assert "pw@" not in str(refusal.value)


ACCOUNT_ADDS = [
    (["--url", "http://alice:secret@127.0.0.1:9/"], "holds a user name or password"),
    (["--url", "htps://127.0.0.1:9/"], "only http:// and https://"),
    (["--url", "ftp://127.0.0.1:9/"], "only http:// and https://"),
    (["--url", "file:///etc/"], "only http:// and https://"),
    (["--url", "https//127.0.0.1/x"], "is neither an http(s) URL nor a local path"),
    (["--url", "https://h.example/", "--kind", "ftp"], "kind must be one of dav, vdir, file"),
    (["--url", "https://h.example/", "--ca-file", "/no/ca.pem"], "ca_file must be the path"),
    (["--url", "https://h.example/", "--preset", "sogoo"], "preset must be one of sogo"),
    (["--url", "https://h.example/", "--password-env", ""], "password_env must be the name"),
    (["--url", "/srv/calendars", "--kind", "dav"], "is a local path, but kind is dav"),
]


@pytest.mark.parametrize(("options", "phrase"), ACCOUNT_ADDS)
def test_account_add_refuses_a_bad_value(
    options: list[str], phrase: str, home: Path, tmp_path: Path
) -> None:
    db = tmp_path / "a.db"
    login = [] if "--password-env" in options else ["--no-password"]
    sentence = one_sentence(*davtui(db, "account", "add", "work", *options, *login),
                            "account 'work'", phrase)  # fmt: skip
    assert "secret" not in sentence
    assert stored(db, "account") == 0


def test_account_add_and_edit_keep_what_works(home: Path, tmp_path: Path) -> None:
    """A host, an e-mail address and a path are accounts as before; edit checks the result."""
    db = tmp_path / "a.db"
    for name, url in (("host", "dav.example.org"), ("mail", "alice@example.org"),
                      ("folder", "./calendars"), ("url", "https://dav.example.org/")):  # fmt: skip
        code, stderr = davtui(db, "account", "add", name, "--url", url, "--no-password")
        assert code == 0, stderr
    with sqlite3.connect(db) as connection:
        kinds = dict(connection.execute("SELECT name, kind FROM account"))
    assert kinds == {"host": "dav", "mail": "dav", "folder": "vdir", "url": "dav"}
    code, stderr = davtui(db, "account", "edit", "url", "--url", "http://bob:pw@dav.example.org/")
    one_sentence(code, stderr, "account 'url' url", "holds a user name or password")
    with sqlite3.connect(db) as connection:
        url = connection.execute("SELECT url FROM account WHERE name = 'url'").fetchone()[0]
    assert url == "https://dav.example.org/", "a refused edit changes nothing"


@pytest.mark.parametrize(
    ("options", "phrase"),
    [
        (["--what", "calendar"], "what must be one of calendars, contacts, both"),
        (["--mode", "mirorr"], "mode must be one of copy, mirror"),
        (["--conflict", "dest-wins"], "conflict must be one of skip, source-wins"),
        (["--collection", "=work"], "collections must be a list of collection names"),
        (["--hook", " "], "hook must be a command line"),
    ],
)
def test_job_add_refuses_a_bad_value(
    options: list[str], phrase: str, home: Path, tmp_path: Path
) -> None:
    db = tmp_path / "j.db"
    for name in ("a", "b"):
        assert davtui(db, "account", "add", name, "--url", f"/srv/{name}")[0] == 0
    one_sentence(*davtui(db, "job", "add", "j", "-s", "a", "-d", "b", *options), "job 'j'", phrase)
    assert stored(db, "job") == 0


def export_with(account: dict | None = None, job: dict | None = None) -> str:
    """An export file of two vdir accounts and one job, `account`/`job` changing the first."""
    accounts = [{"name": n, "kind": "vdir", "url": f"/srv/{n}", "username": "",
                 "verify_tls": True, "ca_file": None, "preset": None, "capabilities": {}}
                for n in ("a", "b")]  # fmt: skip
    jobs = [{"name": "j", "source": "a", "destination": "b", "what": "both", "mode": "copy",
             "conflict": "skip", "dry_run": False, "collections": [], "rename": {}}]  # fmt: skip
    accounts[0].update(account or {})
    jobs[0].update(job or {})
    return json.dumps({"format": "davtui-export", "version": 1, "secrets": None,
                       "accounts": accounts, "jobs": jobs})  # fmt: skip


@pytest.mark.parametrize(
    ("account", "job", "phrase"),
    [
        ({"url": 5}, None, "Account 1 (a) url must be a URL"),
        ({"kind": "ftp"}, None, "Account 1 (a) kind must be one of dav, vdir, file"),
        ({"kind": "dav", "url": "http://alice:secret@h.example/"}, None, "user name or password"),
        ({"kind": "dav", "url": "htps://h.example/"}, None, "only http:// and https://"),
        ({"verify_tls": "no"}, None, "verify_tls must be true or false"),
        ({"pasword": "x"}, None, "unknown key 'pasword' (the nearest known key is password)"),
        ({"name": ""}, None, "Account 1 name must be a name"),
        (None, {"mode": "sync-ish"}, "Job 1 (j) mode must be one of copy, mirror"),
        (None, {"default_collections": "no"}, "default_collections must be true or false"),
        (None, {"source": None}, "Job 1 (j) needs a source"),
    ],
)
def test_import_refuses_a_bad_value_and_imports_nothing(
    account: dict | None, job: dict | None, phrase: str, home: Path, tmp_path: Path
) -> None:
    db = tmp_path / "i.db"
    code, stderr = davtui(db, "import", "-", stdin=export_with(account, job))
    sentence = one_sentence(code, stderr, phrase, "nothing imported")
    assert "secret" not in sentence
    assert stored(db, "account") == stored(db, "job") == 0
    code, stderr = davtui(db, "import", "-", stdin=export_with())
    assert code == 0 and stored(db, "account") == 2 and stored(db, "job") == 1, stderr


def test_batch_import_refuses_a_bad_url_and_creates_nothing(home: Path, tmp_path: Path) -> None:
    users = tmp_path / "users.csv"
    users.write_text("source_user,destination_user,destination_url\n"
                     "alice,alice,https://new.example.org/\n"
                     "bob,bob,https//new.example.org/x\n")  # fmt: skip
    db = tmp_path / "b.db"
    code, stderr = davtui(db, "batch", "import", str(users), "--source-url",
                          "https://old.example.org/dav/{user}/")  # fmt: skip
    one_sentence(code, stderr, "line 3: the destination url", "nothing was created")
    assert stored(db, "account") == stored(db, "job") == 0


def test_a_stored_account_with_a_bad_url_is_refused_before_any_request(
    home: Path, tmp_path: Path
) -> None:
    """An account stored before the rule (here: written into the file) is never spoken to."""
    db = tmp_path / "s.db"
    with hostile(lambda _seen, _handler: Answer(401)) as server:
        assert (
            davtui(db, "account", "add", "old", "--url", server.url + "/", "--no-password")[0] == 0
        )
        for url in (
            f"http://alice:secret@127.0.0.1:{server.port}/",
            f"htps://127.0.0.1:{server.port}/",
        ):
            with sqlite3.connect(db) as connection:
                connection.execute("UPDATE account SET url = ?", (url,))
            code, stderr = davtui(db, "account", "test", "old")
            assert code == 2 and "secret" not in stderr, stderr
            assert "holds a user name or password" in stderr or "only http://" in stderr, stderr
        assert not server.seen
