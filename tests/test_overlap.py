"""`read_ahead`: the plans come out in order, the few-item ones read ahead on other threads
while the one before is handed out, the large ones streamed on the caller's thread only
when their turn comes (real threads)."""

from __future__ import annotations

import threading
from types import SimpleNamespace

from davtui.engine.sync.overlap import FEW, read_ahead


def test_few_item_collections_are_read_ahead_in_order() -> None:
    plans = [SimpleNamespace(name=f"c{n}", size=size) for n, size in
             enumerate([1, 2, 3, FEW * 5, 4, 5])]  # fmt: skip
    read: dict[str, threading.Event] = {p.name: threading.Event() for p in plans}
    threads: dict[str, str] = {}

    def fetch(plan):
        threads[plan.name] = threading.current_thread().name
        read[plan.name].set()
        if plan.size > FEW:
            return (f"{plan.name}-{i}" for i in range(plan.size))  # a stream, read lazily
        return [f"{plan.name}-{i}" for i in range(plan.size)]

    seen = []
    for plan, items in read_ahead(plans, fetch, lambda p: p.size):
        if plan.name == "c0":  # while the first is handed out, the next few are on their way
            assert all(read[name].wait(5) for name in ("c1", "c2"))
            assert not read["c3"].is_set(), "a large collection is not read ahead"
        seen.append((plan.name, list(items)))
    assert [name for name, _ in seen] == [p.name for p in plans]
    assert [len(items) for _, items in seen] == [p.size for p in plans]
    assert threads["c3"] == threading.current_thread().name
    assert all(threads[n] != threading.current_thread().name for n in ("c0", "c1", "c4"))
