"""Would a bulk mode for Radicale destinations be faithful? The issue allows one only if so.

Radicale takes a whole collection in one PUT (a VCALENDAR holding every item) and splits it
into items itself. This puts the same items both ways into a fresh Radicale, one PUT per item
and one PUT for all, times both, reads every stored item back and compares it with what was
sent through davtui's own verification hash, naming the first property that differs:

    python bench/bulk_put.py             # the bench's `work` calendar (small) and the corpus

The corpus part keeps the single-UID calendar files of ../shared/corpus; those Radicale
refuses one by one are left out of the bulk body (with them, the whole PUT is refused).
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.data import HEAD, generate, item_file
from bench.dav import Dav
from davtui.engine.items.compare import content_hash, first_difference
from tests.servers import start_radicale

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
BLOCK = re.compile(r"^BEGIN:(VTIMEZONE|VEVENT|VTODO|VJOURNAL)\r?\n.*?^END:\1\r?\n", re.M | re.S)
UID = re.compile(rb"^UID:(.*?)\r?$", re.M)


def bench_items() -> dict[str, bytes]:
    """The small `work` calendar (attendees, alarms, recurrences, attachments), by UID, as
    the bench stores its items."""
    work = next(c for c in generate("small", "spread", "s") if c.segment.endswith("work"))
    return {uid: item_file(work.kind, text) for uid, text in work.items.items()}


def corpus_items() -> dict[str, bytes]:
    """The corpus's calendar files that hold one UID, by UID."""
    found = {}
    for path in sorted(CORPUS.rglob("*.ics")):
        data = path.read_bytes()
        uids = set(UID.findall(data))
        if len(uids) == 1 and b"BEGIN:VCALENDAR" in data:
            found[uids.pop().strip().decode("utf-8", "replace")] = data
    return found


def bulk_body(items: dict[str, bytes]) -> bytes:
    """One VCALENDAR with every component; one VTIMEZONE per TZID (the first one met)."""
    zones: dict[str, str] = {}
    parts = []
    for data in items.values():
        for match in BLOCK.finditer(data.decode("utf-8", "replace")):
            if match.group(1) == "VTIMEZONE":
                tzid = re.search(r"^TZID[:;](.*?)\r?$", match.group(0), re.M)
                zones.setdefault(tzid.group(1) if tzid else match.group(0), match.group(0))
            else:
                parts.append(match.group(0))
    return (HEAD + "".join(zones.values()) + "".join(parts) + "END:VCALENDAR\r\n").encode()


def one_by_one(dav: Dav, collection: str, items: dict[str, bytes]) -> tuple[dict, float]:
    """PUT each item into a new calendar; the items Radicale took, and the seconds it took."""
    dav.make_collection(collection, "calendar", "one by one")
    taken, start = {}, time.monotonic()
    for number, (uid, data) in enumerate(items.items()):
        put = dav.request("PUT", f"{collection}{number}.ics", data, Content_Type="text/calendar")
        if put.status_code < 300:
            taken[uid] = data
    return taken, time.monotonic() - start


def compare(dav: Dav, collection: str, items: dict[str, bytes]) -> str:
    """What a bulk-stored collection holds against what was sent, in one paragraph."""
    stored = {}
    for href, data in dav.fetch_all(collection, "calendar").items():
        uid = UID.search(data)
        stored[uid.group(1).strip().decode() if uid else href] = data
    no_calscale = re.compile(rb"^CALSCALE:.*\r?\n", re.M)
    outcome: Counter = Counter()
    reasons: Counter = Counter()
    for uid, sent in items.items():
        got = stored.get(uid)
        if got is None:
            outcome["not read back"] += 1
            continue
        outcome["CALSCALE dropped"] += b"CALSCALE" not in got
        mine, theirs = no_calscale.sub(b"", sent), no_calscale.sub(b"", got)
        if content_hash(mine) == content_hash(theirs):
            outcome["same (CALSCALE aside)"] += 1
        else:
            outcome["different"] += 1
            reasons[(first_difference(mine, theirs) or "?").split(":")[0]] += 1
    shown = ", ".join(f"{name} {count}" for name, count in reasons.most_common(10))
    return f"{dict(outcome)}; first differences: {shown or 'none'}"


def trial(dav: Dav, home: str, name: str, items: dict[str, bytes]) -> None:
    taken, seconds = one_by_one(dav, f"{home}{name}-one/", items)
    print(f"{name}: {len(items)} items; one PUT each: {len(taken)} taken in {seconds:.1f} s")
    for label, body_items in (("all", items), ("those taken", taken)):
        if label == "all" and len(taken) == len(items):
            continue
        collection = f"{home}{name}-{len(body_items)}/"
        start = time.monotonic()
        put = dav.request("PUT", collection, bulk_body(body_items), Content_Type="text/calendar")
        seconds = time.monotonic() - start
        print(f"  one PUT of {label} ({len(body_items)}): {put.status_code} in {seconds:.1f} s")
        if put.status_code < 300:
            print("   ", compare(dav, collection, body_items))


def main() -> None:
    server = start_radicale(Path(tempfile.mkdtemp(prefix="bulk-put-")), {"alice": "alicepw"})
    try:
        dav = Dav(server.url, "alice", "alicepw")
        home = "/alice/"
        dav.request("PROPFIND", home, Depth="0")  # Radicale makes the principal on first use
        trial(dav, home, "bench", bench_items())
        trial(dav, home, "corpus", corpus_items())
    finally:
        server.stop()


if __name__ == "__main__":
    main()
