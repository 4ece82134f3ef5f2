"""Two-way sync benchmark: davtui (`mode = "sync"`) against vdirsyncer 0.21 (see README.md).

    python bench/twoway.py --size small --rounds 3 [--link wan]

Per round and contender (interleaved): a fresh seeded Radicale ("a") and a fresh, empty
Xandikos ("b"; `--b radicale`: a second Radicale), both behind counting proxies, then three
phases measured on the client process: the first sync (everything a -> b), a no-change pass,
and a pass after 1 % of the items changed on EACH side (every 100th item of each collection on
a gets "Changed " in its SUMMARY/FN, as bench/run.py does; as many other items on b get
"Remote "). After every phase both sides are read back directly and must hold the same items
(UID, SUMMARY/FN, overrides, exceptions, attachment sizes): a contender that loses or garbles
one is marked.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.contenders import Davtui, Job, Measure, Vdirsyncer, ensure_vdirsyncer, measure
from bench.data import change_some
from bench.dav import Dav, Folder
from bench.report import cpus, keep_logs, load, markdown, medians, methods, ratio
from bench.scenario import (
    USER,
    Destination,
    Source,
    fingerprint,
    source_side,
    start_destination,
    start_source,
    wait_quiet,
)

PHASES = ("first", "rerun", "changed")
SERVERS = {"xandikos": "Xandikos", "radicale": "Radicale"}


def sync_davtui(job: Job, b_connections: int | None = None) -> Davtui:
    """davtui with a two-way job: same collection names on both sides, newer wins;
    `b_connections`: its `max_connections` to side b."""
    davtui = Davtui(job)
    config = json.loads(davtui.config.read_text())
    config["job"].pop("rename")
    config["job"].update({"mode": "sync", "conflict": "newer"})
    if b_connections:
        config["destination"]["max_connections"] = b_connections
    davtui.config.write_text(json.dumps(config))
    return davtui


def change_b(dav: Dav, folders: list[Folder], skip: set[str], every: int = 100) -> set[str]:
    """Edit as many items on side b as `change_some` edits on a, none of the same UIDs:
    SUMMARY or FN gets "Remote ". Items are taken in UID order, so each contender sees the
    same edits."""
    changed: set[str] = set()
    for folder in folders:
        docs = dav.fetch_all(folder.href, folder.kind)
        etags = dav.listing(folder.href)
        by_uid = sorted((fingerprint(data)[0] or "", href) for href, data in docs.items())
        chosen = [(uid, href) for uid, href in by_uid if uid not in skip][every // 2 :: every]
        for uid, href in chosen:
            text = docs[href].decode()
            key = "FN:" if folder.kind == "addressbook" else "SUMMARY:"
            kind = "text/vcard" if folder.kind == "addressbook" else "text/calendar"
            response = dav.request(
                "PUT", href, text.replace(key, key + "Remote ", 1),
                Content_Type=kind, If_Match=etags[href],
            )  # fmt: skip
            if response.status_code not in (200, 201, 204):
                raise RuntimeError(f"changing {href}: {response.status_code}")
            changed.add(uid)
    return changed


def b_folders(dest: Destination, names: set[str]) -> list[Folder]:
    found = [
        f for kind in ("calendar", "addressbook") for f in dest.dav.folders(dest.side.home(kind))
    ]
    return sorted((f for f in found if f.segment in names), key=lambda f: f.segment)


def compare(source: Source, dest: Destination) -> str:
    """'ok', or per collection how many items differ between the two sides."""
    problems = []
    there = {f.segment: f for f in b_folders(dest, {f.segment for f in source.folders})}
    for folder in source.folders:
        mine = {
            fp[0]: fp
            for fp in map(fingerprint, source.dav.fetch_all(folder.href, folder.kind).values())
        }
        if folder.segment not in there:
            problems.append(f"{folder.segment}: not on b")
            continue
        other = there[folder.segment]
        theirs = {
            fp[0]: fp
            for fp in map(fingerprint, dest.dav.fetch_all(other.href, other.kind).values())
        }
        only = len(set(mine) ^ set(theirs))
        different = sum(1 for uid in set(mine) & set(theirs) if mine[uid] != theirs[uid])
        if only or different:
            problems.append(f"{folder.segment}: {only} on one side only, {different} different")
    return "ok" if not problems else "; ".join(problems)


def one_run(args, name: str, index: int, root: Path):
    """The three phases of one contender on fresh servers; yields result rows."""
    run_root = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=root))
    source = start_source(args.size, args.shape, args.link, run_root)
    dest = start_destination(args.b, args.link, run_root)
    pairs = [(folder, folder.segment) for folder in source.folders]
    workdir = run_root  # the contenders' logs land in root/*/ (`keep_logs`)
    job = Job(source_side(source), dest.side, tuple(pairs), workdir)
    contender = sync_davtui(job, args.b_connections) if name == "davtui" else Vdirsyncer(job)
    try:
        for phase in PHASES:
            changed = 0
            if phase == "changed":
                on_a = change_some(source.dav, f"/{USER}/", source.collections, every=100)
                names = {f.segment for f in source.folders}
                on_b = change_b(dest.dav, b_folders(dest, names), on_a)
                changed = len(on_a) + len(on_b)
            source.proxy.reset()
            dest.proxy.reset()
            result: Measure = measure(contender.commands(phase), workdir, contender.env)
            check = compare(source, dest)
            yield {
                "contender": name, "phase": phase, "wall": result.wall, "cpu": result.cpu,
                "rss_mb": result.rss_mb, "items": source.items,
                "changed": changed, "a_requests": sum(source.proxy.counts.values()),
                "b_requests": sum(dest.proxy.counts.values()),
                "by_method": dict(source.proxy.counts + dest.proxy.counts),
                "verify": check if not result.failed else f"{result.failed}; {check}",
            }  # fmt: skip
            wait_quiet()
    finally:
        dest.close([])
        source.proxy.close()
        source.server.stop()


def table(rows: list[dict]) -> str:
    """Medians per phase and contender, davtui against vdirsyncer, requests per method."""
    med = medians(rows, ("wall", "cpu", "rss_mb", "a_requests", "b_requests"))
    lines = []
    for phase in PHASES:
        for (contender, p), v in sorted(med.items()):
            if p != phase:
                continue
            vdir = med.get(("vdirsyncer", phase)) if contender == "davtui" else None
            lines.append([
                phase, contender, f"{v['wall']:.2f}", f"{v['cpu']:.2f}", f"{v['rss_mb']:.0f}",
                f"{v['a_requests']:.0f} + {v['b_requests']:.0f}", methods(v["by_method"]),
                ratio(v["wall"], vdir), v["verify"],
            ])  # fmt: skip
    columns = ["phase", "contender", "wall s >", "CPU s >", "peak RSS MB >",
               "requests a + b >", "by method (a + b)", "vs vdirsyncer >",
               "verification"]  # fmt: skip
    return markdown(columns, lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size", choices=("tiny", "small", "medium", "large"), default="small")
    parser.add_argument("--shape", choices=("spread", "main"), default="spread")
    parser.add_argument("--link", choices=("lan", "wan"), default="lan")
    parser.add_argument("--b", choices=tuple(SERVERS), default="xandikos", help="side b's server")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--contenders", default="davtui,vdirsyncer")
    parser.add_argument(
        "--b-connections", type=int, help="davtui's max_connections to side b (default 16)"
    )
    parser.add_argument("--json", type=Path, help="also write every raw row to this file")
    parser.add_argument("--table", type=Path, help="only print the table of a --json file")
    args = parser.parse_args(argv)
    if args.table:
        print(table(json.loads(args.table.read_text())))
        return 0
    names = [n.strip() for n in args.contenders.split(",")]
    if "vdirsyncer" in names:
        ensure_vdirsyncer()
    root = Path(tempfile.mkdtemp(prefix="davtui-twoway-"))
    rows: list[dict] = []
    try:
        for round_no in range(args.rounds):
            for index, name in enumerate(names):
                for row in one_run(args, name, index, root):
                    row["round"] = round_no
                    rows.append(row)
                    print(json.dumps(row), file=sys.stderr, flush=True)
    finally:
        keep_logs(root)
        shutil.rmtree(root, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    items = rows[0]["items"] if rows else 0
    print(
        f"\n### two-way, {args.size}, {args.link}, Radicale <-> {SERVERS[args.b]}, "
        f"shape {args.shape}: "
        f"{items} items, {args.rounds} round(s), {Counter(r['contender'] for r in rows)}\n\n"
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {cpus()}, {load()}; command: "
        f"`python bench/twoway.py --size {args.size} --link {args.link} --rounds {args.rounds} "
        f"--contenders {args.contenders} --b {args.b}"
        + (f" --b-connections {args.b_connections}" if args.b_connections else "")
        + "`\n"
    )
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
