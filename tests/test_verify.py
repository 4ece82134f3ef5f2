"""Verification: a hash mismatch is confirmed against the source before it is reported, and a
confirmed one names the first differing property. In-memory storages (the engine's twin of a
server) and item state in memory."""

from __future__ import annotations

from davtui.engine.storages.contract import CALENDAR, Collection, ReadOnly
from davtui.engine.storages.memory import MemoryStorage
from davtui.engine.sync.memory_states import MemoryStates
from davtui.engine.sync.migration import Migration, Options
from tests.contract import sample_event


def _migrate(source: MemoryStorage, destination: MemoryStorage, states: MemoryStates) -> dict:
    done = Migration(ReadOnly(source), destination, states, Options(), lambda _e: None, None).run()
    return done.verification


def _setup(states: MemoryStates) -> tuple[MemoryStorage, MemoryStorage, Collection]:
    source, destination = MemoryStorage(), MemoryStorage()
    template = Collection(href="", kind=CALENDAR, name="Cal", components=("VEVENT",))
    calendar = source.create_collection(template, "Cal").collection
    for uid in ("a", "b"):
        source.create(calendar, source.href_for(calendar, uid), sample_event(uid))
    assert _migrate(source, destination, states)["ok"]
    [target] = destination.collections([CALENDAR])
    return source, destination, target


def test_a_real_change_is_reported_with_its_reason(states: MemoryStates) -> None:
    source, destination, target = _setup(states)
    _written_not_verified(source, states)  # verified, then edited, it is a conflict
    href = destination.href_for(target, "a")
    [stored] = destination.fetch(target, [href])
    destination.update(target, href, stored.data.replace(b"Room 1", b"Room 9"), stored.etag)
    verification = _migrate(source, destination, states)
    [entry] = verification["different"]
    assert entry["uid"] == "a"
    assert entry["reason"] == "VEVENT LOCATION: sent Room 1, stored Room 9"


def _written_not_verified(source: MemoryStorage, state: MemoryStates) -> None:
    """The state as a run leaves it between its writes and its verification."""
    [collection] = source.collections([CALENDAR])
    for record in state.items(collection.href).values():
        record.verified_etag = None
        state.record(record)


def test_a_stale_stored_hash_is_renewed_not_reported(states: MemoryStates) -> None:
    source, destination, _ = _setup(states)
    state = states
    [collection] = source.collections([CALENDAR])
    for record in state.items(collection.href).values():  # as left by an older normal form
        record.dest_hash, record.verified_etag = "0" * 64, None
        state.record(record)
    assert _migrate(source, destination, states)["ok"]
    renewed = state.items(collection.href).values()
    assert all(r.dest_hash != "0" * 64 and r.verified_etag for r in renewed)
