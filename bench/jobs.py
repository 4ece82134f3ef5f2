"""Jobs per hour on one machine: 100 small mailboxes (`tiny` data: 50 events, 10 tasks,
20 contacts and a few attachments each) migrated by `davtui --headless --workers N` for
N = 1, 2, 4, from one multi-user Radicale into a fresh one, both behind the link's proxy.

Also measured: the CPU seconds the runner and each server spent, so the table shows which side
is the limit. Jobs are created the way an admin would: `davtui batch import users.csv`.

    python bench/jobs.py [--jobs 100] [--workers 1,2,4] [--link lan|wan] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.data import generate, seed
from bench.dav import Dav
from bench.scenario import LATENCY
from tests.proxy import Proxy
from tests.servers import Server, start_radicale

PASSWORD = "benchpw"


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its reaped children, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def users(count: int) -> dict[str, str]:
    return {f"user{i:03d}": PASSWORD for i in range(count)}


def seeded_source(root: Path, count: int) -> tuple[Server, int]:
    """Radicale with `count` users, each holding one tiny mailbox (cached between runs)."""
    server = start_radicale(root / "source", users(count))
    items = 0
    for name in users(count):
        collections = generate("tiny", "spread", name)
        store = root / "source" / "collections" / "collection-root" / name
        seed(Dav(server.url, name, PASSWORD), f"/{name}/", collections, store)
        items += sum(len(c.items) for c in collections)
    return server, items


def run(workers: int, source: Server, through: Proxy, count: int, link: str, root: Path) -> dict:
    """One pass: a fresh destination and database, batch import, headless run."""
    work = Path(tempfile.mkdtemp(dir=root))
    dest = start_radicale(work / "dest", users(count))
    try:
        with Proxy(dest.url, latency=LATENCY[link]) as into:
            table = work / "users.csv"
            table.write_text(
                "source_user,destination_user\n" + "".join(f"{u},{u}\n" for u in users(count))
            )
            env = {**os.environ, "DAVTUI_DB": str(work / "state.db"),
                   "DAVTUI_KEY_FILE": str(work / "key"), "BENCH_PW": PASSWORD}  # fmt: skip
            pw = "printenv BENCH_PW"
            subprocess.run(
                [sys.executable, "-m", "davtui", "batch", "import", str(table),
                 "--source-url", f"{through.url}{{user}}/", "--source-password-command", pw,
                 "--destination-url", f"{into.url}{{user}}/",
                 "--destination-password-command", pw],
                env=env, check=True, capture_output=True,
            )  # fmt: skip
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            src_cpu, dst_cpu = cpu_seconds(source.proc.pid), cpu_seconds(dest.proc.pid)
            started = time.monotonic()
            done = subprocess.run(
                [sys.executable, "-m", "davtui", "--headless", "--json", "--workers",
                 str(workers)],
                env=env, capture_output=True, text=True,
            )  # fmt: skip
            wall = time.monotonic() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if done.returncode not in (0, 1):
                print(done.stderr[-2000:], file=sys.stderr)
            reports = json.loads(done.stdout or "[]")
            completed = sum(r["status"] == "completed" for r in reports)
            return {
                "workers": workers,
                "jobs": count,
                "completed": completed,
                "exit": done.returncode,
                "wall_s": round(wall, 1),
                "jobs_per_hour": round(count / wall * 3600),
                "runner_cpu_s": round(
                    after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1
                ),
                "source_cpu_s": round(cpu_seconds(source.proc.pid) - src_cpu, 1),
                "dest_cpu_s": round(cpu_seconds(dest.proc.pid) - dst_cpu, 1),
            }
    finally:
        dest.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--link", choices=sorted(LATENCY), default="lan")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="davtui-jobs-bench-"))
    source, items = seeded_source(root, args.jobs)
    rows = []
    try:
        with Proxy(source.url, latency=LATENCY[args.link]) as through:
            for workers in (int(w) for w in args.workers.split(",")):
                rows.append(run(workers, source, through, args.jobs, args.link, root))
                print(json.dumps(rows[-1]) if args.json else _line(rows[-1]), flush=True)
    finally:
        source.stop()
    print(f"{args.jobs} jobs, {items} items in all, link {args.link}", file=sys.stderr)
    return 0 if all(r["completed"] == r["jobs"] for r in rows) else 1


def _line(row: dict) -> str:
    return (
        f"workers {row['workers']}: {row['completed']}/{row['jobs']} completed in "
        f"{row['wall_s']} s = {row['jobs_per_hour']} jobs/hour; CPU s: runner "
        f"{row['runner_cpu_s']}, source {row['source_cpu_s']}, destination {row['dest_cpu_s']}"
    )


if __name__ == "__main__":
    sys.exit(main())
