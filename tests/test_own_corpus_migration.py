"""The project's own corpus through a real migration, Radicale -> Xandikos, on any clone.

The path tests/test_corpus_migration.py takes with the real-world corpus, sized to run
everywhere: the corpus's items are PUT one by one into a real Radicale (as a server serves
them: UTF-8, CRLF), then `davtui migrate` copies them into a real Xandikos. Every item of an
`ok` file is on the source (but those Radicale itself refuses, a pinned list; they are
migrated from files in tests/test_own_corpus_files.py) and arrives once: 0 missing,
0 duplicated. Whatever else the source holds (items of damaged files) is copied or refused
with a reason; the source is untouched; a second run writes nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pytest

from davtui.engine.items.scan import resource_name
from davtui.engine.items.split import Item, split
from tests import dav
from tests.conftest import OWN_CORPUS
from tests.corpus_source import USER, corpus_groups
from tests.servers import Server, start_radicale
from tests.test_corpus_migration import assert_no_writes, check_run, migrate
from tests.test_migrate import config_file

pytestmark = pytest.mark.timeout(300)

#: ok files with an item Radicale itself refuses at the PUT (its vobject checks: no UID,
#: DTEND with DURATION, a VFREEBUSY, two N of one ALTID), so it is never on the source here;
#: tests/test_corpus.py and tests/test_own_corpus_files.py take them from files.
RADICALE_REFUSES = {
    "ics/quirks/no-uid.ics", "ics/quirks/duration-and-dtend.ics", "ics/tasks/freebusy.ics",
    "vcf/vcard21/quoted-printable.vcf", "vcf/vcard21/base64-photo.vcf",
    "vcf/vcard21/latin1-charset.vcf", "vcf/vcard30/google-no-uid.vcf",
    "vcf/vcard30/three-cards.vcf", "vcf/vcard40/altid-pref.vcf",
}  # fmt: skip


def ok_items(root: Path) -> dict[str, str]:
    """`<collection segment>/<resource name>` -> file, for the items of every `ok` file
    (segments as the `own_source` fixture names the collections)."""
    entries = json.loads((OWN_CORPUS / "manifest.json").read_text())["files"]
    wanted: dict[str, str] = {}
    for entry in (e for e in entries if e["status"] == "ok"):
        kind, folder = entry["file"].split("/")[:2]
        segment = f"{'cal' if kind == 'ics' else 'add'}-{folder}".lower()
        for item in split((root / entry["file"]).read_bytes(), entry["file"]):
            assert isinstance(item, Item), item
            wanted[f"{segment}/{resource_name(item.uid, item.info.kind)}"] = entry["file"]
    return wanted


def names(url: str) -> set[str]:
    return {unquote(href.rsplit("/", 1)[-1]) for href in dav.listing(url)}


def as_served(data: bytes) -> bytes:
    """The file as a CalDAV server hands it out: UTF-8 without BOM, CRLF line endings.
    (Radicale cannot read the raw UTF-16, BOM or CR-only files; split and the fix-ups meet
    those in tests/test_corpus.py.) Decoded here, not with davtui's code."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    elif len(data) > 1 and data[1] == 0:
        text = data.decode("utf-16-le")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", "replace")
    return "\r\n".join(re.split(r"\r\n|\n|\r", text)).encode()


@dataclass
class OwnSource:
    server: Server
    listed: dict[str, set[str]]  # collection URL -> resource names it lists
    refused: dict[str, int]  # "<segment>/<name>" -> Radicale's answer to the PUT


@pytest.fixture
def own_source(tmp_path: Path):
    """A Radicale holding the own corpus, PUT item by item as `split` cuts the files (as
    served, see `as_served`): Radicale checks each item at the PUT and lists what it took."""
    served = tmp_path / "served"
    for path in (p for p in OWN_CORPUS.glob("*/*/*") if p.is_file()):
        copy = served / path.relative_to(OWN_CORPUS)
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_bytes(as_served(path.read_bytes()))
    server = start_radicale(tmp_path / "radicale", {USER: "alicepw"})
    try:
        refused, urls = {}, []
        for (kind, folder), items in corpus_groups(served).items():
            segment = f"{kind[:3]}-{folder}".lower()
            url = dav.make_collection(server.url, f"{USER}/{segment}/", segment, kind)
            urls.append(url)
            mime = "text/calendar" if kind == "calendar" else "text/vcard"
            stored = set()  # a UID met twice (series-master/-override.ics) is stored once
            for item in items:
                name = resource_name(item.uid, item.info.kind)
                if name in stored:
                    continue
                stored.add(name)
                if (status := dav.put(url + name, item.data, mime)) not in (201, 204):
                    refused[f"{segment}/{name}"] = status
        yield OwnSource(server, {url: names(url) for url in urls}, refused)
    finally:
        server.stop()


def test_own_corpus_radicale_to_xandikos(
    own_source: OwnSource, fresh_xandikos: Server, tmp_path: Path
) -> None:
    wanted = ok_items(tmp_path / "served")
    print(f"\nRadicale refused: {own_source.refused}")
    assert {wanted[n] for n in own_source.refused if n in wanted} == RADICALE_REFUSES
    source = {url.rstrip("/").rsplit("/", 1)[-1]: found for url, found in own_source.listed.items()}
    listed = {f"{segment}/{name}" for segment, found in source.items() for name in found}
    lacking = set(wanted) - set(own_source.refused) - listed
    assert not lacking, f"the source lacks ok items: {sorted(lacking)}"
    before = {url: dav.listing(url) for url in own_source.listed}

    config = config_file(tmp_path / "own.toml", own_source.server.url, fresh_xandikos.url)
    code, report = migrate(config, tmp_path / "own.db")
    check_run(report, code, len(listed), "own corpus: radicale -> xandikos")

    arrived = set()
    for segment in source:
        kind = "calendars" if segment.startswith("cal-") else "contacts"
        found = names(f"{fresh_xandikos.url}{USER}/{kind}/{segment}/")
        arrived |= {f"{segment}/{name}" for name in found}
    missing = (set(wanted) & listed) - arrived
    assert not missing, f"ok items missing at the destination: {sorted(missing)}"
    assert arrived <= listed, f"not on the source: {sorted(arrived - listed)}"
    assert len(arrived) == len(listed) - len(report["errors"])  # each once (one per name)
    assert {url: dav.listing(url) for url in own_source.listed} == before, "source untouched"
    assert_no_writes(migrate(config, tmp_path / "own.db")[1])
