"""A seeded coexistence workload for two-way sync (issue 23): the items, the edits, the model.

Two real accounts ("a" = the job's source, "b" = its destination) hold the same collections.
Between passes, people edit both directly over HTTP (never through davtui): new items, updates
(SUMMARY, DTSTART, SEQUENCE; vCard FN, TEL, REV) and deletions, some on the same item on both
sides. `Workload.model` is what both sides must hold after the next pass: one-sided changes
flow across, a deletion wins unless the other side changed the item (then the change wins),
and an item changed on both sides ends as the conflict policy says. The checker reads both
sides back (`tests/coexist_check.py`) and compares every item by meaning
(`content_hash(..., meaning=True)`: a server's own rewrite is not a difference).

The same seed gives the same items, the same edits and the same kill points.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

from bench.data import contact, event, item_file, task
from bench.dav import Dav
from davtui.engine.items.compare import content_hash
from davtui.engine.items.scan import parsed

#: logical collection -> (kind, path segment, the sides it starts on). "ab": both sides hold
#: the same items when the test starts (the weeks of coexistence begin after a copy), so the
#: first pass adopts them by meaning; the others are created on the other side by it.
COLLECTIONS = {
    "work": ("calendar", "cx-work", "ab"),
    "home": ("calendar", "cx-home", "a"),
    "tasks": ("calendar", "cx-tasks", "b"),
    "book": ("addressbook", "cx-book", "ab"),
}
#: share of the items per collection
SHARES = {"work": 0.55, "home": 0.05, "tasks": 0.15, "book": 0.25}
#: what a round does to one item (weights): one side only, or both
OPERATIONS = {
    "create-a": 3, "create-b": 3, "update-a": 4, "update-b": 4, "delete-a": 2, "delete-b": 2,
    "update-both": 3, "update-a-delete-b": 1, "delete-a-update-b": 1, "delete-both": 1,
    "create-both-same": 1,
}  # fmt: skip
EXTENSION = {"calendar": "ics", "addressbook": "vcf"}
TYPES = {"calendar": "text/calendar", "addressbook": "text/vcard"}
WHEN = re.compile(r"^((?:DTSTART|DTEND)[^:\r\n]*:)(\d{8})", re.M)
POLICIES = ("newer", "source-wins", "destination-wins", "keep-both")


@dataclass
class Side:
    """One account: its raw DAV client, its homes (kind -> href) and, once known, the href of
    each logical collection and what it holds (uid -> (href, etag))."""

    name: str
    dav: Dav
    homes: dict[str, str]
    hrefs: dict[str, str] = field(default_factory=dict)
    index: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    #: writes a collection's seed straight into the server's storage (kind, segment,
    #: {file name: data}), as bench/data.py does: hundreds of PUTs cost a server many
    #: seconds (Xandikos commits each to git), files none. None: the seed is PUT.
    store: Callable[[str, str, dict[str, bytes]], None] | None = None
    #: href -> (etag, data) of what was read last: a check fetches only what changed. An
    #: ETag names a version of one resource only while it lives: SOGo numbers versions per
    #: resource ("gcs00000000" for every new one), so an item deleted and re-created at its
    #: href (the harness deletes, the pass re-creates the change that wins) comes back with
    #: the very ETag it had. What the harness writes or deletes is therefore forgotten here,
    #: and so is whatever a listing no longer names.
    seen: dict[str, tuple[str, bytes]] = field(default_factory=dict)

    def locate(self) -> list[str]:
        """Find the logical collections by segment or display name; the ones still missing."""
        folders = {kind: self.dav.folders(home) for kind, home in set(self.homes.items())}
        for logical, (kind, segment, _) in COLLECTIONS.items():
            for folder in folders[kind]:
                if logical not in self.hrefs and segment in (folder.segment, folder.name):
                    self.hrefs[logical] = folder.href
        return [logical for logical in COLLECTIONS if logical not in self.hrefs]

    def read(self, logical: str) -> list[tuple[str, str, bytes]]:
        """(href, etag, data) of every item of a collection: one listing, batched multigets."""
        href, kind = self.hrefs[logical], COLLECTIONS[logical][0]
        etags = self.dav.listing(href)
        for gone in [h for h in self.seen if h.startswith(href) and h not in etags]:
            del self.seen[gone]
        hrefs = sorted(h for h, etag in etags.items() if self.seen.get(h, ("",))[0] != etag)
        for start in range(0, len(hrefs), 200):
            for got, data in self.dav.multiget(href, kind, hrefs[start : start + 200]):
                self.seen[got] = (etags[got], data)
        return [(h, etags[h], self.seen[h][1]) for h in sorted(etags) if h in self.seen]

    def put(self, logical: str, uid: str, data: bytes, name: str | None = None) -> None:
        """Create (at `name` in the collection) or update (If-Match its ETag) one item."""
        kind = COLLECTIONS[logical][0]
        if uid in self.index.get(logical, {}):
            href, etag = self.index[logical][uid]
            headers = {"If_Match": etag}
        else:
            href = self.hrefs[logical] + (name or f"{uid}.{EXTENSION[kind]}")
            headers = {"If_None_Match": "*"}
        self.seen.pop(href, None)
        response = self.dav.request("PUT", href, data, Content_Type=TYPES[kind], **headers)
        if response.status_code not in (200, 201, 204):
            raise AssertionError(f"{self.name}: PUT {href}: {response.status_code}")

    def delete(self, logical: str, uid: str) -> None:
        href, etag = self.index[logical][uid]
        self.seen.pop(href, None)
        response = self.dav.request("DELETE", href, If_Match=etag)
        if response.status_code not in (200, 204):
            raise AssertionError(f"{self.name}: DELETE {href}: {response.status_code}")


@dataclass
class Conflict:
    """An item changed on both sides in one round: each side's version (None: deleted) and
    the side whose version must hold after the pass (None: either, with keep-both)."""

    logical: str
    uid: str
    operation: str
    versions: dict[str, bytes | None]
    winner: str | None


@lru_cache(maxsize=16384)
def meaning(data: bytes) -> str:
    return content_hash(data, meaning=True)


@lru_cache(maxsize=16384)
def uid_of(data: bytes) -> str | None:
    for line in parsed(data).lines:
        if line.name == "UID":
            return line.text.split(":", 1)[1].strip()
    return None


class Workload:
    """The seeded workload on sides `a` and `b`, and `model`: what both must hold next."""

    def __init__(self, a: Side, b: Side, seed: int, items: int, policy: str = "newer") -> None:
        assert policy in POLICIES, policy
        self.sides = {"a": a, "b": b}
        self.rnd = random.Random(seed)
        self.items = items
        self.policy = policy
        self.model: dict[str, dict[str, bytes]] = {logical: {} for logical in COLLECTIONS}
        self.conflicts: list[Conflict] = []
        self.made = 0
        self.stamp = 0

    # -- items -------------------------------------------------------------------------------

    def new_item(self, logical: str, uid: str) -> bytes:
        self.made += 1
        kind, n = COLLECTIONS[logical][0], self.made
        if logical == "book":
            card = contact(self.rnd, n, uid)
            if n % 3 == 1 and n % 5:  # a third as vCard 4.0 (those without a 3.0 PHOTO)
                card = card.replace("VERSION:3.0", "VERSION:4.0").replace(
                    "TYPE=INTERNET", "TYPE=home"
                )
            return item_file(kind, card)
        text = task(self.rnd, n, uid) if logical == "tasks" else event(self.rnd, n, uid, False)
        return item_file(kind, text)

    def edit(self, logical: str, data: bytes, tag: str, step: int = 1) -> bytes:
        """A person's edit: SUMMARY and SEQUENCE + `step` (sometimes DTSTART) of an event or
        task; FN, TEL and a later REV of a contact (REV and SEQUENCE decide `newer`)."""
        text = data.decode()
        word = self.rnd.choice(("moved", "renamed", "agenda", "updated", "room"))
        if logical == "book":
            when = datetime(2026, 1, 1) + timedelta(seconds=self.stamp * 10 + step)
            rev = f"REV:{when:%Y%m%dT%H%M%S}Z"
            text = re.sub(r"^FN:([^\r\n]*)", rf"FN:\1 {tag}", text, count=1, flags=re.M)
            tel = f"TEL;TYPE=CELL:+49 151 {self.rnd.randrange(10**7, 10**8)}"
            text = re.sub(r"^TEL;[^\r\n]*", tel, text, count=1, flags=re.M)
            text = re.sub(r"^REV:[^\r\n]*\r\n", "", text, flags=re.M)
            return text.replace("END:VCARD", f"{rev}\r\nEND:VCARD").encode()
        text = re.sub(r"^SUMMARY:[^\r\n]*", f"SUMMARY:{word} {tag}", text, count=1, flags=re.M)
        sequence = re.search(r"^SEQUENCE:(\d+)", text, re.M)
        if sequence:
            new = f"SEQUENCE:{int(sequence.group(1)) + step}"
            text = text[: sequence.start()] + new + text[sequence.end() :]
        else:
            text = re.sub(
                r"^(UID:[^\r\n]*\r\n)", rf"\1SEQUENCE:{step}\r\n", text, count=1, flags=re.M
            )
        if logical == "work" and "RRULE" not in text and self.rnd.random() < 0.5:
            text = re.sub(
                r"^((?:DTSTART|DTEND)[^:\r\n]*:)(\d{8})", _next_day, text, count=2, flags=re.M
            )
        return text.encode()

    # -- the seed and the rounds ---------------------------------------------------------------

    def create_collections(self) -> None:
        """Each logical collection on the sides it starts on; the first pass makes the rest."""
        for kind, segment, sides in COLLECTIONS.values():
            for one in (self.sides[side] for side in sides):
                href = f"{one.homes[kind]}{segment}/"
                status = one.dav.make_collection(href, kind, segment)
                if status not in (200, 201):  # no extended MKCOL (SOGo): a bare one, then a name
                    status = one.dav.request("MKCOL", href).status_code
                    one.dav.set_name(href, segment)
                assert status in (200, 201), (one.name, segment, status)
                one.locate()

    def seed(self) -> None:
        """`items` items, each written on the sides its collection starts on."""
        for logical, share in SHARES.items():
            kind, segment, sides = COLLECTIONS[logical]
            for n in range(round(self.items * share)):
                uid = f"cx-{logical}-{n}@coexist.example.org"
                self.model[logical][uid] = self.new_item(logical, uid)
            files = {f"{uid}.{EXTENSION[kind]}": data for uid, data in self.model[logical].items()}
            for side in (self.sides[name] for name in sides):
                if side.store is not None:
                    side.store(kind, segment, files)
                    continue
                for uid, data in self.model[logical].items():
                    side.put(logical, uid, data)

    def round(
        self, number: int, changes: int, operations: dict[str, int] | None = None
    ) -> Counter[str]:
        """`changes` random operations (weighted by `operations`) on distinct items, written
        straight to the servers."""
        self.conflicts = []
        done: Counter[str] = Counter()
        touched: set[str] = set()
        names, weights = zip(*(operations or OPERATIONS).items(), strict=True)
        for n in range(changes):
            operation = self.rnd.choices(names, weights)[0]
            logical = self.rnd.choices(list(SHARES), list(SHARES.values()))[0]
            known = sorted(set(self.model[logical]) - touched)
            if not operation.startswith("create") and not known:
                operation = "create-a"
            uid = (
                f"cx-r{number}-{n}-{logical}@coexist.example.org"
                if operation.startswith("create")
                else self.rnd.choice(known)
            )
            touched.add(uid)
            self.apply(operation, logical, uid)
            done[operation] += 1
        return done

    def apply(self, operation: str, logical: str, uid: str) -> None:
        self.stamp += 1  # both edits of one item share it: the bigger step is the later REV
        a, b, model = self.sides["a"], self.sides["b"], self.model[logical]
        name = f"x{self.rnd.randrange(16**8):08x}.{EXTENSION[COLLECTIONS[logical][0]]}"
        if operation.startswith("create"):
            data = self.new_item(logical, uid)
            for side in ("a", "b") if operation == "create-both-same" else operation[-1]:
                self.sides[side].put(logical, uid, data, name if side == "b" else None)
            model[uid] = data
        elif operation in ("update-a", "update-b"):
            model[uid] = self.edit(logical, model[uid], operation[-1])
            self.sides[operation[-1]].put(logical, uid, model[uid])
        elif operation in ("delete-a", "delete-b", "delete-both"):
            for side in "ab" if operation == "delete-both" else operation[-1]:
                self.sides[side].delete(logical, uid)
            del model[uid]
        elif operation == "update-both":
            steps = self.rnd.sample((1, 2), 2)
            versions = {
                s: self.edit(logical, model[uid], s, step)
                for s, step in zip("ab", steps, strict=True)
            }
            a.put(logical, uid, versions["a"])
            b.put(logical, uid, versions["b"])
            winner = self.winner(steps)
            model[uid] = versions[winner or "a"]
            self.conflicts.append(Conflict(logical, uid, operation, dict(versions), winner))
        else:  # one side updates, the other deletes: the change wins, whatever the policy
            kept = "a" if operation == "update-a-delete-b" else "b"
            gone = "b" if kept == "a" else "a"
            model[uid] = self.edit(logical, model[uid], kept)
            self.sides[kept].put(logical, uid, model[uid])
            self.sides[gone].delete(logical, uid)
            versions = {kept: model[uid], gone: None}
            self.conflicts.append(Conflict(logical, uid, operation, versions, kept))

    def winner(self, steps: list[int]) -> str | None:
        """The side whose version a both-sides update must end with: `newer` takes the higher
        SEQUENCE (events, tasks) or the later REV (contacts), which the bigger step made."""
        if self.policy == "keep-both":
            return None
        if self.policy == "source-wins":
            return "a"
        if self.policy == "destination-wins":
            return "b"
        return "a" if steps[0] > steps[1] else "b"


def _next_day(match: re.Match[str]) -> str:
    day = date(int(match[2][:4]), int(match[2][4:6]), int(match[2][6:])) + timedelta(days=1)
    return f"{match[1]}{day:%Y%m%d}"
