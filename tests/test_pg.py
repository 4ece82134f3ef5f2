"""The whole store on a real PostgreSQL (a private cluster, tests/pg.py): the same versioned
schema, control requests from another process, and three headless runners draining one queue
of 30 jobs against real Radicale and Xandikos while one of them is killed mid-job."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from tests import dav
from tests.contract import sample_event
from tests.pg import pg_cluster, pg_url  # noqa: F401  (fixtures)
from tests.proxy import Proxy
from tests.servers import Server
from tests.test_headless import SLOW_ITEMS, dav_login, folder, seed_folder, wait_for

LEASE = "2"  # seconds: a dead runner's job is taken over quickly
JOBS = 30


def davtui(db: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "davtui", "--db", db, *args]


def environment() -> dict[str, str]:
    """Every runner shares the database URL, the Fernet key file (`home`) and the lease."""
    return {**os.environ, "PW": "alicepw", "DAVTUI_LEASE_SECONDS": LEASE}


def ok(db: str, *args: str) -> str:
    done = subprocess.run(
        davtui(db, *args), capture_output=True, text=True, env=environment(), timeout=120
    )
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def runner(db: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        davtui(db, "--headless", *args), env=environment(), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


@pytest.fixture
def store_at(pg_url: str, home: Path) -> Iterator[str]:  # noqa: F811
    """The test process's own connection to the shared database (to set up and to check)."""
    from davtui.store import close_database, open_database

    open_database(pg_url)
    yield pg_url
    close_database()


def test_schema_versioning_is_the_same_on_postgres(store_at: str) -> None:
    from davtui.store import StoreError, close_database, open_database
    from davtui.store.db import MIGRATIONS, schema_version
    from davtui.store.models import Setting, database

    db = database.obj
    assert schema_version(db) == len(MIGRATIONS)
    tables = set(db.get_tables())
    assert {"job", "run", "item_state", "davtui_schema"} <= tables
    # Three processes opening one database at once: one migrates, none fails or repeats it.
    opening = "import sys; from davtui.store import open_database; open_database(sys.argv[1])"
    procs = [subprocess.Popen([sys.executable, "-c", opening, store_at]) for _ in range(3)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0]
    open_database(store_at)  # and once more here: a no-op
    assert schema_version(database.obj) == len(MIGRATIONS)
    assert set(database.obj.get_tables()) == tables
    # What the models rely on: Setting.put as an upsert, aware UTC timestamps.
    Setting.put("theme", "dark")
    Setting.put("theme", "light")
    assert Setting.get_by_id("theme").value == "light"
    assert Setting.select().where(Setting.key == "theme").count() == 1
    # The change counter a TUI polls: one row, bumped in the writer's transaction.
    from davtui.store import changes

    before = changes.current()
    with database.atomic():
        changes.bump()
    assert changes.current() == before + 1
    _ledger_round_trip()
    # A database newer than this davtui is refused with one sentence (when a process opens
    # it: an open database is not opened twice, see test_safety_lifecycle).
    database.obj.execute_sql("UPDATE davtui_schema SET version = 99")
    close_database()
    with pytest.raises(StoreError, match="newer than this davtui"):
        open_database(store_at)


def _ledger_round_trip() -> None:
    """A run's ledger and an item's standing finding are stored and read back (step 5)."""
    from davtui.engine.jobs import ledger
    from davtui.engine.jobs.conflicts import conflicts, resolve
    from davtui.engine.jobs.state import JobState
    from davtui.engine.sync.records import ItemRecord
    from davtui.store.models import Account, Job, Run, utcnow

    source = Account.create(name="pg-src", url="https://old.example.org/")
    job = Job.create(name="pg-job", source=source, destination=source)
    run = Run.create(job=job, finished_at=utcnow())
    found = {"outcome": "fixed", "collection": "Cal", "href": "/a.ics", "uid": "a",
             "details": ["windows-tzid: DTSTART TZID W. Europe -> Europe/Berlin"]}  # fmt: skip
    ledger.store(run.id, [found])
    [entry] = ledger.entries(job.id, outcome="fixed")
    assert entry.details == found["details"] and ledger.counts(job.id)["fixed"] == 1
    state = JobState(job.id)
    state.record(ItemRecord("/cal/", "/cal/a.ics", "conflict", finding="converted",
                            finding_reason="VCARD VERSION", seen_etag='"e2"'))  # fmt: skip
    [[record]] = state.pages("/cal/")
    assert (record.finding, record.finding_reason) == ("converted", "VCARD VERSION")
    assert record.seen_etag == '"e2"'
    assert resolve(job.id, "destination") == 1 and conflicts(job.id) == []


