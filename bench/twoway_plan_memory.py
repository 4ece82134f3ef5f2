"""Peak memory of a two-way pass's planning over a large pair (issue 23): two memory storages
holding N events in one calendar, item state in a real SQLite database (`JobState`, paged),
a first pass that syncs them all and a second (it lists the side the first wrote to), then
the passes measured:

- `quiet`: nothing changed, both sides at their stored versions (neither side is listed: the
  stored records stand in for both listings);
- `changed`: 1 % of the items edited on each side (both sides listed).

For each, the pass's own peak: Python's allocations (tracemalloc, reset before the pass) and
the process's peak RSS above what it held before the pass (VmHWM, reset through
/proc/self/clear_refs). The storages' own items are allocated before and not counted.

    python bench/twoway_plan_memory.py [--items 20000]
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from davtui.engine.jobs.state import JobState
from davtui.engine.storages.contract import Collection
from davtui.engine.storages.memory import MemoryStorage
from davtui.engine.sync.migration import Options
from davtui.engine.sync.twoway import TwoWay
from davtui.store import close_database, open_database
from davtui.store.models import Account, Job

EVENT = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n"
    "DTSTAMP:20240101T000000Z\r\nDTSTART:20240102T100000Z\r\nSUMMARY:{summary}\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def event(uid: str, summary: str) -> bytes:
    return EVENT.format(uid=uid, summary=summary).encode()


def rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def measured(run: TwoWay) -> dict[str, float]:
    """Run one pass; its peak Python allocations and peak RSS above the start, in MB."""
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
    before = rss_kb("VmRSS")
    tracemalloc.start()
    started = time.perf_counter()
    done = run.run()
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert done.status == "completed", (done.status, done.error, done.errors[:3])
    return {
        "traced_peak_mb": round(peak / 2**20, 1),
        "rss_peak_above_start_mb": round((rss_kb("VmHWM") - before) / 1024, 1),
        "seconds": round(seconds, 2),
    }


def edit(storage: MemoryStorage, coll: Collection, uid: str, summary: str) -> None:
    href = storage.href_for(coll, uid)
    storage.update(coll, href, event(uid, summary), storage.etags(coll)[href])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000)
    items = parser.parse_args().items
    with tempfile.TemporaryDirectory() as tmp:
        open_database(str(Path(tmp) / "bench.db"))
        accounts = [Account.create(name=n, url=f"https://{n}.example/") for n in "ab"]
        job = Job.create(name="plan", source=accounts[0], destination=accounts[1])
        state = JobState(job.id)
        a, b = MemoryStorage(), MemoryStorage()
        template = Collection(href="", kind="calendar", name="Cal", components=("VEVENT",))
        ca = a.create_collection(template, "Cal").collection
        for n in range(items):
            a.create(ca, a.href_for(ca, f"e{n:06}"), event(f"e{n:06}", f"Event {n}"))
        options = Options(mode="sync", conflict="newer")
        for _ in range(2):  # the second: the side written first is listed once more
            assert TwoWay(a, b, state, options).run().status == "completed"
        cb = b.collections()[0]
        results = {"items": items, "quiet": measured(TwoWay(a, b, state, options))}
        for n in range(0, items, 100):
            edit(a, ca, f"e{n:06}", f"Changed {n}")
            edit(b, cb, f"e{n + 50:06}", f"Remote {n}")
        results["changed"] = measured(TwoWay(a, b, state, options))
        close_database()
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
