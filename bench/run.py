"""Side-by-side benchmark: davtui vs vdirsyncer 0.21 vs a raw "limit" copier (see README.md).

    python bench/run.py --size small --link wan --dest radicale --rounds 2

Per round and contender (interleaved A B C A B C ...): a fresh destination, then three phases
measured on the client process: first copy, no-change re-run, re-run after 1% of the source
items changed. Prints a Markdown table of medians with ratios davtui/vdirsyncer and
davtui/limit (the limit copier at its best concurrency).
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.contenders import Davtui, Job, Limit, Measure, Vdirsyncer, ensure_vdirsyncer, measure
from bench.data import change_some
from bench.report import cpus, keep_logs, load, markdown, medians, ratio
from bench.scenario import (
    USER,
    Source,
    sogo_up,
    source_side,
    start_destination,
    start_source,
    verify,
    wait_quiet,
)

PHASES = ("first", "rerun", "changed")


def build(name: str, job: Job, args, profile: Path | None) -> list:
    if name == "davtui":
        return [Davtui(job, profile, args.profile_phase, args.profile_wall)]
    if name == "vdirsyncer":
        return [Vdirsyncer(job)]
    if name.startswith("limit"):
        return [Limit(job, int(n)) for n in (name.split("-")[1:] or ["4", "16"])]
    raise SystemExit(f"unknown contender {name}")


def one_run(source: Source, args, name: str, index: int, root: Path, profile: Path | None):
    """All phases of one contender against a fresh destination; yields result rows."""
    dest = start_destination(args.dest, args.link, root)
    tag = f"b{int(time.time()) % 100000}{index}"
    pairs = [(folder, f"{tag}-{folder.segment}") for folder in source.folders]
    workdir = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=root))
    job = Job(source_side(source), dest.side, tuple(pairs), workdir)
    [contender] = build(name, job, args, profile)
    try:
        for phase in PHASES:
            if phase == "changed":
                change_some(source.dav, f"/{USER}/", source.collections, every=100)
                source.snapshot()
            source.proxy.reset()
            dest.proxy.reset()
            result: Measure = measure(contender.commands(phase), workdir, contender.env)
            counts = source.proxy.counts + dest.proxy.counts
            check = verify(source, dest, pairs)
            yield {
                "contender": contender.name, "phase": phase, "wall": result.wall,
                "cpu": result.cpu, "rss_mb": result.rss_mb, "items": source.items,
                "requests": sum(counts.values()), "by_method": dict(counts),
                "src_requests": sum(source.proxy.counts.values()),
                "verify": check if not result.failed else f"{result.failed}; {check}",
            }  # fmt: skip
            wait_quiet()
    finally:
        dest.close([t for _, t in pairs])


def table(rows: list[dict]) -> str:
    med = medians(rows, ("wall", "cpu", "rss_mb", "requests"))
    lines = []
    for phase in PHASES:
        limits = [v for (c, p), v in med.items() if p == phase and c.startswith("limit")]
        best = min(limits, key=lambda v: v["wall"]) if limits else None
        vdir = med.get(("vdirsyncer", phase))
        for (name, p), v in sorted(med.items()):
            if p != phase:
                continue
            ratio_v = ratio(v["wall"], vdir) if name == "davtui" else ""
            ratio_l = ""
            if name == "davtui" and best:
                ratio_l = f"{ratio(v['wall'], best)} (CPU {ratio(v['cpu'], best, 'cpu')})"
            lines.append([
                phase, name, f"{v['wall']:.1f}", f"{v['items'] / v['wall']:.0f}",
                f"{v['cpu']:.2f}", f"{1000 * v['cpu'] / v['items']:.2f}", f"{v['rss_mb']:.0f}",
                f"{v['requests']:.0f}", ratio_v, ratio_l, _verdict(v["verify"]),
            ])  # fmt: skip
    columns = ["phase", "contender", "wall s >", "items/s >", "CPU s >", "CPU ms/item >",
               "peak RSS MB >", "requests >", "vs vdirsyncer >", "vs limit >",
               "verification"]  # fmt: skip
    return markdown(columns, lines)


def _verdict(check: str) -> str:
    """The bench's own check decides LOSES/DIFFERS; a contender's non-zero exit is shown."""
    if check == "ok":
        return "ok"
    if check.endswith("; ok"):
        return f"content ok; {check.removesuffix('; ok')}"
    return f"**LOSES/DIFFERS**: {check}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size", choices=("tiny", "small", "medium", "large"), default="small")
    parser.add_argument("--link", choices=("lan", "wan"), default="lan")
    parser.add_argument("--dest", choices=("radicale", "xandikos", "sogo"), default="radicale")
    parser.add_argument("--shape", choices=("spread", "main"), default="spread")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--contenders",
        default="davtui,vdirsyncer,limit",
        help="comma-separated: davtui, vdirsyncer, limit (= limit-4,limit-16) or limit-N",
    )
    parser.add_argument(
        "--profile", type=Path, help="py-spy davtui (round 1, one phase) into this file"
    )
    parser.add_argument("--profile-phase", choices=PHASES, default="first")
    parser.add_argument(
        "--profile-wall", action="store_true", help="idle samples too, one stack per thread"
    )
    parser.add_argument("--json", type=Path, help="also write every raw row to this file")
    parser.add_argument("--table", type=Path, help="only print the table of a --json file")
    args = parser.parse_args(argv)
    if args.table:
        print(table(json.loads(args.table.read_text())))
        return 0
    names = [n for c in args.contenders.split(",") for n in _expand(c.strip())]
    if args.dest == "sogo" and not sogo_up():
        print("SOGo does not answer on 127.0.0.1:5243: start ../shared/servers/start-sogo.sh")
        return 2
    if "vdirsyncer" in names or args.profile:
        ensure_vdirsyncer()
    root = Path(tempfile.mkdtemp(prefix="davtui-bench-"))
    source = start_source(args.size, args.shape, args.link, root)
    rows: list[dict] = []
    try:
        for round_no in range(args.rounds):
            for index, name in enumerate(names):
                profile = args.profile if name == "davtui" and round_no == 0 else None
                for row in one_run(source, args, name, index, root, profile):
                    row["round"] = round_no
                    rows.append(row)
                    print(json.dumps(row), file=sys.stderr, flush=True)
    finally:
        source.proxy.close()
        source.server.stop()
        keep_logs(root)
        shutil.rmtree(root, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    print(header(args, source.items, Counter(r["contender"] for r in rows)))
    print(table(rows))
    return 0


def _expand(name: str) -> list[str]:
    return ["limit-4", "limit-16"] if name == "limit" else [name]


def header(args, items: int, runs: Counter) -> str:
    return (
        f"\n### {args.size}, {args.link}, Radicale -> {args.dest}, shape {args.shape}: "
        f"{items} items, {args.rounds} round(s)\n\n"
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {cpus()}, {load()}, "
        f"Python {platform.python_version()}; command: `python bench/run.py --size {args.size} "
        f"--link {args.link} --dest {args.dest} --shape {args.shape} --rounds {args.rounds}`\n"
    )


if __name__ == "__main__":
    sys.exit(main())