def test_password_never_in_the_error(pg_cluster) -> None:  # noqa: F811
    from davtui.store import StoreError, open_database

    url = f"postgresql://nobody:sekr3t@127.0.0.1:{pg_cluster.port}/absent"
    with pytest.raises(StoreError) as caught:
        open_database(url)
    assert "sekr3t" not in str(caught.value) and "nobody:***@" in str(caught.value)


@pytest.fixture
def slow_xandikos(fresh_xandikos: Server) -> Iterator[Proxy]:
    with Proxy(fresh_xandikos.url, latency=0.02) as proxy:
        yield proxy


def test_pause_resume_stop_through_the_shared_database(
    store_at: str, slow_xandikos: Proxy, tmp_path: Path
) -> None:
    from davtui.store.models import Job, Run

    ok(store_at, "account", "add", "src", *folder(seed_folder(tmp_path / "src", SLOW_ITEMS)))
    ok(store_at, "account", "add", "dst", *dav_login(slow_xandikos.url))
    ok(store_at, "job", "add", "j", "-s", "src", "-d", "dst", "--queue")
    proc = runner(store_at)
    try:
        wait_for(lambda: slow_xandikos.counts["PUT"] >= 20)
        ok(store_at, "job", "pause", "j")
        wait_for(lambda: Job.get(Job.name == "j").status == "paused", timeout=10)
        time.sleep(0.5)  # the writes in flight when the gate closed
        held = slow_xandikos.counts["PUT"]
        time.sleep(1.5)
        assert slow_xandikos.counts["PUT"] == held
        assert Job.get(Job.name == "j").lease_until is not None  # renewed while paused
        ok(store_at, "job", "resume", "j")
        wait_for(lambda: slow_xandikos.counts["PUT"] > held + 5, timeout=20)
        ok(store_at, "job", "stop", "j")
        _out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 5, err  # cancelled by the user
    job = Job.get(Job.name == "j")
    [run] = Run.select().where(Run.job == job)
    assert job.status == run.status == "cancelled" and job.runner is None
    assert 20 < run.stats["events"]["created"] < SLOW_ITEMS
    assert run.started_at.tzinfo is not None and run.finished_at > run.started_at


def seed_collections(server: Server, home: str, prefix: str, sizes: list[int]) -> None:
    """Calendars PREFIX0, PREFIX1, ... in the calendar home, of `sizes` events each."""
    for number, size in enumerate(sizes):
        name = f"{prefix}{number}"
        url = dav.make_collection(server.url, f"{home}{name}/", name)
        for item in range(size):
            uid = f"{name}-{item}"
            assert dav.put(f"{url}{uid}.ics", sample_event(uid, f"{name} event {item}")) == 201


def make_jobs(pairs: list[tuple[str, str, str]]) -> None:
    """One queued job per (source account, destination account, source collection)."""
    from davtui.engine.jobs.queue import enqueue
    from davtui.store.models import Account, Job

    for source, destination, collection in pairs:
        job = Job.create(
            name=f"move {collection}", what="calendars",
            source=Account.get(Account.name == source),
            destination=Account.get(Account.name == destination),
            collections=[{"source": collection, "target": None}],
        )  # fmt: skip
        enqueue(job.id)


def items_written(job_name: str) -> int:
    from davtui.store.models import ItemState, Job

    return ItemState.select().join(Job).where(Job.name == job_name).count()


