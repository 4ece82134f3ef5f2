"""Verification: a hash mismatch is confirmed against the source before it is reported, and a
confirmed one names the first differing property. In-memory storages (the engine's twin of a
server) and real SQLite state."""

from __future__ import annotations

from davtui.engine.jobs.state import JobState
from davtui.engine.storages.contract import CALENDAR, Collection, ReadOnly
from davtui.engine.storages.memory import MemoryStorage
from davtui.engine.sync.migration import Migration, Options
from tests.contract import sample_event


def _migrate(source: MemoryStorage, destination: MemoryStorage, job_id: int) -> dict:
    done = Migration(
        ReadOnly(source), destination, JobState(job_id), Options(), lambda _e: None, None
    ).run()
    return done.verification


def _setup(job_id: int) -> tuple[MemoryStorage, MemoryStorage, Collection]:
    source, destination = MemoryStorage(), MemoryStorage()
    template = Collection(href="", kind=CALENDAR, name="Cal", components=("VEVENT",))
    calendar = source.create_collection(template, "Cal").collection
    for uid in ("a", "b"):
        source.create(calendar, source.href_for(calendar, uid), sample_event(uid))
    assert _migrate(source, destination, job_id)["ok"]
    [target] = destination.collections([CALENDAR])
    return source, destination, target


def test_a_real_change_is_reported_with_its_reason(job_id: int) -> None:
    source, destination, target = _setup(job_id)
    _written_not_verified(source, job_id)  # verified, then edited, it is a conflict
    href = destination.href_for(target, "a")
    [stored] = destination.fetch(target, [href])
    destination.update(target, href, stored.data.replace(b"Room 1", b"Room 9"), stored.etag)
    verification = _migrate(source, destination, job_id)
    [entry] = verification["different"]
    assert entry["uid"] == "a"
    assert entry["reason"] == "VEVENT LOCATION: sent Room 1, stored Room 9"


def _written_not_verified(source: MemoryStorage, job_id: int) -> None:
    """The state as a run leaves it between its writes and its verification."""
    state = JobState(job_id)
    [collection] = source.collections([CALENDAR])
    for record in state.items(collection.href).values():
        record.verified_etag = None
        state.record(record)


def test_a_stale_stored_hash_is_renewed_not_reported(job_id: int) -> None:
    source, destination, _ = _setup(job_id)
    state = JobState(job_id)
    [collection] = source.collections([CALENDAR])
    for record in state.items(collection.href).values():  # as left by an older normal form
        record.dest_hash, record.verified_etag = "0" * 64, None
        state.record(record)
    assert _migrate(source, destination, job_id)["ok"]
    renewed = state.items(collection.href).values()
    assert all(r.dest_hash != "0" * 64 and r.verified_etag for r in renewed)
