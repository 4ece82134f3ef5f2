"""Full garbage collections at quiet moments: the interpreter's own full passes are off while
the collector runs, and a due one is made once no input came for a moment, or late enough."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from davtui.tui import collector as collector_module
from davtui.tui.collector import LATEST, NEVER, QUIET, QuietCollector


@pytest.fixture
def collector() -> Iterator[QuietCollector]:
    kept = gc.get_threshold()
    collector = QuietCollector()
    collector.start()
    yield collector
    collector.stop()
    assert gc.get_threshold() == kept


def make_due(collector: QuietCollector, passes: int = 1) -> list[list[object]]:
    """Objects that last, as a copying job's are, until the interpreter would have made
    `passes` full passes by now; they are returned (alive)."""
    assert collector.kept is not None
    lasting: list[list[object]] = []
    while gc.get_count()[2] < passes * collector.kept[2]:
        lasting.extend([] for _ in range(1000))
    return lasting


def test_the_interpreter_makes_no_full_pass_of_its_own(collector: QuietCollector) -> None:
    passes: list[int] = []

    def seen(phase: str, info: dict[str, int]) -> None:
        passes.append(info["generation"])

    gc.callbacks.append(seen)
    try:
        make_due(collector, passes=3)
    finally:
        gc.callbacks.remove(seen)
    assert 1 in passes and 2 not in passes
    assert gc.get_threshold()[2] == NEVER


def test_a_due_pass_waits_for_a_quiet_moment(collector: QuietCollector) -> None:
    assert not collector.tick()  # not due
    make_due(collector)
    collector.input()
    assert not collector.tick()  # a key just came
    collector.last_input -= QUIET
    assert collector.tick()
    assert gc.get_count()[2] == 0


def test_a_due_pass_waits_no_longer_than_latest(collector: QuietCollector) -> None:
    make_due(collector)
    collector.input()
    assert not collector.tick()
    assert collector.due_since is not None
    collector.due_since -= LATEST
    collector.input()
    assert collector.tick()  # keys never paused: made anyway


def test_a_stopped_collector_leaves_it_to_the_interpreter() -> None:
    kept = gc.get_threshold()
    collector = QuietCollector()
    assert not collector.tick()
    collector.start()
    collector.start()  # once
    collector.stop()
    assert gc.get_threshold() == kept and collector_module.NEVER not in kept