@pytest.mark.slow
def test_three_runners_drain_thirty_jobs_one_killed(
    store_at: str, fresh_radicale: Server, fresh_xandikos: Server
) -> None:
    from davtui.engine.jobs.run import runner_id
    from davtui.store.models import CollectionState, Job, Run

    half = JOBS // 2
    sizes = [2 + n % 4 for n in range(half)]  # 2-5 items each
    seed_collections(fresh_radicale, "alice/", "r", sizes)
    seed_collections(fresh_xandikos, "alice/calendars/", "x", sizes)
    with Proxy(fresh_xandikos.url, latency=0.25) as slow:
        # The first job writes through a slow proxy: the runner that takes it is killed once
        # it has recorded some of its items.
        ok(store_at, "account", "add", "radicale", *dav_login(fresh_radicale.url))
        ok(store_at, "account", "add", "xandikos", *dav_login(fresh_xandikos.url))
        ok(store_at, "account", "add", "slow", *dav_login(slow.url))
        victim_job = "move r3"  # 5 items
        make_jobs(
            [("radicale", "slow", "r3")]
            + [("radicale", "xandikos", f"r{n}") for n in range(half) if n != 3]
            + [("xandikos", "radicale", f"x{n}") for n in range(half)]
        )
        runners = {
            proc.pid: proc for proc in (runner(store_at, "--workers", "2") for _ in range(3))
        }
        try:
            wait_for(lambda: items_written(victim_job) >= 1, timeout=60)
            holder = Job.get(Job.name == victim_job).runner
            victim = runners[int(holder.rpartition(":")[2])]
            victim.send_signal(signal.SIGKILL)
            victim.wait(timeout=10)
            done_by_victim = items_written(victim_job)
            assert done_by_victim >= 1  # all 5 may be in: the run still verifies, slowly
            outputs = {pid: proc.communicate(timeout=90) for pid, proc in runners.items()}
        finally:
            for proc in runners.values():
                proc.kill()
    survivors = [pid for pid in runners if runners[pid] is not victim]
    for pid in survivors:
        assert runners[pid].returncode == 0, outputs[pid][1]

    jobs = list(Job.select())
    assert len(jobs) == JOBS and {job.status for job in jobs} == {"completed"}
    runs = defaultdict(list)
    for run in Run.select().order_by(Run.started_at):
        runs[run.job_id].append(run)
    host = runner_id().rpartition(":")[0]
    killed = f"{host}:{victim.pid}"
    alive = {f"{host}:{pid}" for pid in survivors}
    for job in jobs:
        *before, last = runs[job.id]
        # Completed once; before that only a run the killed runner left, finished by another.
        assert last.status == "completed", job.name
        seen = [(run.status, run.runner, run.started_at, run.finished_at) for run in runs[job.id]]
        assert all(run.status == "interrupted" and run.runner == killed for run in before), seen
        assert not before or last.runner in alive
        for earlier, later in zip(runs[job.id], runs[job.id][1:], strict=False):
            assert earlier.finished_at <= later.started_at, job.name  # never two at once
    taken_over = [job for job in jobs if len(runs[job.id]) > 1]
    assert victim_job in {job.name for job in taken_over}
    assert Run.select().count() == JOBS + len(taken_over)
    resumed = runs[Job.get(Job.name == victim_job).id][-1]
    assert resumed.stats["events"]["created"] <= 5 - done_by_victim  # from its item state
    assert {run.runner for job_runs in runs.values() for run in job_runs} <= alive | {killed}

    # Every item is present once on its destination, nothing more.
    servers = {"xandikos": fresh_xandikos, "slow": fresh_xandikos, "radicale": fresh_radicale}
    states = list(CollectionState.select(CollectionState, Job).join(Job))
    assert len(states) == JOBS
    for state in states:
        job = state.job
        server = servers[job.destination.name]
        listed = dav.listing(urljoin(server.url, urlsplit(state.dest_href).path))
        wanted = sizes[int(job.name.rpartition(" ")[2][1:])]
        assert len(listed) == wanted, job.name


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, home: Path) -> Iterator[str]:
    """The same queue tests on both databases."""
    from davtui.store import close_database, open_database

    location = (
        str(home / "q.db") if request.param == "sqlite" else request.getfixturevalue("pg_url")
    )
    open_database(location)
    yield location
    close_database()


def test_claims_skip_live_leases_and_take_expired_ones(
    any_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from davtui.engine.jobs.queue import Lease, claim, claim_next, lapsing
    from davtui.store.models import Account, Job, Run, utcnow

    account = Account.create(name="a", url="/tmp/none", kind="vdir")
    later, earlier = utcnow() + timedelta(minutes=5), utcnow() - timedelta(seconds=1)

    def job(name: str, position: int, **fields) -> Job:
        return Job.create(
            name=name, source=account, destination=account, queue_position=position, **fields
        )

    held = job("held", 1, status="running", runner="elsewhere:1", lease_until=later)
    dead = job("dead", 2, status="paused", runner="elsewhere:2", lease_until=earlier)
    left = Run.create(job=dead, runner="elsewhere:2")
    queued = job("queued", 3, status="queued")
    assert lapsing()
    assert claim_next() == dead.id
    left = Run.get_by_id(left.id)
    assert left.status == "interrupted" and left.finished_at == earlier
    assert claim_next() == queued.id
    assert claim_next() is None and not claim(held.id) and not lapsing()
    # A runner of this host killed just after renewing: its lease looks fresh, its pid is gone.
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    job(
        "killed",
        4,
        status="running",
        runner=f"{socket.gethostname()}:{gone.pid}",
        lease_until=later,
    )
    assert lapsing() and claim_next() is None

    monkeypatch.setenv("DAVTUI_LEASE_SECONDS", "0.6")
    first = Job.get_by_id(queued.id).lease_until
    with Lease(queued.id, None) as lease:
        wait_for(lambda: Job.get_by_id(queued.id).lease_until != first, timeout=5)
        assert not lease.stop.is_set()
        Job.update(runner="elsewhere:3").where(Job.id == queued.id).execute()  # taken over
        assert lease.stop.wait(5)  # the run ends at its next item boundary
