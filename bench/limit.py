"""The "limit" copier: raw HTTP, no state, no parsing beyond what copying needs.

It shows what the servers themselves can absorb: PROPFIND both sides, REPORT multiget the
source in batches, and PUT each item with `N` requests in flight (`If-None-Match: *` for a new
item, `If-Match` for a changed one; a PUT whose connection closes without an answer is tried
again, and a failed item is counted while the rest goes on). Without state, a re-run must
fetch both sides and compare normalised contents to find changes.

    python -m bench.limit --source URL --dest URL --user U --password P --dest-user U
        --dest-password P --map /alice/work/=calendar:/alice/calendars/:r1-work --concurrency 16
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor

import niquests

from bench.dav import Dav

VOLATILE = ("PRODID:", "DTSTAMP:", "REV:", "VERSION:")
#: Tries of a PUT whose connection closes without an answer (Radicale, its one writer busy,
#: closed a kept-alive connection after 820 s of a medium first copy: session 7).
RETRIES = 3


def normalised(data: bytes) -> frozenset[str]:
    """The item's content lines, unfolded, without what servers rewrite, in any order."""
    text = data.decode("utf-8", "replace").replace("\r\n ", "").replace("\n ", "")
    lines = (line.rstrip("\r").rstrip(";") for line in text.split("\n"))
    return frozenset(line for line in lines if line and not line.startswith(VOLATILE))


def copy_collection(
    src: Dav, dst: Dav, source: str, kind: str, home: str, name: str, pool: ThreadPoolExecutor
) -> tuple[int, int]:
    """Copy one collection; return (items written, failures)."""
    target = f"{home}{name}/"
    if not any(f.segment == name for f in dst.folders(home)):
        status = dst.make_collection(target, kind, name)
        if status not in (200, 201):
            raise RuntimeError(f"cannot create {target}: {status}")
    there = dst.listing(target)
    hrefs = sorted(src.listing(source))
    existing = dst.fetch_all(target, kind) if there else {}
    content_type = "text/calendar" if kind == "calendar" else "text/vcard"

    def put(href: str, data: bytes) -> bool:
        dest = target + href.rsplit("/", 1)[-1]
        old = there.get(dest)
        condition = {"If_Match": old} if old else {"If_None_Match": "*"}
        for attempt in range(RETRIES):
            try:
                response = dst.request("PUT", dest, data, Content_Type=content_type, **condition)
            except niquests.exceptions.ConnectionError:
                continue  # a kept-alive connection the server closed: again, on a new one
            if attempt and not old and response.status_code == 412:
                return True  # the try before reached the server; its answer was lost
            return response.status_code in (200, 201, 204)
        return False

    futures = []
    for start in range(0, len(hrefs), 100):
        for href, data in src.multiget(source, kind, hrefs[start : start + 100]):
            old = existing.get(target + href.rsplit("/", 1)[-1])
            if old is None or normalised(old) != normalised(data):
                futures.append(pool.submit(put, href, data))
    failed = sum(not f.result() for f in futures)
    return len(futures), failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--source", required=True, help="source base URL")
    parser.add_argument("--dest", required=True, help="destination base URL")
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--dest-user", required=True)
    parser.add_argument("--dest-password", required=True)
    parser.add_argument(
        "--map", action="append", required=True, help="SOURCE_HREF=KIND:DEST_HOME:DEST_NAME"
    )
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args(argv)
    src = Dav(args.source, args.user, args.password, pool=2)
    dst = Dav(args.dest, args.dest_user, args.dest_password, pool=args.concurrency)
    written = failed = 0
    with ThreadPoolExecutor(args.concurrency) as pool:
        for mapping in args.map:
            source, target = mapping.split("=", 1)
            kind, home, name = target.split(":", 2)
            done, bad = copy_collection(src, dst, source, kind, home, name, pool)
            written, failed = written + done, failed + bad
    print(f"written {written} failed {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
