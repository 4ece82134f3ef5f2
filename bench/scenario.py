"""Servers for one benchmark: a seeded Radicale source (kept for the whole invocation) and a
fresh destination per contender run (Radicale, Xandikos, or new collections on the lab's
SOGo), each behind a counting proxy that adds the link's latency and closes the client's
connection when the server closes its own (Radicale does after every answer: a client pays
for its new connections as it would without the proxy). Also the verification."""

from __future__ import annotations

import re
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.contenders import Side
from bench.data import Collection, generate, seed
from bench.dav import Dav, Folder
from tests.proxy import Proxy
from tests.servers import Server, start_radicale, start_xandikos

USER, PASSWORD = "alice", "alicepw"
SOGO = "http://127.0.0.1:5243/"
LATENCY = {"lan": 0.0, "wan": 0.04}
CACHE = Path(__file__).resolve().parent / ".cache"
KEY = re.compile(r"^(SUMMARY|FN|RECURRENCE-ID|EXDATE)[;:]", re.M)


def sogo_up() -> bool:
    try:
        urllib.request.urlopen(SOGO + "SOGo/dav/", timeout=3)
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


def fingerprint(data: bytes) -> tuple:
    """What must survive a copy, server rewrites aside: UID, the key lines (summary/name,
    overrides, exceptions), the size of attachments/photos and each attendee's PARTSTAT
    (SOGo resets those to NEEDS-ACTION when an organizer's event is updated)."""
    text = data.decode("utf-8", "replace").replace("\r\n", "\n")
    text = text.replace("\n ", "").replace("\n\t", "")
    uid = re.search(r"^UID:(.*)$", text, re.M)
    keys = sorted(line for line in text.split("\n") if KEY.match(line))
    blobs = sorted(len(m) for m in re.findall(r"^(?:ATTACH|PHOTO)[;:].*?:([A-Za-z0-9+/=]+)$",
                                               text, re.M))  # fmt: skip
    replies = sorted(
        re.findall(r"^ATTENDEE[^\n]*?PARTSTAT=([A-Z-]+)[^\n]*?:mailto:(\S+)$", text, re.M)
    )
    return (uid.group(1).strip() if uid else None, tuple(keys), tuple(blobs), tuple(replies))


@dataclass
class Source:
    """The seeded source: server, proxy, its collections and their fingerprints."""

    server: Server
    proxy: Proxy
    dav: Dav
    collections: list[Collection]
    folders: list[Folder] = field(default_factory=list)
    expected: dict[str, dict[str, tuple]] = field(default_factory=dict)  # segment -> uid -> fp

    def snapshot(self) -> None:
        """Fingerprint every source item (after seeding and after each change)."""
        for folder in self.folders:
            docs = self.dav.fetch_all(folder.href, folder.kind)
            self.expected[folder.segment] = {fp[0]: fp for fp in map(fingerprint, docs.values())}

    @property
    def items(self) -> int:
        return sum(len(v) for v in self.expected.values())


def start_source(size: str, shape: str, link: str, root: Path) -> Source:
    """Radicale with the data; the seeded tree (with Radicale's item cache, built by the
    first listing) is kept in bench/.cache and copied next time."""
    collections = generate(size, shape, "s")
    cached = CACHE / f"{size}-{shape}"
    store = root / "source" / "collections"
    if cached.exists():
        shutil.copytree(cached, store)
    server = start_radicale(root / "source", {USER: PASSWORD})
    dav = Dav(server.url, USER, PASSWORD)
    if not cached.exists():
        seed(dav, f"/{USER}/", collections, store / "collection-root" / USER)
        for folder in dav.folders(f"/{USER}/"):  # Radicale builds its item cache on a read
            dav.listing(folder.href)
        shutil.copytree(store, cached, ignore=shutil.ignore_patterns(".Radicale.lock"))
    proxy = Proxy(server.url, latency=LATENCY[link], passes_close=True)
    source = Source(server, proxy, dav, collections)
    source.folders = sorted(dav.folders(f"/{USER}/"), key=lambda f: f.segment)
    source.snapshot()
    return source


@dataclass
class Destination:
    """One contender run's destination: a Side for the contenders and how to clean up."""

    side: Side
    dav: Dav
    proxy: Proxy
    server: Server | None

    def close(self, names: list[str]) -> None:
        self.proxy.close()
        if self.server is not None:
            self.server.stop()
            shutil.rmtree(self.server.root, ignore_errors=True)
            return
        for kind in ("calendar", "addressbook"):  # SOGo: remove this run's collections only
            for folder in self.dav.folders(self.side.home(kind)):
                if folder.segment in names:
                    self.dav.request("DELETE", folder.href)


def start_destination(dest: str, link: str, root: Path) -> Destination:
    server: Server | None
    if dest == "radicale":
        server = start_radicale(Path(tempfile.mkdtemp(dir=root)), {USER: PASSWORD})
        homes, client = (f"/{USER}/", f"/{USER}/"), ""
    elif dest == "xandikos":
        server = start_xandikos(Path(tempfile.mkdtemp(dir=root)), USER)
        homes, client = (f"/{USER}/calendars/", f"/{USER}/contacts/"), f"{USER}/"
    else:
        server = None
        homes = (f"/SOGo/dav/{USER}/Calendar/", f"/SOGo/dav/{USER}/Contacts/")
        client = f"SOGo/dav/{USER}/"
    base = server.url if server else SOGO
    proxy = Proxy(base, latency=LATENCY[link], passes_close=True)
    side = Side(proxy.url, proxy.url + client, *homes, USER, PASSWORD)
    return Destination(side, Dav(base, USER, PASSWORD, pool=4), proxy, server)


def source_side(source: Source) -> Side:
    home = f"/{USER}/"
    return Side(source.proxy.url, source.proxy.url, home, home, USER, PASSWORD)


def verify(source: Source, dest: Destination, pairs: list[tuple[Folder, str]]) -> str:
    """'ok', or what is lost or different: every source item must be in its destination
    collection with the same fingerprint."""
    problems = []
    found = {}
    for kind in ("calendar", "addressbook"):
        for folder in dest.dav.folders(dest.side.home(kind)):
            found.setdefault(folder.segment, folder)
            found.setdefault(folder.name, folder)
    for folder, target in pairs:
        expected = source.expected[folder.segment]
        there = found.get(target)
        if there is None:
            problems.append(f"{target}: missing collection ({len(expected)} lost)")
            continue
        docs = dest.dav.fetch_all(there.href, there.kind)
        got = {fp[0]: fp for fp in map(fingerprint, docs.values())}
        lost = len(set(expected) - set(got))
        different = sum(1 for uid, fp in expected.items() if uid in got and got[uid] != fp)
        extra = len(got) - len(set(got) & set(expected))
        if lost or different or extra:
            problems.append(f"{target}: {lost} lost, {different} different, {extra} extra")
    return "ok" if not problems else "; ".join(problems)


def wait_quiet(seconds: float = 1.0) -> None:
    """A short pause between runs so the servers finish background work (Radicale's cache)."""
    time.sleep(seconds)
