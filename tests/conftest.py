"""Shared fixtures: a private database and key per test, and real DAV servers."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.credentials import listener  # noqa: F401  (the credential tests' second listener)
from tests.servers import Server, start_radicale, start_xandikos
from tests.sogo import sogo  # noqa: F401  (the lab's SOGo, a session fixture)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpus"
#: The corpus is third-party data kept beside the clone, never in it: a fresh clone alone
#: runs every test that proves the product on the project's own files and skips the rest.
HAVE_CORPUS = (CORPUS / "manifest.json").is_file()
NO_CORPUS = f"the real-world corpus is not beside this clone (looked for {CORPUS})"
#: The project's own corpus (tests/data/corpus/README.md): always there, same layout.
OWN_CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist, the tests on the lab's SOGo share one worker: SOGo is reset by its
    session fixture once, never while another worker uses it. The tests on the corpus
    Radicale share another one, so the corpus is loaded once more at most (a SOGo test that
    reads it loads it on the SOGo worker), and the two longest runs, the whole corpus into
    Xandikos and through SOGo, go side by side instead of one after the other."""
    # The long tests (marked `slow`) go first: xdist hands tests out in this order, and one
    # started last would hold the whole run up while the other workers stand idle.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
    for item in items:
        uses = set(getattr(item, "fixturenames", ()))
        if "sogo" in uses or item.get_closest_marker("sogo"):
            item.add_marker(pytest.mark.xdist_group("sogo"))
        elif "corpus_source" in uses:
            item.add_marker(pytest.mark.xdist_group("corpus"))


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("corpus") and not HAVE_CORPUS:
        pytest.skip(NO_CORPUS)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A throw-away data directory: database and key files live here, nowhere else."""
    monkeypatch.setenv("DAVTUI_DB", str(tmp_path / "davtui.db"))
    monkeypatch.setenv("DAVTUI_KEY_FILE", str(tmp_path / "key"))
    monkeypatch.delenv("DAVTUI_KEY", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    return tmp_path


@pytest.fixture
def utc() -> Iterator[None]:
    """Times are shown in local time: pin the zone so the pictures are the same everywhere."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.fixture
def store(home: Path) -> Iterator[Path]:
    """An open, migrated database in `home`."""
    from davtui.store import close_database, open_database

    path = home / "davtui.db"
    open_database(str(path))
    yield path
    close_database()


@pytest.fixture
def job_id(store: Path) -> int:
    """A job row for engine runs that bring their own storages (its accounts are not used)."""
    from davtui.store.models import Account, Job

    source = Account.create(name="src", url="https://old.example.org/")
    destination = Account.create(name="dst", url="https://new.example.org/")
    return Job.create(name="job", source=source, destination=destination).id


@pytest.fixture
def states():
    """One job's item state in memory, kept across the runs of a test: for engine tests
    that need no database (`davtui.engine.sync.memory_states`)."""
    from davtui.engine.sync.memory_states import MemoryStates

    return MemoryStates()


@pytest.fixture(scope="session")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_radicale(
        tmp_path_factory.mktemp("radicale"), {"alice": "alicepw", "bob": "bobpw"}
    )
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def xandikos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_xandikos(tmp_path_factory.mktemp("xandikos"), "alice")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fresh_radicale(tmp_path: Path) -> Iterator[Server]:
    """A Radicale of this test alone (users alice/alicepw, bob/bobpw)."""
    server = start_radicale(tmp_path / "radicale", {"alice": "alicepw", "bob": "bobpw"})
    try:
        yield server
    finally:
        server.stop(at_once=True)


@pytest.fixture
def fresh_xandikos(tmp_path: Path) -> Iterator[Server]:
    """A Xandikos of this test alone (user alice, no authentication)."""
    server = start_xandikos(tmp_path / "xandikos", "alice")
    try:
        yield server
    finally:
        server.stop(at_once=True)


@pytest.fixture(scope="session")
def corpus_source(tmp_path_factory: pytest.TempPathFactory):
    """A Radicale holding the whole corpus (see tests/corpus_source.py); read-only."""
    if not HAVE_CORPUS:
        pytest.skip(NO_CORPUS)
    from tests.corpus_source import fill

    server = start_radicale(tmp_path_factory.mktemp("corpus"), {"alice": "alicepw"})
    try:
        yield fill(server)
    finally:
        server.stop()
