"""What the benchmarks print: medians per contender and phase, as Markdown tables, and where
the contenders' logs are kept (shared by bench/run.py and bench/twoway.py)."""

from __future__ import annotations

import os
import shutil
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from bench.scenario import CACHE


def medians(rows: Iterable[dict], keys: Sequence[str]) -> dict[tuple[str, str], dict]:
    """(contender, phase) -> the median of each of `keys` over its rows, with `items`, the
    rows' distinct verifications joined, and `by_method`: the median count of each method."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["contender"], row["phase"]), []).append(row)
    out = {}
    for key, group in groups.items():
        merged: dict = {k: statistics.median(r[k] for r in group) for k in keys}
        merged["items"] = group[0]["items"]
        merged["verify"] = "; ".join(sorted({r["verify"] for r in group}))
        methods = {m for r in group for m in r.get("by_method", {})}
        merged["by_method"] = Counter(
            {m: statistics.median(r.get("by_method", {}).get(m, 0) for r in group) for m in methods}
        )
        out[key] = merged
    return out


def methods(counts: Counter) -> str:
    """Requests per method, most first: "PUT 32, REPORT 28, PROPFIND 3"."""
    return ", ".join(f"{m} {n:.0f}" for m, n in counts.most_common() if n)


def ratio(value: float, base: dict | None, key: str = "wall") -> str:
    """`value` against `base[key]` ("0.48x"), or "" without a base."""
    return f"{value / base[key]:.2f}x" if base and base[key] else ""


def markdown(columns: Sequence[str], lines: Iterable[Sequence[str]]) -> str:
    """A Markdown table; a column whose name ends in " >" is right-aligned (numbers)."""
    head = [c.removesuffix(" >") for c in columns]
    align = ["---:" if c.endswith(" >") else "---" for c in columns]
    out = ["| " + " | ".join(head) + " |", "|" + "|".join(align) + "|"]
    out += ["| " + " | ".join(line) + " |" for line in lines]
    return "\n".join(out)


def keep_logs(root: Path) -> None:
    """Keep the contenders' output (their JSON reports, errors) in bench/.cache/logs/."""
    logs = CACHE / "logs" / root.name
    for log in root.glob("*/cmd*.log"):
        logs.mkdir(parents=True, exist_ok=True)
        shutil.copy(log, logs / f"{log.parent.name}-{log.name}")


def cpus() -> str:
    """The CPUs this run may use: a shell pinned with taskset pins every server it starts
    (SOGo started from a shell pinned to one core of two copied 1.6x slower, session 10)."""
    usable, total = len(os.sched_getaffinity(0)), os.cpu_count()
    return f"{total} CPUs" if usable == total else f"{usable} of {total} CPUs (pinned)"


def load() -> str:
    """The machine's load average (1, 5, 15 min): wall times mean little without it."""
    return "load " + " / ".join(f"{x:.1f}" for x in os.getloadavg())
