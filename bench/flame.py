"""Summarise a py-spy raw profile (collapsed stacks): the functions where the client's CPU
goes, by own samples and by samples with the function anywhere on the stack.

    python -m bench.flame PROFILE.txt [--top 25]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def short(frame: str) -> str:
    """`func (path/to/site-packages/pkg/mod.py:12)` -> `pkg/mod.py:func`."""
    match = FRAME.match(frame)
    if not match:
        return frame
    path = match["file"].split("site-packages/")[-1].split("/work/main/")[-1]
    return f"{path}:{match['func']}"


def summarise(path: str, top: int) -> str:
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    with open(path) as lines:
        for line in lines:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not stack:
                continue
            n = int(count)
            frames = [short(f) for f in stack.split(";")]
            samples += n
            own[frames[-1]] += n
            for frame in set(frames):
                total[frame] += n
    out = [f"{samples} on-CPU samples", "", "| own % | function |", "|---:|---|"]
    out += [f"| {100 * c / samples:.1f} | `{f}` |" for f, c in own.most_common(top)]
    out += ["", "| incl. % | function |", "|---:|---|"]
    out += [f"| {100 * c / samples:.1f} | `{f}` |" for f, c in total.most_common(top)]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("profile")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    print(summarise(args.profile, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
