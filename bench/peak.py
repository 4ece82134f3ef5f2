"""Run one command and write its own CPU seconds and peak RSS to a JSON file.

Linux charges an exec'd child the peak RSS of the process image it replaced, that is of its
parent at fork time: a contender forked from the bench driver (which holds all the generated
data) would report at least the driver's size. Spawned from this small launcher instead, the
figure is the contender's own (never below this launcher's ~10 MB).

    python -m bench.peak OUT.json COMMAND [ARG ...]
"""

from __future__ import annotations

import json
import os
import sys


def main() -> int:
    out, command = sys.argv[1], sys.argv[2:]
    pid = os.posix_spawnp(command[0], command, os.environ)
    _pid, status, usage = os.wait4(pid, 0)
    with open(out, "w") as sink:
        json.dump({"cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024}, sink)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
