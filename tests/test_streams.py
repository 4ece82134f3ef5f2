"""`streams.merged`: two streams read at once by their own threads, as one."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from davtui.engine.sync.streams import merged


def test_every_item_of_every_stream_arrives_and_both_are_read_at_once() -> None:
    started: list[str] = []
    both = threading.Barrier(2, timeout=10)

    def stream(name: str, n: int) -> Iterator[str]:
        started.append(name)
        both.wait()  # each stream waits for the other: one after the other would hang here
        yield from (f"{name}{i}" for i in range(n))

    got = list(merged(stream("a", 50), stream("b", 3)))
    assert sorted(got) == sorted([f"a{i}" for i in range(50)] + ["b0", "b1", "b2"])
    assert sorted(started) == ["a", "b"]


def test_a_failing_stream_raises_after_the_items_before_it() -> None:
    def failing() -> Iterator[int]:
        yield 1
        raise ConnectionError("gone")

    got: list[int] = []
    with pytest.raises(ConnectionError, match="gone"):
        for item in merged(failing(), iter([])):
            got.append(item)
    assert got == [1]


def test_closing_early_stops_and_closes_every_stream() -> None:
    closed = threading.Event()

    def endless() -> Iterator[int]:
        try:
            n = 0
            while True:
                n += 1
                yield n
        finally:
            closed.set()

    items = merged(endless(), endless(), ahead=2)
    assert next(items) >= 1
    started = time.monotonic()
    items.close()  # what a stopped run does to the loop over it
    assert closed.is_set() and time.monotonic() - started < 5
    assert not [t for t in threading.enumerate() if t.name == "davtui-read"]
